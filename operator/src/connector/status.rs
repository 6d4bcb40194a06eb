//! The `Connector` status, computed from what was desired, observed, planned and done.

use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, Time};

use super::restart::{Decision, RestartHistory};
use super::{Action, ConnectorRunState, DesiredConnector, ObservedConnector, Plan};
use crate::conditions::{self, ConditionUpdate};
use crate::crd::{
    ConfigFieldError, ConnectorStatus, ConnectorTargetState, HeldState, RestartDecision, TaskStatus,
};

/// Condition types of a `Connector`.
pub use crate::conditions::READY;
pub const PROGRESSING: &str = "Progressing";
pub const DEGRADED: &str = "Degraded";
pub const CONNECT_UNAVAILABLE: &str = "ConnectUnavailable";
/// Reasons of `Ready` that the controller reads back, to tell a problem once.
pub const INVALID_SPEC: &str = "InvalidSpec";
pub const CONFIG_INVALID: &str = "ConfigInvalid";
pub use super::plan::{CONNECTOR_NOT_OWNED, STATE_UNSUPPORTED};

/// How long after Sluice acted a connector that is still starting keeps `Progressing` True,
/// and so is looked at every second: long enough for Connect to start tasks, short enough
/// that a connector stuck UNASSIGNED or with no tasks is not polled every second forever.
pub const SETTLE_WINDOW: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

/// Stack traces are long; the first lines say what failed, and status must stay small.
const TRACE_LIMIT: usize = 2048;

/// What a reconcile ended with, for the status.
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    /// Connect answered; the plan's actions were carried out.
    Observed {
        desired: &'a DesiredConnector,
        observed: Option<&'a ObservedConnector>,
        plan: &'a Plan,
    },
    /// The spec cannot be acted on: the message names the field and the fix.
    InvalidSpec { message: String },
    /// Connect's validation rejected the config; nothing was applied.
    ConfigInvalid { message: String, errors: Vec<ConfigFieldError> },
    /// Connect refused a change (4xx other than a conflict).
    Rejected { message: String },
    /// Connect could not be reached or kept failing; nothing was changed.
    Unavailable { message: String },
}

/// The restart history kept in `previous`.
pub fn history(previous: Option<&ConnectorStatus>) -> RestartHistory {
    let Some(status) = previous else { return RestartHistory::default() };
    let healthy_since = conditions::find(&status.conditions, READY)
        .filter(|c| c.status == "True" && c.reason == "Running")
        .map(|c| c.last_transition_time.0);
    RestartHistory {
        count: u32::try_from(status.restart_count).unwrap_or(0),
        last_restart: status.last_restart_time.as_ref().map(|t| t.0),
        healthy_since,
    }
}

/// The state held by an annotation, unless the spec changed since it was set.
pub fn held(
    previous: Option<&ConnectorStatus>,
    generation: Option<i64>,
) -> Option<ConnectorTargetState> {
    let hold = previous?.held_state.as_ref()?;
    (Some(hold.generation) == generation).then_some(hold.state)
}

/// The new status: `previous` with the outcome applied.
pub fn next_status(
    previous: Option<&ConnectorStatus>,
    generation: Option<i64>,
    connect_cluster: &str,
    outcome: &Outcome<'_>,
    now: Timestamp,
) -> ConnectorStatus {
    let mut status = previous.cloned().unwrap_or_default();
    status.observed_generation = generation;
    status.connect_cluster = Some(connect_cluster.to_owned()).filter(|c| !c.is_empty());
    let mut set = |update| conditions::set(&mut status.conditions, update, generation, now);
    match outcome {
        Outcome::Observed { .. } => {
            set(ConditionUpdate::new(
                CONNECT_UNAVAILABLE,
                false,
                "Reachable",
                "Connect REST API answered",
            ));
        }
        Outcome::InvalidSpec { message } => {
            set(ConditionUpdate::new(READY, false, INVALID_SPEC, message.clone()));
            set(ConditionUpdate::new(
                PROGRESSING,
                false,
                INVALID_SPEC,
                "waiting for the spec to be fixed",
            ));
        }
        Outcome::ConfigInvalid { message, .. } => {
            set(ConditionUpdate::new(READY, false, CONFIG_INVALID, message.clone()));
            set(ConditionUpdate::new(
                PROGRESSING,
                false,
                CONFIG_INVALID,
                "waiting for spec.configs to be fixed",
            ));
        }
        Outcome::Rejected { message } => {
            set(ConditionUpdate::new(READY, false, "ConfigRejected", message.clone()));
            set(ConditionUpdate::new(
                PROGRESSING,
                false,
                "ConfigRejected",
                "waiting for the spec to be fixed",
            ));
        }
        Outcome::Unavailable { message } => {
            set(ConditionUpdate::new(CONNECT_UNAVAILABLE, true, "Unreachable", message.clone()));
            set(ConditionUpdate::new(READY, false, "ConnectUnavailable", message.clone()));
        }
    }
    match outcome {
        Outcome::ConfigInvalid { errors, .. } => status.config_errors = errors.clone(),
        Outcome::Observed { .. } => status.config_errors.clear(),
        _ => {}
    }
    if let Outcome::Observed { desired, observed, plan } = outcome {
        observe_into(&mut status, desired, *observed, plan, generation, now);
    }
    status
}

fn observe_into(
    status: &mut ConnectorStatus,
    desired: &DesiredConnector,
    observed: Option<&ObservedConnector>,
    plan: &Plan,
    generation: Option<i64>,
    now: Timestamp,
) {
    if let Some(claim) = &plan.claim {
        status.connector_name = Some(claim.clone());
    }
    status.previous_connector_name = plan.previous.clone();
    status.held_state = match (plan.hold, generation) {
        (Some(state), Some(generation)) => Some(HeldState { state, generation }),
        _ => None,
    };
    status.connector_state = observed.and_then(|o| o.raw_state.as_deref().map(worker_text));
    status.worker_id = observed.and_then(|o| o.worker_id.as_deref().map(worker_text));
    status.tasks = observed.map(|o| listed_tasks(&o.tasks)).unwrap_or_default();
    status.tasks_ready = observed.map(|o| format!("{}/{}", o.running_tasks(), o.tasks.len()));
    status.restart_count = i32::try_from(plan.history.count).unwrap_or(i32::MAX);
    status.last_restart_time = plan.history.last_restart.map(MicroTime);
    status.next_retry_time = match &plan.decision {
        Some(Decision::Wait { until, .. }) => Some(Time(*until)),
        _ => None,
    };
    if let Some(decision) = &plan.decision {
        let changed = status
            .last_decision
            .as_ref()
            .is_none_or(|d| d.action != decision.name() || d.reason != decision.reason());
        if changed {
            status.last_decision = Some(RestartDecision {
                action: decision.name().to_owned(),
                reason: decision.reason().to_owned(),
                time: Time(now),
            });
        }
    }

    let readiness = match &plan.blocked {
        Some(blocked) => Readiness::not(blocked.reason, blocked.message.clone()),
        None => readiness(desired.name.as_str(), plan.target, observed, &plan.actions),
    };
    let failed = observed.is_some_and(|o| super::restart::failure(o).is_some());
    let gave_up = matches!(plan.decision, Some(Decision::GiveUp { .. }));
    let progressing =
        progressing(conditions::find(&status.conditions, PROGRESSING), plan, &readiness, now);
    let mut set = |update| conditions::set(&mut status.conditions, update, generation, now);
    set(ConditionUpdate::new(READY, readiness.ready, readiness.reason, readiness.message));
    set(progressing);
    set(match (&plan.decision, failed) {
        (Some(d), true) if gave_up => {
            ConditionUpdate::new(DEGRADED, true, "RetriesExhausted", d.reason())
        }
        (Some(d), true) => ConditionUpdate::new(DEGRADED, true, "Failed", d.reason()),
        (None, true) => {
            ConditionUpdate::new(DEGRADED, true, "Failed", "the connector or a task is FAILED")
        }
        (_, false) => {
            ConditionUpdate::new(DEGRADED, false, "NoFailures", "no failed connector or task")
        }
    });
}

/// The `Progressing` condition, which also sets how often the controller looks again: True
/// means "Sluice acted and is watching the result", polled every second. It is True while
/// there are actions, then while a starting connector settles, for at most
/// [`SETTLE_WINDOW`] after it turned True. Everything else waits for a change, a restart's
/// due time or the resync, whatever the connector's state: a FAILED connector under
/// `Never` or out of retries is not Sluice's to hurry.
fn progressing(
    previous: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
    plan: &Plan,
    readiness: &Readiness,
    now: Timestamp,
) -> ConditionUpdate {
    if plan.blocked.is_some() {
        return ConditionUpdate::new(PROGRESSING, false, "Blocked", "nothing Sluice may do");
    }
    if !plan.actions.is_empty() {
        return ConditionUpdate::new(
            PROGRESSING,
            true,
            "Reconciling",
            describe_actions(&plan.actions),
        );
    }
    if readiness.ready {
        return ConditionUpdate::new(PROGRESSING, false, "Settled", "nothing to do");
    }
    if let Some(Decision::Wait { reason, .. }) = &plan.decision {
        return ConditionUpdate::new(PROGRESSING, false, "BackingOff", reason.clone());
    }
    let message = &readiness.message;
    let within_window = previous.is_none_or(|c| {
        c.status == "True" && now.duration_since(c.last_transition_time.0) < SETTLE_WINDOW
    });
    if readiness.starting && within_window {
        return ConditionUpdate::new(PROGRESSING, true, "Settling", message.clone());
    }
    let why = if readiness.starting {
        format!(
            "{message}, past the {}s Sluice watches a start; looking again at each resync",
            SETTLE_WINDOW.as_secs()
        )
    } else {
        format!("{message}; nothing for Sluice to do until the spec or the connector changes")
    };
    ConditionUpdate::new(PROGRESSING, false, "Waiting", why)
}

/// The `Ready` condition's parts, and whether the connector is on its way to ready by
/// itself (being created, starting, tasks starting): what keeps `Progressing` True.
struct Readiness {
    ready: bool,
    reason: &'static str,
    message: String,
    starting: bool,
}

impl Readiness {
    fn yes(reason: &'static str, message: impl Into<String>) -> Self {
        Self { ready: true, reason, message: message.into(), starting: false }
    }

    fn not(reason: &'static str, message: impl Into<String>) -> Self {
        Self { ready: false, reason, message: message.into(), starting: false }
    }

    fn starting(reason: &'static str, message: impl Into<String>) -> Self {
        Self { ready: false, reason, message: message.into(), starting: true }
    }
}

fn readiness(
    name: &str,
    target: ConnectorTargetState,
    observed: Option<&ObservedConnector>,
    actions: &[Action],
) -> Readiness {
    let Some(observed) = observed else {
        return Readiness::starting("Creating", format!("creating connector {name}"));
    };
    if !actions.is_empty() {
        return Readiness::not("Reconciling", describe_actions(actions));
    }
    use ConnectorRunState as S;
    match (target, observed.state) {
        (_, Some(S::Failed)) => Readiness::not("ConnectorFailed", "the connector is FAILED"),
        (ConnectorTargetState::Running, Some(S::Running)) => {
            let total = observed.tasks.len();
            let failed = observed.tasks.iter().filter(|t| t.state == S::Failed).count();
            let running = observed.running_tasks();
            if failed > 0 {
                Readiness::not("TasksFailed", format!("{failed} of {total} tasks are FAILED"))
            } else if total == 0 || running < total {
                let message = format!("{running} of {total} tasks are RUNNING");
                Readiness::starting("TasksStarting", message)
            } else {
                let message = format!("the connector and its {running} tasks are RUNNING");
                Readiness::yes("Running", message)
            }
        }
        (ConnectorTargetState::Paused, Some(S::Paused)) => {
            Readiness::yes("Paused", "the connector is PAUSED as asked")
        }
        (ConnectorTargetState::Stopped, Some(S::Stopped)) => {
            Readiness::yes("Stopped", "the connector is STOPPED as asked")
        }
        (_, Some(_)) => Readiness::starting(
            "Settling",
            format!("the connector is {}", observed.raw_state.as_deref().unwrap_or("starting")),
        ),
        (_, None) => Readiness::starting("Settling", "the connector is starting"),
    }
}

pub fn describe_action(action: &Action) -> String {
    match action {
        Action::Create { .. } => "created the connector".into(),
        Action::UpdateConfig => "updated the config".into(),
        Action::Pause => "paused".into(),
        Action::Resume => "resumed".into(),
        Action::Stop => "stopped".into(),
        Action::RestartFailed => "restarted the failed connector and tasks".into(),
        Action::RestartConnector => "restarted the connector".into(),
        Action::RestartTask(id) => format!("restarted task {id}"),
        Action::DeletePrevious(name) => format!("deleted the connector's previous name {name}"),
    }
}

fn describe_actions(actions: &[Action]) -> String {
    if actions.is_empty() {
        return "waiting for the connector to settle".into();
    }
    actions.iter().map(describe_action).collect::<Vec<_>>().join(", ")
}

fn trim_trace(trace: &str) -> String {
    crate::text::truncate(trace, TRACE_LIMIT, "\n... (trimmed)")
}

/// Tasks listed in a status, and of those, tasks shown with their trace. `taskMax` has no
/// upper bound, and a status over the API server's object limit could never be written:
/// 100 tasks with 10 traces stay under 32 KiB. `tasksReady` still counts every task.
const MAX_LISTED_TASKS: usize = 100;
const MAX_TRACES: usize = 10;
/// A state or worker id as the worker reported it, cut to a length no real one reaches.
const MAX_WORKER_TEXT: usize = 256;

fn worker_text(text: &str) -> String {
    crate::text::truncate(text, MAX_WORKER_TEXT, "…")
}

/// The tasks a status lists: failed tasks first, so a failure is never left out, then by id.
fn listed_tasks(tasks: &[crate::connector::observed::ObservedTask]) -> Vec<TaskStatus> {
    let mut chosen: Vec<_> = tasks.iter().collect();
    chosen.sort_by_key(|t| (t.state != ConnectorRunState::Failed, t.id));
    chosen.truncate(MAX_LISTED_TASKS);
    chosen.sort_by_key(|t| t.id);
    let mut traces = 0;
    chosen
        .into_iter()
        .map(|t| TaskStatus {
            id: t.id,
            state: worker_text(&t.raw_state),
            worker_id: t.worker_id.as_deref().map(worker_text),
            trace: t.trace.as_deref().filter(|_| traces < MAX_TRACES).map(|trace| {
                traces += 1;
                trim_trace(trace)
            }),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::connector::observed::ObservedTask;

    fn now() -> Timestamp {
        Timestamp::from_second(1_700_000_000).unwrap()
    }

    fn desired() -> DesiredConnector {
        DesiredConnector {
            name: "c".into(),
            config: BTreeMap::new(),
            state: ConnectorTargetState::Running,
        }
    }

    fn task(id: i32, state: &str) -> ObservedTask {
        ObservedTask {
            id,
            state: ConnectorRunState::parse(state),
            raw_state: state.into(),
            worker_id: Some("w:1".into()),
            trace: None,
        }
    }

    fn observed(state: &str, tasks: Vec<ObservedTask>) -> ObservedConnector {
        ObservedConnector {
            config: BTreeMap::new(),
            state: Some(ConnectorRunState::parse(state)),
            raw_state: Some(state.into()),
            worker_id: Some("w:1".into()),
            trace: None,
            tasks,
        }
    }

    fn settled_plan() -> Plan {
        Plan { target: ConnectorTargetState::Running, ..Plan::default() }
    }

    fn condition<'a>(
        s: &'a ConnectorStatus,
        t: &str,
    ) -> &'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition {
        conditions::find(&s.conditions, t).unwrap()
    }

    #[test]
    fn running_connector_with_all_tasks_running_is_ready() {
        let d = desired();
        let o = observed("RUNNING", vec![task(0, "RUNNING"), task(1, "RUNNING")]);
        let plan = settled_plan();
        let outcome = Outcome::Observed { desired: &d, observed: Some(&o), plan: &plan };
        let s = next_status(None, Some(3), "ns/connect", &outcome, now());
        assert_eq!(s.tasks_ready.as_deref(), Some("2/2"));
        assert_eq!(s.connector_state.as_deref(), Some("RUNNING"));
        assert_eq!(condition(&s, READY).status, "True");
        assert_eq!(condition(&s, PROGRESSING).status, "False");
        assert_eq!(condition(&s, DEGRADED).status, "False");
        assert_eq!(condition(&s, READY).observed_generation, Some(3));
    }

    #[test]
    fn a_failed_task_makes_the_connector_degraded_and_not_ready() {
        let d = desired();
        let o = observed("RUNNING", vec![task(0, "RUNNING"), task(1, "FAILED")]);
        let plan = settled_plan();
        let outcome = Outcome::Observed { desired: &d, observed: Some(&o), plan: &plan };
        let s = next_status(None, Some(1), "ns/connect", &outcome, now());
        assert_eq!(s.tasks_ready.as_deref(), Some("1/2"));
        assert_eq!(condition(&s, READY).reason, "TasksFailed");
        assert_eq!(condition(&s, DEGRADED).status, "True");
    }

    #[test]
    fn giving_up_says_why_in_the_degraded_condition() {
        let d = desired();
        let o = observed("FAILED", vec![]);
        let plan = Plan {
            decision: Some(Decision::GiveUp {
                reason: "gave up after 2 restarts (maxRetry 2)".into(),
            }),
            history: RestartHistory { count: 2, last_restart: Some(now()), healthy_since: None },
            ..settled_plan()
        };
        let outcome = Outcome::Observed { desired: &d, observed: Some(&o), plan: &plan };
        let s = next_status(None, Some(1), "ns/connect", &outcome, now());
        assert_eq!(condition(&s, DEGRADED).reason, "RetriesExhausted");
        assert!(condition(&s, DEGRADED).message.contains("maxRetry 2"));
        assert_eq!(s.restart_count, 2);
        assert_eq!(s.last_decision.as_ref().unwrap().action, "GiveUp");
        assert_eq!(history(Some(&s)).count, 2);
    }

    #[test]
    fn the_last_restart_keeps_its_fraction_of_a_second_through_the_api_server() {
        // Written at 12.9 s, read back at 12.9 s: the backoff counts from the restart, not
        // from the whole second before it (which shortened a wait by up to a second).
        let at = Timestamp::new(1_700_000_012, 900_000_000).unwrap();
        let s = ConnectorStatus {
            restart_count: 1,
            last_restart_time: Some(MicroTime(at)),
            ..ConnectorStatus::default()
        };
        let text = serde_json::to_string(&s).unwrap();
        assert!(text.contains("\"lastRestartTime\":\"2023-11-14T22:13:32.900000Z\""), "{text}");
        let read: ConnectorStatus = serde_json::from_str(&text).unwrap();
        assert_eq!(history(Some(&read)).last_restart, Some(at));
        // A status an earlier release wrote, in whole seconds, still reads.
        let old: ConnectorStatus =
            serde_json::from_str(r#"{"lastRestartTime":"2023-11-14T22:13:32Z"}"#).unwrap();
        assert_eq!(history(Some(&old)).last_restart, Timestamp::from_second(1_700_000_012).ok());
    }

    #[test]
    fn waiting_shows_the_next_retry_time() {
        let d = desired();
        let o = observed("RUNNING", vec![task(0, "FAILED")]);
        let until = Timestamp::from_second(1_700_000_060).unwrap();
        let plan = Plan {
            decision: Some(Decision::Wait { until, reason: "backoff".into() }),
            ..settled_plan()
        };
        let outcome = Outcome::Observed { desired: &d, observed: Some(&o), plan: &plan };
        let s = next_status(None, Some(1), "ns/connect", &outcome, now());
        assert_eq!(s.next_retry_time, Some(Time(until)));
    }

    #[test]
    fn unreachable_connect_keeps_the_last_observation_and_says_so() {
        let d = desired();
        let o = observed("RUNNING", vec![task(0, "RUNNING")]);
        let plan = settled_plan();
        let ok = Outcome::Observed { desired: &d, observed: Some(&o), plan: &plan };
        let before = next_status(None, Some(1), "ns/connect", &ok, now());
        let down = Outcome::Unavailable { message: "connection refused".into() };
        let s = next_status(Some(&before), Some(1), "ns/connect", &down, now());
        assert_eq!(s.tasks_ready.as_deref(), Some("1/1"));
        assert_eq!(condition(&s, CONNECT_UNAVAILABLE).status, "True");
        assert_eq!(condition(&s, READY).reason, "ConnectUnavailable");
    }

    #[test]
    fn a_hold_ends_when_the_spec_changes() {
        let status = ConnectorStatus {
            held_state: Some(HeldState { state: ConnectorTargetState::Paused, generation: 4 }),
            ..ConnectorStatus::default()
        };
        assert_eq!(held(Some(&status), Some(4)), Some(ConnectorTargetState::Paused));
        assert_eq!(held(Some(&status), Some(5)), None);
    }

    /// The Progressing condition after one reconcile with no actions, starting from a
    /// previous Progressing of `(status, seconds ago)`.
    fn progressing_after(
        previous: Option<(&str, i64)>,
        o: Option<&ObservedConnector>,
        plan: &Plan,
    ) -> (String, String) {
        let mut before = ConnectorStatus::default();
        if let Some((status, ago)) = previous {
            let at = Timestamp::from_second(now().as_second() - ago).unwrap();
            let update = ConditionUpdate::new(PROGRESSING, status == "True", "X", "x");
            conditions::set(&mut before.conditions, update, Some(1), at);
        }
        let d = desired();
        let outcome = Outcome::Observed { desired: &d, observed: o, plan };
        let s = next_status(Some(&before), Some(1), "ns/connect", &outcome, now());
        let c = condition(&s, PROGRESSING);
        (c.status.clone(), c.reason.clone())
    }

    #[test]
    fn progressing_is_true_only_while_there_is_something_to_watch() {
        let running = observed("RUNNING", vec![task(0, "RUNNING")]);
        let starting = observed("RUNNING", vec![task(0, "UNASSIGNED")]);
        let no_tasks = observed("RUNNING", vec![]);
        let failed = observed("FAILED", vec![]);
        let task_failed = observed("RUNNING", vec![task(0, "FAILED")]);
        let settled = settled_plan();
        let acting = Plan { actions: vec![Action::RestartFailed], ..settled_plan() };
        let gave_up = Plan {
            decision: Some(Decision::GiveUp { reason: "maxRetry 2".into() }),
            ..settled_plan()
        };
        let waiting = Plan {
            decision: Some(Decision::Wait { until: now(), reason: "backoff".into() }),
            ..settled_plan()
        };
        let window = SETTLE_WINDOW.as_secs();
        /// (case, previous Progressing as (status, seconds ago), observed, plan, expected).
        type Row<'a> = (
            &'a str,
            Option<(&'a str, i64)>,
            Option<&'a ObservedConnector>,
            &'a Plan,
            (&'a str, &'a str),
        );
        #[rustfmt::skip]
        let table: Vec<Row> = vec![
            ("an action is being watched", Some(("False", 900)), Some(&failed), &acting, ("True", "Reconciling")),
            ("ready is settled", Some(("True", 1)), Some(&running), &settled, ("False", "Settled")),
            ("tasks starting just after an action", Some(("True", 2)), Some(&starting), &settled, ("True", "Settling")),
            ("listing lags a create", Some(("True", 1)), None, &settled, ("True", "Settling")),
            ("first look at a starting connector", None, Some(&starting), &settled, ("True", "Settling")),
            ("still UNASSIGNED after the window", Some(("True", window)), Some(&starting), &settled, ("False", "Waiting")),
            ("zero tasks after the window", Some(("True", window + 5)), Some(&no_tasks), &settled, ("False", "Waiting")),
            ("UNASSIGNED with nothing done", Some(("False", 5)), Some(&starting), &settled, ("False", "Waiting")),
            ("FAILED under Never", Some(("True", 1)), Some(&failed), &settled, ("False", "Waiting")),
            ("a task FAILED under Never", None, Some(&task_failed), &settled, ("False", "Waiting")),
            ("out of retries", Some(("True", 1)), Some(&failed), &gave_up, ("False", "Waiting")),
            ("backing off until a restart", Some(("True", 1)), Some(&task_failed), &waiting, ("False", "BackingOff")),
        ];
        for (case, previous, o, plan, (status, reason)) in table {
            let got = progressing_after(previous, o, plan);
            assert_eq!((got.0.as_str(), got.1.as_str()), (status, reason), "{case}");
        }
    }

    #[test]
    fn a_status_lists_at_most_100_tasks_failed_first_with_10_traces() {
        use crate::connector::observed::ObservedTask;
        let tasks: Vec<ObservedTask> = (0..5000)
            .map(|id| {
                let failed = id % 1000 == 999;
                ObservedTask {
                    id,
                    state: if failed {
                        ConnectorRunState::Failed
                    } else {
                        ConnectorRunState::Running
                    },
                    raw_state: if failed { "FAILED" } else { "RUNNING" }.into(),
                    worker_id: Some("w".repeat(10_000)),
                    trace: failed.then(|| "at x\n".repeat(10_000)),
                }
            })
            .collect();
        let listed = listed_tasks(&tasks);
        assert_eq!(listed.len(), 100);
        let failed: Vec<i32> =
            listed.iter().filter(|t| t.state == "FAILED").map(|t| t.id).collect();
        assert_eq!(failed, [999, 1999, 2999, 3999, 4999], "every failed task is listed");
        assert!(listed.windows(2).all(|w| w[0].id < w[1].id), "listed by id");
        assert_eq!(listed.iter().filter(|t| t.trace.is_some()).count(), 5);
        let size = serde_json::to_string(&listed).unwrap().len();
        assert!(size < 64 << 10, "{size} bytes");
    }

    #[test]
    fn long_traces_are_trimmed() {
        let t = "x".repeat(10_000);
        assert!(trim_trace(&t).len() < 2100);
        assert_eq!(trim_trace("short"), "short");
    }
}
