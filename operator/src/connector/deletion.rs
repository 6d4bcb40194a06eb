//! When a Connector being deleted stops waiting for its Connect cluster. The finalizer
//! deletes the connector from Connect first, so a `kubectl delete` never leaves it running
//! unseen; but a cluster that is gone for good (workers that never come back, an endpoint
//! retired, credentials never restored) would hold the Connector, and its namespace, forever.
//! So the wait ends after a deadline, or at once when the Connector asks for it, and the
//! Event then names what was left on Connect.

use std::{collections::BTreeMap, time::Duration};

use jiff::Timestamp;

/// `"true"`: when deleting the connector from Connect fails, release the Connector at once
/// instead of retrying until the deadline.
pub const ABANDON_ON_DELETE: &str = "sluice.dev/abandon-on-delete";

/// What to do after deleting from Connect failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterFailure {
    /// Try again; the deadline is this far away.
    Retry { left: Duration },
    /// Remove the finalizer; the text says why, for the Event.
    Release(String),
}

/// Decides from the Connector's annotations, when its deletion was asked for, and `now`.
pub fn after_failure(
    annotations: &BTreeMap<String, String>,
    deletion_requested: Option<Timestamp>,
    now: Timestamp,
    deadline: Duration,
) -> AfterFailure {
    if annotations.get(ABANDON_ON_DELETE).is_some_and(|v| v.trim().eq_ignore_ascii_case("true")) {
        return AfterFailure::Release(format!("the Connector has {ABANDON_ON_DELETE}=true"));
    }
    let waited = deletion_requested
        .map(|at| Duration::try_from(now.duration_since(at)).unwrap_or(Duration::ZERO))
        .unwrap_or(Duration::ZERO);
    match deadline.checked_sub(waited).filter(|left| !left.is_zero()) {
        Some(left) => AfterFailure::Retry { left },
        None => AfterFailure::Release(format!(
            "Connect did not accept the delete for {}s after the Connector's deletion (the operator's --delete-timeout-seconds)",
            deadline.as_secs()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEN_MINUTES: Duration = Duration::from_secs(600);

    fn at(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + seconds).unwrap()
    }

    #[test]
    fn a_failed_delete_is_retried_until_the_deadline_then_released() {
        let none = BTreeMap::new();
        assert_eq!(
            after_failure(&none, Some(at(0)), at(60), TEN_MINUTES),
            AfterFailure::Retry { left: Duration::from_secs(540) }
        );
        let AfterFailure::Release(why) = after_failure(&none, Some(at(0)), at(600), TEN_MINUTES)
        else {
            panic!("not released at the deadline")
        };
        assert!(why.contains("600s"), "{why}");
        // A clock behind the deletion time counts as no time waited.
        assert_eq!(
            after_failure(&none, Some(at(10)), at(0), TEN_MINUTES),
            AfterFailure::Retry { left: TEN_MINUTES }
        );
    }

    #[test]
    fn the_annotation_releases_at_once_and_only_when_true() {
        let with = |v: &str| BTreeMap::from([(ABANDON_ON_DELETE.to_owned(), v.to_owned())]);
        assert!(matches!(
            after_failure(&with("true"), Some(at(0)), at(1), TEN_MINUTES),
            AfterFailure::Release(why) if why.contains(ABANDON_ON_DELETE)
        ));
        assert!(matches!(
            after_failure(&with("false"), Some(at(0)), at(1), TEN_MINUTES),
            AfterFailure::Retry { .. }
        ));
    }
}
