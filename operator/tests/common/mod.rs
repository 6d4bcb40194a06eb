//! What several test files of the policy host share.

use sluice::policy::{ConnectorStatus, RestartHistory, RestartInput, RunState};

/// A restart-policy input for a FAILED connector with no tasks, and these settings.
pub fn input(settings: &[(&str, &str)]) -> RestartInput {
    RestartInput {
        connector: ConnectorStatus {
            name: "orders-sink".into(),
            namespace: "team-a".into(),
            state: RunState::Failed,
            worker_id: "w:8083".into(),
            trace: None,
            tasks: vec![],
        },
        history: RestartHistory {
            count: 0,
            last_restart_ms: None,
            healthy_since_ms: None,
            max_retry: 10,
        },
        settings: settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
        now_ms: 1_700_000_000_000,
        extensions: vec![],
    }
}
