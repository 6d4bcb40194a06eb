//! The functional core decides from desired and observed state and does no I/O; the shell
//! (`controller/`, `connect_rest/`, `installer/`, `policy/`, `serve`) observes and acts. This
//! keeps the core from importing the shell, or anything that reaches a network, a file or a
//! clock-driven runtime: it reads the core's sources (their tests aside, which may read
//! fixtures) and fails naming each line that does. Types both sides need live in modules the
//! core may import (`connect_wire`, `plugin_list`, `crd`, `conditions`, `text`).

use std::path::{Path, PathBuf};

/// The core: every file below these paths.
const CORE: &[&str] = &[
    "src/connect",
    "src/connector",
    "src/conditions.rs",
    "src/connect_endpoint.rs",
    "src/connect_wire.rs",
    "src/origin.rs",
    "src/plugin_list.rs",
    "src/policy_status.rs",
    "src/redact.rs",
    "src/secret_use.rs",
    "src/text.rs",
];

/// What the core must not name: the shell's modules, and I/O.
const FORBIDDEN: &[&str] = &[
    "crate::controller",
    "crate::connect_rest",
    "crate::installer",
    "crate::policy",
    "crate::serve",
    "crate::metrics",
    "crate::telemetry",
    "crate::tls",
    "kube::Api",
    "kube::Client",
    "kube::runtime",
    "reqwest",
    "tokio",
    "std::fs",
    "std::net",
    "std::process",
    "std::env",
];

fn files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("a core directory reads") {
            files(&entry.expect("a directory entry").path(), out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_owned());
    }
}

#[test]
fn the_core_imports_neither_the_shell_nor_io() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = Vec::new();
    for core in CORE {
        let path = root.join(core);
        assert!(path.exists(), "{core} is listed as core but does not exist");
        files(&path, &mut sources);
    }
    let mut found = Vec::new();
    for file in sources.iter().filter(|f| !f.ends_with("tests.rs")) {
        let text = std::fs::read_to_string(file).expect("a core source reads");
        // A file's own tests come last, after `#[cfg(test)]`.
        let code = text.split("#[cfg(test)]").next().unwrap_or_default();
        for (n, line) in code.lines().enumerate() {
            let code_part = line.split("//").next().unwrap_or_default();
            for name in FORBIDDEN.iter().filter(|f| code_part.contains(*f)) {
                let shown = file.strip_prefix(root).unwrap_or(file).display();
                found.push(format!("{shown}:{}: {name}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "the core reaches into the shell or I/O:\n{}", found.join("\n"));
}
