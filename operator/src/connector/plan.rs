//! Planning: the actions that bring the observed connector to the desired one.
//!
//! `plan` is pure. Replaying its actions and observing again yields an empty plan, which is
//! what keeps a steady-state reconcile free of REST writes.

use crate::connect_rest::InitialState;
use crate::crd::ConnectorTargetState;

use super::{ConnectorRunState, DesiredConnector, ObservedConnector};

/// One call Sluice makes to Connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `POST /connectors` with `initial_state`, so a connector meant to be paused or stopped
    /// never runs first.
    Create {
        initial_state: InitialState,
    },
    /// `PUT /connectors/{name}/config`: the stored config differs from the desired one.
    UpdateConfig,
    Pause,
    Resume,
    Stop,
}

pub fn plan(desired: &DesiredConnector, observed: Option<&ObservedConnector>) -> Vec<Action> {
    let Some(observed) = observed else {
        let initial_state = match desired.state {
            ConnectorTargetState::Running => InitialState::Running,
            ConnectorTargetState::Paused => InitialState::Paused,
            ConnectorTargetState::Stopped => InitialState::Stopped,
        };
        return vec![Action::Create { initial_state }];
    };
    let mut actions = Vec::new();
    if observed.config != desired.config {
        actions.push(Action::UpdateConfig);
    }
    if let Some(state) = observed.state {
        actions.extend(state_action(desired.state, state));
    }
    actions
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
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn desired(state: ConnectorTargetState) -> DesiredConnector {
        DesiredConnector {
            name: "c".into(),
            config: BTreeMap::from([("name".into(), "c".into()), ("k".into(), "v".into())]),
            state,
        }
    }

    fn observed(state: ConnectorRunState, k: &str) -> ObservedConnector {
        ObservedConnector {
            config: BTreeMap::from([("name".into(), "c".into()), ("k".into(), k.into())]),
            state: Some(state),
            raw_state: None,
            worker_id: None,
            trace: None,
            tasks: vec![],
        }
    }

    #[test]
    fn a_missing_connector_is_created_in_its_target_state() {
        for (target, initial) in [
            (ConnectorTargetState::Running, InitialState::Running),
            (ConnectorTargetState::Paused, InitialState::Paused),
            (ConnectorTargetState::Stopped, InitialState::Stopped),
        ] {
            assert_eq!(
                plan(&desired(target), None),
                vec![Action::Create { initial_state: initial }]
            );
        }
    }

    #[test]
    fn a_matching_connector_needs_nothing() {
        let d = desired(ConnectorTargetState::Running);
        assert!(plan(&d, Some(&observed(ConnectorRunState::Running, "v"))).is_empty());
    }

    #[test]
    fn a_changed_config_is_put_once() {
        let d = desired(ConnectorTargetState::Running);
        assert_eq!(
            plan(&d, Some(&observed(ConnectorRunState::Running, "old"))),
            vec![Action::UpdateConfig]
        );
    }

    #[test]
    fn state_table() {
        use ConnectorRunState as S;
        use ConnectorTargetState as T;
        let cases = [
            (T::Running, S::Running, None),
            (T::Running, S::Paused, Some(Action::Resume)),
            (T::Running, S::Stopped, Some(Action::Resume)),
            (T::Running, S::Failed, None),
            (T::Running, S::Unassigned, None),
            (T::Running, S::Restarting, None),
            (T::Paused, S::Running, Some(Action::Pause)),
            (T::Paused, S::Paused, None),
            (T::Paused, S::Stopped, Some(Action::Pause)),
            (T::Paused, S::Failed, Some(Action::Pause)),
            (T::Paused, S::Restarting, None),
            (T::Stopped, S::Running, Some(Action::Stop)),
            (T::Stopped, S::Paused, Some(Action::Stop)),
            (T::Stopped, S::Stopped, None),
            (T::Stopped, S::Failed, Some(Action::Stop)),
            (T::Running, S::Unknown, None),
        ];
        for (target, state, expected) in cases {
            let got = plan(&desired(target), Some(&observed(state, "v")));
            assert_eq!(got, expected.into_iter().collect::<Vec<_>>(), "{target:?} x {state:?}");
        }
    }

    #[test]
    fn a_connector_without_status_yet_gets_no_state_action() {
        let mut o = observed(ConnectorRunState::Running, "v");
        o.state = None;
        assert!(plan(&desired(ConnectorTargetState::Paused), Some(&o)).is_empty());
    }
}
