//! Kubernetes Events: one for every action Sluice takes, and for every problem a user must fix.

use kube::{
    Resource,
    runtime::events::{Event, EventType},
};
use tracing::warn;

use super::Context;

/// Publishes an Event about `object`. A failure to record it is logged, not fatal: the
/// status carries the same information.
pub async fn publish<K>(
    ctx: &Context,
    object: &K,
    type_: EventType,
    reason: &str,
    action: &str,
    note: &str,
) where
    K: Resource<DynamicType = ()>,
{
    let ev = Event {
        type_,
        reason: reason.into(),
        // The Events API caps a note at 1 kB.
        note: Some(crate::text::truncate(note, 1000, "…")),
        action: action.into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&ev, &object.object_ref(&())).await {
        warn!(error = %e, "cannot record event");
    }
}
