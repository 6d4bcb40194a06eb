//! Figures of Connect clusters on the real node, with the operator in the cluster:
//! - `kubectl apply` of a Connect with one plugin (2 workers) → every worker Ready: median of
//!   `SLUICE_BENCH_ROUNDS` (5), with the installer's share (the init containers' run time, as
//!   the kubelet reports it to the second);
//! - a plugin upgrade → every worker replaced and Ready;
//! - a deleted worker pod → the connector whose task it ran RUNNING again, asked of a worker
//!   afresh, saying whether the deleted worker led the group: Connect holds a departed
//!   member's tasks for `scheduled.rebalance.max.delay.ms` (left at Kafka's 5 minutes here)
//!   only when the leader stays; a new leader assigns them at once.
//!
//! Needs the node: `SLUICE_TESTENV_DIR=target/testenv-node tests/env/testenv up node`, then
//! `SLUICE_NODE_ENV=target/testenv-node/env cargo bench -p sluice-e2e --bench node_connect`.
//! Resolution: the API server is polled every 250 ms.

use std::time::{Duration, Instant};

use serde_json::Value;
use sluice_e2e::{
    http_server::{Reply, Server},
    node::{
        NodeEnv, RestAccess, condition, connect_file_archive, file_source, pods_of, url_example,
    },
    plugins::sha512,
};

const LIMIT: Duration = Duration::from_secs(300);

fn poll(node: &NodeEnv, args: &[&str], done: impl Fn(&Value) -> bool) -> Value {
    node.poll(LIMIT, args, done)
}

fn ready(node: &NodeEnv, ns: &str, replicas: i64) -> Value {
    poll(node, &["get", "connect", "connect", "-n", ns], |c| {
        condition(c, "Ready")["status"] == "True" && c["status"]["readyReplicas"] == replicas
    })
}

/// An RFC 3339 time the kubelet wrote (`2026-12-01T22:13:19Z`) as seconds of the day: enough
/// for differences within one run.
fn seconds(t: &Value) -> i64 {
    let time = t.as_str().unwrap_or_default().split('T').nth(1).unwrap_or("00:00:00Z");
    time.trim_end_matches('Z')
        .split(':')
        .map(|p| p.parse::<i64>().unwrap_or(0))
        .fold(0, |a, p| a * 60 + p)
}

/// Mean seconds the pods' installers ran.
fn installer_seconds(node: &NodeEnv, ns: &str) -> f64 {
    let runs: Vec<i64> = pods_of(node, ns)
        .iter()
        .filter_map(|p| {
            let t = &p["status"]["initContainerStatuses"][0]["state"]["terminated"];
            (!t.is_null()).then(|| seconds(&t["finishedAt"]) - seconds(&t["startedAt"]))
        })
        .collect();
    runs.iter().sum::<i64>() as f64 / runs.len().max(1) as f64
}

/// The pod of the worker that leads the Connect group, from a worker's log: its last
/// assignment names the leader's URL (`leaderUrl='https://<pod>.connect-workers...'`).
fn leader(node: &NodeEnv, ns: &str) -> String {
    let pods = pods_of(node, ns);
    let pod = pods[0]["metadata"]["name"].as_str().expect("a worker pod");
    let log = node.env.kubectl_ok(&["logs", pod, "-n", ns, "-c", "connect"]);
    let url = log.rsplit("leaderUrl='").next().filter(|_| log.contains("leaderUrl='"));
    let url = url.unwrap_or_else(|| panic!("no assignment in {pod}'s log"));
    let host = url.trim_start_matches("https://").trim_start_matches("http://");
    host.split('.').next().unwrap_or_default().to_owned()
}

fn pod_uid(node: &NodeEnv, ns: &str, pod: &str) -> String {
    let out = node.env.kubectl(&["get", "pod", pod, "-n", ns, "-o", "jsonpath={.metadata.uid}"]);
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let rounds: usize =
        std::env::var("SLUICE_BENCH_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(5);
    let node = NodeEnv::require();
    node.install_operator();
    let server = Server::start_on(&node.node_ip);
    let archive = connect_file_archive(&node, &[]);
    let url = server.route("/bench/connect-file.zip", Reply::Bytes(archive.clone()));

    let mut to_ready = Vec::new();
    let mut installer = Vec::new();
    let mut last_ns = String::new();
    for round in 0..rounds {
        let ns = node.env.namespace("bench-connect");
        let start = Instant::now();
        node.env.apply(&url_example(&ns, &url, &sha512(&archive), &node.kafka_bootstrap));
        ready(&node, &ns, 2);
        let took = start.elapsed();
        let installing = installer_seconds(&node, &ns);
        println!(
            "round {round}: apply -> 2 workers Ready {took:.1?} (installer {installing:.0} s)"
        );
        to_ready.push(took);
        installer.push(installing);
        if round + 1 < rounds {
            node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
        }
        last_ns = ns;
    }
    let ns = last_ns;
    installer.sort_by(|a, b| a.total_cmp(b));
    println!(
        "apply -> all workers Ready: median {:.1?} of {rounds} (installer median {:.0} s of it)",
        median(to_ready),
        installer[installer.len() / 2]
    );

    // A plugin upgrade: another archive, so the plugin list and the config hash change.
    let upgraded = connect_file_archive(&node, &[("RELEASE-NOTES.txt", b"2")]);
    let url2 = server.route("/bench/connect-file-2.zip", Reply::Bytes(upgraded.clone()));
    let before: Vec<String> = pods_of(&node, &ns)
        .iter()
        .map(|p| p["metadata"]["uid"].as_str().unwrap_or_default().to_owned())
        .collect();
    let start = Instant::now();
    node.upgrade_url_plugin(&ns, &url2, &sha512(&upgraded));
    poll(&node, &["get", "pods", "-n", &ns, "-l", "app.kubernetes.io/instance=connect"], |l| {
        let items = l["items"].as_array().cloned().unwrap_or_default();
        items.len() == 2
            && items.iter().all(|p| {
                !before.iter().any(|u| p["metadata"]["uid"] == u.as_str())
                    && condition(p, "Ready")["status"] == "True"
            })
    });
    ready(&node, &ns, 2);
    println!("plugin upgrade -> both workers replaced and Ready: {:.1?}", start.elapsed());

    // A deleted worker pod: the connector whose task it ran is RUNNING again.
    node.env.apply(&file_source(&ns, "bench-in", "/etc/passwd", &format!("{ns}-bench")));
    println!("scheduled.rebalance.max.delay.ms: Kafka's default, 300000 (not overridden)");
    for _ in 0..2 {
        let c = node.wait_running_now("bench-in RUNNING", &ns, "bench-in");
        let worker = c["status"]["tasks"][0]["workerId"].as_str().unwrap_or_default().to_owned();
        // A worker id is its pod's DNS name: `<pod>.connect-workers.<ns>.svc:8083`.
        let pod = worker.split('.').next().unwrap_or_default().to_owned();
        let leads = leader(&node, &ns) == pod;
        let uid = pod_uid(&node, &ns, &pod);
        let start = Instant::now();
        node.env.kubectl_ok(&["delete", "pod", &pod, "-n", &ns, "--wait=false"]);
        // RUNNING again on a worker that is not the deleted pod (its successor of the same
        // name counts, once it is a new pod).
        let limit = Duration::from_secs(600);
        let access = RestAccess::read(&node, &ns, "connect");
        let args = ["get", "connector", "bench-in", "-n", &ns];
        node.wait_object("the task RUNNING again", limit, &args, |c| {
            node.running_now(&access, &ns, c)?;
            let now = c["status"]["tasks"][0]["workerId"].as_str().unwrap_or_default().to_owned();
            let on = now.split('.').next().unwrap_or_default().to_owned();
            if on != pod || pod_uid(&node, &ns, &on) != uid {
                Ok(())
            } else {
                Err(format!("still on the deleted {pod}"))
            }
        });
        let took = start.elapsed();
        let c = node.wait_running_now("bench-in RUNNING", &ns, "bench-in");
        let now = c["status"]["tasks"][0]["workerId"].as_str().unwrap_or_default().to_owned();
        println!(
            "deleted {pod} ({}) -> its task RUNNING again on {}: {took:.1?}",
            if leads { "the group's leader" } else { "not the leader" },
            now.split('.').next().unwrap_or_default()
        );
        ready(&node, &ns, 2);
    }
    node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
