//! The `sluice` command line against its documentation: every subcommand in `sluice --help`
//! is named in the README, every flag of `sluice run --help` is in the operations page's
//! table and the other way round, and `sluice version` says what it was built from.

use std::collections::BTreeSet;
use std::process::Command;

use sluice_e2e::{repo_root, sluice_binary};

fn sluice(args: &[&str]) -> String {
    let out = Command::new(sluice_binary()).args(args).output().expect("running sluice");
    sluice_e2e::assert_success(&out, &format!("sluice {}", args.join(" ")));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn doc(path: &str) -> String {
    std::fs::read_to_string(repo_root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The names in a clap help's section `heading` (`Commands:`): the first word of each
/// indented line up to the next blank line.
fn commands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next().map(str::to_owned))
        .filter(|c| c != "help")
        .collect()
}

/// The long flags a help or a document names: `--word-word`.
fn flags(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
        .filter(|w| {
            w.strip_prefix("--").is_some_and(|f| f.starts_with(|c: char| c.is_ascii_lowercase()))
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_subcommand_is_in_the_readme() {
    let readme = doc("README.md");
    let listed = commands(&sluice(&["--help"]));
    assert!(listed.len() >= 5, "{listed:?}");
    for command in &listed {
        assert!(
            readme.contains(&format!("sluice {command}")),
            "README does not name sluice {command}"
        );
        // Every subcommand's own help works.
        assert!(sluice(&[command, "--help"]).contains("Usage:"), "sluice {command} --help");
    }
}

#[test]
fn the_run_flags_and_the_operations_table_agree() {
    let mut help = flags(&sluice(&["run", "--help"]));
    help.remove("--help");
    let page = doc("docs/operations.md");
    let table: String = page
        .lines()
        .skip_while(|l| !l.starts_with("| flag | env |"))
        .take_while(|l| l.starts_with('|'))
        .collect::<Vec<_>>()
        .join("\n");
    let documented: BTreeSet<String> =
        table.lines().filter_map(|l| l.split('|').nth(1)).flat_map(flags).collect();
    assert_eq!(help, documented, "sluice run --help and the flag table of docs/operations.md");
}

#[test]
fn version_names_the_release_the_policy_abi_and_the_commit() {
    let out = sluice(&["version"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], format!("sluice {}", env!("CARGO_PKG_VERSION")));
    assert_eq!(lines[1], "policy ABI 0.1.0 (serves every module of sluice:policy@0.1.x)");
    let head = Command::new("git").args(["rev-parse", "HEAD"]).current_dir(repo_root()).output();
    let commit = lines[2].strip_prefix("commit ").expect("a commit line");
    match head {
        Ok(h) if h.status.success() => {
            // Built from a checkout: a commit id (the build's HEAD, which the build script
            // reads; HEAD may have moved since).
            assert_eq!(commit.len(), 40, "{commit}");
            assert!(commit.chars().all(|c| c.is_ascii_hexdigit()), "{commit}");
        }
        _ => assert_eq!(commit, "unknown"),
    }
}

#[test]
fn malformed_operator_pod_labels_stop_the_operator_before_it_acts() {
    // A label set that lost its entries would make every Connect's NetworkPolicy select
    // every pod of the operator's namespace. The kubeconfig names no reachable server: the
    // refusal comes before any request.
    let dir = tempfile::tempdir().expect("a temporary directory");
    let kubeconfig = dir.path().join("kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: 'https://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n",
    )
    .expect("the kubeconfig");
    for labels in ["app.kubernetes.io/name", "=sluice", "a=b,broken"] {
        let out = Command::new(sluice_binary())
            .args(["run", "--operator-namespace", "sluice-system", "--operator-pod-labels", labels])
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .expect("running sluice");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{labels}: started");
        assert!(
            stderr.contains("--operator-pod-labels needs key=value entries"),
            "{labels}: {stderr}"
        );
    }
}
