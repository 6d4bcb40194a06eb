//! The operator's Prometheus metrics: one registry, filled from the shell (controllers, the
//! Connect REST client, the pollers, the policy host, the resolvers) and served on
//! `/metrics` by [`crate::serve`]. The pure core never records anything.
//!
//! The registry is process-wide so that the REST client and the policy host, which are
//! shared by every controller, record without a handle threaded through each call. With
//! metrics off (`--metrics false`) it is never created and every record is a branch on an
//! empty `OnceLock`.

use std::sync::OnceLock;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;

use crate::connector::ConnectorRunState;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge};
use prometheus_client::registry::{Metric, Registry};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ControllerLabel {
    controller: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    controller: &'static str,
    category: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RestLabels {
    method: String,
    path: &'static str,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RestLatencyLabels {
    method: String,
    path: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClusterLabel {
    cluster: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ClusterStateLabels {
    cluster: String,
    state: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyLabels {
    policy: String,
    world: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PolicyLatencyLabels {
    policy: String,
    world: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResolutionLabels {
    source: &'static str,
    result: &'static str,
}

fn seconds_histogram() -> Histogram {
    // 1 ms to about 65 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 17))
}

struct Metrics {
    registry: Registry,
    reconciles: Family<ControllerLabel, Counter>,
    reconcile_errors: Family<ErrorLabels, Counter>,
    reconcile_duration: Family<ControllerLabel, Histogram>,
    in_flight: Family<ControllerLabel, Gauge>,
    queue_depth: Family<ControllerLabel, Gauge>,
    rest_requests: Family<RestLabels, Counter>,
    rest_duration: Family<RestLatencyLabels, Histogram>,
    listing_duration: Family<ClusterLabel, Histogram>,
    listing_size: Family<ClusterLabel, Gauge>,
    connectors: Family<ClusterStateLabels, Gauge>,
    policy_calls: Family<PolicyLabels, Counter>,
    policy_duration: Family<PolicyLatencyLabels, Histogram>,
    policy_fuel: Family<PolicyLatencyLabels, Histogram>,
    policy_memory: Family<PolicyLatencyLabels, Histogram>,
    resolutions: Family<ResolutionLabels, Counter>,
    leader: Gauge,
}

static METRICS: OnceLock<Metrics> = OnceLock::new();

/// Registers `metric` under `name` and hands it back: the registry and [`Metrics`] share it.
fn add<M: Metric + Clone>(r: &mut Registry, name: &str, help: &str, metric: M) -> M {
    r.register(name, help, metric.clone());
    metric
}

fn histograms<L>(buckets: fn() -> Histogram) -> Family<L, Histogram, fn() -> Histogram>
where
    L: Clone + std::hash::Hash + Eq,
{
    Family::new_with_constructor(buckets)
}

/// Creates the registry; until this is called every record is dropped.
pub fn enable() {
    METRICS.get_or_init(|| {
        let mut r = Registry::with_prefix("sluice");
        let r = &mut r;
        Metrics {
            reconciles: add(r, "reconciles", "Reconciles run, by controller", Family::default()),
            reconcile_errors: add(
                r,
                "reconcile_errors",
                "Reconciles that ended in a failure, by controller and category",
                Family::default(),
            ),
            reconcile_duration: add(
                r,
                "reconcile_duration_seconds",
                "Time one reconcile took, by controller",
                histograms(seconds_histogram),
            ),
            in_flight: add(
                r,
                "reconciles_in_flight",
                "Reconciles running now, by controller",
                Family::default(),
            ),
            queue_depth: add(
                r,
                "work_queue_depth",
                "Objects waiting for their controller: triggers sent and not yet taken, plus reconciles running",
                Family::default(),
            ),
            rest_requests: add(
                r,
                "connect_rest_requests",
                "Kafka Connect REST calls, by method, path template and status code (0: no answer)",
                Family::default(),
            ),
            rest_duration: add(
                r,
                "connect_rest_request_duration_seconds",
                "Kafka Connect REST call latency until the response headers, by method and path template",
                histograms(seconds_histogram),
            ),
            listing_duration: add(
                r,
                "connect_listing_duration_seconds",
                "Time one listing of every connector of a Connect cluster took, body included",
                histograms(seconds_histogram),
            ),
            listing_size: add(
                r,
                "connect_listing_connectors",
                "Connectors in the last listing of a Connect cluster",
                Family::default(),
            ),
            connectors: add(
                r,
                "connectors",
                "Connectors by state in the last listing of each Connect cluster",
                Family::default(),
            ),
            policy_calls: add(
                r,
                "policy_calls",
                "WebAssembly policy calls, by policy, world and outcome",
                Family::default(),
            ),
            policy_duration: add(
                r,
                "policy_call_duration_seconds",
                "WebAssembly policy call latency",
                histograms(seconds_histogram),
            ),
            policy_fuel: add(
                r,
                "policy_call_fuel",
                "Fuel one policy call used",
                histograms(|| Histogram::new(exponential_buckets(1_000.0, 4.0, 10))),
            ),
            policy_memory: add(
                r,
                "policy_call_memory_bytes",
                "The most linear memory a policy instance held during a call",
                histograms(|| Histogram::new(exponential_buckets(65_536.0, 2.0, 12))),
            ),
            resolutions: add(
                r,
                "plugin_resolutions",
                "Connect plugin references resolved, by source and result",
                Family::default(),
            ),
            leader: add(r, "leader", "1 while this replica holds the leader Lease", Gauge::default()),
            // Last: the fields above registered themselves in it.
            registry: std::mem::take(r),
        }
    });
}

fn with(f: impl FnOnce(&Metrics)) {
    if let Some(m) = METRICS.get() {
        f(m);
    }
}

/// The registry in the Prometheus text format; `None` with metrics off.
pub fn render() -> Option<String> {
    let m = METRICS.get()?;
    let mut out = String::new();
    prometheus_client::encoding::text::encode(&mut out, &m.registry).ok()?;
    Some(out)
}

/// One finished reconcile, with the category of its failure if it failed.
pub fn reconciled(controller: &'static str, took: Duration, failure: Option<&'static str>) {
    with(|m| {
        let label = ControllerLabel { controller };
        m.reconciles.get_or_create(&label).inc();
        m.reconcile_duration.get_or_create(&label).observe(took.as_secs_f64());
        if let Some(category) = failure {
            m.reconcile_errors.get_or_create(&ErrorLabels { controller, category }).inc();
        }
    });
}

/// A failure a reconcile handled itself (it wrote status and chose a retry) rather than
/// returning as an error; counted in the same family.
pub fn failure(controller: &'static str, category: &'static str) {
    with(|m| {
        m.reconcile_errors.get_or_create(&ErrorLabels { controller, category }).inc();
    });
}

/// One running reconcile of `controller`, counted in the in-flight gauge and the queue depth
/// until dropped (also when the reconcile is cancelled).
pub struct InFlight(&'static str);

pub fn in_flight(controller: &'static str) -> InFlight {
    move_in_flight(controller, 1);
    InFlight(controller)
}

impl Drop for InFlight {
    fn drop(&mut self) {
        move_in_flight(self.0, -1);
    }
}

fn move_in_flight(controller: &'static str, delta: i64) {
    with(|m| {
        m.in_flight.get_or_create(&ControllerLabel { controller }).inc_by(delta);
        m.queue_depth.get_or_create(&ControllerLabel { controller }).inc_by(delta);
    });
}

/// Moves the queue depth of `controller` for triggers sent to it and taken by it.
pub fn queued(controller: &'static str, delta: i64) {
    with(|m| {
        m.queue_depth.get_or_create(&ControllerLabel { controller }).inc_by(delta);
    });
}

/// One Connect REST call; `code` 0 when Connect did not answer.
pub fn rest_call(method: &str, path: &'static str, code: u16, took: Duration) {
    with(|m| {
        let method = method.to_owned();
        m.rest_requests
            .get_or_create(&RestLabels { method: method.clone(), path, code: code.to_string() })
            .inc();
        m.rest_duration
            .get_or_create(&RestLatencyLabels { method, path })
            .observe(took.as_secs_f64());
    });
}

/// One listing of `cluster`: its latency and, when it answered, its size and its connectors
/// by state. Every known state is set, 0 included, so a state nobody is in any more reads 0;
/// states are Sluice's own names, so a worker cannot grow the label set.
pub fn listing(cluster: &str, took: Duration, states: Option<&[ConnectorRunState]>) {
    with(|m| {
        let label = ClusterLabel { cluster: cluster.to_owned() };
        m.listing_duration.get_or_create(&label).observe(took.as_secs_f64());
        let Some(states) = states else { return };
        m.listing_size.get_or_create(&label).set(states.len() as i64);
        for state in ConnectorRunState::ALL {
            let n = states.iter().filter(|s| **s == state).count();
            let l = ClusterStateLabels { cluster: cluster.to_owned(), state: state.name() };
            m.connectors.get_or_create(&l).set(n as i64);
        }
    });
}

/// Forgets a cluster nobody watches any more.
pub fn forget_cluster(cluster: &str) {
    with(|m| {
        let label = ClusterLabel { cluster: cluster.to_owned() };
        m.listing_duration.remove(&label);
        m.listing_size.remove(&label);
        for state in ConnectorRunState::ALL {
            let l = ClusterStateLabels { cluster: cluster.to_owned(), state: state.name() };
            m.connectors.remove(&l);
        }
    });
}

/// What one policy call used.
pub struct PolicyUse {
    pub took: Duration,
    pub fuel: u64,
    pub memory: u64,
}

/// One policy call that ran, whatever its outcome.
pub fn policy_call(policy: &str, world: &'static str, outcome: &'static str, usage: PolicyUse) {
    with(|m| {
        let policy = policy.to_owned();
        m.policy_calls
            .get_or_create(&PolicyLabels { policy: policy.clone(), world, outcome })
            .inc();
        let l = PolicyLatencyLabels { policy, world };
        m.policy_duration.get_or_create(&l).observe(usage.took.as_secs_f64());
        m.policy_fuel.get_or_create(&l).observe(usage.fuel as f64);
        m.policy_memory.get_or_create(&l).observe(usage.memory as f64);
    });
}

/// One plugin reference resolved (or not).
pub fn resolution(source: &'static str, ok: bool) {
    with(|m| {
        let result = if ok { "resolved" } else { "failed" };
        m.resolutions.get_or_create(&ResolutionLabels { source, result }).inc();
    });
}

/// Whether this replica leads.
pub fn leader(leading: bool) {
    with(|m| {
        m.leader.set(i64::from(leading));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_family_renders_with_help_and_values() {
        enable();
        reconciled("connector", Duration::from_millis(3), None);
        reconciled("connector", Duration::from_millis(3), Some("ConnectUnavailable"));
        rest_call("GET", "/connectors", 200, Duration::from_millis(2));
        use ConnectorRunState as S;
        listing("ns/c", Duration::from_millis(5), Some(&[S::Running, S::Failed]));
        listing("ns/d", Duration::from_millis(5), Some(&[S::Unknown]));
        let usage = PolicyUse { took: Duration::from_micros(50), fuel: 5_000, memory: 1 << 20 };
        policy_call("ns/p", "restart-policy", "ok", usage);
        resolution("maven", true);
        leader(true);
        let running = in_flight("connector");
        let text = render().unwrap();
        for family in [
            "sluice_reconciles_total{controller=\"connector\"} 2",
            "sluice_reconcile_errors_total{controller=\"connector\",category=\"ConnectUnavailable\"} 1",
            "sluice_reconcile_duration_seconds_bucket",
            "sluice_connect_rest_requests_total{method=\"GET\",path=\"/connectors\",code=\"200\"} 1",
            "sluice_connectors{cluster=\"ns/c\",state=\"FAILED\"} 1",
            "sluice_connectors{cluster=\"ns/c\",state=\"PAUSED\"} 0",
            "sluice_connect_listing_connectors{cluster=\"ns/c\"} 2",
            "sluice_policy_calls_total{policy=\"ns/p\",world=\"restart-policy\",outcome=\"ok\"} 1",
            "sluice_policy_call_fuel_bucket",
            "sluice_plugin_resolutions_total{source=\"maven\",result=\"resolved\"} 1",
            "sluice_leader 1",
            "sluice_reconciles_in_flight{controller=\"connector\"} 1",
            "sluice_connectors{cluster=\"ns/d\",state=\"UNKNOWN\"} 1",
            "# HELP sluice_work_queue_depth",
        ] {
            assert!(text.contains(family), "{family} missing from\n{text}");
        }
        drop(running);
        let text = render().unwrap();
        assert!(text.contains("sluice_reconciles_in_flight{controller=\"connector\"} 0"), "{text}");
        forget_cluster("ns/d");
        assert!(!render().unwrap().contains("cluster=\"ns/d\""));
    }
}
