//! The connector planner, from arbitrary desired and observed states, annotations and
//! histories: it never panics, and whatever it is given it keeps the rules that protect
//! other people's connectors.
#![no_main]

use std::collections::BTreeMap;

use jiff::Timestamp;
use libfuzzer_sys::arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use sluice::connect::worker_version::KafkaVersion;
use sluice::connector::annotations::{self, one_offs};
use sluice::connector::observed::ObservedTask;
use sluice::connector::plan::{Action, Adoption};
use sluice::connector::restart::{BackoffSettings, RestartHistory};
use sluice::connector::{ConnectorRunState, DesiredConnector, ObservedConnector, PlanInput, plan};
use sluice::crd::{ConnectorTargetState, RestartPolicyType};

const STATES: [&str; 7] =
    ["RUNNING", "PAUSED", "STOPPED", "FAILED", "UNASSIGNED", "RESTARTING", "garbage"];
const TARGETS: [ConnectorTargetState; 3] =
    [ConnectorTargetState::Running, ConnectorTargetState::Paused, ConnectorTargetState::Stopped];
const POLICIES: [RestartPolicyType; 3] =
    [RestartPolicyType::Never, RestartPolicyType::OnFailure, RestartPolicyType::Policy];
const ANNOTATIONS: [&str; 4] = [
    annotations::RESTART_CONNECTOR,
    annotations::RESTART_TASK,
    annotations::PAUSE_CONNECTOR,
    annotations::RESUME_CONNECTOR,
];

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured) -> Result<()> {
    let name: String = u.arbitrary()?;
    let config: BTreeMap<String, String> = u.arbitrary()?;
    let desired = DesiredConnector { name: name.clone(), config, state: *u.choose(&TARGETS)? };
    let observed = if u.arbitrary()? { Some(observed(u, &desired)?) } else { None };
    let owned = match u.int_in_range(0..=2u8)? {
        0 => None,
        1 => Some(name.clone()),
        _ => Some(u.arbitrary::<String>()?),
    };
    let previous: Option<(String, bool)> = u.arbitrary()?;
    let how: String = u.arbitrary()?;
    let adopt = match u.int_in_range(0..=2u8)? {
        0 => Adoption::NotAsked,
        1 => Adoption::Allowed,
        _ => Adoption::Refused { how: &how },
    };
    let mut marks = BTreeMap::new();
    for key in ANNOTATIONS {
        if u.arbitrary()? {
            marks.insert(key.to_owned(), u.arbitrary::<String>()?);
        }
    }
    let requests = one_offs(&marks);
    let now = Timestamp::from_second(u.int_in_range(0..=4_000_000_000i64)?).expect("in range");
    let history = RestartHistory {
        count: u.arbitrary()?,
        last_restart: None,
        healthy_since: None,
    };
    let input = PlanInput {
        desired: &desired,
        observed: observed.as_ref(),
        owned: owned.as_deref(),
        previous: previous.as_ref().map(|(n, exists)| (n.as_str(), *exists)),
        adopt,
        one_offs: &requests,
        held: if u.arbitrary()? { Some(*u.choose(&TARGETS)?) } else { None },
        restart_policy: *u.choose(&POLICIES)?,
        max_retry: u.arbitrary()?,
        history,
        policy_decision: None,
        backoff: BackoffSettings::default(),
        now,
        // Unknown, or a Kafka line from 3.0 to 4.9: older workers lack calls.
        worker_version: if u.arbitrary()? {
            Some(KafkaVersion { major: u.int_in_range(3..=4)?, minor: u.int_in_range(0..=9)? })
        } else {
            None
        },
    };
    let out = plan(&input);

    let creates = out.actions.iter().filter(|a| matches!(a, Action::Create { .. })).count();
    match &observed {
        // Nothing there: the one thing to do is create it, under a claim.
        None if out.blocked.is_some() => assert_eq!(creates, 0, "{:?}", out.actions),
        None => {
            assert_eq!(creates, 1, "{:?}", out.actions);
            assert_eq!(out.claim.as_deref(), Some(desired.name.as_str()));
        }
        Some(_) => assert_eq!(creates, 0, "created a connector that exists: {:?}", out.actions),
    }
    // A connector someone else made is never touched unless adoption is allowed.
    let owns = owned.as_deref() == Some(desired.name.as_str());
    if observed.is_some() && !owns && input.adopt != Adoption::Allowed {
        assert!(out.actions.is_empty(), "touched a connector not its own: {:?}", out.actions);
        assert!(out.blocked.is_some());
    }
    if out.blocked.is_some() {
        assert!(out.actions.is_empty());
    }
    // A config update restarts the connector anyway: no restart by policy beside it.
    if out.actions.contains(&Action::UpdateConfig) {
        assert!(!out.actions.contains(&Action::RestartFailed), "{:?}", out.actions);
    }
    Ok(())
}

fn observed(u: &mut Unstructured, desired: &DesiredConnector) -> Result<ObservedConnector> {
    // Often the desired config itself, so the settled paths are reached too.
    let config = if u.arbitrary()? { desired.config.clone() } else { u.arbitrary()? };
    let raw: Option<&str> = if u.arbitrary()? { Some(*u.choose(&STATES)?) } else { None };
    let mut tasks = Vec::new();
    for _ in 0..u.int_in_range(0..=4u8)? {
        let raw = *u.choose(&STATES)?;
        tasks.push(ObservedTask {
            id: u.int_in_range(0..=8)?,
            state: ConnectorRunState::parse(raw),
            raw_state: raw.to_owned(),
            worker_id: u.arbitrary()?,
            trace: u.arbitrary()?,
        });
    }
    tasks.sort_by_key(|t| t.id);
    Ok(ObservedConnector {
        config,
        state: raw.map(ConnectorRunState::parse),
        raw_state: raw.map(str::to_owned),
        worker_id: u.arbitrary()?,
        trace: u.arbitrary()?,
        tasks,
    })
}
