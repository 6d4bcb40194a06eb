//! Restarting helps with a lost connection, not with a wrong password or a missing table.
//! This policy reads the failed tasks' stack traces and gives up at once on exceptions that
//! a restart cannot fix, naming the exception; other failures are restarted at an even
//! spacing up to the Connector's `maxRetry`.
//!
//! Settings: `neverRestartOn`, a comma-separated list of exception class names (default:
//! authentication, authorization and config errors from Kafka and JDBC);
//! `intervalSeconds` (default 30), the least time between two restarts.

use sluice_plugin_sdk::property;
use sluice_plugin_sdk::restart_policy::Guest;
use sluice_plugin_sdk::types::{RestartDecision, RestartInput, RunState, Wait};

pub struct RestartGuard;

impl Guest for RestartGuard {
    fn decide(input: RestartInput) -> RestartDecision {
        decide(&input)
    }
}

#[cfg(target_arch = "wasm32")]
sluice_plugin_sdk::restart_policy::export_restart_policy!(RestartGuard);

const DEFAULT_NEVER: &str = "org.apache.kafka.common.errors.SaslAuthenticationException,\
org.apache.kafka.common.errors.TopicAuthorizationException,\
org.apache.kafka.common.config.ConfigException,\
java.sql.SQLInvalidAuthorizationSpecException,\
java.sql.SQLSyntaxErrorException";

pub fn decide(input: &RestartInput) -> RestartDecision {
    let c = &input.connector;
    let traces: Vec<&str> = std::iter::once(c)
        .filter(|c| c.state == RunState::Failed)
        .filter_map(|c| c.trace.as_deref())
        .chain(
            c.tasks
                .iter()
                .filter(|t| t.state == RunState::Failed)
                .filter_map(|t| t.trace.as_deref()),
        )
        .collect();
    let failed = c.state == RunState::Failed || c.tasks.iter().any(|t| t.state == RunState::Failed);
    if !failed {
        return RestartDecision::Nothing("nothing failed".into());
    }
    let never = property(&input.settings, "neverRestartOn").unwrap_or(DEFAULT_NEVER);
    for exception in never.split(',').map(str::trim).filter(|e| !e.is_empty()) {
        if traces.iter().any(|t| t.contains(exception)) {
            return RestartDecision::GiveUp(format!(
                "failed with {exception}, which a restart cannot fix: fix the cause, then restart with the sluice.dev/restart-connector annotation"
            ));
        }
    }
    let history = &input.history;
    if history.count >= history.max_retry {
        return RestartDecision::GiveUp(format!(
            "gave up after {} restarts (maxRetry {})",
            history.count, history.max_retry
        ));
    }
    let interval_ms = property(&input.settings, "intervalSeconds")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(30)
        .saturating_mul(1000);
    match history.last_restart_ms.map(|t| t.saturating_add(interval_ms)) {
        Some(due) if due > input.now_ms => RestartDecision::WaitUntil(Wait {
            until_ms: due,
            reason: format!(
                "restart {} of {} once {} s have passed since the last",
                history.count + 1,
                history.max_retry,
                interval_ms / 1000
            ),
        }),
        _ => RestartDecision::RestartFailedTasks(format!(
            "restart {} of {}",
            history.count + 1,
            history.max_retry
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::restart_input;

    fn failed_with(trace: &str) -> RestartInput {
        let mut input = restart_input("c", RunState::Failed, 0, 100_000);
        input.connector.tasks[0].trace = Some(trace.into());
        input
    }

    #[test]
    fn exceptions_a_restart_cannot_fix_give_up_at_once_naming_them() {
        let d = decide(&failed_with(
            "org.apache.kafka.connect.errors.ConnectException: boom\nCaused by: org.apache.kafka.common.errors.SaslAuthenticationException: bad password",
        ));
        assert!(
            matches!(&d, RestartDecision::GiveUp(r) if r.starts_with("failed with org.apache.kafka.common.errors.SaslAuthenticationException")),
            "{d:?}"
        );
    }

    #[test]
    fn other_failures_restart_at_an_even_spacing() {
        let mut input = failed_with("java.net.ConnectException: Connection refused");
        assert!(matches!(decide(&input), RestartDecision::RestartFailedTasks(_)));
        input.history.count = 1;
        input.history.last_restart_ms = Some(90_000);
        assert!(matches!(decide(&input), RestartDecision::WaitUntil(w) if w.until_ms == 120_000));
        input.now_ms = 120_000;
        assert!(matches!(decide(&input), RestartDecision::RestartFailedTasks(_)));
    }

    #[test]
    fn the_list_and_the_interval_are_settings() {
        let mut input = failed_with("com.example.QuotaExceeded: try tomorrow");
        input.settings = vec![("neverRestartOn".into(), "com.example.QuotaExceeded".into())];
        assert!(matches!(decide(&input), RestartDecision::GiveUp(_)));
    }

    #[test]
    fn healthy_connectors_are_left_alone_and_max_retry_holds() {
        assert!(matches!(
            decide(&restart_input("c", RunState::Running, 0, 1)),
            RestartDecision::Nothing(_)
        ));
        let mut input = failed_with("java.net.ConnectException");
        input.history.count = 10;
        assert!(matches!(decide(&input), RestartDecision::GiveUp(r) if r.contains("maxRetry 10")));
    }
}
