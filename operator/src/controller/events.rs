//! Kubernetes Events: one for every action Sluice takes, and for every problem a user must fix.
//!
//! The same Event again (same object, type, reason, action and note) within a few minutes is
//! counted in the first one's `series` instead of being written anew; a different note is a
//! new Event. kube-runtime's recorder folds on the reason alone and keeps the first note, so
//! a second, different error of the same kind would show the first one's text.

use std::{collections::HashMap, sync::Mutex, time::Duration};

use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::api::events::v1::{Event, EventSeries};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use kube::{
    Api, Resource,
    api::{ObjectMeta, Patch, PatchParams, PostParams},
    runtime::events::EventType,
};
use tracing::warn;

use super::Context;

/// How long a repeat is counted in the earlier Event's series.
const SERIES_WINDOW: Duration = Duration::from_secs(360);
/// The Events API caps a note at 1 kB.
const MAX_NOTE_BYTES: usize = 1000;

/// Writes Events as the controller `sluice`, instance `POD_NAME`.
pub struct Recorder {
    client: kube::Client,
    instance: String,
    sent: Mutex<HashMap<Key, Sent>>,
}

#[derive(Hash, PartialEq, Eq)]
struct Key {
    regarding: (Option<String>, Option<String>, Option<String>),
    warning: bool,
    reason: String,
    action: String,
    note: String,
}

struct Sent {
    name: String,
    count: i32,
    last: jiff::Timestamp,
}

impl Recorder {
    pub fn new(client: kube::Client, instance: Option<String>) -> Self {
        Self {
            client,
            instance: instance.unwrap_or_else(|| "sluice".into()),
            sent: Mutex::default(),
        }
    }

    async fn publish(
        &self,
        regarding: ObjectReference,
        type_: EventType,
        reason: &str,
        action: &str,
        note: &str,
    ) -> Result<(), kube::Error> {
        let note = crate::text::truncate(note, MAX_NOTE_BYTES, "…");
        let now = jiff::Timestamp::now();
        let key = Key {
            regarding: (regarding.namespace.clone(), regarding.name.clone(), regarding.uid.clone()),
            warning: matches!(type_, EventType::Warning),
            reason: reason.into(),
            action: action.into(),
            note: note.clone(),
        };
        let namespace = regarding.namespace.clone().unwrap_or_else(|| "default".into());
        let api: Api<Event> = Api::namespaced(self.client.clone(), &namespace);
        // The lock is never held across a request: a slow API server must not hold up other
        // reconciles' Events.
        let repeat = {
            let mut sent = self.sent.lock().expect("event cache");
            sent.retain(|_, s| s.last + SERIES_WINDOW > now);
            sent.get_mut(&key).map(|s| {
                s.count += 1;
                s.last = now;
                (s.name.clone(), s.count)
            })
        };
        if let Some((name, count)) = repeat {
            let series = EventSeries { count, last_observed_time: MicroTime(now) };
            let patch = serde_json::json!({ "series": series });
            match api.patch(&name, &PatchParams::default(), &Patch::Merge(&patch)).await {
                // The API server may have expired it; then it is written anew.
                Err(kube::Error::Api(e)) if e.code == 404 => {}
                other => return other.map(drop),
            }
        }
        let name =
            format!("{}.{:x}", regarding.name.as_deref().unwrap_or("sluice"), now.as_nanosecond());
        let event = Event {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(namespace),
                ..ObjectMeta::default()
            },
            event_time: Some(MicroTime(now)),
            type_: Some(if key.warning { "Warning" } else { "Normal" }.into()),
            reason: Some(key.reason.clone()),
            action: Some(key.action.clone()),
            note: Some(note),
            regarding: Some(regarding),
            reporting_controller: Some("sluice".into()),
            reporting_instance: Some(self.instance.clone()),
            ..Event::default()
        };
        api.create(&PostParams::default(), &event).await?;
        self.sent.lock().expect("event cache").insert(key, Sent { name, count: 1, last: now });
        Ok(())
    }
}

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
    if let Err(e) = ctx.events.publish(object.object_ref(&()), type_, reason, action, note).await {
        warn!(error = %e, "cannot record event");
    }
}
