//! The operator's memory across the bad-input sweep (tests/src/bad_input.rs), round after
//! round: each round creates every case under a new name, waits until each accepted one has
//! concluded, and deletes them all. Flat memory means nothing of a deleted resource stays
//! behind. Needs the real environment:
//! `tests/env/testenv up && source target/testenv/env`, then
//! `cargo bench -p sluice-e2e --bench bad_input_sweep` (`SLUICE_SWEEP_ROUNDS`, default 3).

use std::time::Duration;

use sluice_e2e::bad_input::{self, create_all, wait_concluded};
use sluice_e2e::{Operator, TestEnv, fake_connect::FakeConnect};

fn main() {
    let rounds: usize =
        std::env::var("SLUICE_SWEEP_ROUNDS").ok().and_then(|n| n.parse().ok()).unwrap_or(3);
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("sweep-bench");
    let fake = FakeConnect::start();
    let op = Operator::start_with(&env, &ns, &["--resync-seconds", "5"]);
    op.wait_ok("/healthz");
    let cases = bad_input::cases(&ns, &fake.url);
    println!("{} cases; operator RSS at start {} KiB", cases.len(), bad_input::rss_kib(op.pid()));
    for round in 0..rounds {
        let sweep = create_all(&env, &cases, &format!("r{round}-"));
        wait_concluded(&env, &ns, &sweep, Duration::from_secs(300));
        let concluded_rss = bad_input::rss_kib(op.pid());
        env.kubectl_ok(&[
            "delete",
            "connectors,connects,policies",
            "--all",
            "-n",
            &ns,
            "--timeout=300s",
        ]);
        std::thread::sleep(Duration::from_secs(10));
        println!(
            "round {round}: {} refused, {} accepted; RSS {concluded_rss} KiB once concluded, {} KiB after deleting them",
            sweep.refused.len(),
            sweep.accepted.len(),
            bad_input::rss_kib(op.pid())
        );
    }
}
