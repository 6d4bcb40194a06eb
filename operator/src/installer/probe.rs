//! Puts the workers' readiness probe where the worker container finds it (`sluice
//! copy-probe`). The probe is a static binary shipped beside `sluice` in the operator image;
//! an init container copies it into a volume both containers mount, so any worker image can
//! run it
//! (`connect::probe` says why the probe is an exec).

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use anyhow::{Context, Result};

use crate::connect::probe::BINARY;

/// Copies `sluice-probe` from beside the running binary into `dir`, whole or not at all
/// (written under a temporary name, then renamed), executable by the pod's users.
pub fn copy_beside_self(dir: &Path) -> Result<()> {
    let me = std::env::current_exe().context("finding the running binary")?;
    let source = me.with_file_name(BINARY);
    let bytes = std::fs::read(&source).with_context(|| {
        format!(
            "reading the readiness probe {}: the operator image must ship {BINARY} beside sluice",
            source.display()
        )
    })?;
    let partial = dir.join(format!(".{BINARY}.partial"));
    let mut file = std::fs::File::create(&partial)
        .with_context(|| format!("creating {}", partial.display()))?;
    file.write_all(&bytes).and_then(|()| file.sync_all()).context("writing the probe")?;
    std::fs::set_permissions(&partial, std::fs::Permissions::from_mode(0o555))?;
    std::fs::rename(&partial, dir.join(BINARY)).context("renaming the probe into place")?;
    Ok(())
}
