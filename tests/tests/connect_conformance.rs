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
use sluice_e2e::{
    TestEnv,
    fake_connect::{FAILING, FakeConnect, REBALANCE_409},
    http, http_text_with, wait_for,
};

const SOURCE: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
const SINK: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";

fn call(method: &str, url: &str, body: Option<Value>) -> (u16, Value) {
    http(method, url, body.as_ref()).unwrap_or_else(|e| panic!("{method} {url}: {e}"))
}

fn status_of(base: &str, name: &str) -> Value {
    let (code, s) = call("GET", &format!("{base}/connectors/{name}/status"), None);
    assert_eq!(code, 200, "{s}");
    s
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

/// `name`'s `/status` once `done` holds for it.
fn status_when(base: &str, name: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    wait_for(&format!("{name}: {what}"), Duration::from_secs(30), || {
        let (code, s) = call("GET", &format!("{base}/connectors/{name}/status"), None);
        if code == 200 && done(&s) { Ok(s) } else { Err(format!("{code} {s}")) }
    })
}

/// Task `id` of a status (the worker lists tasks in no fixed order).
fn task(status: &Value, id: u64) -> Value {
    status["tasks"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["id"] == id))
        .cloned()
        .unwrap_or_else(|| panic!("no task {id} in {status}"))
}

fn states(status: &Value) -> (String, Vec<(u64, String)>) {
    let mut tasks: Vec<(u64, String)> = status["tasks"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .map(|t| (t["id"].as_u64().unwrap(), t["state"].as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    tasks.sort();
    (status["connector"]["state"].as_str().unwrap_or_default().to_owned(), tasks)
}

/// The entry for `name` in the expanded listing Sluice polls.
fn listed(base: &str, name: &str) -> Value {
    let (code, all) = call("GET", &format!("{base}/connectors?expand=status&expand=info"), None);
    assert_eq!(code, 200, "{all}");
    all[name].clone()
}

/// A FAILED connector and a FAILED task as Sluice reads them, in `/status` and in the
/// expanded listing: the state, a Java stack trace naming the throw, the worker, and a restart
/// of the failed parts bringing them back. The real side is `tests/env/failing-connector`,
/// whose first start (of the connector or of each task) throws.
fn failures_conform(base: &str, prefix: &str) {
    let create = |name: &str, fail: &str| {
        let config = json!({"connector.class": FAILING, "tasks.max": "2", "fail": fail});
        let (code, created) = call(
            "POST",
            &format!("{base}/connectors"),
            Some(json!({"name": name, "config": config})),
        );
        assert_eq!(code, 201, "{created}");
    };
    let is_trace = |trace: &Value, message: &str| {
        let trace = trace.as_str().unwrap_or_else(|| panic!("no trace: {trace}"));
        assert!(
            trace.starts_with("org.apache.kafka.connect.errors.ConnectException: ")
                && trace.contains(message)
                && trace.contains("\n\tat "),
            "{trace}"
        );
    };

    // The connector's start throws: it is FAILED with the trace, and has no tasks.
    let name = format!("{prefix}-fails");
    create(&name, "connector");
    let status =
        status_when(base, &name, "connector FAILED", |s| s["connector"]["state"] == "FAILED");
    is_trace(&status["connector"]["trace"], &format!("failing on purpose: connector {name}"));
    assert!(status["connector"]["worker_id"].is_string(), "{status}");
    assert_eq!(status["tasks"], json!([]), "{status}");
    let entry = listed(base, &name);
    assert_eq!(entry["status"]["connector"]["state"], "FAILED", "{entry}");
    is_trace(&entry["status"]["connector"]["trace"], &format!("connector {name}"));
    assert_eq!(entry["info"]["tasks"], json!([]), "{entry}");
    let (code, body) = call(
        "POST",
        &format!("{base}/connectors/{name}/restart?includeTasks=true&onlyFailed=true"),
        None,
    );
    assert_eq!(code, 202, "{body}");
    let status = status_when(base, &name, "RUNNING with both tasks", |s| {
        states(s) == ("RUNNING".into(), vec![(0, "RUNNING".into()), (1, "RUNNING".into())])
    });
    assert!(
        status["connector"].get("trace").is_none(),
        "a running connector has no trace: {status}"
    );

    // Paused while FAILED, a connector keeps its FAILED status (the worker records only the
    // target); restarted, it comes up PAUSED without running its code.
    let paused = format!("{prefix}-fails-paused");
    create(&paused, "connector");
    status_when(base, &paused, "connector FAILED", |s| s["connector"]["state"] == "FAILED");
    let (code, _) = call("PUT", &format!("{base}/connectors/{paused}/pause"), None);
    assert_eq!(code, 202);
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(status_of(base, &paused)["connector"]["state"], "FAILED");
    let (code, _) = call("POST", &format!("{base}/connectors/{paused}/restart"), None);
    assert_eq!(code, 204);
    status_when(base, &paused, "PAUSED after the restart", |s| s["connector"]["state"] == "PAUSED");
    let (code, _) = call("DELETE", &format!("{base}/connectors/{paused}"), None);
    assert_eq!(code, 204);

    // Each task's start throws: the connector runs, both tasks are FAILED with their traces.
    let name = format!("{prefix}-task-fails");
    create(&name, "task");
    let status = status_when(base, &name, "both tasks FAILED", |s| {
        states(s) == ("RUNNING".into(), vec![(0, "FAILED".into()), (1, "FAILED".into())])
    });
    for id in [0, 1] {
        let t = task(&status, id);
        is_trace(&t["trace"], &format!("failing on purpose: task {name}-{id}"));
        assert!(t["worker_id"].is_string(), "{t}");
    }
    let entry = listed(base, &name);
    assert_eq!(states(&entry["status"]).1, [(0, "FAILED".into()), (1, "FAILED".into())], "{entry}");
    is_trace(&task(&entry["status"], 1)["trace"], &format!("task {name}-1"));
    // One task restarted alone; then the failed rest with the connector's restart.
    let (code, _) = call("POST", &format!("{base}/connectors/{name}/tasks/0/restart"), None);
    assert_eq!(code, 204);
    status_when(base, &name, "task 0 RUNNING, task 1 still FAILED", |s| {
        states(s).1 == [(0, "RUNNING".into()), (1, "FAILED".into())]
    });
    let (code, body) = call(
        "POST",
        &format!("{base}/connectors/{name}/restart?includeTasks=true&onlyFailed=true"),
        None,
    );
    assert_eq!(code, 202, "{body}");
    let status = status_when(base, &name, "both tasks RUNNING", |s| {
        states(s).1 == [(0, "RUNNING".into()), (1, "RUNNING".into())]
    });
    assert!(task(&status, 1).get("trace").is_none(), "{status}");
    for name in [format!("{prefix}-fails"), name] {
        let (code, _) = call("DELETE", &format!("{base}/connectors/{name}"), None);
        assert_eq!(code, 204);
    }
}

/// A connector created STOPPED (KIP-980, 3.7) has no tasks until resumed.
fn created_stopped_conforms(base: &str, name: &str) {
    let config = json!({"connector.class": FAILING, "tasks.max": "2"});
    let (code, created) = call(
        "POST",
        &format!("{base}/connectors"),
        Some(json!({"name": name, "config": config, "initial_state": "STOPPED"})),
    );
    assert_eq!(code, 201, "{created}");
    assert_eq!(created["tasks"], json!([]), "{created}");
    let status = status_when(base, name, "STOPPED", |s| s["connector"]["state"] == "STOPPED");
    assert_eq!(status["tasks"], json!([]), "{status}");
    assert_eq!(listed(base, name)["info"]["tasks"], json!([]));
    let (code, _) = call("PUT", &format!("{base}/connectors/{name}/resume"), None);
    assert_eq!(code, 202);
    status_when(base, name, "RUNNING with both tasks", |s| {
        states(s) == ("RUNNING".into(), vec![(0, "RUNNING".into()), (1, "RUNNING".into())])
    });
    let (code, _) = call("DELETE", &format!("{base}/connectors/{name}"), None);
    assert_eq!(code, 204);
}

/// What a worker with the basic-auth extension answers a request without valid credentials:
/// 401, whatever the call, with the filter's plain-text body; `good` gets through.
fn unauthorized_conforms(base: &str, good: &str) {
    let url = format!("{base}/connectors");
    let wrong = format!("Authorization: Basic {}", base64(b"sluice:not-the-password"));
    let good = format!("Authorization: Basic {}", base64(good.as_bytes()));
    for (method, headers) in
        [("GET", vec![]), ("GET", vec!["-H", wrong.as_str()]), ("POST", vec!["-H", wrong.as_str()])]
    {
        let (code, body) = http_text_with(method, &url, Some(&json!({})), &headers).unwrap();
        assert_eq!(
            (code, body.as_str()),
            (401, "User cannot access the resource."),
            "{method} {headers:?}"
        );
    }
    let (code, body) = http_text_with("GET", &url, None, &["-H", &good]).unwrap();
    assert_eq!(code, 200, "{body}");
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().enumerate().fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A 409's body: Connect's error shape, `error_code` and `message`, which is all Sluice
/// reads of it.
fn conflict_shape(body: &Value) {
    let fields: Vec<&String> = body.as_object().map(|o| o.keys().collect()).unwrap_or_default();
    assert_eq!(fields, ["error_code", "message"], "{body}");
    assert_eq!(body["error_code"], 409, "{body}");
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
    if version >= (3, 7) {
        // Created paused, it has made no tasks yet.
        assert_eq!(status_of(base, name)["tasks"], json!([]));
        created_stopped_conforms(base, &format!("{name}-stopped"));
    }
    let (code, again) =
        call("POST", &format!("{base}/connectors"), Some(json!({"name": name, "config": config})));
    assert_eq!(code, 409, "{again}");
    conflict_shape(&again);
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

    failures_conform(base, name);
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

#[test]
fn the_real_worker_with_basic_auth_refuses_bad_credentials_as_the_fake_does() {
    TestEnv::require();
    let var = |v: &str| {
        std::env::var(v).unwrap_or_else(|_| panic!("{v} is not set (tests/env/testenv up)"))
    };
    let password = var("SLUICE_TEST_CONNECT_BASIC_PASSWORD");
    unauthorized_conforms(&var("SLUICE_TEST_CONNECT_BASIC_URL"), &format!("sluice:{password}"));

    let fake = FakeConnect::start();
    let good = "sluice:fake-password";
    fake.require_authorization(Some(&format!("Basic {}", base64(good.as_bytes()))));
    unauthorized_conforms(&fake.url, good);
}

/// Stops the peer workers the rebalance test started, also when it fails.
struct Peers<'a>(&'a TestEnv);

impl Drop for Peers<'_> {
    fn drop(&mut self) {
        for part in ["connect-peer-a", "connect-peer-b"] {
            self.0.testenv(&["stop", part]);
        }
    }
}

#[test]
fn the_fakes_rebalance_409_is_the_one_a_worker_answers_when_a_request_misses_the_leader() {
    // A write goes to the group's leader: a worker that is not the leader forwards it there,
    // and the leader it was forwarded to handles it. When the leader changed between the two
    // hops (a rebalance), the second worker is not the leader either and answers this 409.
    // `?forward=false` is that second hop; sent to the worker that is not the leader of a
    // group of two, it is answered on cue rather than by a race.
    let env = TestEnv::require();
    let peers = Peers(&env);
    std::thread::scope(|s| {
        for part in ["connect-peer-a", "connect-peer-b"] {
            s.spawn(move || peers.0.testenv(&["start", part]));
        }
    });
    let urls = [env.worker_url("peer_a"), env.worker_url("peer_b")];
    let mut attempt = 0;
    let real = wait_for("one peer creates, the other answers 409", Duration::from_secs(90), || {
        attempt += 1;
        let answers: Vec<(u16, Value)> = urls
            .iter()
            .enumerate()
            .map(|(i, url)| {
                let config =
                    json!({"connector.class": SOURCE, "file": "/dev/null", "topic": "peers"});
                call(
                    "POST",
                    &format!("{url}/connectors?forward=false"),
                    Some(json!({"name": format!("peer-{attempt}-{i}"), "config": config})),
                )
            })
            .collect();
        match answers.as_slice() {
            [(201, _), (409, body)] | [(409, body), (201, _)] => Ok(body.clone()),
            _ => Err(format!("{answers:?}")),
        }
    });
    drop(peers);
    conflict_shape(&real);
    assert_eq!(real["message"], REBALANCE_409, "{real}");

    let fake = FakeConnect::start();
    fake.set_fault(Some(sluice_e2e::fake_connect::Fault::Rebalancing));
    let (code, body) = call(
        "POST",
        &format!("{}/connectors", fake.url),
        Some(json!({"name": "c", "config": {"connector.class": SOURCE}})),
    );
    assert_eq!(code, 409);
    assert_eq!(body, real, "the fake's rebalance answer is the real worker's");
}
