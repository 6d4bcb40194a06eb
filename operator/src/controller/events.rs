//! Kubernetes Events: one for every action Sluice takes, and for every problem a user must fix.

use kube::{
    Resource,
    runtime::events::{Event, EventType, Recorder},
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
    send(&ctx.recorder, object, event(type_, reason, action, note)).await;
}

/// Publishes an Event that is never folded into an earlier one. The shared recorder counts
/// a repeat of the same reason as a series of the first Event and keeps the first note, so
/// a changed message would not show; callers that publish only on a change use this.
pub async fn publish_new<K>(
    ctx: &Context,
    object: &K,
    type_: EventType,
    reason: &str,
    action: &str,
    note: &str,
) where
    K: Resource<DynamicType = ()>,
{
    let recorder = Recorder::new(ctx.client.clone(), ctx.reporter.clone());
    send(&recorder, object, event(type_, reason, action, note)).await;
}

fn event(type_: EventType, reason: &str, action: &str, note: &str) -> Event {
    Event {
        type_,
        reason: reason.into(),
        // The Events API caps a note at 1 kB.
        note: Some(crate::text::truncate(note, 1000, "…")),
        action: action.into(),
        secondary: None,
    }
}

async fn send<K>(recorder: &Recorder, object: &K, ev: Event)
where
    K: Resource<DynamicType = ()>,
{
    if let Err(e) = recorder.publish(&ev, &object.object_ref(&())).await {
        warn!(error = %e, "cannot record event");
    }
}
