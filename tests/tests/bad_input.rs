//! The bad-input sweep (issue 12): a generated table of some 600 malformed and hostile
//! Connectors, Connects and Policies (tests/src/bad_input.rs) created on the real API server
//! with an operator watching. Each is refused at admission with an answer that names the
//! field, or is accepted and ends in a condition with a message for its generation; the
//! operator neither panics nor stops answering. Its memory before and after is printed
//! (measured over several rounds by `cargo bench -p sluice-e2e --bench bad_input_sweep`).

use std::time::Duration;

use sluice_e2e::bad_input::{self, create_all, wait_concluded};
use sluice_e2e::{Operator, TestEnv, fake_connect::FakeConnect};

#[test]
fn hostile_resources_are_refused_naming_the_field_or_end_in_a_clear_condition() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("sweep");
    let fake = FakeConnect::start();
    let op = Operator::start_with(&env, &ns, &["--resync-seconds", "5"]);
    op.wait_ok("/healthz");
    let before = bad_input::rss_kib(op.pid());
    let cases = bad_input::cases(&ns, &fake.url);
    let sweep = create_all(&env, &cases, "");

    // A sample of the answers, for whoever reads the log.
    for (what, _, answer) in sweep.refused.iter().step_by(40) {
        println!("refused: {what}: {}", answer.lines().next().unwrap_or_default());
    }
    let unnamed: Vec<String> = sweep
        .refused
        .iter()
        .filter(|(_, field, answer)| {
            !field.as_deref().map_or(answer.contains("spec"), |f| bad_input::names_field(answer, f))
        })
        .map(|(what, _, answer)| format!("{what}: {answer}"))
        .collect();
    assert!(unnamed.is_empty(), "refused without naming the field: {unnamed:#?}");
    wait_concluded(&env, &ns, &sweep, Duration::from_secs(180));
    let (code, body) = op.endpoint("GET", "/healthz");
    assert_eq!(code, 200, "{body}");
    let log = op.log_text();
    assert!(!log.contains("panicked"), "the operator panicked during the sweep");
    println!(
        "{} cases: {} refused at admission, {} accepted and concluded; operator RSS {} KiB before, {} KiB after",
        cases.len(),
        sweep.refused.len(),
        sweep.accepted.len(),
        before,
        bad_input::rss_kib(op.pid())
    );
    assert!(sweep.refused.len() > 100 && sweep.accepted.len() > 50, "the table tests both paths");
}
