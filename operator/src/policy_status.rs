//! What a Policy's status says, decided from how its module loaded: the ABI and world it
//! serves and how long compiling took, or why it did not load.

use std::time::Duration;

use crate::conditions::{self, ConditionUpdate, READY};
use crate::crd::PolicyStatus;

/// Ready's reason when the module loaded.
pub const LOADED: &str = "Loaded";
/// Ready's reason when it did not (not a component, an ABI Sluice does not serve, ...).
pub const MODULE_INVALID: &str = "ModuleInvalid";

/// A module that loaded, as its status shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Load {
    /// The ABI version it was built against, for example `0.1.0`.
    pub abi: String,
    /// The world it exports, for example `restart-policy`.
    pub world: String,
    pub compile_time: Duration,
}

/// The status after loading a module whose bytes have `digest` (empty: no bytes were read).
pub fn next_status(
    previous: Option<&PolicyStatus>,
    generation: Option<i64>,
    digest: &str,
    load: Result<&Load, &str>,
    now: jiff::Timestamp,
) -> PolicyStatus {
    let mut status = previous.cloned().unwrap_or_default();
    status.observed_generation = generation;
    status.digest = (!digest.is_empty()).then(|| digest.to_owned());
    let update = match load {
        Ok(m) => {
            status.abi_version = Some(m.abi.clone());
            status.worlds = vec![m.world.clone()];
            status.compile_time_ms = i64::try_from(m.compile_time.as_millis()).ok();
            status.last_error = None;
            ConditionUpdate::new(READY, true, LOADED, format!("the {} module is ready", m.world))
        }
        Err(e) => {
            status.abi_version = None;
            status.worlds = Vec::new();
            status.compile_time_ms = None;
            status.last_error = Some(e.to_owned());
            ConditionUpdate::new(READY, false, MODULE_INVALID, e)
        }
    };
    conditions::set(&mut status.conditions, update, generation, now);
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_says_what_loaded_or_why_not_and_forgets_the_other() {
        let now = jiff::Timestamp::UNIX_EPOCH;
        let load = Load {
            abi: "0.1.0".into(),
            world: "restart-policy".into(),
            compile_time: Duration::from_millis(42),
        };
        let loaded = next_status(None, Some(1), "abc", Ok(&load), now);
        let invalid = next_status(Some(&loaded), Some(2), "def", Err("not a component"), now);
        let fixed = next_status(Some(&invalid), Some(3), "abc", Ok(&load), now);
        let unread = next_status(Some(&fixed), Some(4), "", Err("ConfigMap m has no key k"), now);
        // (case, status, Ready's status and reason, abi, worlds, last error, digest)
        let table = [
            ("loaded", &loaded, "True", LOADED, Some("0.1.0"), 1, None, Some("abc")),
            (
                "invalid",
                &invalid,
                "False",
                MODULE_INVALID,
                None,
                0,
                Some("not a component"),
                Some("def"),
            ),
            ("fixed", &fixed, "True", LOADED, Some("0.1.0"), 1, None, Some("abc")),
            (
                "unread",
                &unread,
                "False",
                MODULE_INVALID,
                None,
                0,
                Some("ConfigMap m has no key k"),
                None,
            ),
        ];
        for (case, s, ready, reason, abi, worlds, error, digest) in table {
            let c = conditions::find(&s.conditions, READY).unwrap();
            assert_eq!((c.status.as_str(), c.reason.as_str()), (ready, reason), "{case}");
            assert_eq!(s.abi_version.as_deref(), abi, "{case}");
            assert_eq!(s.worlds.len(), worlds, "{case}");
            assert_eq!(s.last_error.as_deref(), error, "{case}");
            assert_eq!(s.digest.as_deref(), digest, "{case}");
            assert_eq!(s.conditions.len(), 1, "{case}");
        }
        assert_eq!(loaded.compile_time_ms, Some(42));
        assert_eq!(fixed.observed_generation, Some(3));
    }
}
