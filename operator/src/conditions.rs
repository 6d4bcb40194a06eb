//! Status conditions, kept the Kubernetes way: one per type, `lastTransitionTime` moves only
//! when `status` changes, so rewriting an unchanged condition is a no-op patch.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};

/// The condition every Sluice resource has: whether it is what its spec asks for.
pub const READY: &str = "Ready";

/// Present once reconciles of a resource have failed several times in a row: `False` with the
/// failure's category as its reason while they go on failing, `True` again after one succeeds.
/// The controllers' runner owns it (its own field manager); their status writes leave it out.
pub const RECONCILED: &str = "Reconciled";

/// A condition to set; `observedGeneration` and times are filled in by [`set`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionUpdate {
    pub type_: &'static str,
    pub status: bool,
    pub reason: &'static str,
    pub message: String,
}

/// The longest condition message Sluice writes, in bytes: within the 32768 characters
/// Kubernetes allows a condition's message (`metav1.Condition`), so that a message built
/// from what a worker or an installer said (an error body, a long list of plugins) can
/// never grow a status towards the object size limit, where the whole status write would be
/// refused at every reconcile.
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024 - 64;

impl ConditionUpdate {
    pub fn new(
        type_: &'static str,
        status: bool,
        reason: &'static str,
        message: impl Into<String>,
    ) -> Self {
        let message = message.into();
        let message = if message.len() > MAX_MESSAGE_BYTES {
            crate::text::truncate(&message, MAX_MESSAGE_BYTES, " … (cut)")
        } else {
            message
        };
        Self { type_, status, reason, message }
    }
}

/// Sets `update` in `conditions`, keeping the previous transition time if the status is unchanged.
pub fn set(
    conditions: &mut Vec<Condition>,
    update: ConditionUpdate,
    generation: Option<i64>,
    now: jiff::Timestamp,
) {
    let status = if update.status { "True" } else { "False" }.to_owned();
    let previous = conditions.iter().position(|c| c.type_ == update.type_);
    let last_transition_time = match previous.map(|i| &conditions[i]) {
        Some(c) if c.status == status => c.last_transition_time.clone(),
        _ => Time(now),
    };
    let condition = Condition {
        type_: update.type_.to_owned(),
        status,
        reason: update.reason.to_owned(),
        message: update.message,
        observed_generation: generation,
        last_transition_time,
    };
    match previous {
        Some(i) => conditions[i] = condition,
        None => conditions.push(condition),
    }
}

/// The condition of `type_`, if present.
pub fn find<'a>(conditions: &'a [Condition], type_: &str) -> Option<&'a Condition> {
    conditions.iter().find(|c| c.type_ == type_)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_too_long_for_the_api_server_is_cut_to_fit() {
        let long = "é".repeat(40_000);
        let update = ConditionUpdate::new(READY, false, "InvalidSpec", long.clone());
        assert!(update.message.chars().count() <= 32768, "within the API server's limit");
        assert!(update.message.ends_with(" … (cut)"), "says it was cut");
        assert!(long.starts_with(update.message.trim_end_matches(" … (cut)")));
        let short = ConditionUpdate::new(READY, true, "Ready", "fine");
        assert_eq!(short.message, "fine");
    }

    fn at(seconds: i64) -> jiff::Timestamp {
        jiff::Timestamp::from_second(seconds).unwrap()
    }

    #[test]
    fn transition_time_moves_only_when_status_changes() {
        let mut c = vec![];
        set(&mut c, ConditionUpdate::new("Ready", false, "Creating", "m1"), Some(1), at(10));
        set(&mut c, ConditionUpdate::new("Ready", false, "Settling", "m2"), Some(2), at(20));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].last_transition_time, Time(at(10)));
        assert_eq!(c[0].reason, "Settling");
        assert_eq!(c[0].observed_generation, Some(2));
        set(&mut c, ConditionUpdate::new("Ready", true, "Running", "m3"), Some(2), at(30));
        assert_eq!(c[0].last_transition_time, Time(at(30)));
        assert_eq!(find(&c, "Ready").unwrap().status, "True");
    }
}
