//! The plugin installer's unpacker, on arbitrary bytes as a zip (first byte even) or a
//! tar.gz (odd): it never panics, writes nothing beside the plugin's directory, and leaves
//! no link there that resolves outside it, whatever the archive holds.
#![no_main]

use std::{collections::BTreeSet, path::Path};

use libfuzzer_sys::fuzz_target;
use sluice::installer::archive::{Format, unpack};
use sluice::installer::budget::Budget;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else { return };
    let format = if kind % 2 == 0 { Format::Zip } else { Format::TarGz };
    let root = tempfile::tempdir().expect("a temporary directory");
    let archive = root.path().join("archive");
    std::fs::write(&archive, bytes).expect("writing the archive");
    let dest = root.path().join("plugin");
    std::fs::create_dir(&dest).expect("the plugin directory");
    let budget = Budget::new(Some(64 << 20), 0);
    let _ = unpack(format, &archive, "plugin.jar", &dest, &budget);

    let beside: BTreeSet<String> = std::fs::read_dir(root.path())
        .expect("listing the root")
        .map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(beside, BTreeSet::from(["archive".to_owned(), "plugin".to_owned()]));
    let inside = dest.canonicalize().expect("the plugin directory resolves");
    check_links(&dest, &inside);
});

/// Every link below `dir` that resolves at all resolves below `inside`.
fn check_links(dir: &Path, inside: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else { continue };
        if meta.file_type().is_symlink() {
            if let Ok(target) = path.canonicalize() {
                assert!(target.starts_with(inside), "{} leads to {}", path.display(), target.display());
            }
        } else if meta.is_dir() {
            check_links(&path, inside);
        }
    }
}
