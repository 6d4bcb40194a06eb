//! `restartPolicy.type: Policy`: asks the Connector's restart-policy module for the decision
//! the built-in `OnFailure` would otherwise make, and applies the Policy's `failurePolicy`
//! when the module cannot answer.

use std::sync::Arc;

use jiff::Timestamp;

use super::Context;
use crate::connector::restart::{Decision, RestartHistory};
use crate::connector::{ConnectorRunState, ObservedConnector};
use crate::policy::{self, RestartDecision, RunState};
use crate::redact::Redactor;

/// What the module decided, or what to do instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asked {
    /// The module's decision (or, with `failurePolicy: Fail`, a decision not to act).
    Decision(Decision),
    /// `failurePolicy: Ignore`: fall back to the built-in `OnFailure`; the warning says why.
    FallBack(String),
}

/// The connector a restart policy is asked about.
pub struct Subject<'a> {
    pub namespace: &'a str,
    /// The Policy, in the Connector's namespace.
    pub policy_name: &'a str,
    /// The connector's name on Connect.
    pub connector_name: &'a str,
    pub observed: &'a ObservedConnector,
    /// The history after this observation.
    pub history: &'a RestartHistory,
    pub max_retry: u32,
    pub now: Timestamp,
}

/// Asks the subject's Policy; the second value is a warning for an Event (the module
/// failed, or the Policy is not ready).
pub async fn ask(ctx: &Context, subject: &Subject<'_>) -> (Asked, Option<String>) {
    let Subject { namespace, policy_name, connector_name, observed, history, max_retry, now } =
        *subject;
    let label = format!("{namespace}/{policy_name}");
    let Some(registered) = ctx.policies.get(namespace, policy_name) else {
        let why = format!(
            "restart policy {label} is not loaded (does the Policy exist?): not restarting until it is"
        );
        return (Asked::Decision(Decision::Nothing { reason: why.clone() }), Some(why));
    };
    let module = match &registered.module {
        Ok(m) => m.clone(),
        Err(e) => return failed(&label, e, registered.fail_closed),
    };
    let mut input = input(namespace, connector_name, observed, history, max_retry, now);
    input.settings = registered.settings.clone();
    let grants = registered.grants.clone();
    let services = Arc::new(super::host_services::ClusterServices::new(ctx, policy_name));
    let call_services: Arc<dyn policy::HostServices> = services.clone();
    let called = module.clone();
    let call = ctx
        .policies
        .engine
        .queued(&module, move |engine| engine.decide(&called, &input, &grants, call_services))
        .await
        .map(|(decision, _)| decision)
        .map_err(|e| e.to_string());
    outcome(&label, call, services.secret_values(), registered.fail_closed)
}

/// The call's outcome as the planner takes it. A policy may read Secrets; their values are
/// masked in whatever it says, since its reason goes to the status and an Event.
fn outcome(
    label: &str,
    call: Result<RestartDecision, String>,
    secrets_read: Vec<String>,
    fail_closed: bool,
) -> (Asked, Option<String>) {
    let redactor = Redactor::new(&Default::default(), secrets_read);
    match call {
        Ok(decision) => {
            let decision = decision_from(label, decision).map_reason(|r| redactor.redact(&r));
            (Asked::Decision(decision), None)
        }
        Err(e) => failed(label, &redactor.redact(&e), fail_closed),
    }
}

fn failed(label: &str, error: &str, fail_closed: bool) -> (Asked, Option<String>) {
    if fail_closed {
        let why =
            format!("restart policy {label} failed: {error}; failurePolicy Fail: not restarting");
        (Asked::Decision(Decision::Nothing { reason: why.clone() }), Some(why))
    } else {
        let why = format!(
            "restart policy {label} failed: {error}; failurePolicy Ignore: the built-in OnFailure decides"
        );
        (Asked::FallBack(why.clone()), Some(why))
    }
}

/// The ABI input for an observed connector.
pub fn input(
    namespace: &str,
    connector_name: &str,
    observed: &ObservedConnector,
    history: &RestartHistory,
    max_retry: u32,
    now: Timestamp,
) -> policy::RestartInput {
    let ms = |t: Timestamp| u64::try_from(t.as_millisecond()).unwrap_or(0);
    policy::RestartInput {
        connector: policy::ConnectorStatus {
            name: connector_name.to_owned(),
            namespace: namespace.to_owned(),
            state: observed.state.map_or(RunState::Unknown, run_state),
            worker_id: observed.worker_id.clone().unwrap_or_default(),
            trace: observed.trace.clone(),
            tasks: observed
                .tasks
                .iter()
                .map(|t| policy::TaskStatus {
                    id: u32::try_from(t.id).unwrap_or(0),
                    state: run_state(t.state),
                    worker_id: t.worker_id.clone().unwrap_or_default(),
                    trace: t.trace.clone(),
                })
                .collect(),
        },
        history: policy::RestartHistory {
            count: history.count,
            last_restart_ms: history.last_restart.map(ms),
            healthy_since_ms: history.healthy_since.map(ms),
            max_retry,
        },
        settings: Vec::new(),
        now_ms: ms(now),
        extensions: Vec::new(),
    }
}

fn run_state(s: ConnectorRunState) -> RunState {
    match s {
        ConnectorRunState::Unassigned => RunState::Unassigned,
        ConnectorRunState::Running => RunState::Running,
        ConnectorRunState::Paused => RunState::Paused,
        ConnectorRunState::Stopped => RunState::Stopped,
        ConnectorRunState::Failed => RunState::Failed,
        ConnectorRunState::Restarting => RunState::Restarting,
        ConnectorRunState::Unknown => RunState::Unknown,
    }
}

/// The planner's decision for the module's.
pub fn decision_from(label: &str, decision: RestartDecision) -> Decision {
    let tag = |reason: String| format!("{reason} (restart policy {label})");
    match decision {
        RestartDecision::Nothing(r) => Decision::Nothing { reason: tag(r) },
        RestartDecision::RestartConnector(r) => Decision::RestartConnector { reason: tag(r) },
        RestartDecision::RestartFailedTasks(r) => Decision::RestartFailed { reason: tag(r) },
        RestartDecision::WaitUntil(w) => Decision::Wait {
            until: Timestamp::from_millisecond(i64::try_from(w.until_ms).unwrap_or(i64::MAX))
                .unwrap_or(Timestamp::MAX),
            reason: tag(w.reason),
        },
        RestartDecision::GiveUp(r) => Decision::GiveUp { reason: tag(r) },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_decisions_become_planner_decisions_naming_the_policy() {
        let d = decision_from("ns/p", RestartDecision::GiveUp("enough".into()));
        assert_eq!(d, Decision::GiveUp { reason: "enough (restart policy ns/p)".into() });
        let d = decision_from(
            "ns/p",
            RestartDecision::WaitUntil(policy::Wait {
                until_ms: 1_700_000_000_500,
                reason: "w".into(),
            }),
        );
        assert!(
            matches!(d, Decision::Wait { until, .. } if until.as_millisecond() == 1_700_000_000_500)
        );
    }

    #[test]
    fn secrets_a_policy_read_are_masked_in_what_it_says() {
        let read = vec!["hunter2-token".to_owned()];
        let said = Ok(RestartDecision::GiveUp("token hunter2-token was refused".into()));
        let (asked, _) = outcome("ns/p", said, read.clone(), true);
        assert_eq!(
            asked,
            Asked::Decision(Decision::GiveUp {
                reason: "token [hidden] was refused (restart policy ns/p)".into()
            })
        );
        let (_, warning) = outcome("ns/p", Err("trap near hunter2-token".into()), read, true);
        assert!(!warning.unwrap().contains("hunter2"));
    }

    #[test]
    fn restarting_the_whole_connector_is_its_own_decision() {
        let d = decision_from("ns/p", RestartDecision::RestartConnector("stuck".into()));
        assert_eq!(d, Decision::RestartConnector { reason: "stuck (restart policy ns/p)".into() });
    }

    #[test]
    fn a_failing_module_fails_closed_or_falls_back_as_the_policy_says() {
        let (asked, warning) = failed("ns/p", "trap", true);
        assert!(matches!(asked, Asked::Decision(Decision::Nothing { .. })));
        assert!(warning.unwrap().ends_with("failurePolicy Fail: not restarting"));
        let (asked, _) = failed("ns/p", "trap", false);
        assert!(matches!(asked, Asked::FallBack(_)));
    }
}
