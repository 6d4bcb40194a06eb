//! Latency from `kubectl apply` of a Connector to the connector existing on the real Kafka
//! Connect worker (the REST call has been made), and to RUNNING in the Connector's status:
//! median and p99 over 100 connectors, applied one after another.
//!
//! Needs the real environment: `tests/env/testenv up && source target/testenv/env`, then
//! `cargo bench -p sluice-e2e --bench connector_latency`. `SLUICE_BENCH_CONNECTORS` changes
//! the count. Resolution: the worker is polled every 5 ms, the status every 20 ms.

use std::time::{Duration, Instant};

use sluice_e2e::{Operator, TestEnv, http_get};

fn main() {
    let count: usize =
        std::env::var("SLUICE_BENCH_CONNECTORS").ok().and_then(|n| n.parse().ok()).unwrap_or(100);
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("latency");
    let _operator = Operator::start(&env, &ns, 30);
    let mut to_rest = Vec::new();
    let mut to_running = Vec::new();
    for i in 0..count {
        let name = format!("{ns}-c{i}");
        let yaml = format!(
            "apiVersion: sluice.dev/v1alpha1\nkind: Connector\nmetadata:\n  name: c{i}\n  namespace: {ns}\nspec:\n  name: {name}\n  class: org.apache.kafka.connect.file.FileStreamSourceConnector\n  taskMax: 1\n  configs:\n    file: /dev/null\n    topic: {name}\n  connectRest:\n    endpoint: {}\n",
            env.connect_url
        );
        let start = Instant::now();
        env.apply(&yaml);
        let deadline = start + Duration::from_secs(60);
        while http_get(&format!("{}/connectors/{name}", env.connect_url)).is_err() {
            assert!(Instant::now() < deadline, "{name} never reached the worker");
            std::thread::sleep(Duration::from_millis(5));
        }
        to_rest.push(start.elapsed());
        loop {
            let state = env.kubectl_ok(&[
                "get",
                "connector",
                &format!("c{i}"),
                "-n",
                &ns,
                "-o",
                "jsonpath={.status.connectorState}/{.status.tasksReady}",
            ]);
            if state == "RUNNING/1/1" {
                break;
            }
            assert!(Instant::now() < deadline, "{name} never RUNNING in status: {state}");
            std::thread::sleep(Duration::from_millis(20));
        }
        to_running.push(start.elapsed());
    }
    report("kubectl apply -> connector on the worker", &mut to_rest);
    report("kubectl apply -> RUNNING in status", &mut to_running);
    env.kubectl_ok(&["delete", "connectors", "--all", "-n", &ns, "--timeout=120s"]);
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| {
        samples[((samples.len() as f64 - 1.0) * q).round() as usize].as_secs_f64() * 1000.0
    };
    println!(
        "{what}: n={} median {:.0} ms, p99 {:.0} ms, max {:.0} ms",
        samples.len(),
        at(0.5),
        at(0.99),
        at(1.0)
    );
}
