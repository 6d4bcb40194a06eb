//! The Connector planner's cost per connector: one `plan` call for a settled connector (the
//! steady state, run for every connector every resync) and for a failed one (restart
//! decision included). `cargo bench -p sluice --bench planner`.

use std::collections::BTreeMap;

use criterion::{Criterion, criterion_group, criterion_main};
use jiff::Timestamp;
use sluice::connect_rest::ExpandedConnector;
use sluice::connector::{
    DesiredConnector, ObservedConnector, PlanInput, plan,
    restart::{BackoffSettings, RestartHistory},
};
use sluice::crd::{ConnectorTargetState, RestartPolicyType};

fn config(n: usize) -> BTreeMap<String, String> {
    let mut c: BTreeMap<String, String> =
        (0..n).map(|i| (format!("key.{i}"), format!("value-{i}"))).collect();
    c.insert("name".into(), "bench".into());
    c
}

fn observed(state: &str, task_state: &str) -> ObservedConnector {
    let entry: ExpandedConnector = serde_json::from_value(serde_json::json!({
        "status": {"name": "bench", "connector": {"state": state, "worker_id": "w:8083"},
                   "tasks": [{"id": 0, "state": task_state, "worker_id": "w:8083"},
                             {"id": 1, "state": "RUNNING", "worker_id": "w:8083"}], "type": "source"},
        "info": {"name": "bench", "config": config(20), "tasks": [], "type": "source"}
    }))
    .expect("a valid listing entry");
    ObservedConnector::from_expanded(&entry).expect("has info")
}

fn bench(c: &mut Criterion) {
    let desired = DesiredConnector {
        name: "bench".into(),
        config: config(20),
        state: ConnectorTargetState::Running,
    };
    let now = Timestamp::from_second(1_700_000_000).unwrap();
    let input = |observed| PlanInput {
        desired: &desired,
        observed,
        owned: Some("bench"),
        previous: None,
        adopt: sluice::connector::Adoption::NotAsked,
        one_offs: &[],
        held: None,
        restart_policy: RestartPolicyType::OnFailure,
        max_retry: 10,
        history: RestartHistory::default(),
        policy_decision: None,
        backoff: BackoffSettings::default(),
        now,
        worker_version: None,
    };
    let settled = observed("RUNNING", "RUNNING");
    let failed = observed("RUNNING", "FAILED");
    c.bench_function("plan/settled connector, 20 config keys, 2 tasks", |b| {
        b.iter(|| plan(std::hint::black_box(&input(Some(&settled)))))
    });
    c.bench_function("plan/failed task, restart decision", |b| {
        b.iter(|| plan(std::hint::black_box(&input(Some(&failed)))))
    });
    c.bench_function("observe/parse one listing entry", |b| {
        let entry: ExpandedConnector = serde_json::from_value(serde_json::json!({
            "status": {"name": "bench", "connector": {"state": "RUNNING", "worker_id": "w"}, "tasks": [], "type": "source"},
            "info": {"name": "bench", "config": config(20), "tasks": [], "type": "source"}
        }))
        .unwrap();
        b.iter(|| ObservedConnector::from_expanded(std::hint::black_box(&entry)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
