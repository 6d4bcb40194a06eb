//! Latency from `kubectl apply` of a Connector to the connector existing on the real Kafka
//! Connect worker (the REST call has been made), and to RUNNING in the Connector's status:
//! median and p99 over 100 connectors, applied one after another.
//!
//! Needs the real environment: `tests/env/testenv up && source target/testenv/env`, then
//! `cargo bench -p sluice-e2e --bench connector_latency`. `SLUICE_BENCH_CONNECTORS` changes
//! the count, `SLUICE_BENCH_RESYNC` the operator's resync (seconds, default 30).
//! Resolution: the worker is polled every 5 ms, the status every 20 ms.
//!
//! `SLUICE_BENCH_HOSTILE=N` first gives the same operator N failing connectors for each of
//! four hostile restart policies (a Python sleep, a loop burning its whole fuel, a host-call
//! flood, a memory hog), asked again at every resync while the connectors are measured:
//! compare with a run of the same resync without them.

use std::time::{Duration, Instant};

use sluice_e2e::{Operator, TestEnv, http_get, wait_for};

const HOSTILE: [(&str, &str, &str); 4] = [
    ("sleeper", "python-sleep.wasm", "sleep"),
    ("looper", "guest-hostile.wasm", "loop"),
    ("flooder", "guest-hostile.wasm", "host-call-flood"),
    ("hog", "guest-hostile.wasm", "memory"),
];

fn main() {
    let number = |name: &str, default: u32| -> u32 {
        std::env::var(name).ok().and_then(|n| n.parse().ok()).unwrap_or(default)
    };
    let count = number("SLUICE_BENCH_CONNECTORS", 100) as usize;
    let resync = number("SLUICE_BENCH_RESYNC", 30);
    let hostile = number("SLUICE_BENCH_HOSTILE", 0);
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("latency");
    let _operator = Operator::start(&env, &ns, resync);
    if hostile > 0 {
        start_hostile(&env, &ns, hostile);
    }
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

/// Hostile Policies and `per_policy` failing connectors asking each, all decided at least
/// once before the measured connectors are applied.
fn start_hostile(env: &TestEnv, ns: &str, per_policy: u32) {
    for (policy, file, mode) in HOSTILE {
        env.apply(&format!(
            "apiVersion: sluice.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: {policy}\n  namespace: {ns}\nspec:\n  module:\n    file: {file}\n  settings:\n    mode: {mode}\n  limits:\n    fuel: 1000000000\n    timeoutMs: 5000\n"
        ));
        for i in 0..per_policy {
            let name = format!("{ns}-{policy}-{i}");
            let file = env.work_dir.join(format!("{name}-never/out.txt"));
            env.apply(&format!(
                "apiVersion: sluice.dev/v1alpha1\nkind: Connector\nmetadata:\n  name: {policy}-{i}\n  namespace: {ns}\nspec:\n  name: {name}\n  class: org.apache.kafka.connect.file.FileStreamSinkConnector\n  taskMax: 1\n  configs:\n    file: {}\n    topics: {name}\n  restartPolicy:\n    type: Policy\n    policyRef:\n      name: {policy}\n  connectRest:\n    endpoint: {}\n",
                file.display(),
                env.connect_url
            ));
        }
    }
    for (policy, ..) in HOSTILE {
        for i in 0..per_policy {
            let resource = format!("{policy}-{i}");
            wait_for(&format!("{resource}'s first decision"), Duration::from_secs(120), || {
                let reason = env.kubectl_ok(&[
                    "get",
                    "connector",
                    &resource,
                    "-n",
                    ns,
                    "-o",
                    "jsonpath={.status.lastDecision.reason}",
                ]);
                if reason.contains("restart policy") { Ok(()) } else { Err(reason) }
            });
        }
    }
    println!("{} hostile connectors are being decided", per_policy * HOSTILE.len() as u32);
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
