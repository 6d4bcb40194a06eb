//! The Connector resource end to end against the real Kafka Connect worker: desired state,
//! observed state, status, recovery, one-off actions, drift, and an unreachable worker.

use std::time::Duration;

use serde_json::Value;
use sluice_e2e::{Operator, TestEnv, http_get, wait_for};

const SOURCE: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";
const SINK: &str = "org.apache.kafka.connect.file.FileStreamSinkConnector";
const WAIT: Duration = Duration::from_secs(45);
/// A Policy's first load compiles its module: the Python component (CPython inside, 17 MB)
/// takes about 7 s on a quiet machine and, with an empty compile cache (a clean clone) and
/// the suite's other tests on the same 2 cores, took over 45 s in a clean-clone run of the
/// suite on 2026-12-07.
const FIRST_COMPILE: Duration = Duration::from_secs(240);

/// One test's namespace, operator and worker.
struct Case {
    env: TestEnv,
    ns: String,
    url: String,
    worker: &'static str,
    operator: Operator,
}

/// The operator's resync in these tests, in seconds.
const RESYNC_SECONDS: f64 = 2.0;

impl Case {
    fn new(prefix: &str, worker: &'static str, extra_args: &[&str]) -> Self {
        let env = TestEnv::require();
        env.install_crds();
        let ns = env.namespace(prefix);
        let resync = RESYNC_SECONDS.to_string();
        let mut args = vec![
            "--resync-seconds",
            &resync,
            "--restart-backoff-seconds",
            "1",
            "--restart-backoff-max-seconds",
            "4",
        ];
        args.extend_from_slice(extra_args);
        let operator = Operator::start_with(&env, &ns, &args);
        let url = if worker == "connect" {
            env.connect_url.clone()
        } else {
            env.worker_url(worker.trim_start_matches("connect-"))
        };
        Self { env, ns, url, worker, operator }
    }

    /// A connector name unique to this test on the shared worker.
    fn name(&self, suffix: &str) -> String {
        format!("{}-{suffix}", self.ns)
    }

    fn apply_connector(&self, resource: &str, spec: &str) {
        self.env.apply(&format!(
            "apiVersion: sluice.dev/v1alpha1\nkind: Connector\nmetadata:\n  name: {resource}\n  namespace: {ns}\nspec:\n{spec}",
            ns = self.ns
        ));
    }

    fn worker_get(&self, path: &str) -> Result<Value, String> {
        http_get(&format!("{}{path}", self.url))
    }

    fn worker_state(&self, name: &str) -> Result<String, String> {
        let s = self.worker_get(&format!("/connectors/{name}/status"))?;
        Ok(s["connector"]["state"].as_str().unwrap_or_default().to_owned())
    }

    fn wait_worker_state(&self, name: &str, state: &str) {
        wait_for(&format!("{name} {state} on the worker"), WAIT, || {
            match self.worker_state(name) {
                Ok(s) if s == state => Ok(()),
                other => Err(format!("{other:?}")),
            }
        });
    }

    /// A ConfigMap `name` holding the built policy `module` (target/policies/<module>.wasm)
    /// under `policy.wasm`, as a Policy's `configMapRef` reads it.
    fn module_configmap(&self, name: &str, module: &str) {
        let wasm = sluice_e2e::repo_root().join(format!("target/policies/{module}.wasm"));
        assert!(wasm.is_file(), "{}: run scripts/build-policies (tests/run does)", wasm.display());
        let from = format!("--from-file=policy.wasm={}", wasm.display());
        self.env.kubectl_ok(&["create", "configmap", name, "-n", &self.ns, &from]);
    }

    fn status(&self, resource: &str) -> Value {
        self.env.get_json(&["get", "connector", resource, "-n", &self.ns])["status"].clone()
    }

    fn wait_status(&self, resource: &str, what: &str, check: impl Fn(&Value) -> bool) -> Value {
        wait_for(what, WAIT, || {
            let s = self.status(resource);
            if check(&s) { Ok(s) } else { Err(s.to_string()) }
        })
    }

    fn condition(status: &Value, type_: &str) -> Value {
        status["conditions"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["type"] == type_).cloned())
            .unwrap_or(Value::Null)
    }

    fn connectors_on_worker(&self) -> Vec<String> {
        let names = self.worker_get("/connectors").unwrap();
        names.as_array().unwrap().iter().map(|n| n.as_str().unwrap().to_owned()).collect()
    }

    fn writes_from_operator(&self) -> Vec<(String, String)> {
        self.env
            .requests_from(self.worker, &self.operator.instance)
            .into_iter()
            .filter(|(m, _)| m != "GET")
            .collect()
    }

    fn events(&self, resource: &str) -> Vec<String> {
        self.env.events_of(&self.ns, resource)
    }

    fn wait_event(&self, resource: &str, reason: &str) -> String {
        wait_for(&format!("a {reason} event"), WAIT, || {
            let events = self.events(resource);
            events
                .iter()
                .find(|e| e.starts_with(&format!("{reason}:")))
                .cloned()
                .ok_or_else(|| format!("{events:?}"))
        })
    }
}

fn source_spec(name: &str, file: &str, topic: &str, state: &str, url: &str) -> String {
    format!(
        "  name: {name}\n  class: {SOURCE}\n  taskMax: 1\n  state: {state}\n  configs:\n    file: {file}\n    topic: {topic}\n  connectRest:\n    endpoint: {url}\n"
    )
}

#[test]
fn create_update_pause_resume_stop_rename_and_delete_match_the_worker() {
    let case = Case::new("lifecycle", "connect", &[]);
    let file = case.env.work_dir.join(format!("{}.txt", case.ns));
    std::fs::create_dir_all(&case.env.work_dir).unwrap();
    std::fs::write(&file, "a\nb\n").unwrap();
    let file = file.to_str().unwrap();
    let name = case.name("src");

    case.apply_connector("src", &source_spec(&name, file, "t1", "running", &case.url));
    case.wait_worker_state(&name, "RUNNING");
    let status =
        case.wait_status("src", "Ready", |s| Case::condition(s, "Ready")["status"] == "True");
    assert_eq!(status["tasksReady"], "1/1");

    // Update one field.
    case.apply_connector("src", &source_spec(&name, file, "t2", "running", &case.url));
    wait_for("topic t2 on the worker", WAIT, || {
        match case.worker_get(&format!("/connectors/{name}/config")) {
            Ok(c) if c["topic"] == "t2" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });

    for (state, worker_state) in [
        ("paused", "PAUSED"),
        ("running", "RUNNING"),
        ("stopped", "STOPPED"),
        ("running", "RUNNING"),
    ] {
        case.apply_connector("src", &source_spec(&name, file, "t2", state, &case.url));
        case.wait_worker_state(&name, worker_state);
        case.wait_status("src", &format!("status {worker_state}"), |s| {
            s["connectorState"] == worker_state && Case::condition(s, "Ready")["status"] == "True"
        });
    }

    // Steady state: no write to Connect, and about one list call per resync (2 s).
    let writes = case.writes_from_operator();
    let gets_before =
        case.env.requests_from(case.worker, &case.operator.instance).len() - writes.len();
    std::thread::sleep(Duration::from_secs(6));
    assert_eq!(case.writes_from_operator(), writes, "a settled connector made a write call");
    let gets_after =
        case.env.requests_from(case.worker, &case.operator.instance).len() - writes.len();
    assert!(
        gets_after - gets_before <= 5,
        "{} GETs in 6 s with a 2 s resync",
        gets_after - gets_before
    );

    // Rename: the new connector exists before the old one is removed.
    let renamed = case.name("renamed");
    case.apply_connector("src", &source_spec(&renamed, file, "t2", "running", &case.url));
    case.wait_worker_state(&renamed, "RUNNING");
    wait_for("the old name removed", WAIT, || {
        let names = case.connectors_on_worker();
        if names.contains(&name) { Err(format!("{names:?}")) } else { Ok(()) }
    });
    let status = case
        .wait_status("src", "connectorName renamed", |s| s["connectorName"] == renamed.as_str());
    assert!(status.get("previousConnectorName").is_none(), "{status}");
    let writes: Vec<String> =
        case.writes_from_operator().into_iter().map(|(m, p)| format!("{m} {p}")).collect();
    let last_create = writes.iter().rposition(|w| w == "POST /connectors").expect("a create");
    let delete_old = writes
        .iter()
        .position(|w| w == &format!("DELETE /connectors/{name}"))
        .expect("the old name deleted");
    assert!(
        last_create < delete_old,
        "the old connector went before the new one existed: {writes:?}"
    );

    case.env.kubectl_ok(&["delete", "connector", "src", "-n", &case.ns, "--timeout=30s"]);
    let names = case.connectors_on_worker();
    assert!(!names.contains(&renamed) && !names.contains(&name), "{names:?}");
}

#[test]
fn a_connector_created_paused_never_runs() {
    let case = Case::new("paused", "connect", &[]);
    let name = case.name("src");
    let file = case.env.work_dir.join(format!("{}.txt", case.ns));
    std::fs::create_dir_all(&case.env.work_dir).unwrap();
    std::fs::write(&file, "a\n").unwrap();
    case.apply_connector(
        "src",
        &source_spec(&name, file.to_str().unwrap(), "p", "paused", &case.url),
    );
    let mut seen = Vec::new();
    wait_for("the connector PAUSED", WAIT, || {
        if let Ok(s) = case.worker_get(&format!("/connectors/{name}/status")) {
            seen.push(s.clone());
        }
        match seen.last() {
            Some(s) if s["connector"]["state"] == "PAUSED" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    for s in &seen {
        assert_ne!(s["connector"]["state"], "RUNNING", "it ran first: {s}");
        for t in s["tasks"].as_array().unwrap() {
            assert_ne!(t["state"], "RUNNING", "a task ran first: {s}");
        }
    }
    case.wait_status("src", "Ready Paused", |s| Case::condition(s, "Ready")["reason"] == "Paused");
}

/// An external Kafka 3.4 worker (what Confluent Platform 7.4 ships) has neither
/// `initial_state` (3.7) nor `stop` (3.5): Sluice reads its version from `GET /`, creates a
/// paused connector without `initial_state` and pauses it, and answers `state: stopped`
/// with a status naming the version instead of calling a resource the worker lacks.
#[test]
fn an_older_worker_gets_only_the_calls_its_kafka_has() {
    let case = Case::new("oldest", "connect-oldest", &[]);
    let name = case.name("src");
    let file = case.env.work_dir.join(format!("{}.txt", case.ns));
    std::fs::create_dir_all(&case.env.work_dir).unwrap();
    std::fs::write(&file, "a\n").unwrap();
    let file = file.to_str().unwrap();
    case.apply_connector("src", &source_spec(&name, file, "o", "paused", &case.url));
    case.wait_worker_state(&name, "PAUSED");
    case.wait_status("src", "Ready Paused", |s| Case::condition(s, "Ready")["reason"] == "Paused");
    let writes = case.writes_from_operator();
    let create = writes.iter().find(|(m, p)| m == "POST" && p == "/connectors");
    assert!(create.is_some(), "{writes:?}");
    assert!(
        writes.iter().any(|(m, p)| m == "PUT" && p == &format!("/connectors/{name}/pause")),
        "created running, then paused: {writes:?}"
    );

    case.apply_connector("src", &source_spec(&name, file, "o", "stopped", &case.url));
    let status = case.wait_status("src", "Ready StateUnsupported", |s| {
        Case::condition(s, "Ready")["reason"] == "StateUnsupported"
    });
    let message =
        Case::condition(&status, "Ready")["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("runs Kafka 3.4") && message.contains("paused"), "{message}");
    case.wait_event("src", "StateUnsupported");
    // No call to a resource the worker does not have, and the connector as it was.
    std::thread::sleep(Duration::from_secs(5));
    let writes = case.writes_from_operator();
    assert!(!writes.iter().any(|(_, p)| p.ends_with("/stop")), "{writes:?}");
    assert_eq!(case.worker_state(&name).unwrap(), "PAUSED");
}

fn sink_spec(name: &str, file: &str, max_retry: u32, url: &str) -> String {
    format!(
        "  name: {name}\n  class: {SINK}\n  taskMax: 1\n  configs:\n    file: {file}\n    topics: {name}\n  restartPolicy:\n    type: OnFailure\n    maxRetry: {max_retry}\n  connectRest:\n    endpoint: {url}\n"
    )
}

#[test]
fn a_failed_sink_is_restarted_with_backoff_and_heals_once_its_directory_exists() {
    let case = Case::new("heal", "connect", &[]);
    let name = case.name("sink");
    let dir = case.env.work_dir.join(format!("{}-missing", case.ns));
    let file = dir.join("out.txt");
    case.apply_connector("sink", &sink_spec(&name, file.to_str().unwrap(), 10, &case.url));

    // Four restarts: three gaps, the last longer than the 2 s resync, so a restart on
    // every resync would show.
    case.wait_status("sink", "four restarts", |s| s["restartCount"].as_i64() >= Some(4));
    let failed = case.wait_status("sink", "Degraded while it keeps failing", |s| {
        Case::condition(s, "Degraded")["status"] == "True"
    });
    assert!(failed["lastRestartTime"].is_string(), "{failed}");
    assert!(failed["lastDecision"]["reason"].as_str().unwrap().contains("FAILED"), "{failed}");
    let event = case.wait_event("sink", "RestartFailed");
    assert!(event.contains(&name), "{event}");
    // Backoff: the gap after the n-th restart is at least min(cap, base * 2^(n-1)) less the
    // 20% jitter (base 1 s, cap 4 s here): 0.8 s, 1.6 s, 3.2 s, measured between the restart
    // calls the worker carried out (a 409 is no restart), as its request log times them.
    // Less half a second: the backoff counts from the moment before the call, and the call
    // takes its own time to reach the worker's log on a loaded machine.
    let restarts: Vec<_> = case
        .env
        .logged_requests(case.worker, &case.operator.instance)
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.contains("/restart") && r.code < 300)
        .collect();
    assert!(restarts.len() >= 4, "{restarts:?}");
    for (n, pair) in restarts.windows(2).take(3).enumerate() {
        let gap = pair[0].at.duration_until(pair[1].at).as_secs_f64();
        let least = 0.8 * f64::from(1u32 << n).min(4.0) - 0.5;
        assert!(
            gap >= least && gap < 1.2 * least + 10.0,
            "restart {} came {gap:.3} s after the one before; the backoff allows no less than {least} s: {restarts:?}",
            n + 2
        );
    }

    std::fs::create_dir_all(&dir).unwrap();
    let healed = case.wait_status("sink", "RUNNING after the directory exists", |s| {
        s["connectorState"] == "RUNNING"
            && s["tasksReady"] == "1/1"
            && Case::condition(s, "Ready")["status"] == "True"
    });
    assert_eq!(Case::condition(&healed, "Degraded")["status"], "False", "{healed}");
    assert!(healed.get("nextRetryTime").is_none(), "{healed}");
}

#[test]
fn restarts_stop_after_max_retry_and_the_condition_says_why() {
    let case = Case::new("giveup", "connect", &[]);
    let name = case.name("sink");
    let file = case.env.work_dir.join(format!("{}-never/out.txt", case.ns));
    case.apply_connector("sink", &sink_spec(&name, file.to_str().unwrap(), 2, &case.url));
    let status = case.wait_status("sink", "RetriesExhausted", |s| {
        Case::condition(s, "Degraded")["reason"] == "RetriesExhausted"
    });
    assert_eq!(status["restartCount"], 2, "{status}");
    let message = Case::condition(&status, "Degraded")["message"].as_str().unwrap().to_owned();
    assert!(message.contains("gave up after 2 restarts (maxRetry 2)"), "{message}");
    let event = case.wait_event("sink", "RetriesExhausted");
    assert!(event.contains("maxRetry 2"), "{event}");
    // No third restart, however long it stays FAILED (the backoff cap is 4 s).
    std::thread::sleep(Duration::from_secs(6));
    let restarts =
        case.writes_from_operator().into_iter().filter(|(_, p)| p.contains("/restart")).count();
    assert_eq!(restarts, 2);
    assert_eq!(case.status("sink")["restartCount"], 2);
}

#[test]
fn drift_made_through_the_rest_api_is_restored_within_one_resync() {
    let case = Case::new("drift", "connect", &[]);
    let name = case.name("src");
    let file = case.env.work_dir.join(format!("{}.txt", case.ns));
    std::fs::create_dir_all(&case.env.work_dir).unwrap();
    std::fs::write(&file, "a\n").unwrap();
    case.apply_connector(
        "src",
        &source_spec(&name, file.to_str().unwrap(), "drift", "running", &case.url),
    );
    case.wait_status("src", "Ready", |s| Case::condition(s, "Ready")["status"] == "True");

    let mut config = case.worker_get(&format!("/connectors/{name}/config")).unwrap();
    config["topic"] = Value::from("changed-behind-our-back");
    let put = std::process::Command::new("curl")
        .args([
            "-sS",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "-d",
            &config.to_string(),
        ])
        .arg(format!("{}/connectors/{name}/config", case.url))
        .output()
        .unwrap();
    assert!(put.status.success());
    wait_for("the config restored", WAIT, || {
        match case.worker_get(&format!("/connectors/{name}/config")) {
            Ok(c) if c["topic"] == "drift" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    // Within one resync (2 s here) of the change, plus the reconcile's own calls: measured
    // in the worker's request log, from the change to Sluice's restoring PUT.
    let path = format!("/connectors/{name}/config");
    let log = case.env.worker_requests(case.worker);
    let changed = log
        .iter()
        .rfind(|r| r.method == "PUT" && r.path == path && r.agent.starts_with("curl/"))
        .expect("the change in the worker's log")
        .at;
    let agent = format!("({})", case.operator.instance);
    let restored = log
        .iter()
        .find(|r| {
            r.method == "PUT" && r.path == path && r.agent.ends_with(&agent) && r.at >= changed
        })
        .unwrap_or_else(|| panic!("no restoring PUT after the change: {log:?}"))
        .at;
    let took = changed.duration_until(restored).as_secs_f64();
    assert!(
        took <= RESYNC_SECONDS + 3.0,
        "restored {took:.3} s after the change, not within one resync of {RESYNC_SECONDS} s"
    );
    let event = case.wait_event("src", "DriftRestored");
    assert!(event.contains("changed outside Sluice"), "{event}");

    let delete = std::process::Command::new("curl")
        .args(["-sS", "-X", "DELETE"])
        .arg(format!("{}/connectors/{name}", case.url))
        .output()
        .unwrap();
    assert!(delete.status.success());
    case.wait_worker_state(&name, "RUNNING");
    wait_for("a re-created event", WAIT, || {
        let events = case.events("src");
        events
            .iter()
            .find(|e| e.contains("deleted outside Sluice"))
            .cloned()
            .ok_or_else(|| format!("{events:?}"))
    });
}

#[test]
fn one_off_annotations_act_once_and_are_removed() {
    let case = Case::new("annotate", "connect", &[]);
    let name = case.name("src");
    let file = case.env.work_dir.join(format!("{}.txt", case.ns));
    std::fs::create_dir_all(&case.env.work_dir).unwrap();
    std::fs::write(&file, "a\n").unwrap();
    case.apply_connector(
        "src",
        &source_spec(&name, file.to_str().unwrap(), "ann", "running", &case.url),
    );
    case.wait_status("src", "Ready", |s| Case::condition(s, "Ready")["status"] == "True");
    let annotate = |kv: &str| {
        case.env.kubectl_ok(&["annotate", "connector", "src", "-n", &case.ns, "--overwrite", kv])
    };
    let annotations_gone = |key: &str| {
        wait_for(&format!("{key} removed"), WAIT, || {
            let obj = case.env.get_json(&["get", "connector", "src", "-n", &case.ns]);
            if obj["metadata"]["annotations"].get(key).is_none() {
                Ok(())
            } else {
                Err(obj["metadata"].to_string())
            }
        })
    };

    annotate("sluice.dev/restart-connector=true");
    annotations_gone("sluice.dev/restart-connector");
    case.wait_event("src", "RestartConnector");

    annotate("sluice.dev/restart-task=0");
    annotations_gone("sluice.dev/restart-task");
    case.wait_event("src", "RestartTask");

    annotate("sluice.dev/pause-connector=true");
    annotations_gone("sluice.dev/pause-connector");
    case.wait_worker_state(&name, "PAUSED");
    // The hold outlasts resyncs although spec.state says running.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(case.worker_state(&name).unwrap(), "PAUSED");
    annotate("sluice.dev/resume-connector=true");
    annotations_gone("sluice.dev/resume-connector");
    case.wait_worker_state(&name, "RUNNING");

    annotate("sluice.dev/restart-task=first");
    annotations_gone("sluice.dev/restart-task");
    let warning = case.wait_event("src", "BadAnnotation");
    assert!(warning.contains("is not a task id"), "{warning}");
    let writes = case.writes_from_operator().len();
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(case.writes_from_operator().len(), writes, "a bad annotation caused calls");

    // Counted as Connect accepted them: a restart that meets a rebalance is answered 409
    // ("cannot complete request momentarily") and is retried, which is right.
    let restarts: Vec<_> = case
        .env
        .responses_to(case.worker, &case.operator.instance)
        .into_iter()
        .filter(|(m, p, code)| m == "POST" && p.contains("restart") && (200..300).contains(code))
        .collect();
    assert_eq!(restarts.len(), 2, "each restart annotation acted once: {restarts:?}");
}

#[test]
fn a_killed_worker_shows_connect_unavailable_and_heals_without_duplicates() {
    let case = Case::new("outage", "connect-spare", &[]);
    let name = case.name("src");
    let file = case.env.work_dir.join(format!("{}.txt", case.ns));
    std::fs::create_dir_all(&case.env.work_dir).unwrap();
    std::fs::write(&file, "a\n").unwrap();
    case.apply_connector(
        "src",
        &source_spec(&name, file.to_str().unwrap(), "outage", "running", &case.url),
    );
    case.wait_status("src", "Ready", |s| Case::condition(s, "Ready")["status"] == "True");

    case.env.testenv(&["stop", "connect-spare"]);
    let down = case.wait_status("src", "ConnectUnavailable", |s| {
        Case::condition(s, "ConnectUnavailable")["status"] == "True"
    });
    assert!(
        Case::condition(&down, "ConnectUnavailable")["message"]
            .as_str()
            .unwrap()
            .contains("unreachable"),
        "{down}"
    );
    case.wait_event("src", "ConnectUnavailable");
    // Nothing is deleted while the worker is away: the resource stays, with its finalizer.
    let obj = case.env.get_json(&["get", "connector", "src", "-n", &case.ns]);
    assert!(obj["metadata"]["deletionTimestamp"].is_null());

    case.env.testenv(&["start", "connect-spare"]);
    case.wait_status("src", "Ready again", |s| {
        Case::condition(s, "Ready")["status"] == "True"
            && Case::condition(s, "ConnectUnavailable")["status"] == "False"
    });
    let names = case.connectors_on_worker();
    assert_eq!(names.iter().filter(|n| **n == name).count(), 1, "{names:?}");
    let creates = case
        .env
        .responses_to(case.worker, &case.operator.instance)
        .into_iter()
        .filter(|(m, p, code)| m == "POST" && p == "/connectors" && *code == 201)
        .count();
    assert_eq!(creates, 1, "the connector was created more than once");
}

#[test]
fn an_invalid_config_is_reported_per_field_and_nothing_is_applied() {
    let case = Case::new("invalid", "connect", &[]);
    let name = case.name("sink");
    // A sink needs `topics` or `topics.regex`.
    case.apply_connector(
        "sink",
        &format!("  name: {name}\n  class: {SINK}\n  taskMax: 1\n  configs:\n    file: /tmp/x\n  connectRest:\n    endpoint: {}\n", case.url),
    );
    let status = case.wait_status("sink", "ConfigInvalid", |s| {
        Case::condition(s, "Ready")["reason"] == "ConfigInvalid"
    });
    let errors = status["configErrors"].as_array().unwrap();
    assert!(errors.iter().any(|e| e["name"].as_str().unwrap().starts_with("topics")), "{status}");
    assert!(
        Case::condition(&status, "Ready")["message"]
            .as_str()
            .unwrap()
            .contains("spec.configs.topics"),
        "{status}"
    );
    case.wait_event("sink", "ConfigInvalid");
    assert!(!case.connectors_on_worker().contains(&name), "an invalid connector was created");

    case.apply_connector(
        "unknown",
        &format!("  name: {}\n  class: com.example.NoSuchConnector\n  taskMax: 1\n  connectRest:\n    endpoint: {}\n", case.name("unknown"), case.url),
    );
    let status = case.wait_status("unknown", "unknown class", |s| {
        Case::condition(s, "Ready")["reason"] == "ConfigInvalid"
    });
    let message = Case::condition(&status, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(
        message
            .contains("spec.class com.example.NoSuchConnector is not a connector plugin installed"),
        "{message}"
    );
}

#[test]
fn a_connector_sluice_did_not_create_is_never_touched_unless_adopted() {
    let case = Case::new("foreign", "connect", &[]);
    let name = case.name("theirs");
    let config = serde_json::json!({"connector.class": SOURCE, "tasks.max": "1", "file": "/dev/null", "topic": "theirs"});
    let put = std::process::Command::new("curl")
        .args([
            "-sS",
            "-f",
            "-X",
            "PUT",
            "-H",
            "Content-Type: application/json",
            "-d",
            &config.to_string(),
        ])
        .arg(format!("{}/connectors/{name}/config", case.url))
        .output()
        .unwrap();
    assert!(put.status.success(), "{put:?}");
    case.apply_connector("mine", &source_spec(&name, "/dev/null", "mine", "running", &case.url));
    let status = case.wait_status("mine", "ConnectorNotOwned", |s| {
        Case::condition(s, "Ready")["reason"] == "ConnectorNotOwned"
    });
    assert!(
        Case::condition(&status, "Ready")["message"]
            .as_str()
            .unwrap()
            .contains("sluice.dev/adopt=true")
    );
    assert_eq!(case.worker_get(&format!("/connectors/{name}/config")).unwrap()["topic"], "theirs");
    assert!(case.writes_from_operator().is_empty());

    case.env.kubectl_ok(&["delete", "connector", "mine", "-n", &case.ns, "--timeout=30s"]);
    assert!(
        case.connectors_on_worker().contains(&name),
        "deleting the resource deleted a connector Sluice never owned"
    );

    // A rename onto their name claims nothing: their connector is not overwritten, this
    // Connector keeps the one it made, and deleting it deletes only that one.
    let own = case.name("own");
    case.apply_connector("renamer", &source_spec(&own, "/dev/null", "own", "running", &case.url));
    case.wait_worker_state(&own, "RUNNING");
    case.apply_connector("renamer", &source_spec(&name, "/dev/null", "own", "running", &case.url));
    let status = case.wait_status("renamer", "the rename refused", |s| {
        Case::condition(s, "Ready")["reason"] == "ConnectorNotOwned"
    });
    let message = Case::condition(&status, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(message.contains(&format!("spec.name was changed from {own} to {name}")), "{message}");
    assert_eq!(status["connectorName"], own.as_str(), "the name owned is still the old one");
    assert_eq!(case.worker_get(&format!("/connectors/{name}/config")).unwrap()["topic"], "theirs");
    case.env.kubectl_ok(&["delete", "connector", "renamer", "-n", &case.ns, "--timeout=30s"]);
    let on_worker = case.connectors_on_worker();
    assert!(on_worker.contains(&name), "the rename's delete took theirs: {on_worker:?}");
    assert!(!on_worker.contains(&own), "its own connector is gone with it: {on_worker:?}");

    // Asking to adopt is not enough where the cluster's owner has not allowed it (for an
    // external cluster, the operator's --allow-external-adoption).
    case.apply_connector(
        "adopter",
        &source_spec(&name, "/dev/null", "adopted", "running", &case.url),
    );
    case.env.kubectl_ok(&[
        "annotate",
        "connector",
        "adopter",
        "-n",
        &case.ns,
        "sluice.dev/adopt=true",
    ]);
    let status = case.wait_status("adopter", "the adoption refused", |s| {
        Case::condition(s, "Ready")["message"]
            .as_str()
            .is_some_and(|m| m.contains("does not allow adoption"))
    });
    let message = Case::condition(&status, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(message.contains("--allow-external-adoption"), "{message}");
    assert_eq!(case.worker_get(&format!("/connectors/{name}/config")).unwrap()["topic"], "theirs");
    let writes = case.writes_from_operator();
    assert!(
        writes.iter().all(|(_, path)| !path.contains(&format!("/connectors/{name}"))),
        "nothing was written to theirs: {writes:?}"
    );
    case.env.kubectl_ok(&["delete", "connector", "adopter", "-n", &case.ns, "--timeout=30s"]);

    // Where the operator allows it, the annotation adopts it.
    let allowed = Case::new("foreign-adopt", "connect", &["--allow-external-adoption"]);
    allowed.apply_connector(
        "adopter",
        &source_spec(&name, "/dev/null", "adopted", "running", &allowed.url),
    );
    allowed.env.kubectl_ok(&[
        "annotate",
        "connector",
        "adopter",
        "-n",
        &allowed.ns,
        "sluice.dev/adopt=true",
    ]);
    wait_for("the adopted config", WAIT, || {
        match allowed.worker_get(&format!("/connectors/{name}/config")) {
            Ok(c) if c["topic"] == "adopted" => Ok(()),
            other => Err(format!("{other:?}")),
        }
    });
    allowed.env.kubectl_ok(&["delete", "connector", "adopter", "-n", &allowed.ns, "--timeout=30s"]);
    assert!(!allowed.connectors_on_worker().contains(&name), "an adopted connector is Sluice's");
}

fn policy_sink_spec(name: &str, file: &str, policy: &str, url: &str) -> String {
    format!(
        "  name: {name}\n  class: {SINK}\n  taskMax: 1\n  configs:\n    file: {file}\n    topics: {name}\n  restartPolicy:\n    type: Policy\n    maxRetry: 2\n    policyRef:\n      name: {policy}\n  connectRest:\n    endpoint: {url}\n"
    )
}

#[test]
fn a_restart_policy_module_drives_recovery_and_a_broken_one_fails_closed() {
    let case = Case::new("wasmrestart", "connect", &[]);
    case.module_configmap("backoff", "backoff");
    let ns = case.ns.as_str();
    case.env.kubectl_ok(&[
        "create",
        "configmap",
        "junk",
        "-n",
        ns,
        "--from-literal=policy.wasm=this is not webassembly",
    ]);
    for (policy, cm) in [("backoff", "backoff"), ("broken", "junk")] {
        case.env.apply(&format!(
            "apiVersion: sluice.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: {policy}\n  namespace: {ns}\nspec:\n  module:\n    configMapRef:\n      name: {cm}\n  settings:\n    baseSeconds: 1\n    maxSeconds: 2\n"
        ));
    }
    let policy_status = |name: &str, ready: &'static str| {
        wait_for(&format!("Policy {name} Ready={ready}"), WAIT, || {
            let s = case.env.get_json(&["get", "policy", name, "-n", ns])["status"].clone();
            if Case::condition(&s, "Ready")["status"] == ready { Ok(s) } else { Err(s.to_string()) }
        })
    };
    let ready = policy_status("backoff", "True");
    assert_eq!(ready["abiVersion"], "0.1.0");
    assert_eq!(ready["worlds"], serde_json::json!(["restart-policy"]));
    assert_eq!(ready["digest"].as_str().unwrap().len(), 64);
    let broken = policy_status("broken", "False");
    let error = broken["lastError"].as_str().unwrap();
    assert!(error.starts_with("the module is not a valid WebAssembly component"), "{error}");
    let events = case.env.events_of(ns, "broken");
    assert!(events.iter().any(|e| e.starts_with("PolicyInvalid:")), "{events:?}");

    // The module decides: restart with its backoff, give up after maxRetry.
    let name = case.name("sink");
    let file = case.env.work_dir.join(format!("{ns}-never/out.txt"));
    case.apply_connector(
        "sink",
        &policy_sink_spec(&name, file.to_str().unwrap(), "backoff", &case.url),
    );
    let status = case.wait_status("sink", "RetriesExhausted", |s| {
        Case::condition(s, "Degraded")["reason"] == "RetriesExhausted"
    });
    assert_eq!(status["restartCount"], 2, "{status}");
    let reason = status["lastDecision"]["reason"].as_str().unwrap();
    assert!(reason.contains(&format!("(restart policy {ns}/backoff)")), "{reason}");
    assert!(reason.contains("gave up after 2 restarts (maxRetry 2)"), "{reason}");

    // A module that cannot load never reaches the connector: it stays FAILED, untouched.
    let other = case.name("other");
    let file = case.env.work_dir.join(format!("{ns}-never-either/out.txt"));
    case.apply_connector(
        "other",
        &policy_sink_spec(&other, file.to_str().unwrap(), "broken", &case.url),
    );
    let status = case.wait_status("other", "the decision not to restart", |s| {
        s["lastDecision"]["reason"].as_str().is_some_and(|r| r.contains("failurePolicy Fail"))
    });
    let reason = status["lastDecision"]["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!(
            "restart policy {ns}/broken failed: the module is not a valid WebAssembly component"
        )),
        "{reason}"
    );
    let warning = case.wait_event("other", "RestartPolicyFailed");
    assert!(warning.contains("not restarting"), "{warning}");
    let restarts = case
        .writes_from_operator()
        .into_iter()
        .filter(|(_, p)| p.contains(&format!("/connectors/{other}/restart")))
        .count();
    assert_eq!(restarts, 0, "a connector whose policy failed was restarted");
}

#[test]
fn hostile_policies_under_the_operator_end_within_their_limits_and_others_go_on() {
    let case = Case::new("hostile", "connect", &[]);
    let ns = case.ns.as_str();
    // Each Policy misbehaves its own way. The loop gets the most fuel a Policy may have
    // and a deadline shorter than that fuel lasts, so its deadline stops it.
    let hostile = [
        ("sleeper", "python-sleep.wasm", "sleep", 1000, "slept"),
        ("looper", "guest-hostile.wasm", "loop", 50, "did not return within 50ms"),
        ("flooder", "guest-hostile.wasm", "host-call-flood", 1000, "more than 1000 host calls"),
        ("hog", "guest-hostile.wasm", "memory", 1000, "bytes of memory; its limit is"),
    ];
    for (policy, file, mode, timeout_ms, _) in hostile {
        case.env.apply(&format!(
            "apiVersion: sluice.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: {policy}\n  namespace: {ns}\nspec:\n  module:\n    file: {file}\n  settings:\n    mode: {mode}\n  limits:\n    fuel: 1000000000\n    timeoutMs: {timeout_ms}\n"
        ));
    }
    for (policy, ..) in hostile {
        wait_for(&format!("Policy {policy} Ready"), FIRST_COMPILE, || {
            let s = case.env.get_json(&["get", "policy", policy, "-n", ns])["status"].clone();
            if Case::condition(&s, "Ready")["status"] == "True" {
                Ok(())
            } else {
                Err(s.to_string())
            }
        });
    }
    for (policy, ..) in hostile {
        let file = case.env.work_dir.join(format!("{ns}-{policy}-never/out.txt"));
        case.apply_connector(
            policy,
            &policy_sink_spec(&case.name(policy), file.to_str().unwrap(), policy, &case.url),
        );
    }
    // A connector with no policy, applied while the hostile ones are being asked.
    let quiet = case.name("quiet");
    case.apply_connector("quiet", &source_spec(&quiet, "/dev/null", &quiet, "running", &case.url));
    for (policy, _, _, _, outcome) in hostile {
        let status = case.wait_status(policy, &format!("{policy}'s outcome"), |s| {
            s["lastDecision"]["reason"].as_str().is_some_and(|r| r.contains(outcome))
        });
        let reason = status["lastDecision"]["reason"].as_str().unwrap().to_owned();
        assert!(reason.contains(&format!("restart policy {ns}/{policy}")), "{reason}");
    }
    case.wait_status("quiet", "the quiet connector RUNNING", |s| s["connectorState"] == "RUNNING");
    // Every hostile call ended in its limits, so the operator answers and stays healthy.
    let (code, body) = case.operator.endpoint("GET", "/healthz");
    assert_eq!(code, 200, "{body}");
    let restarts =
        case.writes_from_operator().into_iter().filter(|(_, p)| p.contains("/restart")).count();
    assert_eq!(restarts, 0, "no policy decided a restart, and failurePolicy Fail restarts nothing");
}

#[test]
fn config_transforms_resolve_secrets_into_the_config_only_where_the_policy_allows() {
    let case = Case::new("transform", "connect", &[]);
    case.module_configmap("secret-transform", "secret-transform");
    let ns = case.ns.as_str();
    let topic = format!("{ns}-from-a-secret");
    case.env.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "kafka-topic",
        "-n",
        ns,
        &format!("--from-literal=topic={topic}"),
    ]);
    for (policy, inline) in [("inline", true), ("references-only", false)] {
        case.env.apply(&format!(
            "apiVersion: sluice.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: {policy}\n  namespace: {ns}\nspec:\n  module:\n    configMapRef:\n      name: secret-transform\n  settings:\n    resolve: inline\n  capabilities:\n    secrets:\n      names: [kafka-topic]\n      inline: {inline}\n"
        ));
    }
    let file = case.env.work_dir.join(format!("{ns}.txt"));
    std::fs::create_dir_all(&case.env.work_dir).unwrap();
    std::fs::write(&file, "a\n").unwrap();
    let spec = |name: &str, policy: &str| {
        format!(
            "  name: {name}\n  class: {SOURCE}\n  taskMax: 1\n  configs:\n    file: {}\n    topic: \"${{secret:kafka-topic:topic}}\"\n  configTransforms:\n    - policyRef:\n        name: {policy}\n  connectRest:\n    endpoint: {}\n",
            file.display(),
            case.url
        )
    };

    // The Secret does not yet say a Policy may use it: nothing is read, and the status says
    // how its owner allows it.
    let name = case.name("src");
    case.apply_connector("src", &spec(&name, "inline"));
    let status = case.wait_status("src", "InvalidSpec", |s| {
        Case::condition(s, "Ready")["reason"] == "InvalidSpec"
    });
    let message = Case::condition(&status, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains(
            "Secret kafka-topic does not allow use by policy/inline: whoever owns it can allow it with kubectl annotate secret kafka-topic --overwrite sluice.dev/usable-by=policy/inline"
        ),
        "{message}"
    );
    assert!(case.worker_get(&format!("/connectors/{name}")).is_err(), "{name} reached Connect");
    case.env.kubectl_ok(&[
        "annotate",
        "secret",
        "kafka-topic",
        "-n",
        ns,
        "sluice.dev/usable-by=policy/inline,policy/references-only",
    ]);

    // Allowed inline: Connect gets the Secret's value; the Connector never shows it.
    case.wait_worker_state(&name, "RUNNING");
    let config = case.worker_get(&format!("/connectors/{name}/config")).unwrap();
    assert_eq!(config["topic"], topic.as_str());
    case.wait_status("src", "Ready", |s| Case::condition(s, "Ready")["status"] == "True");
    let shown = case.env.kubectl_ok(&["get", "connector", "src", "-n", ns, "-o", "yaml"]);
    assert!(!shown.contains(&topic), "the secret's value shows in the Connector:\n{shown}");
    let events = case.events("src").join("\n");
    assert!(!events.contains(&topic), "the secret's value shows in an Event:\n{events}");
    assert!(!case.operator.log_text().contains(&topic), "the secret's value shows in the log");

    // Not allowed inline: nothing reaches Connect, and the status says what to change.
    let blocked = case.name("blocked");
    case.apply_connector("blocked", &spec(&blocked, "references-only"));
    let status = case.wait_status("blocked", "InvalidSpec", |s| {
        Case::condition(s, "Ready")["reason"] == "InvalidSpec"
    });
    let message = Case::condition(&status, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with(
            "spec.configTransforms[0] (Policy references-only): the transform put a Secret's value into config topic, but the Policy does not allow that: set capabilities.secrets.inline: true"
        ),
        "{message}"
    );
    assert!(!message.contains(&topic), "{message}");
    assert!(
        case.worker_get(&format!("/connectors/{blocked}")).is_err(),
        "{blocked} reached Connect"
    );
    case.wait_event("blocked", "InvalidSpec");
}

#[test]
fn a_connect_cluster_ref_is_resolved_to_the_connects_service_once_the_connect_exists() {
    let case = Case::new("clusterref", "connect", &[]);
    let ns = case.ns.as_str();
    case.apply_connector(
        "src",
        &format!("  class: {SOURCE}\n  taskMax: 1\n  configs:\n    file: /dev/null\n    topic: t\n  connectClusterRef:\n    name: connect\n"),
    );
    let missing = case.wait_status("src", "InvalidSpec", |s| {
        Case::condition(s, "Ready")["reason"] == "InvalidSpec"
    });
    assert_eq!(
        Case::condition(&missing, "Ready")["message"],
        format!(
            "spec.connectClusterRef names Connect {ns}/connect which does not exist: create it or fix the name"
        )
    );
    // Another wrong name: a new Event says so (not the first one's note, counted again).
    case.apply_connector(
        "src",
        &format!("  class: {SOURCE}\n  taskMax: 1\n  configs:\n    file: /dev/null\n    topic: t\n  connectClusterRef:\n    name: konnect\n"),
    );
    let other = format!(
        "InvalidSpec: spec.connectClusterRef names Connect {ns}/konnect which does not exist"
    );
    wait_for("an Event naming the second wrong Connect", WAIT, || {
        let events = case.env.events_of(ns, "src");
        if events.iter().any(|e| e.starts_with(&other)) {
            Ok(())
        } else {
            Err(format!("{events:?}"))
        }
    });
    case.apply_connector(
        "src",
        &format!("  class: {SOURCE}\n  taskMax: 1\n  configs:\n    file: /dev/null\n    topic: t\n  connectClusterRef:\n    name: connect\n"),
    );

    // Once the Connect exists, the Connector targets its client Service. The operator runs
    // outside the cluster here, so the Service's name does not resolve: the Connector says
    // Connect is unavailable and changes nothing, which is what it does for any outage.
    case.env.apply(&format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Connect\nmetadata:\n  name: connect\n  namespace: {ns}\nspec:\n  replicas: 1\n  dependencies:\n    kafka:\n      bootstrapEndpoint: kafka:9071\n"
    ));
    let status = case.wait_status("src", "ConnectUnavailable", |s| {
        Case::condition(s, "ConnectUnavailable")["status"] == "True"
    });
    assert_eq!(status["connectCluster"], format!("{ns}/connect"));
    let message =
        Case::condition(&status, "ConnectUnavailable")["message"].as_str().unwrap().to_owned();
    assert!(message.contains(&format!("https://connect.{ns}.svc:8083")), "{message}");
}

#[test]
fn policy_modules_load_from_a_file_or_a_url_whose_sha256_matches() {
    let case = Case::new("modules", "connect", &[]);
    let ns = case.ns.as_str();
    let wasm = sluice_e2e::repo_root().join("target/policies/backoff.wasm");
    let (url, sha256, _server) = serve_module("backoff", None);
    wait_for("the module's HTTP server", WAIT, || sluice_e2e::http("GET", &url, None).map(|_| ()));

    let wrong = "0".repeat(64);
    for (name, module) in [
        ("from-file", format!("file: {}", wasm.display())),
        ("from-url", format!("url: {url}\n    sha256: {sha256}\n    allowHttp: true")),
        ("tampered", format!("url: {url}\n    sha256: \"{wrong}\"\n    allowHttp: true")),
        ("plain-http", format!("url: {url}\n    sha256: {sha256}")),
        ("missing-file", "file: /nonexistent/policy.wasm".to_owned()),
        ("outside", "file: /etc/shadow".to_owned()),
        ("device", "file: /dev/zero".to_owned()),
    ] {
        case.env.apply(&format!(
            "apiVersion: sluice.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  module:\n    {module}\n"
        ));
    }
    let ready = |name: &str, want: &'static str| {
        wait_for(&format!("Policy {name} Ready={want}"), WAIT, || {
            let s = case.env.get_json(&["get", "policy", name, "-n", ns])["status"].clone();
            if Case::condition(&s, "Ready")["status"] == want { Ok(s) } else { Err(s.to_string()) }
        })
    };
    for name in ["from-file", "from-url"] {
        let s = ready(name, "True");
        assert_eq!(s["digest"], sha256.as_str(), "{name}");
        assert_eq!(s["worlds"], serde_json::json!(["restart-policy"]), "{name}");
    }
    let tampered = ready("tampered", "False");
    assert_eq!(
        tampered["lastError"],
        format!(
            "spec.module.sha256: the module at {url} has sha256 {sha256}, not {wrong}: fix sha256 or the URL"
        )
    );
    let plain = ready("plain-http", "False");
    assert!(
        plain["lastError"].as_str().unwrap().contains("is not https") && plain["digest"].is_null(),
        "{plain}"
    );
    // The operator reads module files only below --policy-module-dir (target/policies here):
    // nothing outside is read, hashed or reported.
    for name in ["outside", "device"] {
        let s = ready(name, "False");
        let error = s["lastError"].as_str().unwrap();
        assert!(error.contains("is not a file below"), "{name}: {s}");
        assert!(s["digest"].is_null(), "{name}: {s}");
    }
    let missing = ready("missing-file", "False");
    assert!(
        missing["lastError"]
            .as_str()
            .unwrap()
            .starts_with("spec.module.file: /nonexistent/policy.wasm: "),
        "{missing}"
    );
}

#[test]
fn a_url_module_is_fetched_once_per_pin_and_the_last_good_module_outlives_its_source() {
    let case = Case::new("refresh", "connect", &[]);
    let ns = case.ns.as_str();
    let requests = case.env.work_dir.join(format!("{ns}-module-server.log"));
    let (url, sha256, server) = serve_module("backoff", Some(&requests));
    case.env.apply(&format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: pinned\n  namespace: {ns}\nspec:\n  module:\n    url: {url}\n    sha256: {sha256}\n    allowHttp: true\n"
    ));
    case.module_configmap("backoff-module", "backoff");
    case.env.apply(&format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: from-configmap\n  namespace: {ns}\nspec:\n  module:\n    configMapRef:\n      name: backoff-module\n"
    ));
    let ready = |name: &str| {
        wait_for(&format!("Policy {name} Ready"), WAIT, || {
            let s = case.env.get_json(&["get", "policy", name, "-n", ns])["status"].clone();
            if Case::condition(&s, "Ready")["status"] == "True" {
                Ok(s)
            } else {
                Err(s.to_string())
            }
        })
    };
    ready("pinned");
    ready("from-configmap");
    // Several resyncs (2 s here) later, the pinned URL was still fetched once.
    std::thread::sleep(Duration::from_secs(8));
    let fetches =
        || std::fs::read_to_string(&requests).unwrap().matches("GET /backoff.wasm").count();
    assert_eq!(fetches(), 1, "the pinned module was fetched again");

    // Both sources fail: the server is gone, the ConfigMap deleted. The modules loaded from
    // them go on serving, and the failed refresh is told.
    drop(server);
    case.env.kubectl_ok(&["delete", "configmap", "backoff-module", "-n", ns]);
    let warning = wait_for("a PolicyRefreshFailed Event", WAIT, || {
        let events = case.env.events_of(ns, "from-configmap");
        events
            .iter()
            .find(|e| e.starts_with("PolicyRefreshFailed:"))
            .cloned()
            .ok_or_else(|| format!("{events:?}"))
    });
    assert!(warning.contains("ConfigMap backoff-module does not exist"), "{warning}");
    assert!(warning.contains("still running the module last loaded from it"), "{warning}");
    let kept = ready("from-configmap");
    assert_eq!(kept["digest"], sha256.as_str(), "{kept}");
    assert_eq!(ready("pinned")["digest"], sha256.as_str());
    // A connector using the kept module is still decided by it.
    let name = case.name("sink");
    let file = case.env.work_dir.join(format!("{ns}-never/out.txt"));
    case.apply_connector(
        "sink",
        &policy_sink_spec(&name, file.to_str().unwrap(), "from-configmap", &case.url),
    );
    case.wait_status("sink", "a decision by the kept module", |s| {
        s["lastDecision"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains(&format!("(restart policy {ns}/from-configmap)")))
    });
}

/// The built policy `module` (target/policies/<module>.wasm) served over HTTP by a process
/// of its own: its URL, its sha256 and the server, stopped when dropped. The server's
/// request log goes to `log` when one is given.
fn serve_module(module: &str, log: Option<&std::path::Path>) -> (String, String, KillOnDrop) {
    let wasm = sluice_e2e::repo_root().join(format!("target/policies/{module}.wasm"));
    assert!(wasm.is_file(), "{}: run scripts/build-policies (tests/run does)", wasm.display());
    let sha256 = {
        let out = std::process::Command::new("sha256sum").arg(&wasm).output().unwrap();
        String::from_utf8_lossy(&out.stdout).split_whitespace().next().unwrap().to_owned()
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let stderr = match log {
        Some(path) => std::process::Stdio::from(std::fs::File::create(path).unwrap()),
        None => std::process::Stdio::null(),
    };
    let server = KillOnDrop(
        std::process::Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
            .arg(wasm.parent().unwrap())
            .stdout(std::process::Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("python3 serves the module"),
    );
    (format!("http://127.0.0.1:{port}/{module}.wasm"), sha256, server)
}

/// A helper process that is stopped however the test ends.
struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
