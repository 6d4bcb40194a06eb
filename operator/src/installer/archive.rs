//! Unpacking a verified archive into a fresh directory: zip, tar.gz or a bare jar, with
//! every entry checked (no way out of the directory, nothing through a link, no devices, no
//! bombs of bytes or of entries) before a byte of it is written.

use std::{
    collections::BTreeSet,
    fs::{self, File},
    io::{self, Read},
    path::{Path, PathBuf},
};

use super::budget::{Budget, Metered};
use super::entry_path::{link_stays_inside, safe_relative, through_link};

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
    let mut out =
        Unpacker { dest, budget, written: 0, compressed, entries: 0, links: BTreeSet::new() };
    let result = match format {
        Format::Jar => out.copy_file(archive, &dest.join(file_name)),
        Format::Zip => out.unzip(archive),
        Format::TarGz => out.untar(archive),
    };
    if result.is_err() {
        budget.give_back(out.written);
    }
    result.map(|()| out.written)
}

/// The most entries one archive may hold: the largest real plugins hold a few thousand
/// (jars, licences, docs); more is an inode bomb, which no byte count would catch.
pub const MAX_ENTRIES: usize = 20_000;

/// Longest symbolic link target read from a zip entry (Linux's own limit is 4096).
const MAX_LINK_TARGET: u64 = 4096;

/// One archive being unpacked: what it has written and which links it has made, so no later
/// entry is written through one.
struct Unpacker<'a> {
    dest: &'a Path,
    budget: &'a Budget,
    written: u64,
    compressed: u64,
    entries: usize,
    links: BTreeSet<PathBuf>,
}

impl Unpacker<'_> {
    /// Where entry `name` goes, relative and absolute, once it is counted and checked.
    fn place(&mut self, name: &str) -> Result<(PathBuf, PathBuf), String> {
        self.entries += 1;
        if self.entries > MAX_ENTRIES {
            return Err(format!(
                "the archive holds more than {MAX_ENTRIES} entries: refusing a likely inode bomb"
            ));
        }
        let relative = safe_relative(name)?;
        self.not_through_a_link(name, &relative)?;
        let to = self.dest.join(&relative);
        Ok((relative, to))
    }

    fn not_through_a_link(&self, name: &str, relative: &Path) -> Result<(), String> {
        match through_link(relative, &self.links) {
            Some(link) => Err(format!(
                "archive entry {name:?} goes through the symbolic link {:?} the archive made: \
                 the installer writes nothing through links",
                link.display().to_string()
            )),
            None => Ok(()),
        }
    }

    fn ratio_check(&self) -> Result<(), String> {
        if self.written > RATIO_FLOOR && self.written / self.compressed > MAX_RATIO {
            return Err(format!(
                "the archive unpacks to more than {MAX_RATIO} times its size: refusing a likely decompression bomb"
            ));
        }
        Ok(())
    }

    fn copy_file(&mut self, from: &Path, to: &Path) -> Result<(), String> {
        let mut input = File::open(from).map_err(|e| e.to_string())?;
        let out = File::create(to).map_err(|e| format!("{}: {e}", to.display()))?;
        let (budget, written) = (self.budget, &mut self.written);
        io::copy(&mut input, &mut Metered { inner: out, budget, written })
            .map_err(|e| e.to_string())?;
        Ok(())
    }

    fn write_entry(&mut self, reader: &mut impl Read, to: &Path) -> Result<(), String> {
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        let mut out = File::create(to).map_err(|e| format!("{}: {e}", to.display()))?;
        // Copy in slices so a bomb is stopped after a bounded amount, not after the entry.
        let mut buf = vec![0u8; 64 << 10];
        loop {
            let n = reader.read(&mut buf).map_err(|e| e.to_string())?;
            if n == 0 {
                return Ok(());
            }
            let (budget, written) = (self.budget, &mut self.written);
            io::Write::write_all(&mut Metered { inner: &mut out, budget, written }, &buf[..n])
                .map_err(|e| e.to_string())?;
            self.ratio_check()?;
        }
    }

    fn unzip(&mut self, archive: &Path) -> Result<(), String> {
        let file = File::open(archive).map_err(|e| e.to_string())?;
        let mut zip = zip::ZipArchive::new(file).map_err(|e| format!("not a readable zip: {e}"))?;
        if zip.len() > MAX_ENTRIES {
            return Err(format!(
                "the archive holds {} entries, more than {MAX_ENTRIES}: refusing a likely inode bomb",
                zip.len()
            ));
        }
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i).map_err(|e| format!("zip entry {i}: {e}"))?;
            let name = entry.name().map_err(|e| format!("zip entry {i}: {e}"))?.into_owned();
            let (relative, to) = self.place(&name)?;
            let mode = entry.unix_mode().unwrap_or(0);
            if mode & 0o170000 == 0o120000 {
                let mut target = String::new();
                (&mut entry)
                    .take(MAX_LINK_TARGET)
                    .read_to_string(&mut target)
                    .map_err(|e| e.to_string())?;
                self.link(&relative, &target, &to)?;
            } else if entry.is_dir() {
                fs::create_dir_all(&to).map_err(|e| e.to_string())?;
            } else if entry.is_file() {
                self.write_entry(&mut entry, &to)?;
            } else {
                return Err(format!("archive entry {name:?} is neither a file nor a directory"));
            }
        }
        Ok(())
    }

    fn untar(&mut self, archive: &Path) -> Result<(), String> {
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
            let (relative, to) = self.place(&name)?;
            match kind {
                tar::EntryType::Regular | tar::EntryType::Continuous => {
                    self.write_entry(&mut entry, &to)?
                }
                tar::EntryType::Directory => fs::create_dir_all(&to).map_err(|e| e.to_string())?,
                tar::EntryType::Symlink => self.link(&relative, &link_name(&entry)?, &to)?,
                tar::EntryType::Link => self.hard_link(&name, &link_name(&entry)?, &to)?,
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

    /// A hard link names another entry of the archive, relative to its root.
    fn hard_link(&self, name: &str, target: &str, to: &Path) -> Result<(), String> {
        let source = safe_relative(target).map_err(|_| {
            format!("archive entry {name:?} is a hard link leaving the plugin directory")
        })?;
        self.not_through_a_link(name, &source)?;
        let source = self.dest.join(source);
        if fs::symlink_metadata(&source).map(|m| !m.is_file()).unwrap_or(true) {
            return Err(format!(
                "archive entry {name:?} is a hard link to {target:?}, which is not a file unpacked before it"
            ));
        }
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        fs::hard_link(&source, to).map_err(|e| e.to_string())
    }

    fn link(&mut self, relative: &Path, target: &str, to: &Path) -> Result<(), String> {
        if !link_stays_inside(relative, target) {
            return Err(format!(
                "archive entry {:?} is a symbolic link to {target:?}, outside the plugin directory \
                 (links may only go up their own directories, then down)",
                relative.display().to_string()
            ));
        }
        if let Some(parent) = to.parent() {
            fs::create_dir_all(parent).map_err(|e| e.to_string())?;
        }
        std::os::unix::fs::symlink(target, to).map_err(|e| e.to_string())?;
        self.links.insert(relative.to_path_buf());
        Ok(())
    }
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
