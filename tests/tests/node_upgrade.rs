//! Upgrading Sluice itself, on the real node: the chart and image of the previous release
//! (PREVIOUS_RELEASE in tests/env/versions.env, built by tests/env/previous-release.sh) run a
//! Connect with connectors; `helm upgrade` to this tree's chart and image rolls the workers
//! one at a time, each serving before the next is replaced, and no connector is deleted or
//! created again. It prints how long each connector's tasks were not RUNNING.
//!
//! It is a test binary of its own, with one test: it installs the previous release over the
//! node's shared one, so nothing else may run beside it, and leaves this tree's installed.

use std::time::{Duration, Instant};

use serde_json::Value;
use sluice_e2e::{
    http_server::{Reply, Server},
    http_with,
    node::{NodeEnv, RestAccess, condition, connect_file_archive, file_source, url_example},
    plugins::sha512,
    repo_root,
};

const POD_START: Duration = Duration::from_secs(300);
const PREVIOUS_IMAGE: &str = "localhost/sluice/sluice:previous";

fn helm_upgrade(node: &NodeEnv, chart: &str, tag: &str) {
    let (_, settings) = node.chart_args();
    let mut args = vec!["upgrade", "--install", "sluice", chart, "--namespace", "sluice-system"];
    args.push("--create-namespace");
    let settings: Vec<String> = settings
        .into_iter()
        .map(|s| if s.starts_with("image.tag=") { format!("image.tag={tag}") } else { s })
        .collect();
    args.extend(settings.iter().map(String::as_str));
    let hub = format!("operator.confluentHubUrl={}", node.hub().base);
    args.extend(["--set", &hub]);
    let out = node.env.helm(&args);
    assert!(
        out.status.success(),
        "helm upgrade to {chart}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The image the operator Deployment runs.
fn operator_image(node: &NodeEnv) -> String {
    node.env.kubectl_ok(&[
        "get",
        "deployment",
        "-n",
        "sluice-system",
        "-l",
        "app.kubernetes.io/name=sluice",
        "-o",
        "jsonpath={.items[0].spec.template.spec.containers[0].image}",
    ])
}

fn pods(node: &NodeEnv, ns: &str) -> Vec<Value> {
    node.env.get_json(&["get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance=connect"])["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn seconds(time: &Value) -> i64 {
    let text = time.as_str().unwrap_or_else(|| panic!("a time: {time}"));
    text.parse::<jiff::Timestamp>().unwrap_or_else(|e| panic!("{text}: {e}")).as_second()
}

/// How often Events of `reason` were told about the Connectors of `ns` (an Event repeated
/// counts in its series).
fn connector_events(node: &NodeEnv, ns: &str, reason: &str) -> u64 {
    let events = node.env.get_json(&[
        "get",
        "events.events.k8s.io",
        "-n",
        ns,
        "--field-selector",
        &format!("regarding.kind=Connector,reason={reason}"),
    ]);
    events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| e["series"]["count"].as_u64().unwrap_or(1))
        .sum()
}

#[test]
fn a_helm_upgrade_rolls_each_connect_one_serving_worker_at_a_time_and_keeps_its_connectors() {
    let node = NodeEnv::require();
    let previous = repo_root().join("target/previous/src/charts/sluice");
    assert!(
        previous.join("Chart.yaml").is_file(),
        "the previous release's chart is missing at {}: run tests/env/previous-release.sh (tests/run does)",
        previous.display()
    );
    let current = repo_root().join("charts/sluice");
    helm_upgrade(&node, &previous.to_string_lossy(), "previous");
    assert_eq!(operator_image(&node), PREVIOUS_IMAGE);

    // A Connect of two Kafka 3.9 workers and two connectors, under the previous release.
    let ns = node.restricted_namespace("node-upgrade");
    let server = Server::start_on(&node.node_ip);
    let archive = connect_file_archive(&node, &[]);
    let url = server.route("/connect-file.zip", Reply::Bytes(archive.clone()));
    let legacy = {
        let versions = std::fs::read_to_string(repo_root().join("tests/env/versions.env")).unwrap();
        versions.lines().find_map(|l| l.strip_prefix("KAFKA_LEGACY_VERSION=")).unwrap().to_owned()
    };
    let image = format!("localhost/sluice/kafka-connect:{legacy}");
    let yaml = url_example(&ns, &url, &sha512(&archive), &node.kafka_bootstrap)
        .replace(&format!("application: {}", sluice_e2e::node::connect_image()), &format!("application: {image}"))
        // No image.init: the installer runs the operator's image, as in most clusters.
        .replace(&format!("    init: {}\n", sluice_e2e::node::OPERATOR_IMAGE), "")
        .replace(
            "  dependencies:\n",
            // Connect holds a departed worker's tasks for this long before it moves them.
            "  configOverrides:\n    server:\n      - scheduled.rebalance.max.delay.ms=0\n  dependencies:\n",
        );
    node.env.apply(&yaml);
    node.wait_object(
        "two workers Ready under the previous release",
        POD_START,
        &["get", "connect", "connect", "-n", &ns],
        |c| {
            if condition(c, "Ready")["status"] == "True" && c["status"]["readyReplicas"] == 2 {
                Ok(())
            } else {
                Err(c["status"].to_string())
            }
        },
    );
    let names = ["upgrade-a", "upgrade-b"];
    for name in names {
        node.env.apply(&file_source(&ns, name, "/etc/passwd", &format!("{ns}-{name}")));
    }
    for name in names {
        node.wait_running(&format!("{name} RUNNING under the previous release"), &ns, name);
    }
    // A create answered while Connect's listing lags may be tried again (and answered
    // "already exists"): what counts is that the upgrade adds none.
    let created = connector_events(&node, &ns, "CreateConnector");
    assert!(created >= 2, "each connector created: {created}");
    let before: Vec<String> = pods(&node, &ns)
        .iter()
        .map(|p| p["metadata"]["uid"].as_str().unwrap().to_owned())
        .collect();
    let rest = RestAccess::read(&node, &ns, "connect");
    let service_ip = node.env.kubectl_ok(&[
        "get",
        "service",
        "connect",
        "-n",
        &ns,
        "-o",
        "jsonpath={.spec.clusterIP}",
    ]);
    let host = format!("connect.{ns}.svc");
    let resolve = format!("{host}:8083:{}", service_ip.trim());
    let (ca, operator) = (rest.ca_path(), rest.operator());
    let listing = || -> Option<Value> {
        let args = [
            "--cacert",
            ca.as_str(),
            "--resolve",
            resolve.as_str(),
            "-u",
            operator.as_str(),
            "--max-time",
            "3",
        ];
        match http_with(
            "GET",
            &format!("https://{host}:8083/connectors?expand=status"),
            None,
            &args,
        ) {
            Ok((200, v)) => Some(v),
            _ => None,
        }
    };
    assert!(listing().is_some(), "the workers' listing through the Service");

    // The upgrade: this tree's CRDs first (helm upgrade leaves CRDs alone), then the chart.
    node.env.kubectl_ok(&[
        "apply",
        "--server-side",
        "--force-conflicts",
        "-f",
        &repo_root().join("crds").to_string_lossy(),
    ]);
    let started = Instant::now();
    let upgrade = std::thread::scope(|s| {
        let helm = s.spawn(|| helm_upgrade(&node, &current.to_string_lossy(), "dev"));
        // Each second: is each connector's task RUNNING (seen through the Service)?
        let mut down = [0u32; 2];
        let mut samples = 0u32;
        // Samples in which Connect answered and a connector was not in its listing.
        let mut missing = 0u32;
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let now = pods(&node, &ns);
            let replaced = now
                .iter()
                .filter(|p| {
                    let uid = p["metadata"]["uid"].as_str().unwrap_or_default();
                    !before.iter().any(|b| b == uid) && condition(p, "Ready")["status"] == "True"
                })
                .count();
            let seen = listing();
            samples += 1;
            for (i, name) in names.iter().enumerate() {
                if seen.as_ref().is_some_and(|l| l.get(*name).is_none()) {
                    missing += 1;
                }
                let task = seen.as_ref().map(|l| l[*name]["status"]["tasks"][0]["state"].clone());
                if task != Some(Value::from("RUNNING")) {
                    down[i] += 1;
                }
            }
            let running = seen.as_ref().is_some_and(|l| {
                names.iter().all(|n| l[*n]["status"]["tasks"][0]["state"] == "RUNNING")
            });
            if replaced == 2 && running && helm.is_finished() {
                break (now, down, samples, missing);
            }
            assert!(
                Instant::now() < deadline,
                "the workers did not roll within 10 minutes: {replaced} of 2 replaced"
            );
            std::thread::sleep(Duration::from_secs(1));
        }
    });
    let (rolled, down, samples, missing) = upgrade;
    assert_eq!(missing, 0, "a connector was gone from Connect's listing during the upgrade");
    assert_eq!(operator_image(&node), sluice_e2e::node::OPERATOR_IMAGE);
    // One worker at a time, highest ordinal first, the second replaced only once the first
    // served.
    let by = |name: &str| rolled.iter().find(|p| p["metadata"]["name"] == name).unwrap().clone();
    let (first, second) = (by("connect-1"), by("connect-0"));
    let first_ready = seconds(&condition(&first, "Ready")["lastTransitionTime"]);
    let second_created = seconds(&second["metadata"]["creationTimestamp"]);
    assert!(
        second_created >= first_ready,
        "connect-0 replaced at {second_created}, before the new connect-1 served at {first_ready}"
    );
    // The new pods run this release's probe.
    let probe = first["spec"]["containers"][0]["readinessProbe"]["exec"]["command"][0].clone();
    assert_eq!(probe, "/opt/sluice/bin/sluice-probe", "{}", first["spec"]["containers"][0]);
    // No connector deleted or created again, none restarted by Sluice.
    assert_eq!(
        connector_events(&node, &ns, "CreateConnector"),
        created,
        "a connector was created again"
    );
    assert_eq!(connector_events(&node, &ns, "DeleteConnector"), 0, "a connector was deleted");
    for name in names {
        let c = node.wait_running(&format!("{name} RUNNING after the upgrade"), &ns, name);
        assert_eq!(c["status"]["restartCount"], 0, "{}", c["status"]);
    }
    eprintln!(
        "upgrade: {:.0} s from helm upgrade to both workers rolled and serving ({samples} one-second samples); tasks not RUNNING: {} {} s, {} {} s; connect-1 created {} Ready {first_ready}, connect-0 created {second_created} Ready {}",
        started.elapsed().as_secs_f64(),
        names[0],
        down[0],
        names[1],
        down[1],
        seconds(&first["metadata"]["creationTimestamp"]),
        seconds(&condition(&second, "Ready")["lastTransitionTime"]),
    );
    node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
