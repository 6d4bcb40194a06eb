//! What the installer leaves behind: a marker in each plugin directory (so an unchanged
//! plugin is skipped next time) and a manifest of the whole plugin path.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::classes::PluginClass;

/// The marker's file name inside each plugin directory.
pub const MARKER: &str = ".sluice-plugin.json";
/// The manifest's file name at the top of the plugin path.
pub const MANIFEST: &str = ".sluice-manifest.json";

/// One installed plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InstalledPlugin {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub source: String,
    pub sha512: String,
    pub classes: Vec<PluginClass>,
}

/// Everything installed under a plugin path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Manifest {
    pub plugins: Vec<InstalledPlugin>,
}

/// The largest marker read: a plugin's class list is kilobytes; the volume is shared with
/// whatever else wrote to it, so the read is bounded anyway.
const MAX_MARKER_BYTES: u64 = 4 << 20;

/// The marker of the plugin in `dir`, if it has a readable one (a regular file: a link
/// planted in its place is not followed).
pub fn read_marker(dir: &Path) -> Option<InstalledPlugin> {
    let path = dir.join(MARKER);
    if !std::fs::symlink_metadata(&path).ok()?.is_file() {
        return None;
    }
    let bytes = crate::bounded::read_file(&path, MAX_MARKER_BYTES).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Writes `value` as JSON to `path` through a temporary file and a rename, so a reader (or
/// an interrupted run) never sees half of it.
pub fn write_atomically(path: &Path, value: &impl Serialize) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let json = serde_json::to_vec_pretty(value).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, json)?;
    std::fs::rename(&tmp, path)
}
