//! Whether an archive entry, or a link in one, stays inside the plugin directory. Pure, so
//! every way out (`..`, absolute paths, links pointing up, chains of links) is a table test.
//!
//! Links are allowed, because real plugin archives carry them (`current.jar -> x-1.2.jar`),
//! but under two rules that together keep every link inside whatever order the entries
//! come in, without resolving anything on disk:
//! - no entry is written through or onto a link the archive created ([`through_link`]), so
//!   every directory an entry lands in is a real one;
//! - a link's target is some `..` steps up its own (real) parent directories, never above
//!   the plugin directory, then only down (`../lib/a.jar`, never `a/../..`), see
//!   [`link_stays_inside`]. Going down from a directory inside can leave it only through a
//!   link, and that link obeys the same rule, so resolution stays inside.

use std::{
    collections::BTreeSet,
    path::{Component, Path, PathBuf},
};

/// The deepest entry path unpacked, in components; real plugins nest a handful deep.
pub const MAX_DEPTH: usize = 32;
/// The longest entry path unpacked, in bytes (Linux allows 4096; no plugin needs a quarter).
pub const MAX_PATH_BYTES: usize = 1024;

/// The entry's path relative to the plugin directory, or why it may not be unpacked.
pub fn safe_relative(name: &str) -> Result<PathBuf, String> {
    if name.contains('\0') {
        return Err(format!("archive entry {name:?} has a NUL in its name"));
    }
    if name.len() > MAX_PATH_BYTES {
        return Err(format!(
            "archive entry {:?}… has a path of {} bytes, more than the {MAX_PATH_BYTES} installed",
            name.chars().take(64).collect::<String>(),
            name.len()
        ));
    }
    let path = Path::new(name);
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::Normal(p) => out.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!("archive entry {name:?} leaves the plugin directory"));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("archive entry {name:?} is an absolute path"));
            }
        }
    }
    if out.as_os_str().is_empty() {
        return Err(format!("archive entry {name:?} has no name"));
    }
    let depth = out.components().count();
    if depth > MAX_DEPTH {
        return Err(format!(
            "archive entry {name:?} is {depth} directories deep, more than the {MAX_DEPTH} installed"
        ));
    }
    Ok(out)
}

/// The link among `links` (paths relative to the plugin directory) that `entry` or one of
/// its parent directories is, if any: writing there would follow it.
pub fn through_link<'a>(entry: &Path, links: &'a BTreeSet<PathBuf>) -> Option<&'a Path> {
    entry.ancestors().find_map(|a| links.get(a)).map(PathBuf::as_path)
}

/// Whether a symbolic link at `entry` (relative to the plugin directory) may point at
/// `target`: relative, up at most as many directories as `entry` has parents, then only
/// down. See the module's comment for why that keeps chains of links inside too.
pub fn link_stays_inside(entry: &Path, target: &str) -> bool {
    let target = Path::new(target);
    let parents = entry.components().count().saturating_sub(1);
    let mut up = 0;
    let mut down = 0;
    for part in target.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if down == 0 => up += 1,
            // Up again after going down would pass through whatever the names are, links
            // included, so it is judged unsafe rather than resolved.
            Component::ParentDir => return false,
            Component::Normal(_) => down += 1,
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    up <= parents && up + down > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_names_that_leave_the_directory_are_refused() {
        for bad in ["../evil", "a/../../evil", "/etc/passwd", "", "./", "a\0b"] {
            assert!(safe_relative(bad).is_err(), "{bad:?} must be refused");
        }
        assert_eq!(safe_relative("./lib/a.jar").unwrap(), PathBuf::from("lib/a.jar"));
        assert_eq!(safe_relative("a/./b/").unwrap(), PathBuf::from("a/b"));
    }

    #[test]
    fn entry_paths_are_bounded_in_depth_and_length() {
        let deep = vec!["d"; MAX_DEPTH + 1].join("/");
        assert!(safe_relative(&deep).unwrap_err().contains("33 directories deep"));
        assert!(safe_relative(&vec!["d"; MAX_DEPTH].join("/")).is_ok());
        let long = "x".repeat(MAX_PATH_BYTES + 1);
        assert!(safe_relative(&long).unwrap_err().contains("1025 bytes"));
    }

    #[test]
    fn links_must_resolve_inside() {
        let at = Path::new("lib/current");
        for (target, inside) in [
            ("a.jar", true),
            ("./a.jar", true),
            ("../doc/README", true),
            ("..", true),
            ("../../etc", false),
            ("/etc/passwd", false),
            ("", false),
            (".", false),
            // Down then up: would pass through `a`, which may be (or become) a link.
            ("a/../b", false),
            ("a/..", false),
        ] {
            assert_eq!(link_stays_inside(at, target), inside, "lib/current -> {target:?}");
        }
        assert!(!link_stays_inside(Path::new("top"), ".."));
        // The chain from the issue: each link alone points inside by name.
        assert!(link_stays_inside(Path::new("p/q/r/s"), "../../.."));
    }

    #[test]
    fn entries_through_links_are_found() {
        let links: BTreeSet<PathBuf> = [PathBuf::from("p/q/r/s")].into();
        assert_eq!(
            through_link(Path::new("p/q/r/s/t"), &links),
            Some(Path::new("p/q/r/s")),
            "a link under a link"
        );
        assert_eq!(through_link(Path::new("p/q/r/s"), &links), Some(Path::new("p/q/r/s")));
        assert_eq!(through_link(Path::new("p/q/r/x"), &links), None);
        assert_eq!(through_link(Path::new("p/q/r/ss"), &links), None);
    }
}
