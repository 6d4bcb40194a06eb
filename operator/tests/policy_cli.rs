//! `sluice policy inspect` and `sluice policy test`, run as the binary on the bundled
//! policies (built by scripts/build-policies).

mod common;

use std::{
    path::PathBuf,
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::{Value, json};

fn module(name: &str) -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../target/policies/{name}.wasm"));
    assert!(
        path.is_file(),
        "{}: run scripts/build-policies first (tests/run does)",
        path.display()
    );
    path
}

/// Runs the binary; a run that has not ended after a minute is killed and fails the test
/// (a policy call must end within its own timeout, so nothing here takes that long).
fn sluice(args: &[&str]) -> (bool, Value, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sluice runs");
    let started = Instant::now();
    while child.try_wait().expect("waiting for sluice").is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().ok();
            panic!("sluice {args:?} did not end within a minute");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("sluice's output");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    (out.status.success(), json, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn write(dir: &tempfile::TempDir, name: &str, value: &Value) -> String {
    let path = dir.path().join(name);
    std::fs::write(&path, value.to_string()).unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn inspect_prints_the_world_abi_and_imports() {
    let (ok, out, err) =
        sluice(&["policy", "inspect", module("secret-transform").to_str().unwrap()]);
    assert!(ok, "{err}");
    assert_eq!(out["world"], "config-transform");
    assert_eq!(out["abi"], "sluice:policy@0.1.0");
    assert_eq!(out["imports"], json!(["secrets"]));
}

#[test]
fn test_prints_the_decision_the_fuel_and_every_host_call() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        &dir,
        "case.json",
        &json!({
            "connector_name": "orders", "namespace": "team-a",
            "config": [["password", "${secret:db:password}"]],
            "settings": [], "extensions": []
        }),
    );
    let settings = write(&dir, "settings.json", &json!({ "resolve": "inline" }));
    let fixtures =
        write(&dir, "fixtures.json", &json!({ "secrets": { "db": { "password": "s3cret" } } }));
    let module = module("secret-transform");
    let (ok, out, err) = sluice(&[
        "policy",
        "test",
        "--module",
        module.to_str().unwrap(),
        "--input",
        &input,
        "--settings",
        &settings,
        "--fixtures",
        &fixtures,
    ]);
    assert!(ok, "{err}");
    assert_eq!(out["answer"]["config"]["password"], "s3cret");
    assert!(out["fuelUsed"].as_u64().unwrap() > 0);
    assert_eq!(
        out["hostCalls"],
        json!([{ "call": "secret", "name": "db", "key": "password", "granted": true }])
    );
}

#[test]
fn an_input_for_another_world_names_the_file_and_the_expected_input() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(&dir, "wrong.json", &json!({ "connector_name": "x" }));
    let (ok, _, err) = sluice(&[
        "policy",
        "test",
        "--module",
        module("backoff").to_str().unwrap(),
        "--input",
        &input,
    ]);
    assert!(!ok);
    assert!(
        err.contains("wrong.json: not a restart-input (the restart-policy world's input): missing field `connector`"),
        "{err}"
    );
}

#[test]
fn test_of_a_policy_that_sleeps_answers_instead_of_blocking_or_panicking() {
    // The guest calls time.sleep(1e6): a WASI clock subscription, then poll. This panicked
    // ("Cannot start a runtime from within a runtime") before calls left the async runtime.
    let dir = tempfile::tempdir().unwrap();
    let input = common::input(&[]);
    let input = write(&dir, "case.json", &serde_json::to_value(&input).unwrap());
    let module = module("python-sleep");
    let (ok, out, err) =
        sluice(&["policy", "test", "--module", module.to_str().unwrap(), "--input", &input]);
    assert!(ok, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert_eq!(out["answer"]["decision"], json!({ "Nothing": "slept" }), "{out}");
}
