//! How much one policy call may use. A Policy sets its own limits, within operator-wide
//! maxima, so one team cannot give itself the whole operator.

use std::time::Duration;

/// The operator-wide maxima, and the defaults for a Policy that sets no limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EngineLimits {
    pub max: CallLimits,
    pub default: CallLimits,
    /// Calls that may run at the same time: the number of pooled instance slots.
    pub concurrent_calls: u32,
    /// Linear memory all running calls may hold together; a call waits for its share.
    pub memory_budget: u64,
}

/// The largest memory limit a Policy may be given, however much the operator has.
const MAX_CALL_MEMORY: u64 = 256 << 20;
/// The memory limit of a Policy that sets none.
const DEFAULT_CALL_MEMORY: u64 = 16 << 20;

impl Default for EngineLimits {
    /// The limits of an operator whose own memory is not bounded (or not known): the
    /// command-line tools, and an operator run without `--memory-limit`.
    fn default() -> Self {
        Self::with_memory_budget(1 << 30)
    }
}

impl EngineLimits {
    /// The limits of an operator that may use `memory_limit` bytes (its container's limit).
    /// Policy calls together get half of it, so the operator's own caches and buffers keep
    /// the rest; one call gets at most a quarter of that share, so one Policy cannot fill it.
    pub fn for_memory_limit(memory_limit: u64) -> Self {
        Self::with_memory_budget(memory_limit / 2)
    }

    fn with_memory_budget(budget: u64) -> Self {
        // Never below one default call, so a small limit still serves Policies.
        let budget = budget.max(DEFAULT_CALL_MEMORY);
        let call_memory = (budget / 4).clamp(DEFAULT_CALL_MEMORY, MAX_CALL_MEMORY);
        Self {
            max: CallLimits {
                memory_bytes: call_memory,
                fuel: 1_000_000_000,
                timeout: Duration::from_secs(5),
            },
            default: CallLimits {
                memory_bytes: DEFAULT_CALL_MEMORY,
                fuel: 50_000_000,
                timeout: Duration::from_millis(500),
            },
            concurrent_calls: 64,
            memory_budget: budget,
        }
    }
}

/// The limits of one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Linear memory, in bytes.
    pub memory_bytes: u64,
    /// WebAssembly fuel: a deterministic bound on the work done (about one unit per
    /// instruction), which `sluice policy test` reports.
    pub fuel: u64,
    /// Wall-clock time, which also bounds time spent in host calls.
    pub timeout: Duration,
}

impl CallLimits {
    /// `self`, with each value held to `max`.
    pub fn within(self, max: &CallLimits) -> CallLimits {
        CallLimits {
            memory_bytes: self.memory_bytes.min(max.memory_bytes),
            fuel: self.fuel.min(max.fuel),
            timeout: self.timeout.min(max.timeout),
        }
    }
}

/// The longest reason or error text a policy may return; longer answers are refused rather
/// than copied into a status that the API server would reject.
pub const MAX_TEXT_BYTES: usize = 4096;
/// The largest config (sum of keys and values) a transform may return.
pub const MAX_CONFIG_BYTES: usize = 1 << 20;
/// Calls from the guest to the host in one policy call; more traps the call. A policy
/// reads a few Secrets and URLs and logs a little, never thousands of times.
pub const MAX_HOST_CALLS: usize = 1000;
/// Bytes the guest may hand the host in one host call (strings and lists, counted by
/// wasmtime before anything is copied); more traps the call.
pub const MAX_HOST_CALL_BYTES: usize = 1 << 20;
/// Log lines kept per call, and their length; a chatty policy is cut off, not stored.
pub const MAX_LOG_LINES: usize = 100;
pub const MAX_LOG_LINE_BYTES: usize = 1024;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_cannot_ask_for_more_than_the_operator_allows() {
        let max = EngineLimits::default().max;
        let asked = CallLimits { memory_bytes: u64::MAX, fuel: 1, timeout: Duration::MAX };
        let held = asked.within(&max);
        assert_eq!(held.memory_bytes, max.memory_bytes);
        assert_eq!(held.fuel, 1);
        assert_eq!(held.timeout, max.timeout);
    }

    #[test]
    fn the_maxima_follow_the_operators_memory_limit() {
        // The chart's default limit: half for calls, a quarter of that for one call.
        let chart = EngineLimits::for_memory_limit(256 << 20);
        assert_eq!(chart.memory_budget, 128 << 20);
        assert_eq!(chart.max.memory_bytes, 32 << 20);
        assert_eq!(chart.default.memory_bytes, 16 << 20);
        // A large operator still caps one call.
        let large = EngineLimits::for_memory_limit(16 << 30);
        assert_eq!(large.max.memory_bytes, 256 << 20);
        assert_eq!(large.memory_budget, 8 << 30);
        // A tiny one still runs one default call.
        let tiny = EngineLimits::for_memory_limit(8 << 20);
        assert_eq!(tiny.memory_budget, 16 << 20);
        assert_eq!(tiny.max.memory_bytes, 16 << 20);
        for limits in [chart, large, tiny, EngineLimits::default()] {
            assert!(limits.max.memory_bytes <= limits.memory_budget, "{limits:?}");
            assert!(limits.default.within(&limits.max) == limits.default, "{limits:?}");
        }
    }
}
