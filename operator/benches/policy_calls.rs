//! The cost of a policy call (fresh Store + instantiate + call, as the operator does for every
//! call) per world, beside the same logic compiled natively; compile from scratch vs load
//! from the disk cache; memory per loaded policy.
//!
//! `scripts/build-policies && cargo bench -p sluice --bench policy_calls`
//! (`SLUICE_BENCH_CALLS` sets the calls per world, default 20,000).

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use sluice::policy::{
    ConnectorStatus, EngineLimits, Grants, HostServices, PluginReference, PolicyEngine,
    RestartHistory, RestartInput, RunState, TaskStatus, TransformInput,
    cache::CompileCache,
    host::{HttpError, Response, SecretError},
};
use sluice_plugin_sdk::types as sdk;

fn module(name: &str) -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../target/policies/{name}.wasm"));
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: run scripts/build-policies first", path.display()))
}

struct Checksums(BTreeMap<String, Vec<u8>>);

impl HostServices for Checksums {
    fn secret(&self, _: &str, name: &str, _: &str, _: Duration) -> Result<String, SecretError> {
        Err(SecretError::NotFound(name.into()))
    }
    fn http_get(
        &self,
        url: &str,
        _: &[(String, String)],
        _: Duration,
    ) -> Result<Response, HttpError> {
        let body = self.0.get(url).cloned().unwrap_or_default();
        Ok(Response { status: if body.is_empty() { 404 } else { 200 }, headers: vec![], body })
    }
}

/// Median and p99 of `calls` runs of `f`, in microseconds.
fn measure(calls: usize, mut f: impl FnMut()) -> (f64, f64) {
    for _ in 0..calls / 10 {
        f();
    }
    let mut samples: Vec<Duration> = (0..calls)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize].as_nanos() as f64 / 1000.0;
    (at(0.5), at(0.99))
}

fn report(world: &str, wasm: (f64, f64), native: (f64, f64)) {
    println!(
        "{world:<17} wasm median {:>6.2} µs  p99 {:>6.2} µs | native median {:>6.3} µs  p99 {:>6.3} µs | ratio (median) {:>5.0}x",
        wasm.0,
        wasm.1,
        native.0,
        native.1,
        wasm.0 / native.0
    );
}

/// A connector with a failed and a running task, restarted three times.
fn restart_input() -> RestartInput {
    let task = |id, state| TaskStatus { id, state, worker_id: "w:8083".into(), trace: None };
    RestartInput {
        connector: ConnectorStatus {
            name: "orders-sink".into(),
            namespace: "team-a".into(),
            state: RunState::Running,
            worker_id: "w:8083".into(),
            trace: None,
            tasks: vec![task(0, RunState::Failed), task(1, RunState::Running)],
        },
        history: RestartHistory {
            count: 3,
            last_restart_ms: Some(1_700_000_000_000),
            healthy_since_ms: None,
            max_retry: 10,
        },
        settings: vec![],
        now_ms: 1_700_000_030_000,
        extensions: vec![],
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    sluice::tls::install_crypto_provider();
    let calls: usize =
        std::env::var("SLUICE_BENCH_CALLS").ok().and_then(|n| n.parse().ok()).unwrap_or(20_000);
    let engine = PolicyEngine::new(EngineLimits::default(), None).unwrap();
    let none: Arc<dyn HostServices> = Arc::new(Checksums(BTreeMap::new()));
    let grants = Grants::default();
    println!("policy calls: {calls} per world, fresh Store + instantiate + call each");

    // restart-policy: the bundled backoff policy on a failed connector with two tasks.
    let backoff = engine.load("backoff", &module("backoff"), None).unwrap();
    let input = restart_input();
    let wasm = measure(calls, || {
        std::hint::black_box(engine.decide(&backoff, &input, &grants, none.clone()).unwrap());
    });
    let native_input = sdk::RestartInput {
        connector: sdk::ConnectorStatus {
            name: "orders-sink".into(),
            namespace: "team-a".into(),
            state: sdk::RunState::Running,
            worker_id: "w:8083".into(),
            trace: None,
            tasks: vec![
                sdk::TaskStatus {
                    id: 0,
                    state: sdk::RunState::Failed,
                    worker_id: "w:8083".into(),
                    trace: None,
                },
                sdk::TaskStatus {
                    id: 1,
                    state: sdk::RunState::Running,
                    worker_id: "w:8083".into(),
                    trace: None,
                },
            ],
        },
        history: sdk::RestartHistory {
            count: 3,
            last_restart_ms: Some(1_700_000_000_000),
            healthy_since_ms: None,
            max_retry: 10,
        },
        settings: vec![],
        now_ms: 1_700_000_030_000,
        extensions: vec![],
    };
    let native = measure(calls, || {
        std::hint::black_box(sluice_policy_backoff::decide(std::hint::black_box(&native_input)));
    });
    report("restart-policy", wasm, native);

    // config-transform: the secret transform on a 10-key config with two placeholders.
    let transform = engine.load("secret-transform", &module("secret-transform"), None).unwrap();
    let mut config: Vec<(String, String)> =
        (0..8).map(|i| (format!("key.{i}"), format!("value-{i}"))).collect();
    config.push(("connection.user".into(), "${secret:db:user}".into()));
    config.push(("connection.password".into(), "${secret:db:password}".into()));
    let input = TransformInput {
        connector_name: "orders".into(),
        namespace: "team-a".into(),
        config: config.clone(),
        settings: vec![],
        extensions: vec![],
    };
    let wasm = measure(calls, || {
        std::hint::black_box(engine.transform(&transform, &input, &grants, none.clone()).unwrap());
    });
    let native_input = sdk::TransformInput {
        connector_name: "orders".into(),
        namespace: "team-a".into(),
        config,
        settings: vec![],
        extensions: vec![],
    };
    let native = measure(calls, || {
        std::hint::black_box(
            sluice_policy_secret_transform::transform(std::hint::black_box(&native_input)).unwrap(),
        );
    });
    report("config-transform", wasm, native);

    // plugin-resolver: the Maven resolver, its checksum fetch answered from memory (the
    // network is not what is measured).
    let resolver = engine.load("maven-resolver", &module("maven-resolver"), None).unwrap();
    let url = "https://repo1.maven.org/maven2/io/example/jdbc/1.0.0/jdbc-1.0.0.zip.sha512";
    let services: Arc<dyn HostServices> =
        Arc::new(Checksums([(url.to_owned(), "0f".repeat(64).into_bytes())].into()));
    let grants_http =
        Grants { http_hosts: ["repo1.maven.org".to_owned()].into(), ..Grants::default() };
    let coords = vec![
        ("groupId".into(), "io.example".into()),
        ("artifactId".into(), "jdbc".into()),
        ("version".into(), "1.0.0".into()),
    ];
    let input = PluginReference {
        name: "jdbc".into(),
        plugin_settings: coords.clone(),
        settings: vec![],
        extensions: vec![],
    };
    let wasm = measure(calls, || {
        std::hint::black_box(
            engine.resolve(&resolver, &input, &grants_http, services.clone()).unwrap(),
        );
    });
    sluice_plugin_sdk::testing::TestHost::install(
        sluice_plugin_sdk::testing::TestHost::default().with_http(
            url,
            200,
            "0f".repeat(64).as_bytes(),
        ),
    );
    let native_input = sdk::PluginReference {
        name: "jdbc".into(),
        plugin_settings: coords,
        settings: vec![],
        extensions: vec![],
    };
    let native = measure(calls, || {
        std::hint::black_box(
            sluice_policy_maven_resolver::resolve(std::hint::black_box(&native_input)).unwrap(),
        );
    });
    report("plugin-resolver", wasm, native);

    // What building the policies' HTTP client costs: why the operator builds it once.
    let started = Instant::now();
    for _ in 0..20 {
        std::hint::black_box(sluice::controller::host_services::http_client(false));
    }
    println!(
        "building the policy HTTP client: {:.0} µs (once per operator, not per call)",
        started.elapsed().as_secs_f64() * 1e6 / 20.0
    );

    // The same restart world in Python (componentize-py, WASI granting nothing): what a
    // second language costs per call and to compile.
    let py_calls: usize =
        std::env::var("SLUICE_BENCH_PY_CALLS").ok().and_then(|n| n.parse().ok()).unwrap_or(300);
    // 0 skips it (when profiling the Rust policies).
    if py_calls > 0 {
        let py_bytes = module("python-rate-limit");
        let started = Instant::now();
        let python = engine.load("python-rate-limit", &py_bytes, None).unwrap();
        let py_compile = started.elapsed();
        let mut py_input = restart_input();
        py_input.history.last_restart_ms = None;
        let (median, p99) = measure(py_calls, || {
            std::hint::black_box(engine.decide(&python, &py_input, &grants, none.clone()).unwrap());
        });
        println!(
            "restart-policy in Python (python-rate-limit, {} MB): median {:.0} µs  p99 {:.0} µs over {py_calls} calls; compile {:.1} s",
            py_bytes.len() >> 20,
            median,
            p99,
            py_compile.as_secs_f64()
        );
    }

    // Compile from scratch vs load from the disk cache.
    let dir = tempfile::tempdir().unwrap();
    let bytes = module("backoff");
    let cold =
        PolicyEngine::new(EngineLimits::default(), Some(CompileCache::new(dir.path()))).unwrap();
    let compiled = cold.load("backoff", &bytes, None).unwrap();
    let warm =
        PolicyEngine::new(EngineLimits::default(), Some(CompileCache::new(dir.path()))).unwrap();
    let cached = warm.load("backoff", &bytes, None).unwrap();
    assert!(!compiled.from_cache && cached.from_cache);
    println!(
        "load backoff.wasm: compile {:.1} ms, from the disk cache {:.2} ms (ratio {:.0}x)",
        compiled.load_time.as_secs_f64() * 1e3,
        cached.load_time.as_secs_f64() * 1e3,
        compiled.load_time.as_secs_f64() / cached.load_time.as_secs_f64()
    );

    // Memory per loaded policy: 50 policies, each its own compiled component.
    let engine = PolicyEngine::new(EngineLimits::default(), None).unwrap();
    let before = rss_kib();
    let loaded: Vec<_> = (0..50)
        .map(|i| {
            let mut unique = bytes.clone();
            // A custom section makes each module distinct, as 50 teams' policies would be.
            unique.extend_from_slice(&[
                0,
                6,
                5,
                b'p',
                b'a',
                b'd',
                b'0' + (i / 10) as u8,
                b'0' + (i % 10) as u8,
            ]);
            engine.load(&format!("p{i}"), &unique, None)
        })
        .collect();
    let ok = loaded.iter().filter(|l| l.is_ok()).count();
    let after = rss_kib();
    println!(
        "memory per loaded policy: {:.0} KiB ({ok} policies, RSS {} → {} KiB)",
        (after.saturating_sub(before)) as f64 / ok.max(1) as f64,
        before,
        after
    );
}
