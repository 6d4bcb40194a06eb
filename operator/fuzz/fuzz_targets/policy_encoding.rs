//! The policy host's encoding of inputs into a guest and of its answers back: arbitrary
//! restart and transform inputs through the bundled policies (built by
//! scripts/build-policies) either answer or fail as a policy error, never panic the host,
//! and an answer always fits what a status may hold.
#![no_main]

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use sluice::policy::host::NoServices;
use sluice::policy::limits::{MAX_CONFIG_BYTES, MAX_TEXT_BYTES};
use sluice::policy::{
    ConnectorStatus, EngineLimits, Grants, LoadedPolicy, PolicyEngine, RestartDecision,
    RestartHistory, RestartInput, RunState, TaskStatus, TransformInput,
};

const STATES: [RunState; 7] = [
    RunState::Unassigned,
    RunState::Running,
    RunState::Paused,
    RunState::Stopped,
    RunState::Failed,
    RunState::Restarting,
    RunState::Unknown,
];

struct Loaded {
    engine: PolicyEngine,
    restart: LoadedPolicy,
    transform: LoadedPolicy,
}

fn loaded() -> &'static Loaded {
    static LOADED: OnceLock<Loaded> = OnceLock::new();
    LOADED.get_or_init(|| {
        let dir = std::env::var("SLUICE_FUZZ_POLICIES").unwrap_or_else(|_| {
            concat!(env!("CARGO_MANIFEST_DIR"), "/../../target/policies").to_owned()
        });
        let read = |name: &str| {
            let path = format!("{dir}/{name}.wasm");
            std::fs::read(&path)
                .unwrap_or_else(|e| panic!("{path}: {e}: run scripts/build-policies first"))
        };
        let engine = PolicyEngine::new(EngineLimits::default(), None).expect("the engine");
        let restart = engine.load("backoff", &read("backoff"), None).expect("backoff loads");
        let transform =
            engine.load("secret-transform", &read("secret-transform"), None).expect("loads");
        Loaded { engine, restart, transform }
    })
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured) -> Result<()> {
    let l = loaded();
    if u.arbitrary()? {
        let input = restart_input(u)?;
        if let Ok((decision, _)) =
            l.engine.decide(&l.restart, &input, &Grants::default(), Arc::new(NoServices))
        {
            let reason = match &decision {
                RestartDecision::Nothing(r)
                | RestartDecision::RestartConnector(r)
                | RestartDecision::RestartFailedTasks(r)
                | RestartDecision::GiveUp(r) => r,
                RestartDecision::WaitUntil(w) => &w.reason,
            };
            assert!(reason.len() <= MAX_TEXT_BYTES);
        }
    } else {
        let input = TransformInput {
            connector_name: u.arbitrary()?,
            namespace: u.arbitrary()?,
            config: u.arbitrary()?,
            settings: u.arbitrary()?,
            extensions: u.arbitrary()?,
        };
        if let Ok((config, _)) =
            l.engine.transform(&l.transform, &input, &Grants::default(), Arc::new(NoServices))
        {
            let size: usize = config.iter().map(|(k, v)| k.len() + v.len()).sum();
            assert!(size <= MAX_CONFIG_BYTES);
        }
    }
    Ok(())
}

fn restart_input(u: &mut Unstructured) -> Result<RestartInput> {
    let mut tasks = Vec::new();
    for _ in 0..u.int_in_range(0..=4u8)? {
        tasks.push(TaskStatus {
            id: u.arbitrary()?,
            state: *u.choose(&STATES)?,
            worker_id: u.arbitrary()?,
            trace: u.arbitrary()?,
        });
    }
    Ok(RestartInput {
        connector: ConnectorStatus {
            name: u.arbitrary()?,
            namespace: u.arbitrary()?,
            state: *u.choose(&STATES)?,
            worker_id: u.arbitrary()?,
            trace: u.arbitrary()?,
            tasks,
        },
        history: RestartHistory {
            count: u.arbitrary()?,
            last_restart_ms: u.arbitrary()?,
            healthy_since_ms: u.arbitrary()?,
            max_retry: u.arbitrary()?,
        },
        settings: u.arbitrary()?,
        now_ms: u.arbitrary()?,
        extensions: u.arbitrary()?,
    })
}
