//! Unpacking a verified archive into a fresh directory: zip, tar.gz or a bare jar, with
//! every entry checked (no way out of the directory, no devices, no bombs) before a byte
//! of it is written.

use std::{
    fs::{self, File},
    io::{self, Read},
    path::Path,
};

use super::budget::{Budget, Metered};
use super::entry_path::{link_stays_inside, safe_relative};

/// Unpacked bytes may be at most this many times the archive's size (once past
/// [`RATIO_FLOOR`]): real plugin archives compress jars, which barely compress further
/// (ratios of 1–5); a decompression bomb reaches thousands.
pub const MAX_RATIO: u64 = 100;
/// Below this many unpacked bytes the ratio is not checked: tiny archives of text files
/// compress well and harm no one.
pub const RATIO_FLOOR: u64 = 1 << 20;

/// The archive formats the installer knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Zip,
    TarGz,
    /// A single jar, installed as it is.
    Jar,
}

/// The format of `archive`, from its URL's file name and its first bytes.
pub fn detect(url: &str, archive: &Path) -> Result<Format, String> {
    let mut magic = [0u8; 4];
    let n = File::open(archive).and_then(|mut f| f.read(&mut magic)).map_err(|e| e.to_string())?;
    let path = url.split(['?', '#']).next().unwrap_or(url);
    match &magic[..n] {
        [b'P', b'K', 3, 4] if path.ends_with(".jar") => Ok(Format::Jar),
        [b'P', b'K', 3, 4] => Ok(Format::Zip),
        [0x1f, 0x8b, ..] => Ok(Format::TarGz),
        _ => Err("the archive is neither zip, tar.gz nor jar".into()),
    }
}

/// Unpacks `archive` into `dest` (which must exist and be empty). `file_name` names a bare
/// jar. Returns the unpacked size.
pub fn unpack(
    format: Format,
    archive: &Path,
    file_name: &str,
    dest: &Path,
    budget: &Budget,
) -> Result<u64, String> {
    let compressed = fs::metadata(archive).map_err(|e| e.to_string())?.len().max(1);
    let mut written = 0u64;
    let result = match format {
        Format::Jar => copy_file(archive, &dest.join(file_name), budget, &mut written),
        Format::Zip => unzip(archive, dest, budget, &mut written, compressed),
        Format::TarGz => untar(archive, dest, budget, &mut written, compressed),
    };
    if result.is_err() {
        budget.give_back(written);
    }
    result.map(|()| written)
}

fn ratio_check(written: u64, compressed: u64) -> Result<(), String> {
    if written > RATIO_FLOOR && written / compressed > MAX_RATIO {
        return Err(format!(
            "the archive unpacks to more than {MAX_RATIO} times its size: refusing a likely decompression bomb"
        ));
    }
    Ok(())
}

fn copy_file(from: &Path, to: &Path, budget: &Budget, written: &mut u64) -> Result<(), String> {
    let mut input = File::open(from).map_err(|e| e.to_string())?;
    let out = File::create(to).map_err(|e| format!("{}: {e}", to.display()))?;
    io::copy(&mut input, &mut Metered { inner: out, budget, written })
        .map_err(|e| e.to_string())?;
    Ok(())
}

fn write_entry(
    reader: &mut impl Read,
    to: &Path,
    budget: &Budget,
    written: &mut u64,
    compressed: u64,
) -> Result<(), String> {
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    let out = File::create(to).map_err(|e| format!("{}: {e}", to.display()))?;
    let mut metered = Metered { inner: out, budget, written };
    // Copy in slices so a bomb is stopped after a bounded amount, not after the entry.
    let mut buf = vec![0u8; 64 << 10];
    loop {
        let n = reader.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            return Ok(());
        }
        io::Write::write_all(&mut metered, &buf[..n]).map_err(|e| e.to_string())?;
        ratio_check(*metered.written, compressed)?;
    }
}

fn unzip(
    archive: &Path,
    dest: &Path,
    budget: &Budget,
    written: &mut u64,
    compressed: u64,
) -> Result<(), String> {
    let file = File::open(archive).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("not a readable zip: {e}"))?;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| format!("zip entry {i}: {e}"))?;
        let name = entry.name().map_err(|e| format!("zip entry {i}: {e}"))?.into_owned();
        let relative = safe_relative(&name)?;
        let to = dest.join(&relative);
        let mode = entry.unix_mode().unwrap_or(0);
        if mode & 0o170000 == 0o120000 {
            let mut target = String::new();
            entry.read_to_string(&mut target).map_err(|e| e.to_string())?;
            link(&relative, &target, &to)?;
        } else if entry.is_dir() {
            fs::create_dir_all(&to).map_err(|e| e.to_string())?;
        } else if entry.is_file() {
            write_entry(&mut entry, &to, budget, written, compressed)?;
        } else {
            return Err(format!("archive entry {name:?} is neither a file nor a directory"));
        }
    }
    Ok(())
}

fn untar(
    archive: &Path,
    dest: &Path,
    budget: &Budget,
    written: &mut u64,
    compressed: u64,
) -> Result<(), String> {
    let file = File::open(archive).map_err(|e| e.to_string())?;
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(file));
    for entry in tar.entries().map_err(|e| format!("not a readable tar.gz: {e}"))? {
        let mut entry = entry.map_err(|e| format!("not a readable tar.gz: {e}"))?;
        let raw = entry.path_bytes().into_owned();
        let name = String::from_utf8_lossy(&raw).into_owned();
        let kind = entry.header().entry_type();
        if matches!(kind, tar::EntryType::XGlobalHeader | tar::EntryType::XHeader) {
            continue;
        }
        let relative = safe_relative(&name)?;
        let to = dest.join(&relative);
        match kind {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                write_entry(&mut entry, &to, budget, written, compressed)?
            }
            tar::EntryType::Directory => fs::create_dir_all(&to).map_err(|e| e.to_string())?,
            tar::EntryType::Symlink => link(&relative, &link_name(&entry)?, &to)?,
            tar::EntryType::Link => {
                // A hard link names another entry of the archive, relative to its root.
                let target = link_name(&entry)?;
                let source = safe_relative(&target).map_err(|_| {
                    format!("archive entry {name:?} is a hard link leaving the plugin directory")
                })?;
                let source = dest.join(source);
                if fs::symlink_metadata(&source).map(|m| !m.is_file()).unwrap_or(true) {
                    return Err(format!(
                        "archive entry {name:?} is a hard link to {target:?}, which is not a file unpacked before it"
                    ));
                }
                if let Some(parent) = to.parent() {
                    fs::create_dir_all(parent).map_err(|e| e.to_string())?;
                }
                fs::hard_link(&source, &to).map_err(|e| e.to_string())?;
            }
            other => {
                return Err(format!(
                    "archive entry {name:?} is a {}: only files, directories and links are installed",
                    describe(other)
                ));
            }
        }
    }
    Ok(())
}

fn link_name(entry: &tar::Entry<'_, impl Read>) -> Result<String, String> {
    Ok(entry
        .link_name()
        .map_err(|e| e.to_string())?
        .map(|t| t.to_string_lossy().into_owned())
        .unwrap_or_default())
}

fn describe(kind: tar::EntryType) -> &'static str {
    match kind {
        tar::EntryType::Char => "character device",
        tar::EntryType::Block => "block device",
        tar::EntryType::Fifo => "named pipe",
        _ => "special entry",
    }
}

fn link(relative: &Path, target: &str, to: &Path) -> Result<(), String> {
    if !link_stays_inside(relative, target) {
        return Err(format!(
            "archive entry {:?} is a symbolic link to {target:?}, outside the plugin directory",
            relative.display().to_string()
        ));
    }
    if let Some(parent) = to.parent() {
        fs::create_dir_all(parent).map_err(|e| e.to_string())?;
    }
    std::os::unix::fs::symlink(target, to).map_err(|e| e.to_string())
}

/// Where the plugin's files start: Confluent Hub archives hold one top directory
/// (`<owner>-<name>-<version>/`) with `manifest.json` and `lib/`; Connect wants those at
/// the plugin directory's top.
pub fn plugin_root(unpacked: &Path) -> Result<std::path::PathBuf, String> {
    let entries: Vec<_> =
        fs::read_dir(unpacked).map_err(|e| e.to_string())?.filter_map(Result::ok).collect();
    if let [only] = entries.as_slice()
        && only.file_type().is_ok_and(|t| t.is_dir())
    {
        let dir = only.path();
        if dir.join("manifest.json").is_file() || dir.join("lib").is_dir() {
            return Ok(dir);
        }
    }
    Ok(unpacked.to_path_buf())
}
