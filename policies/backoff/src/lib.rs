//! Exponential backoff with jitter, decision for decision the same as Sluice's built-in
//! `OnFailure` restart policy (operator/src/connector/restart.rs), so a team can start from
//! it and change one thing. A differential test in the operator holds the two together.
//!
//! Settings (the Policy's `settings`): `baseSeconds` (default 10): the wait after the first
//! restart, doubling after each further one; `maxSeconds` (default 600): the longest wait.
//! The restart budget is the Connector's `restartPolicy.maxRetry`.

use std::time::Duration;

use sluice_plugin_sdk::property;
use sluice_plugin_sdk::restart_policy::Guest;
use sluice_plugin_sdk::types::{ConnectorStatus, RestartDecision, RestartInput, RunState, Wait};

/// The policy, as exported to the operator.
pub struct Backoff;

impl Guest for Backoff {
    fn decide(input: RestartInput) -> RestartDecision {
        decide(&input)
    }
}

#[cfg(target_arch = "wasm32")]
sluice_plugin_sdk::restart_policy::export_restart_policy!(Backoff);

/// The backoff's settings, read from the Policy's `settings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Settings {
    pub base: Duration,
    pub cap: Duration,
}

impl Settings {
    /// Missing or unparsable values take the built-in defaults (10 s and 600 s).
    pub fn from_properties(settings: &[(String, String)]) -> Self {
        let seconds = |key, default| {
            property(settings, key).and_then(|v| v.trim().parse::<u64>().ok()).unwrap_or(default)
        };
        let base = seconds("baseSeconds", 10).max(1);
        Self {
            base: Duration::from_secs(base),
            cap: Duration::from_secs(seconds("maxSeconds", 600).max(base)),
        }
    }
}

/// The decision for `input`.
pub fn decide(input: &RestartInput) -> RestartDecision {
    let Some(what) = failure(&input.connector) else {
        return RestartDecision::Nothing("nothing failed".into());
    };
    let history = &input.history;
    let max_retry = history.max_retry;
    if history.count >= max_retry {
        return RestartDecision::GiveUp(format!(
            "{what}; gave up after {} restarts (maxRetry {max_retry}): fix the cause, then restart with the sluice.dev/restart-connector annotation",
            history.count
        ));
    }
    let settings = Settings::from_properties(&input.settings);
    match next_retry_ms(history.count, history.last_restart_ms, &settings, &input.connector.name) {
        Some(until_ms) if until_ms > input.now_ms => RestartDecision::WaitUntil(Wait {
            until_ms,
            reason: format!(
                "{what}; restart {} of {max_retry} due in {} ms",
                history.count + 1,
                until_ms - input.now_ms
            ),
        }),
        _ => RestartDecision::RestartFailedTasks(format!(
            "{what}; restart {} of {max_retry}",
            history.count + 1
        )),
    }
}

/// What failed, in words, or `None` when nothing did.
pub fn failure(connector: &ConnectorStatus) -> Option<String> {
    let failed_tasks: Vec<String> = connector
        .tasks
        .iter()
        .filter(|t| t.state == RunState::Failed)
        .map(|t| t.id.to_string())
        .collect();
    match (connector.state == RunState::Failed, failed_tasks.is_empty()) {
        (false, true) => None,
        (true, true) => Some("the connector is FAILED".into()),
        (false, false) => Some(format!("task {} FAILED", failed_tasks.join(", "))),
        (true, false) => {
            Some(format!("the connector and task {} are FAILED", failed_tasks.join(", ")))
        }
    }
}

/// When the next restart is allowed (Unix ms): at once for the first, then `backoff(count)`
/// after the last one. Rounded up to the millisecond, so "due" means the same as the
/// built-in's nanosecond comparison for any whole-millisecond clock.
pub fn next_retry_ms(
    count: u32,
    last_restart_ms: Option<u64>,
    settings: &Settings,
    key: &str,
) -> Option<u64> {
    let last = last_restart_ms?;
    if count == 0 {
        return None;
    }
    let wait = backoff(count, settings, key);
    Some(last.saturating_add(wait.as_nanos().div_ceil(1_000_000).min(u128::from(u64::MAX)) as u64))
}

/// The wait after the `n`-th restart (n >= 1): `min(cap, base * 2^(n-1)) * jitter(key, n)`.
pub fn backoff(n: u32, settings: &Settings, key: &str) -> Duration {
    let exponent = n.saturating_sub(1).min(30);
    let raw = settings.base.saturating_mul(1u32 << exponent).min(settings.cap);
    raw.mul_f64(jitter(key, n))
}

/// A factor in [0.8, 1.2), the same for the same `key` and `n`: FNV-1a over the key's bytes
/// and `n` in little-endian, as the built-in computes it.
pub fn jitter(key: &str, n: u32) -> f64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes().chain(n.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    0.8 + 0.4 * ((hash % 10_000) as f64 / 10_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::restart_input;

    #[test]
    fn a_healthy_connector_is_left_alone() {
        let d = decide(&restart_input("c", RunState::Running, 3, 1_000));
        assert_eq!(d, RestartDecision::Nothing("nothing failed".into()));
    }

    #[test]
    fn the_first_failure_is_restarted_at_once() {
        let d = decide(&restart_input("c", RunState::Failed, 0, 1_000));
        assert!(
            matches!(d, RestartDecision::RestartFailedTasks(r) if r.ends_with("restart 1 of 10"))
        );
    }

    #[test]
    fn later_failures_wait_for_the_jittered_backoff() {
        let mut input = restart_input("c", RunState::Failed, 2, 1_000);
        input.history.last_restart_ms = Some(1_000);
        let wait = backoff(2, &Settings::from_properties(&[]), "c");
        assert!(wait >= Duration::from_secs(16) && wait < Duration::from_secs(24), "{wait:?}");
        match decide(&input) {
            RestartDecision::WaitUntil(w) => {
                assert_eq!(u128::from(w.until_ms - 1_000), wait.as_nanos().div_ceil(1_000_000))
            }
            other => panic!("{other:?}"),
        }
        input.now_ms = 1_000 + 24_000;
        assert!(matches!(decide(&input), RestartDecision::RestartFailedTasks(_)));
    }

    #[test]
    fn the_budget_is_max_retry() {
        let mut input = restart_input("c", RunState::Failed, 10, 1_000);
        input.history.last_restart_ms = Some(0);
        assert!(matches!(decide(&input), RestartDecision::GiveUp(r) if r.contains("maxRetry 10")));
    }

    #[test]
    fn settings_change_base_and_cap() {
        let s = Settings::from_properties(&[
            ("baseSeconds".into(), "1".into()),
            ("maxSeconds".into(), "4".into()),
        ]);
        assert_eq!(s, Settings { base: Duration::from_secs(1), cap: Duration::from_secs(4) });
        assert!(backoff(10, &s, "c") < Duration::from_secs(5));
    }
}
