//! Faults (issue 12). Each test puts a Connect cluster (the fake, held to the real worker by
//! the conformance tests) or the API server through what they show on their worst day and
//! asserts that the operator converges with nothing lost and nothing duplicated: one create
//! per connector, its config as the spec says, its status Ready. Each prints the REST calls
//! the fault cost beside a clean create on the same fake (docs/benchmarks.md keeps the
//! table). They run one at a time: one of them restarts the API server the others use.

use std::{
    sync::Mutex,
    time::{Duration, Instant},
};

use sluice_e2e::fake_connect::{FakeConnect, Fault};
use sluice_e2e::{Operator, TestEnv, file_source_connector, wait_for};

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
const WAIT: Duration = Duration::from_secs(120);

struct Case {
    env: TestEnv,
    ns: String,
    fake: FakeConnect,
    operator: Option<Operator>,
}

impl Case {
    fn new(prefix: &str) -> Self {
        let env = TestEnv::require();
        env.install_crds();
        let ns = env.namespace(prefix);
        let fake = FakeConnect::start();
        let mut case = Self { env, ns, fake, operator: None };
        case.start_operator();
        case
    }

    fn start_operator(&mut self) {
        self.operator = Some(Operator::start_with(&self.env, &self.ns, &["--resync-seconds", "2"]));
    }

    fn apply(&self, name: &str, topic: &str) {
        let yaml = file_source_connector(
            name,
            &self.ns,
            name,
            std::path::Path::new("/dev/null"),
            &self.fake.url,
        )
        .replace(&format!("topic: {name}"), &format!("topic: {topic}"));
        self.env.apply(&yaml);
    }

    fn wait_ready(&self, name: &str) {
        wait_for(&format!("{name} Ready"), WAIT, || {
            let c = self.env.get_json(&["get", "connector", name, "-n", &self.ns]);
            let ready = c["status"]["conditions"]
                .as_array()
                .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready").cloned())
                .unwrap_or_default();
            let current = ready["observedGeneration"] == c["metadata"]["generation"];
            if ready["status"] == "True" && current { Ok(()) } else { Err(c["status"].to_string()) }
        });
    }

    /// REST calls from applying `name` to its being Ready, with nothing wrong.
    fn clean_create(&self, name: &str) -> usize {
        let from = self.mark();
        self.apply(name, name);
        self.wait_ready(name);
        self.calls_since(from)
    }

    /// The number of requests the fake has seen, to count from.
    fn mark(&self) -> usize {
        self.fake.requests().len()
    }

    fn calls_since(&self, from: usize) -> usize {
        self.fake.requests().len() - from
    }

    /// Creates sent since request number `from`, and of those, the ones answered 201.
    fn creates_since(&self, from: usize) -> (usize, usize) {
        let requests = self.fake.requests();
        let posts: Vec<_> = requests[from..]
            .iter()
            .filter(|r| r.method == "POST" && r.path == "/connectors")
            .collect();
        (posts.len(), posts.iter().filter(|r| r.status == 201).count())
    }

    fn report(&self, fault: &str, calls: usize, clean: usize) {
        println!("fault: {fault}: {calls} REST calls from apply to Ready; a clean create: {clean}");
    }
}

fn one_at_a_time() -> std::sync::MutexGuard<'static, ()> {
    ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn a_minute_of_409_rebalances_delays_the_create_and_nothing_is_lost_or_doubled() {
    let _one = one_at_a_time();
    let case = Case::new("rebalance");
    let clean = case.clean_create("clean");
    let from = case.mark();
    case.fake.set_fault(Some(Fault::Rebalancing));
    case.apply("during", "during");
    std::thread::sleep(Duration::from_secs(60));
    assert!(!case.fake.has("during"), "created during the rebalance");
    let status =
        case.env.get_json(&["get", "connector", "during", "-n", &case.ns])["status"].clone();
    assert!(
        status.to_string().contains("409") || status.to_string().contains("Conflict"),
        "{status}"
    );
    case.fake.set_fault(None);
    case.wait_ready("during");
    let (_, created) = case.creates_since(from);
    assert_eq!(created, 1, "one create carried out, once the rebalance ended");
    assert!(case.fake.has("clean"), "the connector made before is still there");
    case.report("a minute of 409", case.calls_since(from), clean);
}

#[test]
fn a_create_answered_after_the_client_timeout_is_not_made_twice() {
    let _one = one_at_a_time();
    let case = Case::new("slow");
    let clean = case.clean_create("clean");
    let from = case.mark();
    // Carried out at once, answered after the client's 30 s timeout.
    case.fake.set_fault(Some(Fault::SlowCreate(Duration::from_secs(35))));
    case.apply("late", "late");
    case.wait_ready("late");
    let (posts, _) = case.creates_since(from);
    assert_eq!(posts, 1, "the create the client gave up on was not sent again");
    // The client did give up on the create: the operator says its POST timed out.
    let log = case.operator.as_ref().expect("the operator runs").log_text();
    assert!(
        log.lines().any(|l| l.contains("/connectors): operation timed out")),
        "no timed-out create in the operator's log: no timeout happened"
    );
    case.fake.set_fault(None);
    case.report("a create answered after the client timeout", case.calls_since(from), clean);
}

#[test]
fn an_operator_killed_between_its_create_and_the_status_write_converges_on_restart() {
    let _one = one_at_a_time();
    let mut case = Case::new("killed");
    let clean = case.clean_create("clean");
    let from = case.mark();
    case.fake.set_fault(Some(Fault::SlowCreate(Duration::from_secs(20))));
    case.apply("orphan", "orphan");
    wait_for("the create carried out", WAIT, || {
        if case.fake.has("orphan") { Ok(()) } else { Err("not yet".into()) }
    });
    // SIGKILL while the create's answer is on its way: no status write after it.
    case.operator = None;
    case.fake.set_fault(None);
    case.start_operator();
    case.wait_ready("orphan");
    let (posts, _) = case.creates_since(from);
    assert_eq!(posts, 1, "the restarted operator did not send the create again");
    let status =
        case.env.get_json(&["get", "connector", "orphan", "-n", &case.ns])["status"].clone();
    assert_eq!(status["connectorName"], "orphan", "it is still Sluice's: {status}");
    case.report(
        "the operator killed between its create and the status write",
        case.calls_since(from),
        clean,
    );
}

#[test]
fn the_api_server_restarted_loses_nothing_and_the_next_change_is_applied() {
    let _one = one_at_a_time();
    let case = Case::new("apiserver");
    let clean = case.clean_create("steady");
    let from = case.mark();
    let started = Instant::now();
    case.env.testenv(&["stop", "apiserver"]);
    std::thread::sleep(Duration::from_secs(10));
    case.env.testenv(&["start", "apiserver"]);
    // The watches come back, and a change made after the restart is carried out.
    case.apply("steady", "after-restart");
    wait_for("the change on Connect", WAIT, || {
        let topic = case.fake.config("steady").and_then(|c| c.get("topic").cloned());
        if topic.as_deref() == Some("after-restart") { Ok(()) } else { Err(format!("{topic:?}")) }
    });
    case.wait_ready("steady");
    let operator = case.operator.as_ref().expect("running");
    let (code, body) = operator.endpoint("GET", "/healthz");
    assert_eq!(code, 200, "{body}");
    assert_eq!(case.fake.connector_count(), 1, "nothing lost, nothing added");
    case.report(
        &format!(
            "the API server down 10 s, then a change ({} s in all)",
            started.elapsed().as_secs()
        ),
        case.calls_since(from),
        clean,
    );
}

#[test]
fn rotated_rest_credentials_are_used_and_the_old_ones_no_longer_sent() {
    let _one = one_at_a_time();
    let case = Case::new("rotate");
    let basic = |password: &str| {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("sluice:{password}"))
        )
    };
    let secret = |password: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: connect-creds\n  namespace: {}\n  annotations:\n    sluice.dev/usable-by: connectRest\nstringData:\n  username: sluice\n  password: {password}\n",
            case.ns
        )
    };
    case.fake.require_authorization(Some(&basic("first-password")));
    case.env.apply(&secret("first-password"));
    let with_auth = |name: &str| {
        file_source_connector(
            name,
            &case.ns,
            name,
            std::path::Path::new("/dev/null"),
            &case.fake.url,
        ) + "    authentication:\n      type: basic\n      basic:\n        secretRef: connect-creds\n"
    };
    let start = case.mark();
    case.env.apply(&with_auth("guarded"));
    case.wait_ready("guarded");
    let rotated = case.mark();
    // Rotation: the worker takes only the new password from now on.
    case.fake.require_authorization(Some(&basic("second-password")));
    case.env.apply(&secret("second-password"));
    wait_for("a request with the new password answered", WAIT, || {
        let answered = case.fake.requests()[rotated..].iter().any(|r| {
            r.authorization.as_deref() == Some(&basic("second-password")) && r.status == 200
        });
        if answered { Ok(()) } else { Err("not yet".into()) }
    });
    case.wait_ready("guarded");
    // Give every poller a few resyncs: none may go on with the old password.
    std::thread::sleep(Duration::from_secs(8));
    let settled = case.mark();
    std::thread::sleep(Duration::from_secs(6));
    let stale: Vec<String> = case.fake.requests()[settled..]
        .iter()
        .filter(|r| r.authorization.as_deref() != Some(&basic("second-password")))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(stale.is_empty(), "requests without the rotated credentials: {stale:?}");
    assert_eq!(case.creates_since(0), (1, 1), "the connector was not made again");
    println!(
        "fault: REST credentials rotated: {} REST calls from the first apply to settled",
        case.calls_since(start)
    );
}

#[test]
fn a_worker_that_dies_during_the_create_leaves_one_connector() {
    let _one = one_at_a_time();
    let case = Case::new("dies");
    let clean = case.clean_create("clean");
    for (name, stored) in [("unstored", false), ("stored", true)] {
        let from = case.mark();
        case.fake.set_fault(Some(Fault::DieOnCreate { stored }));
        case.apply(name, name);
        wait_for(&format!("{name}'s create sent"), WAIT, || {
            let (posts, _) = case.creates_since(from);
            if posts > 0 { Ok(()) } else { Err("not yet".into()) }
        });
        assert_eq!(case.fake.has(name), stored);
        // The worker is back.
        case.fake.set_fault(None);
        case.wait_ready(name);
        let (posts, created) = case.creates_since(from);
        if stored {
            assert_eq!((posts, created), (1, 0), "the stored create was not sent again");
        } else {
            assert!(posts >= 2, "the lost create was sent again");
            assert_eq!(created, 1, "and carried out once");
        }
        case.report(
            &format!(
                "the worker died during the create (create {})",
                if stored { "stored" } else { "lost" }
            ),
            case.calls_since(from),
            clean,
        );
    }
    assert_eq!(case.fake.connector_count(), 3);
}
