//! Compiled components on disk, keyed by the module's sha256 and the engine's compatibility
//! hash (wasmtime version and every setting that changes code generation), so a restart of
//! the operator loads a policy in well under a millisecond instead of compiling it again.

use std::{
    hash::{Hash, Hasher},
    path::{Path, PathBuf},
};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, component::Component};

/// A directory of compiled components that only this operator writes.
#[derive(Debug, Clone)]
pub struct CompileCache {
    dir: PathBuf,
}

impl CompileCache {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// Where the compiled form of `module` for `engine` lives.
    pub fn path(&self, engine: &Engine, module: &[u8]) -> PathBuf {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let digest = Sha256::digest(module);
        self.dir.join(format!("{digest:x}-{:016x}.cwasm", hasher.finish()))
    }

    /// The cached component, if there is a usable one.
    pub fn load(&self, engine: &Engine, module: &[u8]) -> Option<Component> {
        let path = self.path(engine, module);
        if !path.is_file() {
            return None;
        }
        // SAFETY: deserialize trusts its input to be wasmtime's own output. The file's name
        // is the sha256 of the module and the engine hash, and only `store` writes into this
        // directory (atomically, by rename), so the bytes are what this engine produced.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring an unusable cached policy");
                None
            }
        }
    }

    /// Stores `component`'s compiled form; a failure only costs a later compile.
    pub fn store(&self, engine: &Engine, module: &[u8], component: &Component) {
        let path = self.path(engine, module);
        if let Err(e) = write_atomically(&path, component) {
            tracing::warn!(path = %path.display(), error = %e, "cannot cache a compiled policy");
        }
    }
}

fn write_atomically(path: &Path, component: &Component) -> anyhow::Result<()> {
    let dir = path.parent().expect("cache paths have a parent");
    std::fs::create_dir_all(dir)?;
    let bytes = component.serialize().map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let tmp = dir.join(format!(".{}.tmp", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}
