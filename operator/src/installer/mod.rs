//! The plugin installer run by `sluice install-plugins` in the Connect pods' init container:
//! it fills the worker's plugin path from the resolved plugin list.
//!
//! Each plugin is downloaded and verified, unpacked into a temporary directory on the same
//! volume, and renamed into place only when complete, so the plugin path only ever holds
//! whole plugins: an interrupted run leaves temporary directories that the next run removes
//! first, and ends where an uninterrupted one would. A plugin already installed with the
//! same sha512 is skipped; plugins Sluice installed that are no longer listed are removed;
//! anything else in the directory is left alone.

pub mod archive;
pub mod budget;
pub mod classes;
pub mod download;
pub mod entry_path;
pub mod manifest;
pub mod probe;

use std::{
    fmt,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU32, Ordering},
    time::Duration,
};

use futures::StreamExt;

pub use crate::plugin_list::{PluginArchive, PluginList};
pub use manifest::{InstalledPlugin, Manifest};

use budget::Budget;

/// Where temporary work happens, inside the target so renames stay on one filesystem.
const TMP_DIR: &str = ".sluice-tmp";

/// How the installer runs.
#[derive(Debug, Clone)]
pub struct Options {
    /// The plugin path to fill.
    pub target: PathBuf,
    /// Downloads at the same time.
    pub parallelism: usize,
    /// The longest one download attempt may take.
    pub timeout: Duration,
    /// Further attempts after a download failed in a way that may pass.
    pub retries: u32,
}

/// A plugin that could not be installed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstallError {
    pub plugin: String,
    pub reason: String,
}

impl fmt::Display for InstallError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "plugin {:?}: {}", self.plugin, self.reason)
    }
}

/// What a run did.
#[derive(Debug, Default)]
pub struct Report {
    pub installed: Vec<String>,
    pub skipped: Vec<String>,
    pub removed: Vec<String>,
    pub failed: Vec<InstallError>,
    pub manifest: Manifest,
}

/// Installs `list` into `options.target`. Plugins install independently: one failing does
/// not stop the others, and every failure is in the report.
pub async fn install(list: &PluginList, options: &Options) -> Result<Report, String> {
    crate::tls::install_crypto_provider();
    let target = &options.target;
    std::fs::create_dir_all(target).map_err(|e| format!("{}: {e}", target.display()))?;
    // Held to the end: a second installer on the same volume waits instead of interleaving.
    let _lock = lock(target).await?;
    let tmp = target.join(TMP_DIR);
    // Leftovers of an interrupted run: never a whole plugin, so never worth keeping.
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    }
    std::fs::create_dir_all(&tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
    let _ = std::fs::remove_file(target.join(manifest::MANIFEST).with_extension("tmp"));

    let mut report = Report::default();
    let mut to_install = Vec::new();
    let mut kept_bytes = 0;
    for plugin in &list.plugins {
        let dir = target.join(&plugin.name);
        match manifest::read_marker(&dir) {
            Some(marker) if marker.sha512 == plugin.sha512 => {
                tracing::info!(plugin = %plugin.name, "already installed with the same sha512");
                kept_bytes += dir_size(&dir);
                report.skipped.push(plugin.name.clone());
                report.manifest.plugins.push(marker);
            }
            _ => to_install.push(plugin),
        }
    }
    let budget = Budget::new(list.storage_limit_bytes, kept_bytes);
    let client = reqwest::Client::builder()
        .user_agent(concat!("sluice-installer/", env!("CARGO_PKG_VERSION")))
        .connect_timeout(options.timeout)
        .build()
        .map_err(|e| e.to_string())?;

    let results: Vec<_> = futures::stream::iter(to_install)
        .map(|plugin| {
            let (client, budget) = (&client, &budget);
            async move { (plugin, install_one(client, plugin, options, budget).await) }
        })
        .buffer_unordered(options.parallelism.max(1))
        .collect()
        .await;
    for (plugin, result) in results {
        match result {
            Ok(installed) => {
                report.installed.push(plugin.name.clone());
                report.manifest.plugins.push(installed);
            }
            Err(reason) => {
                tracing::warn!(plugin = %plugin.name, "{reason}");
                report.failed.push(InstallError { plugin: plugin.name.clone(), reason });
            }
        }
    }

    report.removed = remove_unlisted(target, list);
    let _ = std::fs::remove_dir_all(&tmp);
    report.manifest.plugins.sort_by(|a, b| a.name.cmp(&b.name));
    manifest::write_atomically(&target.join(manifest::MANIFEST), &report.manifest)
        .map_err(|e| format!("writing the manifest: {e}"))?;
    Ok(report)
}

/// An exclusive lock on the plugin directory itself (flock on the directory, so nothing is
/// added to it), waited for off the async runtime when another installer holds it.
async fn lock(target: &Path) -> Result<std::fs::File, String> {
    let dir = std::fs::File::open(target).map_err(|e| format!("{}: {e}", target.display()))?;
    match dir.try_lock() {
        Ok(()) => return Ok(dir),
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(format!("locking {}: {e}", target.display()));
        }
        Err(std::fs::TryLockError::WouldBlock) => {}
    }
    tracing::info!(target = %target.display(), "another installer holds the plugin directory; waiting for it");
    let shown = target.display().to_string();
    tokio::task::spawn_blocking(move || dir.lock().map(|()| dir))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| format!("locking {shown}: {e}"))
}

async fn install_one(
    client: &reqwest::Client,
    plugin: &PluginArchive,
    options: &Options,
    budget: &Budget,
) -> Result<InstalledPlugin, String> {
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let work = options.target.join(TMP_DIR).join(format!(
        "{}-{}-{}",
        plugin.name,
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let mut archive_bytes = 0;
    let result = stage(client, plugin, options, budget, &work, &mut archive_bytes).await;
    // Whatever happened, nothing of this attempt stays in the temporary area, and the
    // archive's bytes are free again.
    let _ = std::fs::remove_dir_all(&work);
    budget.give_back(archive_bytes);
    result
}

async fn stage(
    client: &reqwest::Client,
    plugin: &PluginArchive,
    options: &Options,
    budget: &Budget,
    work: &Path,
    archive_bytes: &mut u64,
) -> Result<InstalledPlugin, String> {
    std::fs::create_dir_all(work).map_err(|e| e.to_string())?;
    let archive_path = work.join("archive");
    tracing::info!(plugin = %plugin.name, url = %crate::text::redacted_url(&plugin.archive_url), "downloading");
    *archive_bytes =
        download::download(client, plugin, &archive_path, options.timeout, options.retries, budget)
            .await?;

    let unpacked = work.join("unpacked");
    std::fs::create_dir_all(&unpacked).map_err(|e| e.to_string())?;
    let format = archive::detect(&plugin.archive_url, &archive_path)?;
    let file_name = jar_name(plugin);
    let (archive_path2, unpacked2, budget2) =
        (archive_path.clone(), unpacked.clone(), budget.clone());
    // Unpacking is blocking file work: keep it off the async workers.
    let size = tokio::task::spawn_blocking(move || {
        archive::unpack(format, &archive_path2, &file_name, &unpacked2, &budget2)
    })
    .await
    .map_err(|e| e.to_string())??;
    let root = archive::plugin_root(&unpacked)?;
    let installed = InstalledPlugin {
        name: plugin.name.clone(),
        version: plugin.version.clone(),
        source: plugin.source.clone(),
        sha512: plugin.sha512.clone(),
        classes: classes::scan(&root),
    };
    manifest::write_atomically(&root.join(manifest::MARKER), &installed)
        .map_err(|e| e.to_string())?;

    // Into place: the old version (if any) moves aside first, so the name always holds a
    // whole plugin or nothing, never a mix.
    let dest = options.target.join(&plugin.name);
    let old = work.join("old");
    if dest.exists() {
        std::fs::rename(&dest, &old).map_err(|e| format!("moving the old version aside: {e}"))?;
    }
    if let Err(e) = std::fs::rename(&root, &dest) {
        if old.exists() {
            let _ = std::fs::rename(&old, &dest);
        }
        budget.give_back(size);
        return Err(format!("moving the plugin into place: {e}"));
    }
    tracing::info!(plugin = %plugin.name, bytes = size, classes = installed.classes.len(), "installed");
    Ok(installed)
}

/// The file name of a bare jar: the URL's last path segment, or the plugin's name.
fn jar_name(plugin: &PluginArchive) -> String {
    url::Url::parse(&plugin.archive_url)
        .ok()
        .and_then(|u| u.path_segments()?.next_back().map(str::to_owned))
        .filter(|s| entry_path::safe_relative(s).is_ok() && s.ends_with(".jar"))
        .unwrap_or_else(|| format!("{}.jar", plugin.name))
}

/// Removes plugin directories Sluice installed (they carry a marker) that the list no
/// longer names; returns their names.
fn remove_unlisted(target: &Path, list: &PluginList) -> Vec<String> {
    let listed: std::collections::BTreeSet<&str> =
        list.plugins.iter().map(|p| p.name.as_str()).collect();
    let mut removed = Vec::new();
    let Ok(entries) = std::fs::read_dir(target) else { return removed };
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') || listed.contains(name.as_str()) {
            continue;
        }
        if entry.path().join(manifest::MARKER).is_file()
            && std::fs::remove_dir_all(entry.path()).is_ok()
        {
            tracing::info!(plugin = %name, "removed: no longer listed");
            removed.push(name);
        }
    }
    removed.sort();
    removed
}

fn dir_size(dir: &Path) -> u64 {
    let mut total = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.filter_map(Result::ok) {
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path()),
                Ok(t) if t.is_file() => total += entry.metadata().map(|m| m.len()).unwrap_or(0),
                _ => {}
            }
        }
    }
    total
}
