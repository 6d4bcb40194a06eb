//! `secret-sweep --audit FILE... --logs PATH...`: fails when a value the suite wrote into a
//! Secret shows in a status, Event, ConfigMap, Service or StatefulSet the audit logs recorded,
//! or in a log file (a PATH or any file below it; see `sluice_e2e::secret_sweep`). A missing
//! or empty audit log, or one without a Secret in it, fails too, and so does `--logs` naming
//! nothing, or paths without one non-empty file: the sweep would prove nothing.

use std::path::{Path, PathBuf};

use sluice_e2e::secret_sweep::{MIN_LEN, Sweep};

fn main() {
    let mut audits = Vec::new();
    let mut dirs = Vec::new();
    let mut logs_named = false;
    let mut list = &mut audits;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--audit" => list = &mut audits,
            "--logs" => {
                logs_named = true;
                list = &mut dirs;
            }
            _ => list.push(PathBuf::from(arg)),
        }
    }
    if logs_named && dirs.is_empty() {
        eprintln!("FAILED: --logs names no log: no operator's log was collected to sweep");
        std::process::exit(1);
    }
    if let Err(e) = run(&audits, &dirs) {
        eprintln!("FAILED: {e}");
        std::process::exit(1);
    }
}

fn run(audits: &[PathBuf], dirs: &[PathBuf]) -> Result<(), String> {
    if audits.is_empty() {
        return Err("no audit log named (--audit FILE)".into());
    }
    let mut sweep = Sweep::default();
    for audit in audits {
        let text = std::fs::read_to_string(audit)
            .map_err(|e| format!("the audit log {} cannot be read: {e}", audit.display()))?;
        if text.trim().is_empty() {
            return Err(format!(
                "the audit log {} is empty: the API server recorded nothing",
                audit.display()
            ));
        }
        sweep.read_audit(&audit.display().to_string(), &text)?;
    }
    if sweep.secrets.is_empty() {
        return Err(format!(
            "the audit logs hold no Secret value of {MIN_LEN} characters or more: the suite's Secrets were not recorded"
        ));
    }
    let mut files = 0;
    for path in dirs {
        if path.is_file() {
            read_log(path, &mut sweep)?;
            files += 1;
        } else if path.is_dir() {
            files += read_logs(path, &mut sweep)?;
        } else {
            return Err(format!("the log {} does not exist", path.display()));
        }
    }
    let written = sweep.outputs.iter().filter(|(place, text)| {
        dirs.iter().any(|d| place.starts_with(&*d.display().to_string())) && !text.is_empty()
    });
    if !dirs.is_empty() && written.count() == 0 {
        return Err(format!("no log below {dirs:?} has a line in it: there is nothing to sweep"));
    }
    let bytes: usize = sweep.outputs.iter().map(|(_, t)| t.len()).sum();
    let leaks = sweep.leaks();
    eprintln!(
        "looked for {} secret values in {} recorded writes and {files} log files ({} MiB)",
        sweep.secrets.len(),
        sweep.outputs.len() - files,
        bytes / (1 << 20)
    );
    if leaks.is_empty() {
        return Ok(());
    }
    for leak in &leaks {
        eprintln!("  {:?} shows in {}", leak.value, leak.place);
    }
    Err(format!("{} places show a Secret's value", leaks.len()))
}

/// Every regular file below `dir` (links not followed), as text.
fn read_logs(dir: &Path, sweep: &mut Sweep) -> Result<usize, String> {
    let mut count = 0;
    let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("{}: {e}", dir.display()))?;
        let kind = entry.file_type().map_err(|e| format!("{}: {e}", entry.path().display()))?;
        if kind.is_dir() {
            count += read_logs(&entry.path(), sweep)?;
        } else if kind.is_file() {
            read_log(&entry.path(), sweep)?;
            count += 1;
        }
    }
    Ok(count)
}

fn read_log(path: &Path, sweep: &mut Sweep) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    sweep.read_log(&path.display().to_string(), &String::from_utf8_lossy(&bytes));
    Ok(())
}
