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
}

impl Default for EngineLimits {
    fn default() -> Self {
        Self {
            max: CallLimits {
                memory_bytes: 256 << 20,
                fuel: 1_000_000_000,
                timeout: Duration::from_secs(5),
            },
            default: CallLimits {
                memory_bytes: 16 << 20,
                fuel: 50_000_000,
                timeout: Duration::from_millis(500),
            },
            concurrent_calls: 64,
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
}
