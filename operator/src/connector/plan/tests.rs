//! The planner's state table: desired × observed × history → actions.

use std::collections::BTreeMap;

use super::*;
use crate::connector::annotations::{self, OneOff};
use crate::connector::observed::ObservedTask;

fn now() -> Timestamp {
    Timestamp::from_second(1_700_000_000).unwrap()
}

fn desired(state: ConnectorTargetState) -> DesiredConnector {
    DesiredConnector {
        name: "c".into(),
        config: BTreeMap::from([("name".into(), "c".into()), ("k".into(), "v".into())]),
        state,
    }
}

fn observed(state: &str, tasks: &[&str], k: &str) -> ObservedConnector {
    ObservedConnector {
        config: BTreeMap::from([("name".into(), "c".into()), ("k".into(), k.into())]),
        state: Some(ConnectorRunState::parse(state)),
        raw_state: Some(state.into()),
        worker_id: None,
        trace: None,
        tasks: tasks
            .iter()
            .enumerate()
            .map(|(i, s)| ObservedTask {
                id: i as i32,
                state: ConnectorRunState::parse(s),
                raw_state: (*s).into(),
                worker_id: None,
                trace: None,
            })
            .collect(),
    }
}

fn input<'a>(d: &'a DesiredConnector, o: Option<&'a ObservedConnector>) -> PlanInput<'a> {
    PlanInput {
        desired: d,
        observed: o,
        owned: Some("c"),
        previous: None,
        adopt: Adoption::NotAsked,
        one_offs: &[],
        held: None,
        restart_policy: RestartPolicyType::OnFailure,
        max_retry: 10,
        history: RestartHistory::default(),
        policy_decision: None,
        backoff: BackoffSettings::default(),
        now: now(),
        worker_version: None,
    }
}

#[test]
fn a_missing_connector_is_created_in_its_target_state() {
    for (target, initial) in [
        (ConnectorTargetState::Running, InitialState::Running),
        (ConnectorTargetState::Paused, InitialState::Paused),
        (ConnectorTargetState::Stopped, InitialState::Stopped),
    ] {
        let d = desired(target);
        let p = plan(&input(&d, None));
        assert_eq!(p.actions, vec![Action::Create { initial_state: Some(initial) }]);
        assert_eq!(p.claim.as_deref(), Some("c"), "the name is claimed before creating");
    }
}

#[test]
fn a_matching_connector_needs_nothing() {
    let d = desired(ConnectorTargetState::Running);
    let o = observed("RUNNING", &["RUNNING"], "v");
    let p = plan(&input(&d, Some(&o)));
    assert!(p.actions.is_empty());
    assert_eq!(p.claim, None);
    assert_eq!(p.decision, None);
}

#[test]
fn a_changed_config_is_put_once_and_not_restarted_on_top() {
    let d = desired(ConnectorTargetState::Running);
    let o = observed("RUNNING", &["FAILED"], "old");
    assert_eq!(plan(&input(&d, Some(&o))).actions, vec![Action::UpdateConfig]);
}

/// Every target state against every observed connector state, healthy tasks, no history.
#[test]
fn state_table() {
    use Action::{Pause, RestartConnector, RestartFailed, Resume, Stop};
    use ConnectorTargetState as T;
    let cases: &[(T, &str, &[Action])] = &[
        (T::Running, "RUNNING", &[]),
        (T::Running, "PAUSED", &[Resume]),
        (T::Running, "STOPPED", &[Resume]),
        // The worker's target may be paused under a FAILED status: resume, then restart.
        (T::Running, "FAILED", &[Resume, RestartFailed]),
        (T::Running, "UNASSIGNED", &[]),
        (T::Running, "RESTARTING", &[]),
        (T::Running, "SOMETHING_NEW", &[]),
        (T::Paused, "RUNNING", &[Pause]),
        (T::Paused, "PAUSED", &[]),
        (T::Paused, "STOPPED", &[Pause]),
        // Paused, a FAILED connector stays FAILED until restarted; then it comes up PAUSED.
        (T::Paused, "FAILED", &[Pause, RestartConnector]),
        (T::Paused, "UNASSIGNED", &[Pause]),
        (T::Paused, "RESTARTING", &[]),
        (T::Stopped, "RUNNING", &[Stop]),
        (T::Stopped, "PAUSED", &[Stop]),
        (T::Stopped, "STOPPED", &[]),
        (T::Stopped, "FAILED", &[Stop]),
        (T::Stopped, "UNASSIGNED", &[Stop]),
        (T::Stopped, "RESTARTING", &[]),
    ];
    for (target, state, expected) in cases {
        let d = desired(*target);
        let o = observed(state, &[], "v");
        let got = plan(&input(&d, Some(&o))).actions;
        assert_eq!(got, *expected, "{target:?} x {state}");
    }
}

/// connector state, task states, policy, maxRetry, restarts so far, last restart, decision.
type RestartCase<'a> =
    (&'a str, &'a [&'a str], RestartPolicyType, u32, u32, Option<Timestamp>, &'a str);

/// Failures × restart policy × history.
#[test]
fn restart_table() {
    let backoff = BackoffSettings::default();
    let recent = Some(now());
    let long_ago = Some(Timestamp::from_second(1_600_000_000).unwrap());
    let cases: &[RestartCase] = &[
        ("RUNNING", &["RUNNING"], RestartPolicyType::OnFailure, 10, 0, None, "-"),
        ("RUNNING", &["FAILED"], RestartPolicyType::OnFailure, 10, 0, None, "RestartFailedTasks"),
        ("FAILED", &[], RestartPolicyType::OnFailure, 10, 0, None, "RestartFailedTasks"),
        ("RUNNING", &["FAILED"], RestartPolicyType::OnFailure, 10, 1, recent, "Wait"),
        (
            "RUNNING",
            &["FAILED"],
            RestartPolicyType::OnFailure,
            10,
            1,
            long_ago,
            "RestartFailedTasks",
        ),
        ("RUNNING", &["FAILED"], RestartPolicyType::OnFailure, 2, 2, long_ago, "GiveUp"),
        ("RUNNING", &["FAILED"], RestartPolicyType::OnFailure, 0, 0, None, "GiveUp"),
        ("FAILED", &["FAILED"], RestartPolicyType::Never, 10, 0, None, "None"),
    ];
    for (state, tasks, policy, max_retry, count, last, expected) in cases {
        let d = desired(ConnectorTargetState::Running);
        let o = observed(state, tasks, "v");
        let mut i = input(&d, Some(&o));
        i.restart_policy = *policy;
        i.max_retry = *max_retry;
        i.history = RestartHistory { count: *count, last_restart: *last, healthy_since: None };
        i.backoff = backoff;
        let p = plan(&i);
        let got = p.decision.as_ref().map(|d| d.name()).unwrap_or("-");
        assert_eq!(got, *expected, "{state} {tasks:?} {policy:?} max {max_retry} count {count}");
        let restarted = p.actions.contains(&Action::RestartFailed);
        assert_eq!(restarted, *expected == "RestartFailedTasks");
        if restarted {
            assert_eq!(p.history.count, count + 1);
            assert_eq!(p.history.last_restart, Some(now()));
        } else {
            assert_eq!(p.history.count, *count);
        }
    }
}

#[test]
fn a_paused_connector_with_a_failed_task_is_not_restarted() {
    let d = desired(ConnectorTargetState::Paused);
    let o = observed("PAUSED", &["FAILED"], "v");
    let p = plan(&input(&d, Some(&o)));
    assert!(p.actions.is_empty());
    assert_eq!(p.decision, None);
}

#[test]
fn a_connector_without_status_yet_gets_no_state_action() {
    let mut o = observed("RUNNING", &[], "v");
    o.state = None;
    let d = desired(ConnectorTargetState::Paused);
    assert!(plan(&input(&d, Some(&o))).actions.is_empty());
}

#[test]
fn a_connector_sluice_did_not_create_is_left_alone() {
    let d = desired(ConnectorTargetState::Running);
    let o = observed("RUNNING", &[], "someone-elses");
    let mut i = input(&d, Some(&o));
    i.owned = None;
    let p = plan(&i);
    assert!(p.actions.is_empty());
    assert!(p.blocked.as_ref().unwrap().message.contains("sluice.dev/adopt=true"));
    // Asking is not enough: the Connect cluster's owner must allow it.
    i.adopt = Adoption::Refused { how: "its owner can set allowAdoption" };
    let p = plan(&i);
    assert!(p.actions.is_empty());
    assert_eq!(p.claim, None);
    let why = p.blocked.unwrap().message;
    assert!(why.contains("does not allow adoption: its owner can set allowAdoption"), "{why}");
    i.adopt = Adoption::Allowed;
    let p = plan(&i);
    assert_eq!(p.actions, vec![Action::UpdateConfig]);
    assert_eq!(p.claim.as_deref(), Some("c"));
}

#[test]
fn a_rename_creates_the_new_connector_first_then_deletes_the_old() {
    let d = desired(ConnectorTargetState::Running);
    let mut i = input(&d, None);
    i.owned = Some("old");
    let first = plan(&i);
    assert_eq!(first.actions, vec![Action::Create { initial_state: Some(InitialState::Running) }]);
    assert_eq!(first.claim.as_deref(), Some("c"));
    assert_eq!(first.previous.as_deref(), Some("old"));

    let o = observed("RUNNING", &["RUNNING"], "v");
    let mut i = input(&d, Some(&o));
    i.previous = Some(("old", true));
    let second = plan(&i);
    assert_eq!(second.actions, vec![Action::DeletePrevious("old".into())]);
    assert_eq!(second.previous, None);

    i.previous = Some(("old", false));
    assert!(plan(&i).actions.is_empty(), "an old name already gone needs no call");
}

#[test]
fn a_rename_onto_a_connector_sluice_did_not_create_takes_nothing_over() {
    let d = desired(ConnectorTargetState::Running);
    let victim = observed("RUNNING", &["RUNNING"], "someone-elses");
    let mut i = input(&d, Some(&victim));
    i.owned = Some("mine");
    let p = plan(&i);
    assert!(p.actions.is_empty(), "nothing is written: {:?}", p.actions);
    assert_eq!(p.claim, None, "the name is not claimed, so a delete cannot remove it");
    assert_eq!(p.previous, None, "the old name is still the one owned, not one to delete");
    let why = p.blocked.unwrap().message;
    assert!(why.contains("spec.name was changed from mine to c"), "{why}");
    assert!(why.contains("did not create it"), "{why}");

    // Adopting it is a decision the user makes out loud, where the cluster's owner allows it.
    i.adopt = Adoption::Allowed;
    let p = plan(&i);
    assert_eq!(p.actions, vec![Action::UpdateConfig]);
    assert_eq!(p.claim.as_deref(), Some("c"));
    assert_eq!(p.previous.as_deref(), Some("mine"));
}

#[test]
fn annotations_act_once_and_are_cleared() {
    let d = desired(ConnectorTargetState::Running);
    let o = observed("RUNNING", &["RUNNING", "RUNNING"], "v");
    let requests = annotations::one_offs(&BTreeMap::from([
        (annotations::RESTART_CONNECTOR.to_owned(), "true".to_owned()),
        (annotations::RESTART_TASK.to_owned(), "1".to_owned()),
    ]));
    let mut i = input(&d, Some(&o));
    i.one_offs = &requests;
    let p = plan(&i);
    assert_eq!(p.actions, vec![Action::RestartConnector, Action::RestartTask(1)]);
    assert_eq!(
        p.clear_annotations,
        vec![annotations::RESTART_CONNECTOR, annotations::RESTART_TASK]
    );
}

#[test]
fn a_restart_of_a_missing_task_is_a_warning_not_a_call() {
    let d = desired(ConnectorTargetState::Running);
    let o = observed("RUNNING", &["RUNNING"], "v");
    let requests =
        [OneOff { annotation: annotations::RESTART_TASK, request: Ok(Request::RestartTask(5)) }];
    let mut i = input(&d, Some(&o));
    i.one_offs = &requests;
    let p = plan(&i);
    assert!(p.actions.is_empty());
    assert_eq!(
        p.warnings,
        vec!["sluice.dev/restart-task: the connector has no task 5 (its tasks: 0)"]
    );
    assert_eq!(p.clear_annotations, vec![annotations::RESTART_TASK]);
}

#[test]
fn pause_annotation_holds_until_resume() {
    let d = desired(ConnectorTargetState::Running);
    let running = observed("RUNNING", &["RUNNING"], "v");
    let pause = [OneOff { annotation: annotations::PAUSE_CONNECTOR, request: Ok(Request::Pause) }];
    let mut i = input(&d, Some(&running));
    i.one_offs = &pause;
    let p = plan(&i);
    assert_eq!(p.actions, vec![Action::Pause]);
    assert_eq!(p.hold, Some(ConnectorTargetState::Paused));

    let paused = observed("PAUSED", &["PAUSED"], "v");
    let mut i = input(&d, Some(&paused));
    i.held = Some(ConnectorTargetState::Paused);
    assert!(plan(&i).actions.is_empty(), "the hold keeps it paused against spec.state running");

    let resume =
        [OneOff { annotation: annotations::RESUME_CONNECTOR, request: Ok(Request::Resume) }];
    i.one_offs = &resume;
    assert_eq!(plan(&i).actions, vec![Action::Resume]);
}

#[test]
fn a_bad_annotation_value_is_cleared_with_a_warning() {
    let d = desired(ConnectorTargetState::Running);
    let o = observed("RUNNING", &["RUNNING"], "v");
    let bad = annotations::one_offs(&BTreeMap::from([(
        annotations::PAUSE_CONNECTOR.to_owned(),
        "please".to_owned(),
    )]));
    let mut i = input(&d, Some(&o));
    i.one_offs = &bad;
    let p = plan(&i);
    assert!(p.actions.is_empty());
    assert_eq!(p.clear_annotations, vec![annotations::PAUSE_CONNECTOR]);
    assert_eq!(p.warnings.len(), 1);
}

#[test]
fn annotations_wait_until_the_connector_exists() {
    let d = desired(ConnectorTargetState::Running);
    let requests = annotations::one_offs(&BTreeMap::from([(
        annotations::RESTART_CONNECTOR.to_owned(),
        "true".to_owned(),
    )]));
    let mut i = input(&d, None);
    i.one_offs = &requests;
    let p = plan(&i);
    assert!(p.clear_annotations.is_empty());
}

#[test]
fn a_policy_decision_overrides_the_built_in_one() {
    let d = desired(ConnectorTargetState::Running);
    let o = observed("RUNNING", &["FAILED"], "v");
    let mut i = input(&d, Some(&o));
    i.policy_decision = Some(Decision::GiveUp { reason: "policy says no".into() });
    let p = plan(&i);
    assert!(p.actions.is_empty());
    assert_eq!(p.decision, Some(Decision::GiveUp { reason: "policy says no".into() }));
}

#[test]
fn a_policy_may_restart_the_whole_connector_and_an_annotation_is_not_doubled() {
    let d = desired(ConnectorTargetState::Running);
    let o = observed("RUNNING", &["FAILED"], "v");
    let requests = annotations::one_offs(&BTreeMap::from([(
        annotations::RESTART_CONNECTOR.to_owned(),
        "true".to_owned(),
    )]));
    for with_annotation in [false, true] {
        let mut i = input(&d, Some(&o));
        i.policy_decision = Some(Decision::RestartConnector { reason: "stuck".into() });
        if with_annotation {
            i.one_offs = &requests;
        }
        let p = plan(&i);
        let restarts = p.actions.iter().filter(|a| **a == Action::RestartConnector).count();
        assert_eq!(restarts, 1, "{:?}", p.actions);
        assert!(!p.actions.contains(&Action::RestartFailed));
        // The annotation's restart is the user's, not an automatic one: it is not counted.
        assert_eq!(p.history.count, u32::from(!with_annotation));
    }
}

/// A small model of a Connect worker: what each call does to a connector, as the
/// conformance suite shows the real worker doing it (`tests/tests/connect_conformance.rs`).
/// The worker keeps a target state beside the status it reports: a FAILED connector stays
/// FAILED when paused or resumed, and a restart brings it up in its target state.
#[derive(Debug, Clone)]
struct ModelWorker {
    target: ConnectorTargetState,
    connector: Option<ObservedConnector>,
}

fn model_tasks(n: usize, state: &str) -> Vec<ObservedTask> {
    (0..n)
        .map(|i| ObservedTask {
            id: i as i32,
            state: ConnectorRunState::parse(state),
            raw_state: state.into(),
            worker_id: None,
            trace: None,
        })
        .collect()
}

fn set_state(c: &mut ObservedConnector, state: &str) {
    c.state = Some(ConnectorRunState::parse(state));
    c.raw_state = Some(state.into());
}

fn set_task(t: &mut ObservedTask, state: &str) {
    t.state = ConnectorRunState::parse(state);
    t.raw_state = state.into();
}

impl ModelWorker {
    fn run_state(&self) -> &'static str {
        match self.target {
            ConnectorTargetState::Running => "RUNNING",
            ConnectorTargetState::Paused => "PAUSED",
            ConnectorTargetState::Stopped => "STOPPED",
        }
    }

    /// The connector (re)started in its target state: running, it makes its tasks when it
    /// has none; paused, it keeps what it has, paused; stopped, it has none.
    fn start(&mut self, max_tasks: usize, tasks_too: bool) {
        let run = self.run_state();
        let Some(c) = self.connector.as_mut() else { return };
        set_state(c, run);
        c.trace = None;
        match run {
            "STOPPED" => c.tasks.clear(),
            "RUNNING" if c.tasks.is_empty() => c.tasks = model_tasks(max_tasks, run),
            _ if tasks_too => c.tasks.iter_mut().for_each(|t| set_task(t, run)),
            _ => {}
        }
    }

    fn apply(&mut self, desired: &DesiredConnector, action: &Action) {
        let max_tasks = desired.config["tasks.max"].parse().unwrap();
        match action {
            Action::Create { initial_state } => {
                self.target = match initial_state {
                    None | Some(InitialState::Running) => ConnectorTargetState::Running,
                    Some(InitialState::Paused) => ConnectorTargetState::Paused,
                    Some(InitialState::Stopped) => ConnectorTargetState::Stopped,
                };
                let run = self.run_state();
                // Created paused or stopped, it has made no tasks yet.
                let tasks = if run == "RUNNING" { max_tasks } else { 0 };
                self.connector = Some(ObservedConnector {
                    config: desired.config.clone(),
                    state: Some(ConnectorRunState::parse(run)),
                    raw_state: Some(run.into()),
                    worker_id: None,
                    trace: None,
                    tasks: model_tasks(tasks, run),
                });
            }
            Action::UpdateConfig => {
                let c = self.connector.as_mut().expect("updated a connector that exists");
                c.config = desired.config.clone();
                // A new config restarts the connector, which makes its tasks anew.
                c.tasks.clear();
                self.start(max_tasks, true);
            }
            Action::Pause | Action::Resume | Action::Stop => {
                self.target = match action {
                    Action::Pause => ConnectorTargetState::Paused,
                    Action::Resume => ConnectorTargetState::Running,
                    _ => ConnectorTargetState::Stopped,
                };
                let run = self.run_state();
                let c = self.connector.as_mut().expect("a connector that exists");
                if c.state == Some(ConnectorRunState::Failed) && run != "STOPPED" {
                    return;
                }
                set_state(c, run);
                match run {
                    "STOPPED" => c.tasks.clear(),
                    "RUNNING" if c.tasks.is_empty() => c.tasks = model_tasks(max_tasks, run),
                    _ => c
                        .tasks
                        .iter_mut()
                        .filter(|t| t.state != ConnectorRunState::Failed)
                        .for_each(|t| set_task(t, run)),
                }
            }
            Action::RestartFailed => {
                let run = self.run_state();
                let c = self.connector.as_mut().expect("a connector that exists");
                let failed = c.state == Some(ConnectorRunState::Failed);
                c.tasks
                    .iter_mut()
                    .filter(|t| t.state == ConnectorRunState::Failed)
                    .for_each(|t| set_task(t, run));
                if failed {
                    self.start(max_tasks, false);
                }
            }
            Action::RestartConnector => self.start(max_tasks, true),
            Action::RestartTask(id) => {
                let run = self.run_state();
                let c = self.connector.as_mut().expect("a connector that exists");
                let task = c.tasks.iter_mut().find(|t| t.id == *id).expect("the task exists");
                set_task(task, run);
            }
            Action::DeletePrevious(_) => {}
        }
    }
}

/// splitmix64: a fixed sequence of cases, the same on every run.
struct Cases(u64);

impl Cases {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % below
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[self.next(from.len() as u64) as usize]
    }
}

/// Whatever the worker shows, applying the plan's actions to it (through the model) gives
/// a worker the next plan leaves alone: the planner converges in one round and never
/// repeats a call the worker has already carried out.
#[test]
fn replaying_a_plan_against_its_result_plans_nothing() {
    use ConnectorTargetState as T;
    let targets = [T::Running, T::Paused, T::Stopped];
    let versions = [None, Some((3, 7)), Some((4, 3))];
    let mut cases = Cases(23);
    for case in 0..20_000 {
        let max_tasks = 1 + cases.next(3) as usize;
        let desired = DesiredConnector {
            name: "c".into(),
            config: BTreeMap::from([
                ("name".into(), "c".into()),
                ("k".into(), "v".into()),
                ("tasks.max".into(), max_tasks.to_string()),
            ]),
            state: cases.pick(&targets),
        };
        let mut worker = ModelWorker { target: T::Running, connector: None };
        if cases.next(4) > 0 {
            let mut config = desired.config.clone();
            if cases.next(3) == 0 {
                config.insert("k".into(), "changed".into());
            }
            let state = cases.pick(&["RUNNING", "PAUSED", "STOPPED", "FAILED"]);
            worker.target = match state {
                "RUNNING" => T::Running,
                "PAUSED" => T::Paused,
                "STOPPED" => T::Stopped,
                // FAILED, with the target it had, or was paused in (a stop makes it STOPPED).
                _ => cases.pick(&[T::Running, T::Paused]),
            };
            let tasks = match state {
                "STOPPED" => vec![],
                "FAILED" if cases.next(2) == 0 => vec![],
                _ => (0..max_tasks)
                    .map(|_| {
                        if cases.next(3) == 0 {
                            "FAILED"
                        } else if state == "PAUSED" {
                            "PAUSED"
                        } else {
                            "RUNNING"
                        }
                    })
                    .collect(),
            };
            let mut c = observed(state, &tasks, "v");
            c.config = config;
            worker.connector = Some(c);
        }
        let before = worker.clone();
        let history = RestartHistory { count: cases.next(5) as u32, ..RestartHistory::default() };
        let worker_version = cases
            .pick(&versions)
            .map(|(major, minor)| crate::connect::worker_version::KafkaVersion { major, minor });
        let first = plan(&PlanInput {
            history,
            worker_version,
            ..input(&desired, worker.connector.as_ref())
        });
        for action in &first.actions {
            worker.apply(&desired, action);
        }
        let again = plan(&PlanInput {
            history: first.history,
            worker_version,
            ..input(&desired, worker.connector.as_ref())
        });
        assert!(
            again.actions.is_empty() && again.blocked.is_none(),
            "case {case}: target {:?}, worker before {before:?}, first plan {:?}, worker after {worker:?}, second plan {:?}",
            desired.state,
            first.actions,
            again.actions
        );
    }
}

#[test]
fn older_workers_get_only_the_calls_their_kafka_has() {
    use crate::connect::worker_version::KafkaVersion;
    let version = |major, minor| Some(KafkaVersion { major, minor });
    // Before 3.7 a connector is created without initial_state, then paused.
    let d = desired(ConnectorTargetState::Paused);
    let p = plan(&PlanInput { worker_version: version(3, 6), ..input(&d, None) });
    assert_eq!(p.actions, vec![Action::Create { initial_state: None }]);
    let p = plan(&PlanInput { worker_version: version(3, 7), ..input(&d, None) });
    assert_eq!(p.actions, vec![Action::Create { initial_state: Some(InitialState::Paused) }]);
    let running = observed("RUNNING", &["RUNNING"], "v");
    let p = plan(&PlanInput { worker_version: version(3, 4), ..input(&d, Some(&running)) });
    assert_eq!(p.actions, vec![Action::Pause]);
    // Before 3.5 a stopped connector is a status message naming the version, not a call
    // the worker answers 404.
    let stopped = desired(ConnectorTargetState::Stopped);
    for observed in [None, Some(&running)] {
        let p = plan(&PlanInput { worker_version: version(3, 4), ..input(&stopped, observed) });
        assert!(p.actions.is_empty(), "{:?}", p.actions);
        let why = p.blocked.unwrap().message;
        assert!(why.contains("runs Kafka 3.4") && why.contains("Kafka 3.5"), "{why}");
    }
    let p = plan(&PlanInput { worker_version: version(3, 5), ..input(&stopped, Some(&running)) });
    assert_eq!(p.actions, vec![Action::Stop]);
}
