//! Compiled components on disk, keyed by the module's sha256 and the engine's compatibility
//! hash (wasmtime version and every setting that changes code generation), so a restart of
//! the operator loads a policy in well under a millisecond instead of compiling it again.
//!
//! Deserializing is `unsafe`: wasmtime runs the bytes as machine code. So a file is only
//! loaded whole and as written: each ends with the sha256 of what precedes it, checked
//! before deserializing, and files are written under a unique temporary name and renamed
//! into place, so a torn write, a crash half-way or two operators writing at once leave a
//! file that fails the check and is compiled again, never loaded.

use std::{
    hash::{Hash, Hasher},
    io::Write as _,
    path::{Path, PathBuf},
    sync::atomic::{AtomicU64, Ordering},
};

use sha2::{Digest, Sha256};
use wasmtime::{Engine, component::Component};

/// The largest cached file read back; a larger one is not ours.
const MAX_FILE_BYTES: u64 = 1 << 30;
const DIGEST_BYTES: usize = 32;

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

    /// The cached component, if there is one whose check passes.
    pub fn load(&self, engine: &Engine, module: &[u8]) -> Option<Component> {
        let path = self.path(engine, module);
        let file = std::fs::File::open(&path).ok()?;
        let bytes = match crate::bounded::read_all(file, MAX_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "ignoring an unreadable cached policy");
                return None;
            }
        };
        let Some(compiled) = checked(&bytes) else {
            tracing::warn!(path = %path.display(), "ignoring a cached policy that fails its digest (torn or not written by Sluice): compiling again");
            return None;
        };
        // SAFETY: deserialize trusts its input to be wasmtime's own output. These bytes are
        // exactly what `store` wrote: their sha256 matches the one written after them, and
        // the name holds the module's digest and this engine's compatibility hash.
        match unsafe { Component::deserialize(engine, compiled) } {
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

/// The compiled bytes of a cache file, if its trailing digest matches them.
fn checked(file: &[u8]) -> Option<&[u8]> {
    let split = file.len().checked_sub(DIGEST_BYTES)?;
    let (compiled, digest) = file.split_at(split);
    (Sha256::digest(compiled).as_slice() == digest).then_some(compiled)
}

/// Distinguishes the temporary files of one process's concurrent writes.
static WRITES: AtomicU64 = AtomicU64::new(0);

fn write_atomically(path: &Path, component: &Component) -> anyhow::Result<()> {
    let dir = path.parent().expect("cache paths have a parent");
    std::fs::create_dir_all(dir)?;
    let bytes = component.serialize().map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("policy");
    let tmp = dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        WRITES.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        // create_new: never write into a file someone else holds open under this name.
        let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        file.write_all(&bytes)?;
        file.write_all(&Sha256::digest(&bytes))?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    Ok(written?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_bytes_followed_by_their_own_digest_pass() {
        let body = b"compiled code".to_vec();
        let mut file = body.clone();
        file.extend_from_slice(&Sha256::digest(&body));
        assert_eq!(checked(&file), Some(body.as_slice()));
        // Torn: the tail is missing.
        assert_eq!(checked(&file[..file.len() - 1]), None);
        // Changed: one byte of the code differs.
        let mut changed = file.clone();
        changed[0] ^= 1;
        assert_eq!(checked(&changed), None);
        // Shorter than a digest.
        assert_eq!(checked(b"short"), None);
        assert_eq!(checked(b""), None);
    }
}
