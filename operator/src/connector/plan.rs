//! Planning: the actions that bring the observed connector to the desired one.
//!
//! `plan` is pure: `(desired, observed, history, annotations, now) -> Plan`. Replaying its
//! actions and observing again yields an empty plan, which is what keeps a steady-state
//! reconcile free of REST writes.

use jiff::Timestamp;

use super::annotations::{OneOff, Request};
use super::restart::{self, BackoffSettings, Decision, RestartHistory};
use super::{ConnectorRunState, DesiredConnector, ObservedConnector};
use crate::connect::worker_version::KafkaVersion;
use crate::connect_wire::InitialState;
use crate::crd::{ConnectorTargetState, RestartPolicyType};

/// One call Sluice makes to Connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `POST /connectors` with `initial_state`, so a connector meant to be paused or stopped
    /// never runs first; `None` on workers older than Kafka 3.7, which do not know it: the
    /// connector is created running, and a next plan pauses it.
    Create {
        initial_state: Option<InitialState>,
    },
    /// `PUT /connectors/{name}/config`: the stored config differs from the desired one.
    UpdateConfig,
    Pause,
    Resume,
    Stop,
    /// `POST /connectors/{name}/restart?includeTasks=true&onlyFailed=true`, by restart policy.
    RestartFailed,
    /// `POST /connectors/{name}/restart?includeTasks=true`, by annotation.
    RestartConnector,
    /// `POST /connectors/{name}/tasks/{id}/restart`, by annotation.
    RestartTask(i32),
    /// `DELETE /connectors/{name}` of the connector's previous name, once the renamed one exists.
    DeletePrevious(String),
}

/// What the planner needs to know.
#[derive(Debug, Clone)]
pub struct PlanInput<'a> {
    pub desired: &'a DesiredConnector,
    /// The connector named `desired.name` on Connect.
    pub observed: Option<&'a ObservedConnector>,
    /// The name Sluice manages on Connect (`status.connectorName`).
    pub owned: Option<&'a str>,
    /// A name the connector had before a rename, still to be removed
    /// (`status.previousConnectorName`), and whether Connect still has it.
    pub previous: Option<(&'a str, bool)>,
    /// The `sluice.dev/adopt` annotation (take over an existing connector of that name), and
    /// whether the Connect cluster's owner allows it.
    pub adopt: Adoption<'a>,
    pub one_offs: &'a [OneOff],
    /// A state held by an earlier pause/resume annotation, if the spec has not changed since.
    pub held: Option<ConnectorTargetState>,
    pub restart_policy: RestartPolicyType,
    pub max_retry: u32,
    pub history: RestartHistory,
    /// A decision made by a restart-policy module, overriding the built-in one.
    pub policy_decision: Option<Decision>,
    pub backoff: BackoffSettings,
    pub now: Timestamp,
    /// The Kafka version the Connect worker reports (`GET /`); `None` when unknown, taken as
    /// a worker with every call Sluice makes.
    pub worker_version: Option<KafkaVersion>,
}

/// `initial_state` on `POST /connectors` (KIP-980).
const INITIAL_STATE_SINCE: KafkaVersion = KafkaVersion { major: 3, minor: 7 };
/// `PUT /connectors/{name}/stop` (KIP-875).
const STOP_SINCE: KafkaVersion = KafkaVersion { major: 3, minor: 5 };

fn has(worker: Option<KafkaVersion>, since: KafkaVersion) -> bool {
    worker.is_none_or(|v| v >= since)
}

/// Why the connector cannot be stopped on this worker, for the status.
fn stop_unsupported(worker: Option<KafkaVersion>) -> Option<String> {
    let version = worker.filter(|v| *v < STOP_SINCE)?;
    Some(format!(
        "spec.state is stopped, but the Connect worker runs Kafka {version}, which cannot stop a connector (PUT /connectors/{{name}}/stop needs Kafka {STOP_SINCE}, KIP-875): set spec.state to paused, or upgrade the workers"
    ))
}

/// Whether a connector of the desired name that Sluice did not create may be taken over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Adoption<'a> {
    /// The Connector does not ask to (no `sluice.dev/adopt=true`).
    NotAsked,
    /// It asks, and the Connect cluster's owner allows adoption.
    Allowed,
    /// It asks, and the owner does not allow it; `how` says how the owner would.
    Refused { how: &'a str },
}

/// Why a plan does nothing: the `Ready` condition's reason and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blocked {
    pub reason: &'static str,
    pub message: String,
}

/// `Ready`'s reason for a connector of the desired name that Sluice did not create.
pub const CONNECTOR_NOT_OWNED: &str = "ConnectorNotOwned";
/// `Ready`'s reason for a state the worker's Kafka version cannot take.
pub const STATE_UNSUPPORTED: &str = "StateUnsupported";

/// The plan: REST actions, and what the status must remember.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    pub actions: Vec<Action>,
    /// Why nothing may be done, for the status (a connector Sluice does not own, a state
    /// the worker's Kafka cannot take).
    pub blocked: Option<Blocked>,
    /// The name to record as owned before acting (`status.connectorName`).
    pub claim: Option<String>,
    /// The previous name to remember for deletion, or `None` to forget it.
    pub previous: Option<String>,
    /// The state the connector is held in; `None` follows `spec.state`.
    pub hold: Option<ConnectorTargetState>,
    pub target: ConnectorTargetState,
    /// The restart decision, when something failed or the policy was asked.
    pub decision: Option<Decision>,
    /// The history after this plan's actions.
    pub history: RestartHistory,
    /// One-off annotations to remove.
    pub clear_annotations: Vec<&'static str>,
    /// Annotation values that could not be acted on, for Warning Events.
    pub warnings: Vec<String>,
}

pub fn plan(input: &PlanInput<'_>) -> Plan {
    let desired = input.desired;
    let mut out = Plan {
        hold: input.held,
        history: input.history,
        previous: input.previous.map(|(name, _)| name.to_owned()),
        ..Plan::default()
    };

    // A name is Sluice's only once it has claimed it, and it claims only a free name (or one
    // it was told to adopt): a rename onto a connector someone else made must not take it
    // over, or deleting the Connector would later delete that connector too.
    let renamed_from = input.owned.filter(|owned| *owned != desired.name);
    let owns_desired = input.owned == Some(desired.name.as_str());

    let Some(observed) = input.observed else {
        out.target = input.held.unwrap_or(desired.state);
        // A rename: remember the old name for removal once the new one exists.
        if let Some(old) = renamed_from {
            out.previous = Some(old.to_owned());
        }
        if out.target == ConnectorTargetState::Stopped
            && let Some(why) = stop_unsupported(input.worker_version)
        {
            out.blocked = Some(Blocked { reason: STATE_UNSUPPORTED, message: why });
            return out;
        }
        out.claim = Some(desired.name.clone());
        let initial_state =
            has(input.worker_version, INITIAL_STATE_SINCE).then(|| initial_state(out.target));
        out.actions.push(Action::Create { initial_state });
        return out;
    };
    if !owns_desired && input.adopt != Adoption::Allowed {
        let taken = match renamed_from {
            Some(old) => format!(
                "spec.name was changed from {old} to {name}, but a connector named {name} already exists on the Connect cluster and this Connector did not create it; {old} is kept as it was",
                name = desired.name
            ),
            None => format!(
                "a connector named {} already exists on the Connect cluster and this Connector did not create it",
                desired.name
            ),
        };
        let message = match input.adopt {
            Adoption::Refused { how } => format!(
                "{taken}. The Connector asks to adopt it (sluice.dev/adopt=true), but the Connect cluster does not allow adoption: {how}; or set spec.name to another name"
            ),
            _ => format!(
                "{taken}: set spec.name to another name, or, where the Connect cluster's owner allows adoption, annotate the Connector with sluice.dev/adopt=true to manage the existing one"
            ),
        };
        out.blocked = Some(Blocked { reason: CONNECTOR_NOT_OWNED, message });
        return out;
    }
    if let Some(old) = renamed_from {
        out.previous = Some(old.to_owned());
    }
    if !owns_desired {
        out.claim = Some(desired.name.clone());
    }

    let mut restart_requested = false;
    for one_off in input.one_offs {
        out.clear_annotations.push(one_off.annotation);
        match &one_off.request {
            Err(why) => out.warnings.push(why.clone()),
            Ok(Request::RestartConnector) => {
                restart_requested = true;
                out.actions.push(Action::RestartConnector);
            }
            Ok(Request::RestartTask(id)) if observed.tasks.iter().any(|t| t.id == *id) => {
                restart_requested = true;
                out.actions.push(Action::RestartTask(*id));
            }
            Ok(Request::RestartTask(id)) => {
                let ids: Vec<String> = observed.tasks.iter().map(|t| t.id.to_string()).collect();
                out.warnings.push(format!(
                    "sluice.dev/restart-task: the connector has no task {id} (its tasks: {})",
                    if ids.is_empty() { "none".to_owned() } else { ids.join(", ") }
                ));
            }
            Ok(Request::Pause) => out.hold = Some(ConnectorTargetState::Paused),
            Ok(Request::Resume) => out.hold = Some(ConnectorTargetState::Running),
        }
    }
    out.target = out.hold.unwrap_or(desired.state);
    let state = observed.state.and_then(|state| state_action(out.target, state));
    // A stop the worker cannot make blocks the whole plan: acting on the rest (a config
    // update, a restart) would leave the connector running while its spec says stopped.
    if state == Some(Action::Stop)
        && let Some(message) = stop_unsupported(input.worker_version)
    {
        out.actions.clear();
        out.blocked = Some(Blocked { reason: STATE_UNSUPPORTED, message });
        return out;
    }

    let config_changed = observed.config != desired.config;
    if config_changed {
        out.actions.push(Action::UpdateConfig);
    }
    out.actions.extend(state);
    // A FAILED connector stays FAILED when paused (the worker only records the target), so
    // a pause alone would be sent again on every resync. Restarted with its target paused,
    // it comes up PAUSED without running its code. A config update restarts it already.
    if out.target == ConnectorTargetState::Paused
        && observed.state == Some(ConnectorRunState::Failed)
        && !config_changed
        && !restart_requested
    {
        out.actions.push(Action::RestartConnector);
    }

    out.history = restart::observe_history(observed, input.history, input.now, &input.backoff);
    // A config update restarts the connector anyway, and a paused or stopped connector is
    // left as asked; only a connector meant to run is restarted by policy.
    if out.target == ConnectorTargetState::Running && !config_changed && !restart_requested {
        let decision = input.policy_decision.clone().unwrap_or_else(|| {
            restart::decide(
                input.restart_policy,
                input.max_retry,
                observed,
                &out.history,
                input.now,
                &input.backoff,
                &desired.name,
            )
        });
        let restart = match decision {
            Decision::RestartFailed { .. } => Some(Action::RestartFailed),
            Decision::RestartConnector { .. } => Some(Action::RestartConnector),
            _ => None,
        };
        if let Some(action) = restart {
            out.actions.push(action);
            out.history.count += 1;
            out.history.last_restart = Some(input.now);
        }
        if restart::failure(observed).is_some() || input.policy_decision.is_some() {
            out.decision = Some(decision);
        }
    }

    // A restart (or a config update, which restarts) brings a connector up in the worker's
    // target state, and a pause made while it was FAILED set that target without changing
    // the FAILED status: resume it first, or it would come up PAUSED and take another round.
    let restarts = out.actions.iter().any(|a| {
        matches!(a, Action::UpdateConfig | Action::RestartFailed | Action::RestartConnector)
    });
    if out.target == ConnectorTargetState::Running
        && observed.state == Some(ConnectorRunState::Failed)
        && restarts
    {
        out.actions.insert(0, Action::Resume);
    }

    if let Some((previous, exists)) = input.previous {
        if exists {
            out.actions.push(Action::DeletePrevious(previous.to_owned()));
        }
        out.previous = None;
    }
    out
}

fn initial_state(target: ConnectorTargetState) -> InitialState {
    match target {
        ConnectorTargetState::Running => InitialState::Running,
        ConnectorTargetState::Paused => InitialState::Paused,
        ConnectorTargetState::Stopped => InitialState::Stopped,
    }
}

/// The call that moves a connector from `observed` to the `desired` target state, if any.
/// Transitional and failed states are left to the restart policy and the next observation.
fn state_action(desired: ConnectorTargetState, observed: ConnectorRunState) -> Option<Action> {
    use ConnectorRunState as S;
    use ConnectorTargetState as T;
    match (desired, observed) {
        (T::Running, S::Paused | S::Stopped) => Some(Action::Resume),
        (T::Paused, S::Running | S::Stopped | S::Failed | S::Unassigned) => Some(Action::Pause),
        (T::Stopped, S::Running | S::Paused | S::Failed | S::Unassigned) => Some(Action::Stop),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
