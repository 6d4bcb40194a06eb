//! The one way a controller runs: its watch and triggers come from the caller, and the runner
//! adds what every controller shares: metrics and health around each reconcile, one error
//! policy with per-object exponential backoff and jitter, and a graceful shutdown that stops
//! new work and lets running reconciles finish.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use kube::Resource;
use kube::runtime::{Controller, controller::Action as Requeue, reflector::ObjectRef};
use tracing::warn;

use super::Context;
use crate::metrics;

/// What every controller's error says about itself: its category is the `category` label of
/// `sluice_reconcile_errors_total`.
pub trait Failure: std::error::Error + Send + Sync + 'static {
    fn category(&self) -> &'static str;
}

impl Failure for kube::Error {
    fn category(&self) -> &'static str {
        category_of_kube(self)
    }
}

/// The category of a Kubernetes API failure.
pub fn category_of_kube(error: &kube::Error) -> &'static str {
    match error {
        kube::Error::Api(s) if s.code == 409 => "Conflict",
        kube::Error::Api(s) if s.code == 422 || s.code == 400 => "Rejected",
        kube::Error::Api(s) if s.code == 403 => "Forbidden",
        _ => "KubernetesApi",
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

/// Consecutive failures of one object after which a Warning Event says so, once per streak:
/// a blip retries quietly, a failure that persists reaches `kubectl describe`.
pub const PERSISTENT_AFTER: u32 = 3;

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
pub async fn run<K, E, F, Fut>(
    name: &'static str,
    controller: Controller<K>,
    reconcile: F,
    ctx: Arc<Context>,
) where
    K: Resource<DynamicType = ()>
        + Clone
        + serde::de::DeserializeOwned
        + Debug
        + Send
        + Sync
        + 'static,
    K::DynamicType: Eq + Hash + Clone + Debug + Default + Unpin + Send + Sync,
    F: Fn(Arc<K>, Arc<Context>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<Requeue, E>> + Send + 'static,
    E: Failure,
{
    let failures = Arc::new(Failures::<K> { counts: Mutex::default() });
    let backoff = ctx.settings.error_backoff;
    let on_error = failures.clone();
    let wrapped = move |object: Arc<K>, ctx: Arc<Context>| {
        let key = ObjectRef::from_obj(&*object);
        let failures = failures.clone();
        let fut = reconcile(object, ctx.clone());
        async move {
            let _running = (ctx.health.begin(name), metrics::in_flight(name));
            let started = Instant::now();
            let result = fut.await;
            metrics::reconciled(
                name,
                started.elapsed(),
                result.as_ref().err().map(|e| e.category()),
            );
            if result.is_ok() {
                failures.reset(&key);
            }
            result
        }
    };
    let error_policy = move |object: Arc<K>, error: &E, ctx: Arc<Context>| {
        let n = on_error.bump(ObjectRef::from_obj(&*object));
        let delay = backoff.delay(n, rand::random::<f64>());
        warn!(
            controller = name,
            category = error.category(),
            %error,
            failures = n,
            retry_in_ms = delay.as_millis() as u64,
            "reconcile failed; will retry"
        );
        if n == PERSISTENT_AFTER {
            let note = format!(
                "{n} reconciles in a row failed ({}): {error}; retrying with backoff up to every {} s",
                error.category(),
                backoff.cap.as_secs()
            );
            tokio::spawn(async move {
                super::events::publish(
                    &ctx,
                    &*object,
                    kube::runtime::events::EventType::Warning,
                    "ReconcileFailing",
                    "Reconcile",
                    &note,
                )
                .await;
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

#[cfg(test)]
mod tests {
    use super::*;

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
