//! Which ABI version and world a component targets, read from its export and import names
//! (`sluice:policy/restart@0.1.0`), so a module for another version or world is refused with
//! a message saying which, before it is ever called.

use std::fmt;

use super::error::PolicyError;

/// The ABI version this host serves: every `0.1.x` module.
pub const HOST_ABI: AbiVersion = AbiVersion { major: 0, minor: 1, patch: 0 };

const PACKAGE: &str = "sluice:policy/";

/// A `sluice:policy` package version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct AbiVersion {
    pub major: u32,
    pub minor: u32,
    pub patch: u32,
}

impl AbiVersion {
    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.').map(|p| p.parse::<u32>().ok());
        let v = Self { major: parts.next()??, minor: parts.next()??, patch: parts.next()?? };
        parts.next().is_none().then_some(v)
    }

    /// Whether a host serving `self` runs a module built for `module`: for 0.x versions only
    /// patch releases are compatible (semver), as wasmtime's linker also holds.
    pub fn serves(&self, module: &AbiVersion) -> bool {
        self.major == module.major && (self.major > 0 || self.minor == module.minor)
    }
}

impl fmt::Display for AbiVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// The world a policy implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum World {
    RestartPolicy,
    ConfigTransform,
    PluginResolver,
}

impl World {
    fn from_export(interface: &str) -> Option<Self> {
        match interface {
            "restart" => Some(World::RestartPolicy),
            "transform" => Some(World::ConfigTransform),
            "resolver" => Some(World::PluginResolver),
            _ => None,
        }
    }

    /// The world's name in the WIT package.
    pub fn name(&self) -> &'static str {
        match self {
            World::RestartPolicy => "restart-policy",
            World::ConfigTransform => "config-transform",
            World::PluginResolver => "plugin-resolver",
        }
    }
}

impl fmt::Display for World {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a component says of itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    pub world: World,
    pub abi: AbiVersion,
    /// The host interfaces it imports (`log`, `secrets`, `http`).
    pub imports: Vec<String>,
    /// Whether it imports WASI (toolchains such as componentize-py do); the host then
    /// links a WASI that grants nothing.
    pub wasi: bool,
}

/// Reads the world and ABI version from a component's export and import names, and refuses
/// what this host cannot run.
pub fn signature<'a>(
    exports: impl IntoIterator<Item = &'a str>,
    imports: impl IntoIterator<Item = &'a str>,
) -> Result<Signature, PolicyError> {
    let mut found = None;
    for name in exports {
        let Some((interface, version)) = split(name) else { continue };
        let abi = AbiVersion::parse(version).ok_or_else(|| PolicyError::NotAPolicy {
            detail: format!("export {name} has no valid version"),
        })?;
        if !HOST_ABI.serves(&abi) {
            return Err(PolicyError::AbiMismatch { module: abi.to_string(), host: HOST_ABI });
        }
        if let Some(world) = World::from_export(interface) {
            if found.is_some() {
                return Err(PolicyError::NotAPolicy {
                    detail: "it exports more than one policy world".into(),
                });
            }
            found = Some((world, abi));
        }
    }
    let Some((world, abi)) = found else {
        return Err(PolicyError::NotAPolicy {
            detail: "it exports none of sluice:policy/restart, transform or resolver".into(),
        });
    };
    let mut host_imports = Vec::new();
    let mut wasi = false;
    for name in imports {
        if super::wasi::is_wasi_import(name) {
            wasi = true;
            continue;
        }
        match split(name) {
            Some((interface, version)) => {
                let v = AbiVersion::parse(version).filter(|v| HOST_ABI.serves(v));
                if v.is_none() {
                    return Err(PolicyError::AbiMismatch {
                        module: version.to_owned(),
                        host: HOST_ABI,
                    });
                }
                if interface != "types" {
                    host_imports.push(interface.to_owned());
                }
            }
            None => {
                return Err(PolicyError::UnsupportedImport { import: name.to_owned() });
            }
        }
    }
    host_imports.sort();
    Ok(Signature { world, abi, imports: host_imports, wasi })
}

fn split(name: &str) -> Option<(&str, &str)> {
    name.strip_prefix(PACKAGE)?.split_once('@')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restart_policy_of_this_version_is_recognised() {
        let s = signature(["sluice:policy/restart@0.1.0"], ["sluice:policy/log@0.1.0"]).unwrap();
        assert_eq!(s.world, World::RestartPolicy);
        assert_eq!(s.abi, AbiVersion { major: 0, minor: 1, patch: 0 });
        assert_eq!(s.imports, ["log"]);
    }

    #[test]
    fn wasi_0_2_imports_are_linked_and_others_refused() {
        let exports = ["sluice:policy/restart@0.1.0"];
        let s = signature(exports, ["wasi:io/poll@0.2.9", "sluice:policy/log@0.1.0"]).unwrap();
        assert!(s.wasi);
        assert_eq!(s.imports, ["log"]);
        assert!(!signature(exports, ["sluice:policy/log@0.1.0"]).unwrap().wasi);
        let e = signature(exports, ["wasi:sockets/tcp@0.3.0"]).unwrap_err();
        assert!(matches!(e, PolicyError::UnsupportedImport { .. }), "{e}");
    }

    #[test]
    fn a_later_patch_release_is_served() {
        assert!(signature(["sluice:policy/transform@0.1.7"], []).is_ok());
    }

    #[test]
    fn another_minor_version_is_refused_naming_both_versions() {
        let e = signature(["sluice:policy/restart@0.2.0"], []).unwrap_err();
        assert_eq!(
            e.to_string(),
            "the module targets ABI sluice:policy@0.2.0, this operator runs 0.1.x: rebuild it with a sluice-plugin-sdk 0.1 release"
        );
    }

    #[test]
    fn a_component_without_a_policy_export_is_not_a_policy() {
        let e = signature(["wasi:cli/run@0.2.0"], []).unwrap_err();
        assert!(matches!(e, PolicyError::NotAPolicy { .. }), "{e}");
    }
}
