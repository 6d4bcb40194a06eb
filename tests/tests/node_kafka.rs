//! On the real node, by Kafka lane: the default (Kafka 4) and the legacy lane (3.9), on
//! Sluice's worker image, and the default on a second worker image of another base
//! (`kafka-connect-plain`: dash and coreutils, Apache's layout, no busybox, curl or wget).
//! - Requests a follower forwards to the leader work over the workers' TLS listener (Kafka
//!   4's Jetty 12 refuses a request whose Host is no name of the certificate).
//! - A worker is Ready only once Connect serves, and a roll waits for each worker to serve
//!   before it replaces the next.
//! - A Kafka 4 worker logs at the levels `configOverrides.log4j2` (and translated
//!   `configOverrides.log4j`) ask, and a Log4j2 level change takes effect without a roll.

use std::time::Duration;

use serde_json::{Value, json};
use sluice_e2e::{
    http_server::{Reply, Server},
    http_text_with,
    node::{NodeEnv, RestAccess, condition, connect_file_archive, url_example},
    plugins::sha512,
    wait_for,
};

const POD_START: Duration = Duration::from_secs(300);
const SOURCE: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";

/// The Kafka version of a lane, from tests/env/versions.env.
fn version(key: &str) -> String {
    let versions = std::fs::read_to_string(sluice_e2e::repo_root().join("tests/env/versions.env"))
        .expect("tests/env/versions.env");
    versions
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("{key} in versions.env"))
        .to_owned()
}

fn sluice_image(kafka: &str) -> String {
    format!("localhost/sluice/kafka-connect:{kafka}")
}

/// The seed's URL example as a Connect named `connect` in `ns` with `replicas` workers of
/// `image`, its plugin served by `server`, with `extra` lines under `spec:`.
fn connect_yaml(
    node: &NodeEnv,
    server: &Server,
    ns: &str,
    image: &str,
    replicas: u32,
    extra: &str,
) -> String {
    let archive = connect_file_archive(node, &[]);
    let url = server.route("/connect-file.zip", Reply::Bytes(archive.clone()));
    let yaml = url_example(ns, &url, &sha512(&archive), &node.kafka_bootstrap);
    let default = format!("application: {}", sluice_e2e::node::connect_image());
    assert!(yaml.contains(&default), "{yaml}");
    yaml.replace(&default, &format!("application: {image}"))
        .replace("replicas: 2", &format!("replicas: {replicas}"))
        .replace("spec:\n", &format!("spec:\n{extra}"))
}

fn wait_ready(node: &NodeEnv, ns: &str, replicas: i64) -> Value {
    node.wait_object(
        &format!("{replicas} workers Ready"),
        POD_START,
        &["get", "connect", "connect", "-n", ns],
        |c| {
            if condition(c, "Ready")["status"] == "True" && c["status"]["readyReplicas"] == replicas
            {
                Ok(())
            } else {
                Err(c["status"].to_string())
            }
        },
    )
}

fn pods(node: &NodeEnv, ns: &str) -> Vec<Value> {
    node.env.get_json(&["get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance=connect"])
        ["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn pod_ip(node: &NodeEnv, ns: &str, pod: &str) -> String {
    node.env.kubectl_ok(&["get", "pod", pod, "-n", ns, "-o", "jsonpath={.status.podIP}"])
}

/// One REST call to worker `pod` by its DNS name, as the operator's user.
fn call(
    rest: &RestAccess,
    pod: &str,
    ip: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, String) {
    let operator = rest.operator();
    let (url, args) = rest.worker(pod, ip, path, Some(&operator));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    http_text_with(method, &url, body, &args).unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// Through each of three workers in turn (so through at least two followers, which forward
/// to the leader), a connector is created, reconfigured, paused, resumed, restarted and
/// deleted; every call succeeds.
fn each_worker_forwards(kafka: &str) {
    let node = NodeEnv::require();
    let _slot = node.workers_slot();
    node.install_operator();
    let ns = node.restricted_namespace("node-forward");
    let server = Server::start_on(&node.node_ip);
    let applied = std::time::Instant::now();
    node.env.apply(&connect_yaml(&node, &server, &ns, &sluice_image(kafka), 3, ""));
    wait_ready(&node, &ns, 3);
    eprintln!(
        "Kafka {kafka}: apply to 3 workers Ready (serving): {:.1} s",
        applied.elapsed().as_secs_f64()
    );
    let rest = RestAccess::read(&node, &ns, "connect");
    let version = call(&rest, "connect-0", &pod_ip(&node, &ns, "connect-0"), "GET", "/", None);
    assert!(version.1.contains(&format!("\"version\":\"{kafka}\"")), "{version:?}");
    for i in 0..3 {
        let pod = format!("connect-{i}");
        let ip = pod_ip(&node, &ns, &pod);
        let name = format!("forwarded-{i}");
        let config = |topic: &str| json!({"connector.class": SOURCE, "tasks.max": "1", "file": "/etc/hostname", "topic": topic});
        let steps: Vec<(&str, String, Option<Value>, &[u16])> = vec![
            (
                "POST",
                "/connectors".into(),
                Some(json!({"name": name, "config": config("a")})),
                &[201],
            ),
            ("PUT", format!("/connectors/{name}/config"), Some(config("b")), &[200]),
            ("PUT", format!("/connectors/{name}/pause"), None, &[202]),
            ("PUT", format!("/connectors/{name}/resume"), None, &[202]),
            ("POST", format!("/connectors/{name}/restart?includeTasks=true"), None, &[202, 204]),
            ("DELETE", format!("/connectors/{name}"), None, &[204]),
        ];
        for (method, path, body, ok) in steps {
            // A rebalance right after a change answers 409 for a moment; the call is then
            // made again, as Sluice does.
            let (code, text) = wait_for(
                &format!("{method} {path} through {pod}"),
                Duration::from_secs(60),
                || match call(&rest, &pod, &ip, method, &path, body.as_ref()) {
                    (409, text) => Err(format!("409 {text}")),
                    answer => Ok(answer),
                },
            );
            assert!(
                ok.contains(&code),
                "Kafka {kafka}: {method} {path} through {pod}: {code} {text}"
            );
        }
    }
    node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn each_of_three_kafka_4_workers_serves_and_forwards_every_write_over_tls() {
    each_worker_forwards(&version("KAFKA_VERSION"));
}

#[test]
fn each_of_three_kafka_3_9_workers_serves_and_forwards_every_write_over_tls() {
    each_worker_forwards(&version("KAFKA_LEGACY_VERSION"));
}

/// An RFC 3339 time of the API server's, as seconds.
fn seconds(time: &Value) -> i64 {
    let text = time.as_str().unwrap_or_else(|| panic!("a time: {time}"));
    let t: jiff::Timestamp = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
    t.as_second()
}

/// A worker whose container runs is not Ready until Connect serves: the probe says why
/// in the pod's events meanwhile, `GET /health` answers 200 once it is Ready, and a roll
/// replaces the next worker only after the last one serves.
fn ready_means_serving(image: &str) {
    let node = NodeEnv::require();
    let _slot = node.workers_slot();
    node.install_operator();
    let ns = node.restricted_namespace("node-ready");
    let server = Server::start_on(&node.node_ip);
    node.env.apply(&connect_yaml(&node, &server, &ns, image, 2, ""));
    wait_ready(&node, &ns, 2);
    let rest = RestAccess::read(&node, &ns, "connect");
    for pod in pods(&node, &ns) {
        let name = pod["metadata"]["name"].as_str().unwrap();
        let started = &pod["status"]["containerStatuses"][0]["state"]["running"]["startedAt"];
        let ready = condition(&pod, "Ready");
        let window = seconds(&ready["lastTransitionTime"]) - seconds(started);
        eprintln!("{image}: {name} Ready {window} s after its worker container started");
        // The probe failed while the worker started, saying why (the kubelet's events).
        let events = node.env.kubectl_ok(&[
            "get",
            "events",
            "-n",
            &ns,
            "--field-selector",
            &format!("involvedObject.name={name},reason=Unhealthy"),
            "-o",
            "jsonpath={.items[*].message}",
        ]);
        assert!(
            events.contains("sluice-probe:"),
            "{name} was never not-ready by the probe: {events:?}"
        );
        let ip = pod["status"]["podIP"].as_str().unwrap();
        let (code, body) = call(&rest, name, ip, "GET", "/health", None);
        assert_eq!(code, 200, "{name} is Ready but /health answers {body}");
    }
    // No credential in the pod spec: the probe reads the mounted login file.
    let spec = node.env.kubectl_ok(&["get", "statefulset", "connect", "-n", &ns, "-o", "json"]);
    assert!(!spec.contains(&rest.password), "the REST password is in the StatefulSet");

    // A roll: each new worker serves before the next old one is deleted.
    let before: Vec<(String, String)> = pods(&node, &ns)
        .iter()
        .map(|p| {
            (
                p["metadata"]["name"].as_str().unwrap().to_owned(),
                p["metadata"]["uid"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    node.patch_connect(
        &ns,
        r#"{"spec":{"configOverrides":{"server":["offset.flush.interval.ms=7000"]}}}"#,
    );
    let rolled = wait_for("both workers replaced and Ready", POD_START, || {
        let now = pods(&node, &ns);
        let replaced = now.iter().filter(|p| {
            let uid = p["metadata"]["uid"].as_str().unwrap_or_default();
            before.iter().all(|(_, old)| old != uid) && condition(p, "Ready")["status"] == "True"
        });
        match replaced.count() {
            2 => Ok(now),
            n => Err(format!("{n} of 2 replaced and Ready")),
        }
    });
    // StatefulSets roll from the highest ordinal down.
    let by_name =
        |name: &str| rolled.iter().find(|p| p["metadata"]["name"] == name).unwrap().clone();
    let (first, second) = (by_name("connect-1"), by_name("connect-0"));
    let first_ready = seconds(&condition(&first, "Ready")["lastTransitionTime"]);
    let second_created = seconds(&second["metadata"]["creationTimestamp"]);
    assert!(
        second_created >= first_ready,
        "connect-0 was replaced at {second_created}, before the new connect-1 served at {first_ready}"
    );
    eprintln!(
        "{image}: roll per worker: connect-1 created {} → Ready {first_ready}; connect-0 created {second_created} → Ready {}",
        seconds(&first["metadata"]["creationTimestamp"]),
        seconds(&condition(&second, "Ready")["lastTransitionTime"])
    );

    // A worker that stops answering stops being Ready: its JVM stopped from the host (a
    // container's PID 1 ignores SIGSTOP sent from inside its namespace).
    let jvm = worker_jvm(&ns, "connect-0");
    signal(jvm, "STOP");
    node.wait_object(
        "connect-0 not Ready while its JVM is stopped",
        Duration::from_secs(90),
        &["get", "pod", "connect-0", "-n", &ns],
        |p| {
            if condition(p, "Ready")["status"] == "False" {
                Ok(())
            } else {
                Err("still Ready".into())
            }
        },
    );
    signal(jvm, "CONT");
    node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

/// The host pid of the JVM of worker `pod` in `ns`: the java process whose environment
/// names the pod's DNS name.
fn worker_jvm(ns: &str, pod: &str) -> u32 {
    let marker = format!("SLUICE_REST_HOST={pod}.connect-workers.{ns}.svc");
    let found = std::fs::read_dir("/proc").expect("/proc").filter_map(|e| {
        let pid: u32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        let environ = std::fs::read(format!("/proc/{pid}/environ")).ok()?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let has = environ.split(|b| *b == 0).any(|v| v == marker.as_bytes());
        let java = cmdline.split(|b| *b == 0).next().is_some_and(|a| a.ends_with(b"java"));
        (has && java).then_some(pid)
    });
    let pids: Vec<u32> = found.collect();
    assert_eq!(pids.len(), 1, "the JVM of {ns}/{pod}: {pids:?}");
    pids[0]
}

fn signal(pid: u32, signal: &str) {
    let status =
        std::process::Command::new("kill").args([&format!("-{signal}"), &pid.to_string()]).status();
    assert!(status.is_ok_and(|s| s.success()), "kill -{signal} {pid}");
}

#[test]
fn a_kafka_4_worker_on_sluices_image_is_ready_only_once_connect_serves() {
    ready_means_serving(&sluice_image(&version("KAFKA_VERSION")));
}

#[test]
fn a_kafka_3_9_worker_is_ready_only_once_connect_serves() {
    ready_means_serving(&sluice_image(&version("KAFKA_LEGACY_VERSION")));
}

#[test]
fn a_worker_on_another_base_without_curl_or_busybox_is_ready_only_once_connect_serves() {
    ready_means_serving(&format!(
        "localhost/sluice/kafka-connect-plain:{}",
        version("KAFKA_VERSION")
    ));
}

/// The uid of worker pod connect-0: a new uid is a rolled worker.
fn pod_uid(node: &NodeEnv, ns: &str) -> String {
    node.env.kubectl_ok(&["get", "pod", "connect-0", "-n", ns, "-o", "jsonpath={.metadata.uid}"])
}

/// Lines of `kubectl logs` of worker connect-0 at `level` from `logger`.
fn logged(node: &NodeEnv, ns: &str, level: &str, logger: &str) -> usize {
    let out = node.env.kubectl(&["logs", "-n", ns, "connect-0", "-c", "connect", "--tail=-1"]);
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .filter(|l| l.contains(&format!("] {level} ")) && l.ends_with(&format!("({logger})")))
        .count()
}

#[test]
fn a_kafka_4_worker_logs_at_the_levels_asked_and_a_log4j2_change_needs_no_roll() {
    let node = NodeEnv::require();
    let _slot = node.workers_slot();
    node.install_operator();
    let ns = node.restricted_namespace("node-logs");
    let server = Server::start_on(&node.node_ip);
    let network = "org.apache.kafka.clients.NetworkClient";
    let worker = "org.apache.kafka.connect.runtime.Worker";
    let herder = "org.apache.kafka.connect.runtime.distributed.DistributedHerder";
    // A Log4j2 logger at DEBUG, a log4j 1 line translated, and the root quieter.
    let logging = format!(
        "  configOverrides:\n    log4j2:\n      - logger.net.name={network}\n      - logger.net.level=DEBUG\n    log4j:\n      - log4j.rootLogger=WARN, stdout\n      - log4j.logger.{worker}=INFO\n"
    );
    let kafka = version("KAFKA_VERSION");
    node.env.apply(&connect_yaml(&node, &server, &ns, &sluice_image(&kafka), 1, &logging));
    wait_ready(&node, &ns, 1);
    wait_for("DEBUG lines of NetworkClient", Duration::from_secs(60), || {
        match logged(&node, &ns, "DEBUG", network) {
            0 => Err("none yet".into()),
            n => Ok(n),
        }
    });
    assert!(
        logged(&node, &ns, "INFO", worker) > 0,
        "the translated log4j line kept Worker at INFO"
    );
    // The root at WARN: the herder's INFO lines (it logs many while it starts) are gone.
    assert_eq!(logged(&node, &ns, "INFO", herder), 0, "the root logger is not at WARN");
    let events = node.env.kubectl_ok(&[
        "get",
        "events",
        "-n",
        &ns,
        "--field-selector",
        "reason=SpecAdjusted",
        "-o",
        "jsonpath={.items[*].message}",
    ]);
    assert!(
        events.contains(
            "spec.configOverrides.log4j[0] \"log4j.rootLogger=WARN, stdout\" is log4j 1 syntax"
        ),
        "{events}"
    );

    // A level change: the worker re-reads its Log4j2 file, the pod stays.
    let uid = pod_uid(&node, &ns);
    node.patch_connect(&ns, &format!(
        r#"{{"spec":{{"configOverrides":{{"log4j2":["logger.net.name={network}","logger.net.level=DEBUG","logger.herder.name={herder}","logger.herder.level=DEBUG"]}}}}}}"#
    ));
    // The kubelet updates the mounted ConfigMap within about a minute, Log4j2 looks every 30 s.
    wait_for(
        "DEBUG lines of the herder after the change",
        Duration::from_secs(240),
        || match logged(&node, &ns, "DEBUG", herder) {
            0 => Err("none yet".into()),
            n => Ok(n),
        },
    );
    let after = pod_uid(&node, &ns);
    assert_eq!(uid, after, "the level change rolled the worker");
    node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
