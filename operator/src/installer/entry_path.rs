//! Whether an archive entry, or a link in one, stays inside the plugin directory. Pure, so
//! every way out (`..`, absolute paths, links pointing up) is a table test.

use std::path::{Component, Path, PathBuf};

/// The entry's path relative to the plugin directory, or why it may not be unpacked.
pub fn safe_relative(name: &str) -> Result<PathBuf, String> {
    if name.contains('\0') {
        return Err(format!("archive entry {name:?} has a NUL in its name"));
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
    Ok(out)
}

/// Whether a symbolic link at `entry` (relative to the plugin directory) pointing at
/// `target` resolves inside the plugin directory, judged lexically: the installer creates
/// nothing through links, so no later entry can make this judgement wrong.
pub fn link_stays_inside(entry: &Path, target: &str) -> bool {
    let target = Path::new(target);
    if target.is_absolute() {
        return false;
    }
    let mut depth: Vec<&std::ffi::OsStr> =
        entry.parent().map(|p| p.iter().collect()).unwrap_or_default();
    for part in target.components() {
        match part {
            Component::Normal(p) => depth.push(p),
            Component::CurDir => {}
            Component::ParentDir => {
                if depth.pop().is_none() {
                    return false;
                }
            }
            Component::RootDir | Component::Prefix(_) => return false,
        }
    }
    true
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
    fn links_must_resolve_inside() {
        let at = Path::new("lib/current");
        assert!(link_stays_inside(at, "a.jar"));
        assert!(link_stays_inside(at, "../doc/README"));
        assert!(!link_stays_inside(at, "../../etc"));
        assert!(!link_stays_inside(at, "/etc/passwd"));
        assert!(!link_stays_inside(Path::new("top"), ".."));
    }
}
