//! The one way a controller runs: its watch and triggers come from the caller, and the runner
//! adds what every controller shares: metrics and health around each reconcile, one error
//! policy with per-object exponential backoff and jitter, the `Reconciled` condition and a
//! Warning Event when a failure persists, and a graceful shutdown that stops new work and
//! lets running reconciles finish.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;
use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
    runtime::{Controller, controller::Action as Requeue, events::EventType, reflector::ObjectRef},
};
use tracing::warn;

use super::error::{Category, Error};
use super::{Context, events};
use crate::conditions::{self, ConditionUpdate, RECONCILED};
use crate::crd::{Connect, Connector, Policy};
use crate::metrics;

/// The field manager of the `Reconciled` condition. Not the controllers' own `sluice`: each
/// manager owns its entries of the conditions list (a map keyed by type), so the runner's
/// write leaves the controller's conditions alone and the controller's never drops this one.
pub const RUNNER_FIELD_MANAGER: &str = "sluice-runner";

/// A resource whose status has conditions, read by the runner to decide `Reconciled`.
pub trait Conditioned {
    fn conditions(&self) -> &[Condition];
}

impl Conditioned for Connector {
    fn conditions(&self) -> &[Condition] {
        self.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default()
    }
}

impl Conditioned for Connect {
    fn conditions(&self) -> &[Condition] {
        self.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default()
    }
}

impl Conditioned for Policy {
    fn conditions(&self) -> &[Condition] {
        self.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default()
    }
}

/// Retry delays after consecutive failures of one object: `base`, doubling to `cap`, each
/// spread by up to a fifth either way so that objects failing together do not retry together.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub cap: Duration,
}

impl Backoff {
    /// The delay after the `failures`-th consecutive failure (1-based), given a jitter draw
    /// in `[0, 1)`.
    pub fn delay(&self, failures: u32, draw: f64) -> Duration {
        let exp = self.base.saturating_mul(2u32.saturating_pow(failures.saturating_sub(1)));
        let d = exp.min(self.cap);
        d.mul_f64(0.8 + 0.4 * draw.clamp(0.0, 1.0))
    }
}

/// Consecutive failures of one object after which the failure counts as persistent: a
/// blip retries quietly, a failure that persists reaches `kubectl get` (the `Reconciled`
/// condition) and `kubectl describe` (a Warning Event, once per streak).
pub const PERSISTENT_AFTER: u32 = 3;

/// What the `Reconciled` condition should become after a reconcile, given how many in a row
/// have failed and what the condition says now; `None` leaves it as it is. It is set only once
/// a failure persists and set back when a reconcile succeeds, so an object that never failed
/// for long has no such condition, and a retry that fails the same way writes nothing.
pub fn reconciled_update(
    outcome: Result<(), (Category, &str)>,
    failures: u32,
    current: Option<&Condition>,
) -> Option<ConditionUpdate> {
    let failing = current.is_some_and(|c| c.status == "False");
    match outcome {
        Ok(()) if failing => Some(ConditionUpdate::new(
            RECONCILED,
            true,
            "Reconciled",
            "The last reconcile succeeded",
        )),
        Ok(()) => None,
        Err(_) if failures < PERSISTENT_AFTER => None,
        Err((category, _)) if failing && current.is_some_and(|c| c.reason == category.as_str()) => {
            None
        }
        Err((category, message)) => {
            Some(ConditionUpdate::new(RECONCILED, false, category.as_str(), message))
        }
    }
}

/// Consecutive failures per object, forgotten on its next success.
struct Failures<K: Resource> {
    counts: Mutex<HashMap<ObjectRef<K>, u32>>,
}

impl<K> Failures<K>
where
    K: Resource,
    K::DynamicType: Eq + Hash + Clone,
{
    fn bump(&self, key: ObjectRef<K>) -> u32 {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = counts.entry(key).or_default();
        *n = n.saturating_add(1);
        *n
    }

    fn reset(&self, key: &ObjectRef<K>) {
        self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).remove(key);
    }
}

/// A controller of `K` whose cache reports to `/readyz` once its first listing is in: the
/// same watch and cache `Controller::new` builds, with that one event seen on the way.
/// (`Store::wait_until_ready` wakes only its last waiter, which is the controller's own.)
pub fn controller<K>(
    name: &'static str,
    events: impl futures::Stream<
        Item = Result<kube::runtime::watcher::Event<K>, kube::runtime::watcher::Error>,
    > + Send
    + 'static,
    health: Arc<super::health::Health>,
) -> Controller<K>
where
    K: Resource + Clone + serde::de::DeserializeOwned + Debug + Send + Sync + 'static,
    K::DynamicType: Eq + Hash + Clone + Debug + Default + Unpin + Send + Sync,
{
    use kube::runtime::{WatchStreamExt, reflector, watcher};
    health.register(name);
    let writer = reflector::store::Writer::<K>::default();
    let reader = writer.as_reader();
    let events = events.inspect(move |event| {
        if matches!(event, Ok(watcher::Event::InitDone)) {
            health.synced(name);
        }
    });
    Controller::for_stream(reflector(writer, events).applied_objects(), reader)
}

/// Runs `controller` with `reconcile` until the shutdown signal of `ctx`, then waits for the
/// reconciles already running.
pub async fn run<K, F, Fut>(
    name: &'static str,
    controller: Controller<K>,
    reconcile: F,
    ctx: Arc<Context>,
) where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Conditioned
        + Clone
        + serde::de::DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static,
    F: Fn(Arc<K>, Arc<Context>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Requeue, Error>> + Send + 'static,
{
    let failures = Arc::new(Failures::<K> { counts: Mutex::default() });
    let backoff = ctx.settings.error_backoff;
    let on_error = failures.clone();
    let wrapped = move |object: Arc<K>, ctx: Arc<Context>| {
        let key = ObjectRef::from_obj(&*object);
        let failures = failures.clone();
        let fut = reconcile(object.clone(), ctx.clone());
        async move {
            let _running = (ctx.health.begin(name), metrics::in_flight(name));
            let started = Instant::now();
            let result = fut.await;
            metrics::reconciled(
                name,
                started.elapsed(),
                result.as_ref().err().map(|e| e.category().as_str()),
            );
            if result.is_ok() {
                failures.reset(&key);
                let current = conditions::find(object.conditions(), RECONCILED);
                if let Some(update) = reconciled_update(Ok(()), 0, current) {
                    write_reconciled(&ctx, &*object, update).await;
                }
            }
            result
        }
    };
    let error_policy = move |object: Arc<K>, error: &Error, ctx: Arc<Context>| {
        let n = on_error.bump(ObjectRef::from_obj(&*object));
        let delay = backoff.delay(n, rand::random::<f64>());
        let category = error.category();
        warn!(
            controller = name,
            %category,
            %error,
            failures = n,
            retry_in_ms = delay.as_millis() as u64,
            "reconcile failed; will retry"
        );
        let note = format!(
            "{n} reconciles in a row failed ({category}): {error}; retrying with backoff up to every {} s",
            backoff.cap.as_secs()
        );
        let current = conditions::find(object.conditions(), RECONCILED);
        let update = reconciled_update(Err((category, &note)), n, current);
        if update.is_some() || n == PERSISTENT_AFTER {
            // The error policy is synchronous; the writes go on beside the retry's wait.
            tokio::spawn(async move {
                if n == PERSISTENT_AFTER {
                    events::publish(
                        &ctx,
                        &*object,
                        EventType::Warning,
                        "ReconcileFailing",
                        "Reconcile",
                        &note,
                    )
                    .await;
                }
                if let Some(update) = update {
                    write_reconciled(&ctx, &*object, update).await;
                }
            });
        }
        Requeue::requeue(delay)
    };
    let shutdown = ctx.shutdown.clone();
    controller
        .graceful_shutdown_on(async move { shutdown.wait().await })
        .run(wrapped, error_policy, ctx)
        .for_each(|result| async move {
            // Reconcile failures were logged by the error policy; this is the rest: the
            // watch itself failing, or an object gone from the cache.
            if let Err(e) = result
                && !matches!(e, kube::runtime::controller::Error::ReconcilerFailed(..))
            {
                warn!(controller = name, error = %e, "controller");
            }
        })
        .await;
}

/// Applies the `Reconciled` condition alone, as [`RUNNER_FIELD_MANAGER`]. A failure is only
/// logged: the condition reports on reconciles, which go on being retried either way.
async fn write_reconciled<K>(ctx: &Context, object: &K, update: ConditionUpdate)
where
    K: Resource<DynamicType = (), Scope = NamespaceResourceScope>
        + Conditioned
        + Clone
        + serde::de::DeserializeOwned
        + Debug,
{
    let mut list: Vec<Condition> =
        conditions::find(object.conditions(), RECONCILED).cloned().into_iter().collect();
    conditions::set(&mut list, update, object.meta().generation, jiff::Timestamp::now());
    let patch = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": { "conditions": list },
    });
    let api: Api<K> = Api::namespaced(ctx.client.clone(), &object.namespace().unwrap_or_default());
    let params = PatchParams::apply(RUNNER_FIELD_MANAGER).force();
    if let Err(error) = api.patch_status(&object.name_any(), &params, &Patch::Apply(patch)).await {
        warn!(name = object.name_any(), %error, "could not write the Reconciled condition");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn condition(status: &str, reason: &str) -> Condition {
        Condition {
            type_: RECONCILED.into(),
            status: status.into(),
            reason: reason.into(),
            message: String::new(),
            observed_generation: None,
            last_transition_time: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                jiff::Timestamp::UNIX_EPOCH,
            ),
        }
    }

    #[test]
    fn reconciled_is_set_when_a_failure_persists_and_back_on_success() {
        let forbidden = Err((Category::Forbidden, "3 reconciles in a row failed"));
        let failing = condition("False", "Forbidden");
        let recovered = condition("True", "Reconciled");
        // (case, outcome, failures in a row, condition now, (status, reason) it becomes)
        type Row<'a> = (
            &'a str,
            Result<(), (Category, &'a str)>,
            u32,
            Option<&'a Condition>,
            Option<(bool, &'a str)>,
        );
        let table: [Row; 8] = [
            ("healthy, never failed", Ok(()), 0, None, None),
            ("a blip", forbidden, 1, None, None),
            ("the second failure", forbidden, 2, None, None),
            ("persistent", forbidden, PERSISTENT_AFTER, None, Some((false, "Forbidden"))),
            ("already told", forbidden, 7, Some(&failing), None),
            (
                "failing another way",
                Err((Category::Conflict, "m")),
                9,
                Some(&failing),
                Some((false, "Conflict")),
            ),
            ("recovered", Ok(()), 0, Some(&failing), Some((true, "Reconciled"))),
            ("stays recovered", Ok(()), 0, Some(&recovered), None),
        ];
        for (case, outcome, failures, current, want) in table {
            let got = reconciled_update(outcome, failures, current);
            assert_eq!(got.as_ref().map(|u| (u.status, u.reason)), want, "{case}");
            if let Some(u) = got {
                assert_eq!(u.type_, RECONCILED, "{case}");
            }
        }
    }

    #[test]
    fn backoff_doubles_to_its_cap_with_a_fifth_of_jitter() {
        let b = Backoff { base: Duration::from_secs(1), cap: Duration::from_secs(60) };
        let table = [
            (1, 0.5, Duration::from_secs(1)),
            (2, 0.5, Duration::from_secs(2)),
            (4, 0.5, Duration::from_secs(8)),
            (7, 0.5, Duration::from_secs(60)),
            (40, 0.5, Duration::from_secs(60)),
            (1, 0.0, Duration::from_millis(800)),
            (1, 0.999_999, Duration::from_millis(1200)),
        ];
        for (failures, draw, want) in table {
            let got = b.delay(failures, draw);
            let diff = got.abs_diff(want);
            assert!(diff < Duration::from_millis(1), "{failures} failures, draw {draw}: {got:?}");
        }
    }
}
