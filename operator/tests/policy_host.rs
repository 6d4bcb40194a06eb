//! The policy host against real guest components built from policies/ and tests/guests/ by
//! scripts/build-policies (tests/run builds them first): the bundled backoff policy decides
//! exactly as the built-in OnFailure does, and every way a guest can misbehave ends as a
//! clear error within its limits, with the engine still serving the next call.

mod common;

use std::{
    collections::BTreeMap,
    path::PathBuf,
    sync::{Arc, mpsc},
    time::Duration,
};

use common::input;
use jiff::Timestamp;
use sluice::connector::observed::ObservedTask;
use sluice::connector::restart::{self, BackoffSettings, Decision, RestartHistory};
use sluice::connector::{ConnectorRunState, ObservedConnector};
use sluice::crd::RestartPolicyType;
use sluice::policy::host::NoServices;
use sluice::policy::{
    CallLimits, EngineLimits, Grants, HostCall, HostServices, PolicyEngine, PolicyError,
    RestartDecision, RestartInput, RunState, TaskStatus, World, cache::CompileCache,
};

fn module(name: &str) -> Vec<u8> {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("../target/policies/{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: build the policies first with scripts/build-policies (tests/run does)",
            path.display()
        )
    })
}

fn engine() -> PolicyEngine {
    PolicyEngine::new(EngineLimits::default(), None).expect("the engine starts")
}

fn none() -> Arc<dyn HostServices> {
    Arc::new(NoServices)
}

/// Asks the hostile guest to misbehave in `mode` under `limits`.
fn hostile(engine: &PolicyEngine, mode: &str, limits: Option<CallLimits>) -> PolicyError {
    let policy = engine.load("hostile", &module("guest-hostile"), limits).unwrap();
    let err = engine
        .decide(&policy, &input(&[("mode", mode)]), &Grants::default(), none())
        .expect_err("the hostile guest must fail");
    // The engine is not poisoned: the same policy answers the next call.
    let (ok, _) = engine.decide(&policy, &input(&[]), &Grants::default(), none()).unwrap();
    assert_eq!(ok, RestartDecision::RestartFailedTasks("ok".into()));
    err
}

#[test]
fn the_backoff_policy_is_a_restart_policy_of_abi_0_1() {
    let policy = engine().load("backoff", &module("backoff"), None).unwrap();
    assert_eq!(policy.signature.world, World::RestartPolicy);
    assert_eq!(policy.signature.abi.to_string(), "0.1.0");
    assert!(policy.signature.imports.is_empty(), "{:?}", policy.signature.imports);
}

/// A tiny deterministic generator, so a failing history can be replayed from its index.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 =
            self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

fn run_state(n: u64) -> (ConnectorRunState, RunState) {
    match n {
        0 => (ConnectorRunState::Running, RunState::Running),
        1 => (ConnectorRunState::Failed, RunState::Failed),
        2 => (ConnectorRunState::Paused, RunState::Paused),
        _ => (ConnectorRunState::Unassigned, RunState::Unassigned),
    }
}

#[test]
fn the_backoff_policy_decides_exactly_as_the_built_in_on_failure() {
    let engine = engine();
    // The same crate built both ways: for wasm32-unknown-unknown and wrapped (no WASI), and
    // for wasm32-wasip2 (a component importing WASI, which the host links granting nothing).
    let policies: Vec<_> = ["backoff", "backoff-wasip2"]
        .into_iter()
        .map(|name| engine.load(name, &module(name), None).unwrap())
        .collect();
    assert!(!policies[0].signature.wasi && policies[1].signature.wasi);
    let mut rng = Lcg(42);
    let mut waits = 0;
    for case in 0..2_000 {
        let base_s = 1 + rng.next(30);
        let cap_s = base_s + rng.next(900);
        let settings = BackoffSettings {
            base: Duration::from_secs(base_s),
            cap: Duration::from_secs(cap_s),
            healthy_reset: Duration::from_secs(600),
        };
        let name = format!("connector-{}", rng.next(50));
        let (c_state, g_state) = run_state(rng.next(4));
        let tasks: Vec<(ConnectorRunState, RunState)> =
            (0..rng.next(4)).map(|_| run_state(rng.next(4))).collect();
        let count = rng.next(14) as u32;
        let max_retry = 1 + rng.next(12) as u32;
        let last_ms = 1_700_000_000_000 + rng.next(1_000_000);
        let last_restart = (count > 0 || rng.next(2) == 0).then_some(last_ms);
        let now_ms = last_ms + rng.next(cap_s * 1300);

        let observed = ObservedConnector {
            config: BTreeMap::new(),
            state: Some(c_state),
            raw_state: None,
            worker_id: None,
            trace: None,
            tasks: tasks
                .iter()
                .enumerate()
                .map(|(i, (s, _))| ObservedTask {
                    id: i as i32,
                    state: *s,
                    raw_state: String::new(),
                    worker_id: None,
                    trace: None,
                })
                .collect(),
        };
        let ts = |ms: u64| Timestamp::from_millisecond(ms as i64).unwrap();
        let history =
            RestartHistory { count, last_restart: last_restart.map(ts), healthy_since: None };
        let built_in = restart::decide(
            RestartPolicyType::OnFailure,
            max_retry,
            &observed,
            &history,
            ts(now_ms),
            &settings,
            &name,
        );

        let mut wasm_input = input(&[]);
        wasm_input.connector.name = name.clone();
        wasm_input.connector.state = g_state;
        wasm_input.connector.tasks = tasks
            .iter()
            .enumerate()
            .map(|(i, (_, s))| TaskStatus {
                id: i as u32,
                state: *s,
                worker_id: String::new(),
                trace: None,
            })
            .collect();
        wasm_input.history.count = count;
        wasm_input.history.max_retry = max_retry;
        wasm_input.history.last_restart_ms = last_restart;
        wasm_input.now_ms = now_ms;
        wasm_input.settings = vec![
            ("baseSeconds".into(), base_s.to_string()),
            ("maxSeconds".into(), cap_s.to_string()),
        ];
        for policy in &policies {
            let (wasm, _) = engine.decide(policy, &wasm_input, &Grants::default(), none()).unwrap();

            let same = match (&built_in, &wasm) {
                (Decision::Nothing { reason: a }, RestartDecision::Nothing(b)) => a == b,
                (Decision::RestartFailed { reason: a }, RestartDecision::RestartFailedTasks(b)) => {
                    a == b
                }
                (Decision::GiveUp { reason: a }, RestartDecision::GiveUp(b)) => a == b,
                (Decision::Wait { until, .. }, RestartDecision::WaitUntil(w)) => {
                    waits += 1;
                    // The built-in keeps nanoseconds; the ABI whole milliseconds, rounded up.
                    let ns = until.as_nanosecond();
                    (ns + 999_999).div_euclid(1_000_000) == i128::from(w.until_ms)
                }
                _ => false,
            };
            assert!(same, "case {case}: built-in {built_in:?}, {} {wasm:?}", policy.name);
        }
    }
    assert!(waits > 200, "the generated histories must exercise waiting: {waits}");
}

#[test]
fn an_endless_loop_runs_out_of_fuel() {
    let e = hostile(&engine(), "loop", None);
    assert!(matches!(e, PolicyError::OutOfFuel { fuel: 50_000_000 }), "{e}");
    assert_eq!(
        e.to_string(),
        "the policy used all of its fuel (50000000 units): it loops or does too much work per call"
    );
}

#[test]
fn an_endless_loop_with_ample_fuel_hits_the_timeout() {
    let limits =
        CallLimits { memory_bytes: 16 << 20, fuel: u64::MAX, timeout: Duration::from_millis(50) };
    let e = hostile(&engine(), "loop", Some(limits));
    assert!(matches!(e, PolicyError::Timeout(_)), "{e}");
    assert_eq!(e.to_string(), "the policy did not return within 50ms");
}

#[test]
fn a_memory_bomb_stops_at_the_memory_limit() {
    let limits =
        CallLimits { memory_bytes: 8 << 20, fuel: 1_000_000_000, timeout: Duration::from_secs(5) };
    let e = hostile(&engine(), "memory", Some(limits));
    match &e {
        PolicyError::MemoryLimit { requested, limit } => {
            assert_eq!(*limit, 8 << 20);
            assert!(*requested > *limit);
        }
        other => panic!("expected a memory limit error, got {other}"),
    }
    assert!(e.to_string().ends_with("its limit is 8388608 bytes"), "{e}");
}

#[test]
fn a_guest_looping_on_host_calls_is_stopped_at_the_cap() {
    let e = hostile(&engine(), "host-call-flood", None);
    assert_eq!(e, PolicyError::TooManyHostCalls(sluice::policy::limits::MAX_HOST_CALLS), "{e}");
}

#[test]
fn a_host_call_argument_past_the_cap_is_refused_before_it_is_copied() {
    let e = hostile(&engine(), "huge-host-argument", None);
    assert_eq!(e, PolicyError::HostCallTooLarge(sluice::policy::limits::MAX_HOST_CALL_BYTES));
}

#[test]
fn a_trap_is_a_policy_error() {
    let e = hostile(&engine(), "trap", None);
    assert!(matches!(e, PolicyError::Trap { .. }), "{e}");
    assert!(e.to_string().starts_with("the policy trapped: "), "{e}");
}

#[test]
fn a_huge_output_is_refused() {
    let e = hostile(&engine(), "huge-output", None);
    assert_eq!(
        e,
        PolicyError::BadOutput { detail: "the reason is 1048576 bytes; the limit is 4096".into() }
    );
}

#[test]
fn a_secret_that_is_not_granted_is_refused_and_says_what_to_add() {
    let engine = engine();
    let policy = engine.load("hostile", &module("guest-hostile"), None).unwrap();
    let (decision, report) =
        engine.decide(&policy, &input(&[("mode", "secret")]), &Grants::default(), none()).unwrap();
    let RestartDecision::Nothing(reason) = decision else { panic!("{decision:?}") };
    assert!(
        reason.contains(
            "Secret db is not granted to policy hostile: add it to spec.capabilities.secrets.names"
        ),
        "{reason}"
    );
    assert_eq!(
        report.host_calls,
        [HostCall::Secret { name: "db".into(), key: "password".into(), granted: false }]
    );
}

#[test]
fn an_http_call_to_a_host_not_allowed_is_refused_and_says_what_to_add() {
    let engine = engine();
    let policy = engine.load("hostile", &module("guest-hostile"), None).unwrap();
    let grants =
        Grants { http_hosts: ["https://repo1.maven.org".to_owned()].into(), ..Grants::default() };
    let (decision, report) =
        engine.decide(&policy, &input(&[("mode", "http")]), &grants, none()).unwrap();
    let RestartDecision::Nothing(reason) = decision else { panic!("{decision:?}") };
    assert!(reason.contains("metadata.google.internal is not allowed for policy hostile: add it to spec.capabilities.http.allowedHosts"), "{reason}");
    assert!(matches!(&report.host_calls[..], [HostCall::Http { allowed: false, .. }]));
}

#[test]
fn a_log_flood_is_cut_off() {
    let engine = engine();
    let policy = engine
        .load(
            "hostile",
            &module("guest-hostile"),
            Some(CallLimits {
                memory_bytes: 16 << 20,
                fuel: 1_000_000_000,
                timeout: Duration::from_secs(5),
            }),
        )
        .unwrap();
    let (_, report) = engine
        .decide(&policy, &input(&[("mode", "log-flood")]), &Grants::default(), none())
        .unwrap();
    assert_eq!(report.host_calls.len(), 100, "at most 100 lines are kept per call");
    for call in &report.host_calls {
        let HostCall::Log { message, .. } = call else { panic!("{call:?}") };
        assert!(message.len() <= 1024 + '…'.len_utf8(), "{}", message.len());
    }
}

#[test]
fn a_guest_that_logs_a_secret_it_read_has_the_value_masked() {
    let engine = engine();
    let policy = engine.load("hostile", &module("guest-hostile"), None).unwrap();
    let mut tables = Tables::default();
    tables.secrets.insert(("team-a".into(), "db".into(), "password".into()), "pg-s3cret-9".into());
    let grants = Grants {
        namespace: "team-a".into(),
        secrets: ["db".to_owned()].into(),
        ..Grants::default()
    };
    let (decision, report) = engine
        .decide(&policy, &input(&[("mode", "log-secret")]), &grants, Arc::new(tables))
        .unwrap();
    assert_eq!(decision, RestartDecision::Nothing("logged the secret".into()));
    let logged: Vec<&str> = report
        .host_calls
        .iter()
        .filter_map(|c| match c {
            HostCall::Log { message, .. } => Some(message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(logged, ["connecting with password [hidden] now"]);
}

#[test]
fn a_module_for_another_abi_version_is_refused_at_load() {
    let e = engine().load("next", &module("guest-abi-next"), None).err().expect("refused");
    assert_eq!(
        e.to_string(),
        "the module targets ABI sluice:policy@0.2.0, this operator runs 0.1.x: rebuild it with a sluice-plugin-sdk 0.1 release"
    );
}

#[test]
fn a_policy_of_another_world_is_refused_at_the_call() {
    let engine = engine();
    let policy = engine.load("backoff", &module("backoff"), None).unwrap();
    let input = sluice::policy::TransformInput {
        connector_name: "c".into(),
        namespace: "ns".into(),
        config: vec![],
        settings: vec![],
        extensions: vec![],
    };
    let e = engine.transform(&policy, &input, &Grants::default(), none()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the module is a restart-policy policy, but is used as a config-transform policy"
    );
}

#[test]
fn bytes_that_are_not_a_component_are_refused() {
    let e = engine().load("junk", b"\0asm not really", None).err().expect("refused");
    assert!(matches!(e, PolicyError::Invalid { .. }), "{e}");
}

#[test]
fn a_hostile_call_does_not_hold_up_other_calls() {
    let engine = engine();
    let slow = engine
        .load(
            "hostile",
            &module("guest-hostile"),
            Some(CallLimits {
                memory_bytes: 16 << 20,
                fuel: u64::MAX,
                timeout: Duration::from_secs(2),
            }),
        )
        .unwrap();
    let quick = engine.load("backoff", &module("backoff"), None).unwrap();
    let (tx, rx) = mpsc::channel();
    let looping = {
        let engine = engine.clone();
        let tx = tx.clone();
        std::thread::spawn(move || {
            let r = engine.decide(&slow, &input(&[("mode", "loop")]), &Grants::default(), none());
            tx.send("loop").unwrap();
            r
        })
    };
    for _ in 0..100 {
        engine.decide(&quick, &input(&[]), &Grants::default(), none()).unwrap();
    }
    tx.send("others").unwrap();
    assert_eq!(rx.recv().unwrap(), "others", "100 calls finished while the loop still ran");
    let stopped = looping.join().unwrap();
    assert!(
        matches!(stopped, Err(PolicyError::Timeout(_) | PolicyError::OutOfFuel { .. })),
        "{stopped:?}"
    );
}

#[test]
fn a_compiled_policy_is_loaded_from_the_disk_cache_the_second_time() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = module("backoff");
    let first = PolicyEngine::new(EngineLimits::default(), Some(CompileCache::new(dir.path())))
        .unwrap()
        .load("backoff", &bytes, None)
        .unwrap();
    assert!(!first.from_cache);
    let second =
        PolicyEngine::new(EngineLimits::default(), Some(CompileCache::new(dir.path()))).unwrap();
    let loaded = second.load("backoff", &bytes, None).unwrap();
    assert!(loaded.from_cache);
    let (decision, _) = second.decide(&loaded, &input(&[]), &Grants::default(), none()).unwrap();
    assert!(matches!(decision, RestartDecision::RestartFailedTasks(_)), "{decision:?}");
}

#[test]
fn a_torn_or_foreign_cache_file_is_compiled_again_never_loaded() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = module("backoff");
    let cache = CompileCache::new(dir.path());
    let engine = PolicyEngine::new(EngineLimits::default(), Some(cache.clone())).unwrap();
    assert!(!engine.load("backoff", &bytes, None).unwrap().from_cache);
    let path = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .expect("the compiled form was cached");
    let whole = std::fs::read(&path).unwrap();
    let foreign = {
        // Someone else's bytes, even with a digest of their own appended.
        use sha2::Digest as _;
        let mut f = b"\x7fELF not what this engine wrote".to_vec();
        let digest = sha2::Sha256::digest(&f);
        f.extend_from_slice(&digest);
        f
    };
    for (what, content) in [("torn", whole[..whole.len() / 2].to_vec()), ("foreign", foreign)] {
        std::fs::write(&path, &content).unwrap();
        let engine = PolicyEngine::new(EngineLimits::default(), Some(cache.clone())).unwrap();
        let loaded = engine.load("backoff", &bytes, None).unwrap();
        assert!(!loaded.from_cache, "{what}: loaded from the cache");
        let (decision, _) =
            engine.decide(&loaded, &input(&[]), &Grants::default(), none()).unwrap();
        assert!(matches!(decision, RestartDecision::RestartFailedTasks(_)), "{what}");
        // The compile replaced the bad file with a good one.
        let again = PolicyEngine::new(EngineLimits::default(), Some(cache.clone())).unwrap();
        assert!(again.load("backoff", &bytes, None).unwrap().from_cache, "{what}");
    }
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

/// A Secret source as slow as it is allowed to be: it takes all the time it is given, and
/// records how much that was.
struct Slow(std::sync::Mutex<Vec<Duration>>);

impl HostServices for Slow {
    fn secret(
        &self,
        _: &str,
        _: &str,
        _: &str,
        within: Duration,
    ) -> Result<String, sluice::policy::host::SecretError> {
        self.0.lock().unwrap().push(within);
        std::thread::sleep(within);
        Err(sluice::policy::host::SecretError::Unavailable("too slow".into()))
    }

    fn http_get(
        &self,
        _: &str,
        _: &[(String, String)],
        _: Duration,
    ) -> Result<sluice::policy::host::Response, sluice::policy::host::HttpError> {
        Err(sluice::policy::host::HttpError::Timeout)
    }
}

#[test]
fn a_host_call_gets_only_what_is_left_of_the_calls_deadline() {
    let engine = engine();
    let limits =
        CallLimits { timeout: Duration::from_millis(300), ..EngineLimits::default().default };
    let policy = engine.load("hostile", &module("guest-hostile"), Some(limits)).unwrap();
    let slow = Arc::new(Slow(std::sync::Mutex::default()));
    let grants = Grants { secrets: ["db".to_owned()].into(), ..Grants::default() };
    let services: Arc<dyn HostServices> = slow.clone();
    let outcome = engine.decide(&policy, &input(&[("mode", "secret")]), &grants, services);
    // The Secret source used all it was given: the guest either answers at the deadline
    // (its last instructions may run before the next epoch tick) or is stopped by it.
    match outcome {
        Ok((decision, _)) => assert_eq!(decision, RestartDecision::Nothing("too slow".into())),
        Err(e) => assert_eq!(e, PolicyError::Timeout(limits.timeout), "{e}"),
    }
    let given = slow.0.lock().unwrap().clone();
    assert_eq!(given.len(), 1);
    assert!(
        !given[0].is_zero() && given[0] <= limits.timeout,
        "the host call was given {:?}, not what was left of {:?}",
        given[0],
        limits.timeout
    );
}

/// Host services from tables: what a test grants, the operator would read from the cluster
/// and the network.
#[derive(Default)]
struct Tables {
    secrets: BTreeMap<(String, String, String), String>,
    http: BTreeMap<String, (u16, Vec<u8>)>,
}

impl HostServices for Tables {
    fn secret(
        &self,
        namespace: &str,
        name: &str,
        key: &str,
        _within: Duration,
    ) -> Result<String, sluice::policy::host::SecretError> {
        self.secrets
            .get(&(namespace.into(), name.into(), key.into()))
            .cloned()
            .ok_or_else(|| sluice::policy::host::SecretError::NotFound(format!("{name}/{key}")))
    }

    fn http_get(
        &self,
        url: &str,
        _headers: &[(String, String)],
        _within: Duration,
    ) -> Result<sluice::policy::host::Response, sluice::policy::host::HttpError> {
        let (status, body) = self.http.get(url).cloned().unwrap_or((404, vec![]));
        Ok(sluice::policy::host::Response { status, headers: vec![], body })
    }
}

fn transform_input(
    config: &[(&str, &str)],
    settings: &[(&str, &str)],
) -> sluice::policy::TransformInput {
    let pairs =
        |p: &[(&str, &str)]| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    sluice::policy::TransformInput {
        connector_name: "orders".into(),
        namespace: "team-a".into(),
        config: pairs(config),
        settings: pairs(settings),
        extensions: vec![],
    }
}

#[test]
fn the_secret_transform_rewrites_placeholders_to_mounted_secret_references() {
    let engine = engine();
    let policy = engine.load("secrets", &module("secret-transform"), None).unwrap();
    let (config, report) = engine
        .transform(
            &policy,
            &transform_input(&[("connection.password", "${secret:db:password}")], &[]),
            &Grants::default(),
            none(),
        )
        .unwrap();
    assert_eq!(
        config,
        [("connection.password".to_string(), "${dir:/mnt/secrets/db:password}".to_string())]
    );
    assert!(report.host_calls.is_empty(), "references need no secret read");
}

#[test]
fn inline_resolution_reads_only_granted_secrets_of_the_connectors_namespace() {
    let engine = engine();
    let policy = engine.load("secrets", &module("secret-transform"), None).unwrap();
    let mut tables = Tables::default();
    tables.secrets.insert(("team-a".into(), "db".into(), "password".into()), "s3cret".into());
    tables.secrets.insert(("team-b".into(), "db".into(), "password".into()), "theirs".into());
    let services: Arc<dyn HostServices> = Arc::new(tables);
    let grants = Grants {
        namespace: "team-a".into(),
        secrets: ["db".to_owned()].into(),
        ..Grants::default()
    };
    let input = transform_input(&[("p", "${secret:db:password}")], &[("resolve", "inline")]);
    let (config, report) = engine.transform(&policy, &input, &grants, services.clone()).unwrap();
    assert_eq!(config[0].1, "s3cret");
    assert_eq!(
        report.host_calls,
        [HostCall::Secret { name: "db".into(), key: "password".into(), granted: true }],
        "the record names the secret, never its value"
    );

    let denied = engine
        .transform(
            &policy,
            &transform_input(&[("p", "${secret:other:password}")], &[("resolve", "inline")]),
            &grants,
            services,
        )
        .unwrap_err();
    assert_eq!(
        denied.to_string(),
        "the policy returned an error: config p: Secret other is not granted to policy secrets: add it to spec.capabilities.secrets.names"
    );
}

#[test]
fn the_maven_resolver_turns_coordinates_into_a_url_and_the_published_sha512() {
    let engine = engine();
    let policy = engine.load("maven", &module("maven-resolver"), None).unwrap();
    let url = "https://repo1.maven.org/maven2/io/example/jdbc/1.0.0/jdbc-1.0.0.zip";
    let sum = "0f".repeat(64);
    let mut tables = Tables::default();
    tables.http.insert(format!("{url}.sha512"), (200, sum.clone().into_bytes()));
    let grants =
        Grants { http_hosts: ["https://repo1.maven.org".to_owned()].into(), ..Grants::default() };
    let reference = sluice::policy::PluginReference {
        name: "jdbc".into(),
        plugin_settings: vec![
            ("groupId".into(), "io.example".into()),
            ("artifactId".into(), "jdbc".into()),
            ("version".into(), "1.0.0".into()),
        ],
        settings: vec![],
        extensions: vec![],
    };
    let (archive, report) = engine.resolve(&policy, &reference, &grants, Arc::new(tables)).unwrap();
    assert_eq!(archive.url, url);
    assert_eq!(archive.sha512, sum);
    assert!(matches!(
        &report.host_calls[..],
        [HostCall::Http { allowed: true, status: Some(200), .. }]
    ));

    let e = engine.resolve(&policy, &reference, &Grants::default(), none()).unwrap_err();
    assert!(e.to_string().contains("repo1.maven.org is not allowed for policy maven: add it to spec.capabilities.http.allowedHosts"), "{e}");
}

#[test]
fn the_restart_guard_gives_up_on_errors_a_restart_cannot_fix() {
    let engine = engine();
    let policy = engine.load("guard", &module("restart-guard"), None).unwrap();
    let mut failing = input(&[]);
    failing.connector.tasks = vec![TaskStatus {
        id: 0,
        state: RunState::Failed,
        worker_id: "w:8083".into(),
        trace: Some("org.apache.kafka.connect.errors.ConnectException: x\nCaused by: java.sql.SQLInvalidAuthorizationSpecException: denied".into()),
    }];
    let (decision, _) = engine.decide(&policy, &failing, &Grants::default(), none()).unwrap();
    assert!(
        matches!(&decision, RestartDecision::GiveUp(r) if r.starts_with("failed with java.sql.SQLInvalidAuthorizationSpecException")),
        "{decision:?}"
    );
    failing.connector.tasks[0].trace = Some("java.net.ConnectException: Connection refused".into());
    let (decision, _) = engine.decide(&policy, &failing, &Grants::default(), none()).unwrap();
    assert!(matches!(decision, RestartDecision::RestartFailedTasks(_)), "{decision:?}");
}

/// The Python policies, compiled once for all tests (an 18 MB component takes seconds).
fn python(name: &'static str) -> &'static (PolicyEngine, sluice::policy::LoadedPolicy) {
    use std::sync::OnceLock;
    static RATE_LIMIT: OnceLock<(PolicyEngine, sluice::policy::LoadedPolicy)> = OnceLock::new();
    static PROBE: OnceLock<(PolicyEngine, sluice::policy::LoadedPolicy)> = OnceLock::new();
    static SLEEP: OnceLock<(PolicyEngine, sluice::policy::LoadedPolicy)> = OnceLock::new();
    let cell = match name {
        "python-rate-limit" => &RATE_LIMIT,
        "python-sleep" => &SLEEP,
        _ => &PROBE,
    };
    cell.get_or_init(|| {
        // A compile cache, so a test that loads the module again with other limits is quick.
        // Keyed by content and engine, so it is reused across runs, under target/.
        let cache = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("policy-cache");
        let engine = PolicyEngine::new(EngineLimits::default(), Some(CompileCache::new(cache)))
            .expect("the engine starts");
        let policy = engine.load(name, &module(name), None).expect("the Python policy loads");
        (engine, policy)
    })
}

#[test]
fn a_policy_written_in_python_runs_in_the_same_host() {
    let (engine, policy) = python("python-rate-limit");
    assert_eq!(policy.signature.world, World::RestartPolicy);
    assert_eq!(policy.signature.abi.to_string(), "0.1.0");
    assert!(policy.signature.wasi, "componentize-py output imports WASI");

    let decide = |input: &RestartInput| {
        engine.decide(policy, input, &Grants::default(), none()).expect("the policy answers").0
    };
    let mut failing = input(&[("maxPerHour", "4")]);
    failing.connector.state = RunState::Running;
    failing.connector.tasks = vec![TaskStatus {
        id: 2,
        state: RunState::Failed,
        worker_id: "w:8083".into(),
        trace: Some("java.io.IOException: broken pipe".into()),
    }];
    let (decision, report) = engine.decide(policy, &failing, &Grants::default(), none()).unwrap();
    assert_eq!(
        decision,
        RestartDecision::RestartFailedTasks("restart 1 of at most 10: tasks 2 failed".into())
    );
    assert_eq!(
        report.host_calls,
        [HostCall::Log {
            level: "info".into(),
            message: "restarting tasks 2 of orders-sink".into()
        }]
    );

    // Restarts are spaced 3600 / maxPerHour seconds apart.
    let mut recent = failing.clone();
    recent.history.count = 1;
    recent.history.last_restart_ms = Some(recent.now_ms - 1_000);
    let due = recent.now_ms - 1_000 + 900_000;
    assert_eq!(
        decide(&recent),
        RestartDecision::WaitUntil(sluice::policy::Wait {
            until_ms: due,
            reason: format!("at most 4 restarts per hour: next at {due}"),
        })
    );
    recent.now_ms = due;
    assert!(matches!(decide(&recent), RestartDecision::RestartFailedTasks(_)));

    let mut exhausted = failing.clone();
    exhausted.history.count = 10;
    assert_eq!(
        decide(&exhausted),
        RestartDecision::GiveUp("gave up after 10 restarts (maxRetry 10)".into())
    );
    let mut bad = failing.clone();
    bad.settings = vec![("maxPerHour".into(), "often".into())];
    assert_eq!(
        decide(&bad),
        RestartDecision::GiveUp(
            "settings.maxPerHour must be a positive whole number, not 'often': fix the Policy"
                .into()
        )
    );
    let mut healthy = failing;
    healthy.connector.tasks.clear();
    assert_eq!(decide(&healthy), RestartDecision::Nothing("nothing failed".into()));
}

#[test]
fn wasi_grants_a_python_policy_nothing_and_stays_deterministic() {
    let (engine, policy) = python("python-wasi-probe");
    let probe = || {
        let (decision, _) = engine.decide(policy, &input(&[]), &Grants::default(), none()).unwrap();
        let RestartDecision::Nothing(json) = decision else { panic!("{decision:?}") };
        serde_json::from_str::<serde_json::Value>(&json).unwrap()
    };
    let seen = probe();
    assert_eq!(seen["environ"], serde_json::json!({}), "{seen}");
    assert_eq!(seen["argv"], serde_json::json!([]));
    // Clocks stand still: a decision depends on its input's now_ms alone.
    assert_eq!(seen["time"], 0.0);
    assert_eq!(seen["monotonic"], 0.0);
    for what in ["listdir", "open", "write", "socket", "dns"] {
        assert!(seen[what]["error"].is_string(), "{what} succeeded: {seen}");
    }
    assert_eq!(probe(), seen, "two calls saw different things");
}

#[test]
fn a_python_policy_is_held_to_its_fuel() {
    let (engine, _) = python("python-rate-limit");
    let limits = CallLimits { fuel: 10_000, ..EngineLimits::default().default };
    let policy = engine.load("rate-limit", &module("python-rate-limit"), Some(limits)).unwrap();
    assert!(policy.from_cache);
    let err = engine.decide(&policy, &input(&[]), &Grants::default(), none()).unwrap_err();
    assert!(matches!(err, PolicyError::OutOfFuel { .. }), "{err}");
    // The engine is not poisoned: the policy with its own limits still answers.
    let (engine, policy) = python("python-rate-limit");
    assert!(engine.decide(policy, &input(&[]), &Grants::default(), none()).is_ok());
}

#[test]
fn a_python_policy_that_sleeps_a_million_seconds_does_not_block_its_call() {
    let (engine, policy) = python("python-sleep");
    // WASI clocks stand still and their subscriptions are ready at once: the sleep ends
    // without waiting, and the guest answers.
    let (decision, report) =
        engine.decide(policy, &input(&[]), &Grants::default(), none()).expect("it answers");
    assert_eq!(decision, RestartDecision::Nothing("slept".into()));
    assert!(report.elapsed < policy.limits().timeout, "{report:?}");
    // A guest that waits for the clock to move loops in its own code, where the deadline
    // or its fuel stops it.
    let spin = engine.decide(policy, &input(&[("mode", "spin")]), &Grants::default(), none());
    assert!(
        matches!(spin, Err(PolicyError::Timeout(_) | PolicyError::OutOfFuel { .. })),
        "{spin:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sleeping_python_policy_answers_through_the_queue_as_in_the_operator() {
    // The operator's path: from the async runtime, through the queue, on a blocking thread.
    let (engine, policy) = python("python-sleep");
    let called = policy.clone();
    let (decision, _) = engine
        .queued(policy, move |e| e.decide(&called, &input(&[]), &Grants::default(), none()))
        .await
        .expect("it answers");
    assert_eq!(decision, RestartDecision::Nothing("slept".into()));
}
