//! Automatic recovery: whether, and when, to restart a failed connector.
//!
//! `OnFailure` restarts at once on the first failure, then waits
//! `min(cap, base * 2^(n-1)) * jitter` after the n-th restart, where `jitter` is in
//! [0.8, 1.2) and derived from the connector's name and `n`, so that many connectors failing
//! together spread out, and the same history always gives the same decision (a WASM policy
//! can reproduce it exactly). `docs/connectors.md` compares this with Strimzi's `n*n + n`
//! minutes. The count resets once the connector has been healthy for `healthy_reset`.

use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use super::{ConnectorRunState, ObservedConnector};
use crate::crd::RestartPolicyType;

/// Operator-wide settings of the built-in restart policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackoffSettings {
    /// The wait after the first restart.
    pub base: Duration,
    /// The longest wait between two restarts.
    pub cap: Duration,
    /// How long a connector must stay healthy before its restart count resets.
    pub healthy_reset: Duration,
}

impl Default for BackoffSettings {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(600),
            healthy_reset: Duration::from_secs(600),
        }
    }
}

/// `maxRetry` when the spec leaves it out.
pub const DEFAULT_MAX_RETRY: u32 = 10;

/// What Sluice remembers of past restarts (kept in the status).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RestartHistory {
    /// Automatic restarts since the connector was last healthy for `healthy_reset`.
    pub count: u32,
    pub last_restart: Option<Timestamp>,
    /// Since when the connector has been continuously healthy, if it is.
    pub healthy_since: Option<Timestamp>,
}

/// A restart decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Nothing failed, or the policy does not restart.
    Nothing { reason: String },
    /// Restart the failed connector and/or failed tasks now.
    RestartFailed { reason: String },
    /// Restart the connector and all of its tasks now (a restart policy's choice).
    RestartConnector { reason: String },
    /// A restart is due at `until`.
    Wait { until: Timestamp, reason: String },
    /// `maxRetry` restarts did not help.
    GiveUp { reason: String },
}

impl Decision {
    pub fn name(&self) -> &'static str {
        match self {
            Decision::Nothing { .. } => "None",
            Decision::RestartFailed { .. } => "RestartFailedTasks",
            Decision::RestartConnector { .. } => "RestartConnector",
            Decision::Wait { .. } => "Wait",
            Decision::GiveUp { .. } => "GiveUp",
        }
    }

    /// The same decision with its reason rewritten (to mask secrets, say).
    pub fn map_reason(self, f: impl FnOnce(String) -> String) -> Decision {
        match self {
            Decision::Nothing { reason } => Decision::Nothing { reason: f(reason) },
            Decision::RestartFailed { reason } => Decision::RestartFailed { reason: f(reason) },
            Decision::RestartConnector { reason } => {
                Decision::RestartConnector { reason: f(reason) }
            }
            Decision::Wait { until, reason } => Decision::Wait { until, reason: f(reason) },
            Decision::GiveUp { reason } => Decision::GiveUp { reason: f(reason) },
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            Decision::Nothing { reason }
            | Decision::RestartFailed { reason }
            | Decision::RestartConnector { reason }
            | Decision::Wait { reason, .. }
            | Decision::GiveUp { reason } => reason,
        }
    }
}

/// What failed, in words, or `None` when nothing did.
pub fn failure(observed: &ObservedConnector) -> Option<String> {
    let failed_tasks: Vec<String> = observed
        .tasks
        .iter()
        .filter(|t| t.state == ConnectorRunState::Failed)
        .map(|t| t.id.to_string())
        .collect();
    let connector_failed = observed.state == Some(ConnectorRunState::Failed);
    match (connector_failed, failed_tasks.is_empty()) {
        (false, true) => None,
        (true, true) => Some("the connector is FAILED".into()),
        (false, false) => Some(format!("task {} FAILED", failed_tasks.join(", "))),
        (true, false) => {
            Some(format!("the connector and task {} are FAILED", failed_tasks.join(", ")))
        }
    }
}

/// The history after observing `observed`: healthy means running with every task running.
pub fn observe_history(
    observed: &ObservedConnector,
    history: RestartHistory,
    now: Timestamp,
    settings: &BackoffSettings,
) -> RestartHistory {
    let healthy = failure(observed).is_none()
        && observed.state == Some(ConnectorRunState::Running)
        && observed.tasks.iter().all(|t| t.state == ConnectorRunState::Running);
    settle_history(history, healthy, now, settings)
}

/// The history after this observation: the count resets once the connector has stayed
/// healthy for `healthy_reset`.
pub fn settle_history(
    mut history: RestartHistory,
    healthy: bool,
    now: Timestamp,
    settings: &BackoffSettings,
) -> RestartHistory {
    if !healthy {
        history.healthy_since = None;
        return history;
    }
    let since = *history.healthy_since.get_or_insert(now);
    if history.count > 0 && elapsed(since, now) >= settings.healthy_reset {
        history.count = 0;
    }
    history
}

/// Decides whether to restart, for the built-in `OnFailure` and `Never` policies.
pub fn decide(
    policy: RestartPolicyType,
    max_retry: u32,
    observed: &ObservedConnector,
    history: &RestartHistory,
    now: Timestamp,
    settings: &BackoffSettings,
    key: &str,
) -> Decision {
    let Some(what) = failure(observed) else {
        return Decision::Nothing { reason: "nothing failed".into() };
    };
    match policy {
        RestartPolicyType::Never => {
            Decision::Nothing { reason: format!("{what}; restartPolicy Never: not restarting") }
        }
        // A `Policy` without a usable module falls back here; the caller says so.
        RestartPolicyType::OnFailure | RestartPolicyType::Policy => {
            if history.count >= max_retry {
                return Decision::GiveUp {
                    reason: format!(
                        "{what}; gave up after {} restarts (maxRetry {max_retry}): fix the cause, then restart with the sluice.dev/restart-connector annotation",
                        history.count
                    ),
                };
            }
            let due = next_retry(history, settings, key);
            match due {
                Some(until) if until > now => Decision::Wait {
                    until,
                    reason: format!(
                        "{what}; restart {} of {max_retry} due at {until}",
                        history.count + 1
                    ),
                },
                _ => Decision::RestartFailed {
                    reason: format!("{what}; restart {} of {max_retry}", history.count + 1),
                },
            }
        }
    }
}

/// When the next restart is allowed: at once for the first, then after `backoff(count)`.
pub fn next_retry(
    history: &RestartHistory,
    settings: &BackoffSettings,
    key: &str,
) -> Option<Timestamp> {
    let last = history.last_restart?;
    if history.count == 0 {
        return None;
    }
    let wait = backoff(history.count, settings, key);
    last.saturating_add(SignedDuration::try_from(wait).unwrap_or(SignedDuration::MAX)).ok()
}

/// The wait after the `n`-th restart (n >= 1): `min(cap, base * 2^(n-1)) * jitter(key, n)`.
pub fn backoff(n: u32, settings: &BackoffSettings, key: &str) -> Duration {
    let exponent = n.saturating_sub(1).min(30);
    let raw = settings.base.saturating_mul(1u32 << exponent).min(settings.cap);
    raw.mul_f64(jitter(key, n))
}

/// A factor in [0.8, 1.2), the same for the same `key` and `n`.
pub fn jitter(key: &str, n: u32) -> f64 {
    // FNV-1a: tiny, stable across Rust versions and platforms (std's hasher is neither
    // guaranteed), and every guest language can reproduce it.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes().chain(n.to_le_bytes()) {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    0.8 + 0.4 * ((hash % 10_000) as f64 / 10_000.0)
}

fn elapsed(from: Timestamp, to: Timestamp) -> Duration {
    Duration::try_from(to.duration_since(from)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::connector::observed::ObservedTask;

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + seconds).unwrap()
    }

    fn settings() -> BackoffSettings {
        BackoffSettings {
            base: Duration::from_secs(10),
            cap: Duration::from_secs(300),
            healthy_reset: Duration::from_secs(600),
        }
    }

    fn observed(connector: &str, tasks: &[&str]) -> ObservedConnector {
        ObservedConnector {
            config: BTreeMap::new(),
            state: Some(ConnectorRunState::parse(connector)),
            raw_state: Some(connector.into()),
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

    fn history(count: u32, last: Option<i64>) -> RestartHistory {
        RestartHistory { count, last_restart: last.map(t), healthy_since: None }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_within_jitter() {
        let s = settings();
        let waits: Vec<f64> = (1..=7).map(|n| backoff(n, &s, "c").as_secs_f64()).collect();
        let raw = [10.0, 20.0, 40.0, 80.0, 160.0, 300.0, 300.0];
        for (w, r) in waits.iter().zip(raw) {
            assert!(*w >= r * 0.8 && *w < r * 1.2, "{w} vs {r}");
        }
    }

    #[test]
    fn jitter_is_stable_and_spreads_connectors() {
        assert_eq!(jitter("a", 1), jitter("a", 1));
        let distinct: std::collections::BTreeSet<u64> =
            (0..50).map(|i| (jitter(&format!("c{i}"), 1) * 1e6) as u64).collect();
        assert!(distinct.len() > 40);
        assert!((0..1000).all(|i| (0.8..1.2).contains(&jitter(&format!("k{i}"), i))));
    }

    #[test]
    fn healthy_connector_needs_no_restart() {
        let d = decide(
            RestartPolicyType::OnFailure,
            10,
            &observed("RUNNING", &["RUNNING"]),
            &history(0, None),
            t(0),
            &settings(),
            "c",
        );
        assert_eq!(d.name(), "None");
    }

    #[test]
    fn first_failure_restarts_at_once() {
        let d = decide(
            RestartPolicyType::OnFailure,
            10,
            &observed("RUNNING", &["FAILED"]),
            &history(0, None),
            t(0),
            &settings(),
            "c",
        );
        assert_eq!(d, Decision::RestartFailed { reason: "task 0 FAILED; restart 1 of 10".into() });
    }

    #[test]
    fn failed_task_is_restarted_after_backoff() {
        let s = settings();
        let h = history(1, Some(0));
        let due = next_retry(&h, &s, "c").unwrap();
        let o = observed("RUNNING", &["FAILED"]);
        assert!(
            matches!(decide(RestartPolicyType::OnFailure, 10, &o, &h, t(1), &s, "c"), Decision::Wait { until, .. } if until == due)
        );
        let after = due.checked_add(SignedDuration::from_secs(1)).unwrap();
        assert_eq!(
            decide(RestartPolicyType::OnFailure, 10, &o, &h, after, &s, "c").name(),
            "RestartFailedTasks"
        );
    }

    #[test]
    fn retries_run_out_after_max_retry() {
        let d = decide(
            RestartPolicyType::OnFailure,
            2,
            &observed("FAILED", &[]),
            &history(2, Some(0)),
            t(10_000),
            &settings(),
            "c",
        );
        match d {
            Decision::GiveUp { reason } => {
                assert!(reason.contains("gave up after 2 restarts (maxRetry 2)"), "{reason}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn never_only_reports() {
        let d = decide(
            RestartPolicyType::Never,
            10,
            &observed("FAILED", &["FAILED"]),
            &history(0, None),
            t(0),
            &settings(),
            "c",
        );
        assert_eq!(
            d,
            Decision::Nothing {
                reason: "the connector and task 0 are FAILED; restartPolicy Never: not restarting"
                    .into()
            }
        );
    }

    #[test]
    fn count_resets_after_staying_healthy() {
        let s = settings();
        let h = history(3, Some(0));
        let h = settle_history(h, true, t(100), &s);
        assert_eq!((h.count, h.healthy_since), (3, Some(t(100))));
        let h = settle_history(h, true, t(699), &s);
        assert_eq!(h.count, 3);
        let h = settle_history(h, true, t(700), &s);
        assert_eq!(h.count, 0);
    }

    #[test]
    fn a_new_failure_ends_the_healthy_period() {
        let s = settings();
        let h = settle_history(history(3, Some(0)), true, t(100), &s);
        let h = settle_history(h, false, t(200), &s);
        assert_eq!((h.count, h.healthy_since), (3, None));
    }
}
