//! The Connect REST API as Sluice relies on it, checked against the real Kafka Connect worker
//! and against the fake used by the scale benchmarks: both must pass the same checks.

use std::time::Duration;

use serde_json::{Value, json};
use sluice_e2e::{TestEnv, fake_connect::FakeConnect, http, wait_for};

const SOURCE: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
const SINK: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";

fn call(method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    http(method, url, body.as_ref()).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

fn state_becomes(base: &str, name: &str, state: &str) {
    wait_for(&format!("{name} {state}"), Duration::from_secs(30), || {
        let (code, s) = call("GET", &format!("{base}/connectors/{name}/status"), None);
        if code == 200 && s["connector"]["state"] == state {
            Ok(())
        } else {
            Err(format!("{code} {s}"))
        }
    });
}

/// The checks. `name` must be unused on the target.
fn conforms(base: &str, name: &str) {
    let (code, root) = call("GET", &format!("{base}/"), None);
    assert_eq!(code, 200);
    assert!(root["version"].is_string(), "{root}");

    let (code, plugins) = call("GET", &format!("{base}/connector-plugins"), None);
    assert_eq!(code, 200);
    assert!(
        plugins.as_array().unwrap().iter().any(|p| p["class"] == SOURCE && p["type"] == "source"),
        "{plugins}"
    );

    // Validation: a sink without topics has errors; an unknown class is a 500.
    let (code, v) = call(
        "PUT",
        &format!("{base}/connector-plugins/{SINK}/config/validate"),
        Some(json!({"connector.class": SINK, "tasks.max": "1", "name": name, "file": "/dev/null"})),
    );
    assert_eq!(code, 200, "{v}");
    assert!(v["error_count"].as_u64().unwrap() > 0, "{v}");
    let topic_errors: Vec<&Value> = v["configs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["value"]["name"] == "topics")
        .collect();
    assert!(
        !topic_errors.is_empty()
            && !topic_errors[0]["value"]["errors"].as_array().unwrap().is_empty(),
        "{v}"
    );
    let (code, v) = call(
        "PUT",
        &format!("{base}/connector-plugins/{SOURCE}/config/validate"),
        Some(
            json!({"connector.class": SOURCE, "tasks.max": "1", "name": name, "topic": "t", "file": "/dev/null"}),
        ),
    );
    assert_eq!((code, v["error_count"].as_u64()), (200, Some(0)), "{v}");
    let (code, v) = call(
        "PUT",
        &format!("{base}/connector-plugins/com.example.Nope/config/validate"),
        Some(json!({"connector.class": "com.example.Nope", "name": name})),
    );
    assert_eq!(code, 500, "{v}");
    assert!(v["message"].as_str().unwrap().contains("com.example.Nope"), "{v}");

    // Create paused (KIP-980): no task runs.
    let config =
        json!({"connector.class": SOURCE, "tasks.max": "1", "file": "/dev/null", "topic": name});
    let (code, created) = call(
        "POST",
        &format!("{base}/connectors"),
        Some(json!({"name": name, "config": config, "initial_state": "PAUSED"})),
    );
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["name"], name);
    state_becomes(base, name, "PAUSED");
    let (code, again) =
        call("POST", &format!("{base}/connectors"), Some(json!({"name": name, "config": config})));
    assert_eq!(code, 409, "{again}");
    assert!(again["message"].as_str().unwrap().contains("already exists"), "{again}");

    // The stored config echoes what was sent, plus `name`.
    let (code, stored) = call("GET", &format!("{base}/connectors/{name}/config"), None);
    assert_eq!(code, 200);
    let mut expected = config.clone();
    expected["name"] = json!(name);
    assert_eq!(stored, expected);

    // Update through PUT: 200 for an existing connector.
    let mut updated = config.clone();
    updated["topic"] = json!(format!("{name}-2"));
    let (code, _) = call("PUT", &format!("{base}/connectors/{name}/config"), Some(updated));
    assert_eq!(code, 200);

    // State changes.
    let (code, _) = call("PUT", &format!("{base}/connectors/{name}/resume"), None);
    assert_eq!(code, 202);
    state_becomes(base, name, "RUNNING");
    let (code, _) = call("PUT", &format!("{base}/connectors/{name}/stop"), None);
    assert_eq!(code, 204);
    state_becomes(base, name, "STOPPED");
    let (code, _) = call("PUT", &format!("{base}/connectors/{name}/pause"), None);
    assert_eq!(code, 202);
    state_becomes(base, name, "PAUSED");
    let (code, _) = call("PUT", &format!("{base}/connectors/{name}/resume"), None);
    assert_eq!(code, 202);
    state_becomes(base, name, "RUNNING");

    // The expanded listing Sluice polls: status and info for every connector.
    let entry = wait_for(
        "the connector and its task in the expanded listing",
        Duration::from_secs(30),
        || {
            let (code, all) =
                call("GET", &format!("{base}/connectors?expand=status&expand=info"), None);
            let e = all[name].clone();
            if code == 200 && e["status"]["tasks"].as_array().is_some_and(|t| !t.is_empty()) {
                Ok(e)
            } else {
                Err(all.to_string())
            }
        },
    );
    assert_eq!(entry["info"]["config"]["topic"], format!("{name}-2"));
    assert_eq!(entry["info"]["type"], "source");
    assert_eq!(entry["status"]["connector"]["state"], "RUNNING");
    assert_eq!(entry["status"]["tasks"][0]["id"], 0);
    assert!(entry["status"]["connector"]["worker_id"].is_string());

    // Restarts.
    let (code, body) = call(
        "POST",
        &format!("{base}/connectors/{name}/restart?includeTasks=true&onlyFailed=true"),
        None,
    );
    assert_eq!(code, 202, "{body}");
    assert_eq!(body["name"], name);
    let (code, _) = call("POST", &format!("{base}/connectors/{name}/tasks/0/restart"), None);
    assert_eq!(code, 204);
    let (code, _) = call("POST", &format!("{base}/connectors/{name}/tasks/7/restart"), None);
    assert_eq!(code, 404);

    // Delete, then everything about it is 404 with Connect's error body.
    let (code, _) = call("DELETE", &format!("{base}/connectors/{name}"), None);
    assert_eq!(code, 204);
    let (code, gone) = call("GET", &format!("{base}/connectors/{name}"), None);
    assert_eq!(code, 404);
    assert_eq!(gone["error_code"], 404);
    assert!(gone["message"].as_str().unwrap().contains(name), "{gone}");
    let (code, _) = call("DELETE", &format!("{base}/connectors/{name}"), None);
    assert_eq!(code, 404);
    let (code, _) = call("POST", &format!("{base}/connectors/{name}/restart"), None);
    assert_eq!(code, 404);
}

#[test]
fn the_real_worker_conforms() {
    let env = TestEnv::require();
    conforms(&env.connect_url, &format!("conformance-{}", std::process::id()));
}

#[test]
fn the_fake_conforms() {
    let fake = FakeConnect::start();
    conforms(&fake.url, "conformance");
    assert!(fake.request_count() > 20);
}
