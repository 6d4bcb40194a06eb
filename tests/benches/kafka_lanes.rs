//! Figures of Connect clusters by Kafka lane on the real node, with the operator in the
//! cluster: for the default Kafka (4.x) and the legacy lane (3.9), on Sluice's worker image,
//! - `kubectl apply` of a Connect of three workers → all three Ready, which means serving
//!   (`sluice-probe`: `GET /health` 200): median of `SLUICE_BENCH_ROUNDS` (3);
//! - a roll (a `configOverrides.server` change) → all three replaced and Ready, and that
//!   time divided by three: the time a roll takes per worker;
//! - each lane's worker image archive, as `scripts/build-images` packs it.
//!
//! Needs the node: `SLUICE_TESTENV_DIR=target/testenv-node tests/env/testenv up node`, then
//! `SLUICE_NODE_ENV=target/testenv-node/env cargo bench -p sluice-e2e --bench kafka_lanes`.
//! Resolution: the API server is polled every 250 ms.

use std::time::{Duration, Instant};

use serde_json::Value;
use sluice_e2e::{
    http_server::{Reply, Server},
    node::{NodeEnv, condition, connect_file_archive, connect_image, url_example},
    plugins::sha512,
    repo_root,
};

const LIMIT: Duration = Duration::from_secs(600);

fn poll(node: &NodeEnv, args: &[&str], done: impl Fn(&Value) -> bool) -> Value {
    node.poll(LIMIT, args, done)
}

fn version(key: &str) -> String {
    let versions = std::fs::read_to_string(repo_root().join("tests/env/versions.env")).unwrap();
    versions.lines().find_map(|l| l.strip_prefix(&format!("{key}="))).unwrap().to_owned()
}

fn uids(node: &NodeEnv, ns: &str) -> Vec<(String, bool)> {
    let pods =
        node.env.get_json(&["get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance=connect"]);
    pods["items"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let ready = condition(p, "Ready")["status"] == "True";
            (p["metadata"]["uid"].as_str().unwrap_or_default().to_owned(), ready)
        })
        .collect()
}

/// Seconds from apply to three workers Ready, and from a config change to all three
/// replaced and Ready.
fn round(node: &NodeEnv, server: &Server, kafka: &str) -> (f64, f64) {
    let ns = node.restricted_namespace("bench-lane");
    let archive = connect_file_archive(node, &[]);
    let url = server.route(&format!("/{ns}/connect-file.zip"), Reply::Bytes(archive.clone()));
    let yaml = url_example(&ns, &url, &sha512(&archive), &node.kafka_bootstrap)
        .replace(&connect_image(), &format!("localhost/sluice/kafka-connect:{kafka}"))
        .replace("replicas: 2", "replicas: 3");
    let start = Instant::now();
    node.env.apply(&yaml);
    let ready = |node: &NodeEnv| {
        poll(node, &["get", "connect", "connect", "-n", &ns], |c| {
            condition(c, "Ready")["status"] == "True" && c["status"]["readyReplicas"] == 3
        })
    };
    ready(node);
    let up = start.elapsed().as_secs_f64();
    let before: Vec<String> = uids(node, &ns).into_iter().map(|(u, _)| u).collect();
    let start = Instant::now();
    node.env.kubectl_ok(&[
        "patch",
        "connect",
        "connect",
        "-n",
        &ns,
        "--type=merge",
        "-p",
        r#"{"spec":{"configOverrides":{"server":["offset.flush.interval.ms=7000"]}}}"#,
    ]);
    let deadline = Instant::now() + LIMIT;
    loop {
        let now = uids(node, &ns);
        if now.len() == 3 && now.iter().all(|(u, ready)| *ready && !before.contains(u)) {
            break;
        }
        assert!(Instant::now() < deadline, "the roll did not end");
        std::thread::sleep(Duration::from_millis(250));
    }
    let roll = start.elapsed().as_secs_f64();
    node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
    (up, roll)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let node = NodeEnv::require();
    node.install_operator();
    let rounds: usize =
        std::env::var("SLUICE_BENCH_ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(3);
    let server = Server::start_on(&node.node_ip);
    let archives = std::process::Command::new(repo_root().join("scripts/build-images"))
        .arg("--archives")
        .output()
        .expect("scripts/build-images");
    let archives = String::from_utf8_lossy(&archives.stdout).into_owned();
    for key in ["KAFKA_VERSION", "KAFKA_LEGACY_VERSION"] {
        let kafka = version(key);
        let (mut ups, mut rolls) = (Vec::new(), Vec::new());
        for _ in 0..rounds {
            let (up, roll) = round(&node, &server, &kafka);
            ups.push(up);
            rolls.push(roll);
        }
        let fmt = |v: &[f64]| v.iter().map(|s| format!("{s:.1}")).collect::<Vec<_>>().join(", ");
        println!(
            "Kafka {kafka}: apply → 3 workers Ready (serving): median {:.1} s of {rounds} ({})",
            median(ups.clone()),
            fmt(&ups)
        );
        println!(
            "Kafka {kafka}: roll of 3 workers → all replaced and Ready: median {:.1} s of {rounds} ({}); per worker {:.1} s",
            median(rolls.clone()),
            fmt(&rolls),
            median(rolls.clone()) / 3.0
        );
        let image = archives
            .lines()
            .find(|a| a.contains(&format!("/connect-{kafka}-")))
            .unwrap_or_else(|| panic!("no worker image archive of Kafka {kafka} in {archives}"));
        let bytes = std::fs::metadata(image).map(|m| m.len()).unwrap_or(0);
        println!(
            "Kafka {kafka}: worker image archive {:.0} MiB ({image})",
            bytes as f64 / 1048576.0
        );
    }
}
