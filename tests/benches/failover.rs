//! Leader failover of operator processes on the real API server, with the chart's Lease
//! settings (15 s duration, 2 s renew): the time from the leader's end to the new leader's
//! first action, a create on the fake Connect worker of a Connector applied right after the
//! leader ended. Median of five, for a SIGTERM (the Lease is released) and for a `kill -9`
//! (the Lease must expire).
//!
//! Needs the real environment: `tests/env/testenv up && source target/testenv/env`, then
//! `cargo bench -p sluice-e2e --bench failover`.

use std::path::Path;
use std::time::{Duration, Instant};

use sluice_e2e::{
    Operator, TestEnv, fake_connect::FakeConnect, file_source_connector, lease_holder, wait_for,
};

const ROUNDS: usize = 5;
const LEASE: &str = "sluice-operator";
/// The chart's renew period, which is also the follower's retry period.
const RENEW: Duration = Duration::from_secs(2);

fn main() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("failover");
    let fake = FakeConnect::start();
    let args =
        ["--resync-seconds", "5", "--leader-elect", "true", "--leader-election-namespace", &ns];
    let start =
        |i: usize| Operator::start_instance(&env.kubeconfig, &ns, &format!("{ns}-{i}"), &args);
    let wait_leads = |op: &Operator| {
        wait_for("a leader", Duration::from_secs(120), || {
            let holder = lease_holder(&env, &ns, LEASE);
            if holder == op.instance { Ok(()) } else { Err(holder) }
        })
    };

    let mut next = 0;
    let mut leader = start(next);
    wait_leads(&leader);
    let mut figures = Vec::new();
    for graceful in [true, false] {
        let mut took = Vec::new();
        for round in 0..ROUNDS {
            next += 1;
            let follower = start(next);
            wait_for("the follower ready", Duration::from_secs(60), || {
                match follower.endpoint("GET", "/readyz") {
                    (200, _) => Ok(()),
                    (code, body) => Err(format!("{code} {body}")),
                }
            });
            // The follower tries every renew period, and is ready right after its first try:
            // leader ends spread evenly over that period sample every phase, not the worst.
            std::thread::sleep(RENEW * round as u32 / ROUNDS as u32);
            let name = format!("c{next}");
            let stopped = Instant::now();
            if graceful {
                leader.terminate(Duration::from_secs(30)).expect("the leader exits on SIGTERM");
            } else {
                let _ = std::process::Command::new("kill")
                    .args(["-KILL", &leader.pid().to_string()])
                    .status();
                let _ = leader.terminate(Duration::from_secs(5));
            }
            env.apply(&file_source_connector(&name, &ns, &name, Path::new("/dev/null"), &fake.url));
            let created =
                wait_for("the new leader's first create", Duration::from_secs(120), || {
                    fake.requests()
                        .into_iter()
                        .find(|r| r.method == "POST" && r.path == "/connectors" && r.at >= stopped)
                        .map(|r| r.at - stopped)
                        .ok_or_else(|| "no create yet".to_owned())
                });
            took.push(created);
            wait_leads(&follower);
            leader = follower;
        }
        took.sort();
        figures.push((
            if graceful { "SIGTERM (Lease released)" } else { "kill -9 (Lease expires)" },
            took,
        ));
    }
    for (how, took) in &figures {
        let all: Vec<String> = took.iter().map(|d| format!("{:.2}", d.as_secs_f64())).collect();
        println!(
            "{how:<28} median {:.2} s  (all: {} s)",
            took[ROUNDS / 2].as_secs_f64(),
            all.join(", ")
        );
    }
    // Sanity, not a timing target: a released Lease is taken within a few renew periods, and
    // an expiring one no sooner than the renew deadline.
    assert!(figures[0].1[ROUNDS / 2] < Duration::from_secs(10), "{figures:?}");
    assert!(figures[1].1[0] >= Duration::from_secs(10), "{figures:?}");
    env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
