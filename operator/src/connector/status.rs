//! The `Connector` status, computed from what was desired, observed and done.

use crate::conditions::{self, ConditionUpdate};
use crate::crd::{ConnectorStatus, ConnectorTargetState, TaskStatus};

use super::{Action, ConnectorRunState, DesiredConnector, ObservedConnector};

/// Condition types of a `Connector`.
pub const READY: &str = "Ready";
pub const PROGRESSING: &str = "Progressing";
pub const DEGRADED: &str = "Degraded";
pub const CONNECT_UNAVAILABLE: &str = "ConnectUnavailable";

/// Stack traces are long; the first lines say what failed, and status must stay small.
const TRACE_LIMIT: usize = 2048;

/// What a reconcile ended with, for the status.
#[derive(Debug, Clone)]
pub enum Outcome<'a> {
    /// Connect answered; `actions` were carried out.
    Observed {
        desired: &'a DesiredConnector,
        observed: Option<&'a ObservedConnector>,
        actions: &'a [Action],
    },
    /// The spec cannot be acted on: the message names the field and the fix.
    InvalidSpec { message: String },
    /// Connect refused a change (4xx other than a conflict): typically a config error.
    Rejected { message: String },
    /// Connect could not be reached or kept failing; nothing was changed.
    Unavailable { message: String },
}

/// The new status: `previous` with the outcome applied.
pub fn next_status(
    previous: Option<&ConnectorStatus>,
    generation: Option<i64>,
    connect_cluster: &str,
    outcome: &Outcome<'_>,
    now: jiff::Timestamp,
) -> ConnectorStatus {
    let mut status = previous.cloned().unwrap_or_default();
    status.observed_generation = generation;
    status.connect_cluster = Some(connect_cluster.to_owned());
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
            set(ConditionUpdate::new(READY, false, "InvalidSpec", message.clone()));
            set(ConditionUpdate::new(
                PROGRESSING,
                false,
                "InvalidSpec",
                "waiting for the spec to be fixed",
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
    if let Outcome::Observed { desired, observed, actions } = outcome {
        observe_into(&mut status, desired, *observed, actions, generation, now);
    }
    status
}

fn observe_into(
    status: &mut ConnectorStatus,
    desired: &DesiredConnector,
    observed: Option<&ObservedConnector>,
    actions: &[Action],
    generation: Option<i64>,
    now: jiff::Timestamp,
) {
    status.connector_name = Some(desired.name.clone());
    status.connector_state = observed.and_then(|o| o.raw_state.clone());
    status.worker_id = observed.and_then(|o| o.worker_id.clone());
    status.tasks = observed
        .map(|o| {
            o.tasks
                .iter()
                .map(|t| TaskStatus {
                    id: t.id,
                    state: t.raw_state.clone(),
                    worker_id: t.worker_id.clone(),
                    trace: t.trace.as_deref().map(trim_trace),
                })
                .collect()
        })
        .unwrap_or_default();
    status.tasks_ready = observed.map(|o| format!("{}/{}", o.running_tasks(), o.tasks.len()));

    let (ready, reason, message) = readiness(desired, observed, actions);
    let settled = ready && actions.is_empty();
    let failed = observed.is_some_and(|o| {
        o.state == Some(ConnectorRunState::Failed)
            || o.tasks.iter().any(|t| t.state == ConnectorRunState::Failed)
    });
    let mut set = |update| conditions::set(&mut status.conditions, update, generation, now);
    set(ConditionUpdate::new(READY, ready, reason, message));
    set(if settled {
        ConditionUpdate::new(PROGRESSING, false, "Settled", "the connector matches the spec")
    } else {
        ConditionUpdate::new(PROGRESSING, true, "Reconciling", describe_actions(actions))
    });
    set(if failed {
        ConditionUpdate::new(DEGRADED, true, "Failed", "the connector or a task is FAILED")
    } else {
        ConditionUpdate::new(DEGRADED, false, "NoFailures", "no failed connector or task")
    });
}

fn readiness(
    desired: &DesiredConnector,
    observed: Option<&ObservedConnector>,
    actions: &[Action],
) -> (bool, &'static str, String) {
    let Some(observed) = observed else {
        return (false, "Creating", format!("creating connector {}", desired.name));
    };
    if !actions.is_empty() {
        return (false, "Reconciling", describe_actions(actions));
    }
    use ConnectorRunState as S;
    match (desired.state, observed.state) {
        (_, Some(S::Failed)) => (false, "ConnectorFailed", "the connector is FAILED".into()),
        (ConnectorTargetState::Running, Some(S::Running)) => {
            let failed = observed.tasks.iter().filter(|t| t.state == S::Failed).count();
            let running = observed.running_tasks();
            if failed > 0 {
                (
                    false,
                    "TasksFailed",
                    format!("{failed} of {} tasks are FAILED", observed.tasks.len()),
                )
            } else if observed.tasks.is_empty() || running < observed.tasks.len() {
                (
                    false,
                    "TasksStarting",
                    format!("{running} of {} tasks are RUNNING", observed.tasks.len()),
                )
            } else {
                (true, "Running", format!("the connector and its {running} tasks are RUNNING"))
            }
        }
        (ConnectorTargetState::Paused, Some(S::Paused)) => {
            (true, "Paused", "the connector is PAUSED as asked".into())
        }
        (ConnectorTargetState::Stopped, Some(S::Stopped)) => {
            (true, "Stopped", "the connector is STOPPED as asked".into())
        }
        (_, state) => (
            false,
            "Settling",
            format!(
                "the connector is {}",
                observed.raw_state.as_deref().filter(|_| state.is_some()).unwrap_or("starting")
            ),
        ),
    }
}

fn describe_actions(actions: &[Action]) -> String {
    if actions.is_empty() {
        return "waiting for the connector to settle".into();
    }
    let names: Vec<&str> = actions
        .iter()
        .map(|a| match a {
            Action::Create { .. } => "created the connector",
            Action::UpdateConfig => "updated the config",
            Action::Pause => "paused",
            Action::Resume => "resumed",
            Action::Stop => "stopped",
        })
        .collect();
    names.join(", ")
}

fn trim_trace(trace: &str) -> String {
    if trace.len() <= TRACE_LIMIT {
        return trace.to_owned();
    }
    let mut end = TRACE_LIMIT;
    while !trace.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}\n... (trimmed)", &trace[..end])
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::connector::observed::ObservedTask;

    fn now() -> jiff::Timestamp {
        jiff::Timestamp::from_second(1_700_000_000).unwrap()
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
        let outcome = Outcome::Observed { desired: &d, observed: Some(&o), actions: &[] };
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
        let outcome = Outcome::Observed { desired: &d, observed: Some(&o), actions: &[] };
        let s = next_status(None, Some(1), "ns/connect", &outcome, now());
        assert_eq!(s.tasks_ready.as_deref(), Some("1/2"));
        assert_eq!(condition(&s, READY).reason, "TasksFailed");
        assert_eq!(condition(&s, DEGRADED).status, "True");
    }

    #[test]
    fn unreachable_connect_keeps_the_last_observation_and_says_so() {
        let d = desired();
        let o = observed("RUNNING", vec![task(0, "RUNNING")]);
        let ok = Outcome::Observed { desired: &d, observed: Some(&o), actions: &[] };
        let before = next_status(None, Some(1), "ns/connect", &ok, now());
        let down = Outcome::Unavailable { message: "connection refused".into() };
        let s = next_status(Some(&before), Some(1), "ns/connect", &down, now());
        assert_eq!(s.tasks_ready.as_deref(), Some("1/1"));
        assert_eq!(condition(&s, CONNECT_UNAVAILABLE).status, "True");
        assert_eq!(condition(&s, READY).reason, "ConnectUnavailable");
    }

    #[test]
    fn long_traces_are_trimmed() {
        let t = "x".repeat(10_000);
        assert!(trim_trace(&t).len() < 2100);
        assert_eq!(trim_trace("short"), "short");
    }
}
