//! The Connect REST API as Sluice relies on it, checked against the real Kafka Connect worker
//! and against the fake used by the scale benchmarks: both must pass the same checks.
//!
//! The real worker is checked on every lane the suite runs: the default Kafka (4.x), the
//! legacy lane (3.9) and the oldest line Sluice supports for external clusters (3.4, what
//! Confluent Platform 7.4 ships), each for the calls its version has. A call a version
//! lacks is checked to be absent there (a 404), since Sluice decides by the version `GET /`
//! reports whether to send it.

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

/// `major.minor` of a version string (`4.3.1`, `3.9.1-ce`).
fn line(version: &str) -> (u32, u32) {
    let mut parts = version.split(|c: char| !c.is_ascii_digit()).map(|p| p.parse().unwrap());
    (parts.next().unwrap(), parts.next().unwrap())
}

/// The checks. `name` must be unused on the target; `expected` is the version its `GET /`
/// must report (`None` for the fake, which names one of its own).
fn conforms(base: &str, name: &str, expected: Option<&str>) {
    let (code, root) = call("GET", &format!("{base}/"), None);
    assert_eq!(code, 200);
    let version = root["version"].as_str().unwrap_or_else(|| panic!("{root}")).to_owned();
    if let Some(expected) = expected {
        assert_eq!(version, expected, "the worker at {base} runs another Kafka than its lane");
    }
    let version = line(&version);

    let (code, plugins) = call("GET", &format!("{base}/connector-plugins"), None);
    assert_eq!(code, 200);
    assert!(
        plugins.as_array().unwrap().iter().any(|p| p["class"] == SOURCE && p["type"] == "source"),
        "{plugins}"
    );

    // Validation: a sink without topics has errors; an unknown class is a 500. Kafka 3.4
    // answers the sink's ConfigException itself as a 500, which Sluice reports as the
    // config's error (not as a worker to wait for).
    let (code, v) = call(
        "PUT",
        &format!("{base}/connector-plugins/{SINK}/config/validate"),
        Some(json!({"connector.class": SINK, "tasks.max": "1", "name": name, "file": "/dev/null"})),
    );
    if version <= (3, 4) {
        assert_eq!(code, 500, "{v}");
        let message = v["message"].as_str().unwrap_or_default();
        assert!(message.contains("ConfigException") && message.contains("topics"), "{v}");
    } else {
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
    }
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

    // Create paused (KIP-980, 3.7): no task runs. Older workers create it running, and
    // Sluice pauses it after.
    let config =
        json!({"connector.class": SOURCE, "tasks.max": "1", "file": "/dev/null", "topic": name});
    let body = if version >= (3, 7) {
        json!({"name": name, "config": config, "initial_state": "PAUSED"})
    } else {
        json!({"name": name, "config": config})
    };
    let (code, created) = call("POST", &format!("{base}/connectors"), Some(body));
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["name"], name);
    if version < (3, 7) {
        state_becomes(base, name, "RUNNING");
        let (code, _) = call("PUT", &format!("{base}/connectors/{name}/pause"), None);
        assert_eq!(code, 202);
    }
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
    // Stop (KIP-875, 3.5); before 3.5 the resource does not exist.
    let (code, _) = call("PUT", &format!("{base}/connectors/{name}/stop"), None);
    if version >= (3, 5) {
        assert_eq!(code, 204);
        state_becomes(base, name, "STOPPED");
    } else {
        assert_eq!(code, 404, "Kafka {version:?} has no stop");
    }
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

fn lane(url_var: &str, version_var: &str) -> (String, String) {
    TestEnv::require();
    let var = |v: &str| {
        std::env::var(v).unwrap_or_else(|_| {
            panic!("{v} is not set: the lane's worker did not start (tests/env/testenv up)")
        })
    };
    (var(url_var), var(version_var))
}

#[test]
fn the_real_worker_conforms() {
    let (url, version) = lane("SLUICE_TEST_CONNECT_URL", "SLUICE_TEST_KAFKA_VERSION");
    assert!(line(&version).0 >= 4, "the default lane runs Kafka 4, not {version}");
    conforms(&url, &format!("conformance-{}", std::process::id()), Some(&version));
}

#[test]
fn the_legacy_kafka_3_9_worker_conforms() {
    let (url, version) = lane("SLUICE_TEST_CONNECT_LEGACY_URL", "SLUICE_TEST_KAFKA_LEGACY_VERSION");
    assert_eq!(line(&version), (3, 9));
    conforms(&url, &format!("conformance-legacy-{}", std::process::id()), Some(&version));
}

#[test]
fn the_oldest_kafka_3_4_worker_conforms_for_the_calls_it_has() {
    let (url, version) = lane("SLUICE_TEST_CONNECT_OLDEST_URL", "SLUICE_TEST_KAFKA_OLDEST_VERSION");
    assert_eq!(line(&version), (3, 4));
    conforms(&url, &format!("conformance-oldest-{}", std::process::id()), Some(&version));
}

#[test]
fn the_fake_conforms() {
    let fake = FakeConnect::start();
    conforms(&fake.url, "conformance", None);
    assert!(fake.request_count() > 20);
}
