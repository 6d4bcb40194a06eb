//! Operating the operator against the real API server: two replicas under leader election
//! (one acts, the follower takes over when the leader stops, no write made twice), the
//! graceful shutdown that releases the Lease, `/metrics` parsed and moving, and `/healthz`
//! failing when a controller is stopped. Connect is the fake worker, which logs every request.

use std::path::Path;
use std::time::{Duration, Instant};

use sluice_e2e::node::condition;
use sluice_e2e::{
    Operator, TestEnv, fake_connect::FakeConnect, file_source_connector, lease_holder, metric,
    parse_metrics, wait_for,
};

const WAIT: Duration = Duration::from_secs(60);

fn connector(ns: &str, name: &str, url: &str) -> String {
    file_source_connector(name, ns, name, Path::new("/dev/null"), url)
}

fn ready(env: &TestEnv, ns: &str, name: &str) -> Result<(), String> {
    let c = env.get_json(&["get", "connector", name, "-n", ns]);
    if condition(&c, "Ready")["status"] == "True" { Ok(()) } else { Err(c["status"].to_string()) }
}

/// Waits until `identity` holds the Lease.
fn wait_leads(env: &TestEnv, ns: &str, identity: &str) {
    wait_for(&format!("{identity} leads"), WAIT, || {
        let now = lease_holder(env, ns, "sluice-operator");
        if now == identity { Ok(()) } else { Err(format!("held by {now:?}")) }
    });
}

/// Waits until `op` answers `path` with 200.
fn scrape(op: &Operator) -> Vec<sluice_e2e::Sample> {
    let (code, text) = op.endpoint("GET", "/metrics");
    assert_eq!(code, 200, "{text}");
    parse_metrics(&text).unwrap_or_else(|e| panic!("{e} in\n{text}")).1
}

#[test]
fn the_follower_takes_over_when_the_leader_stops_and_no_write_is_made_twice() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("leader");
    let fake = FakeConnect::start();
    let args = [
        "--resync-seconds",
        "2",
        "--leader-elect",
        "true",
        "--leader-election-namespace",
        ns.as_str(),
        "--lease-duration-seconds",
        "6",
        "--lease-renew-seconds",
        "1",
    ];
    let a_name = format!("{ns}-a");
    let b_name = format!("{ns}-b");
    let mut a = Operator::start_instance(&env.kubeconfig, &ns, &a_name, &args);
    wait_leads(&env, &ns, &a_name);
    let mut b = Operator::start_instance(&env.kubeconfig, &ns, &b_name, &args);
    // The follower is live and ready, standing by; only the leader says it leads.
    a.wait_ok("/readyz");
    b.wait_ok("/readyz");
    assert_eq!(b.endpoint("GET", "/healthz").0, 200);
    assert_eq!(metric(&scrape(&a), "sluice_leader", &[]), 1.0);
    assert_eq!(metric(&scrape(&b), "sluice_leader", &[]), 0.0);

    env.apply(&connector(&ns, "first", &fake.url));
    wait_for("the leader creates the first connector", WAIT, || ready(&env, &ns, "first"));

    // SIGTERM: a releases the Lease on its way out, so b takes over at its next try rather
    // than after the lease duration, and acts on a connector applied after the switch.
    let stopped = Instant::now();
    let status = a.terminate(Duration::from_secs(30)).expect("the leader exits within 30 s");
    assert!(status.success(), "a graceful exit: {status:?}\n{}", a.log_text());
    assert!(a.log_text().contains("released the leader Lease"), "{}", a.log_text());
    wait_leads(&env, &ns, &b_name);
    let took_over = stopped.elapsed();
    assert!(took_over < Duration::from_secs(6), "a released Lease is taken at once: {took_over:?}");
    env.apply(&connector(&ns, "second", &fake.url));
    wait_for("the new leader creates the second connector", WAIT, || ready(&env, &ns, "second"));
    assert_eq!(metric(&scrape(&b), "sluice_leader", &[]), 1.0);

    // Kill -9 of the new leader: nobody releases; a third replica takes over after the
    // Lease expires, not before.
    let c_name = format!("{ns}-c");
    let c = Operator::start_instance(&env.kubeconfig, &ns, &c_name, &args);
    c.wait_ok("/readyz");
    let killed = Instant::now();
    let _ = std::process::Command::new("kill").args(["-KILL", &b.pid().to_string()]).status();
    let _ = b.terminate(Duration::from_secs(5));
    wait_leads(&env, &ns, &c_name);
    let expiry = killed.elapsed();
    assert!(expiry >= Duration::from_secs(4), "a held Lease is not taken early: {expiry:?}");
    env.apply(&connector(&ns, "third", &fake.url));
    wait_for("the third leader creates the third connector", WAIT, || ready(&env, &ns, "third"));

    // The worker's log: each connector created once, no write repeated.
    let writes = fake.writes();
    // The create carries the name in its body, so count them: one per connector, and no
    // other write at all.
    assert_eq!(writes, ["POST /connectors"; 3], "one create per connector: {writes:?}");
    drop(c);
    env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn metrics_move_as_the_operator_acts_and_healthz_fails_when_a_controller_stops() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("metrics");
    let fake = FakeConnect::start();
    let op = Operator::start_with(&env, &ns, &["--resync-seconds", "2", "--enable-test-hooks"]);
    op.wait_ok("/readyz");
    let before = scrape(&op);
    env.apply(&connector(&ns, "m1", &fake.url));
    wait_for("m1 Ready", WAIT, || ready(&env, &ns, "m1"));
    // One more: it is FAILED under Never, which shows in the state gauge.
    env.apply(&format!("{}  restartPolicy:\n    type: Never\n", connector(&ns, "m2", &fake.url)));
    wait_for("m2 Ready", WAIT, || ready(&env, &ns, "m2"));
    assert!(fake.fail("m2"));
    // One whose Connect does not answer: a failure of category ConnectUnavailable.
    env.apply(&connector(&ns, "m0", "http://127.0.0.1:1"));
    wait_for("the FAILED connector in sluice_connectors", WAIT, || {
        let n = metric(&scrape(&op), "sluice_connectors", &[("state", "FAILED")]);
        if n == 1.0 { Ok(()) } else { Err(format!("{n} FAILED")) }
    });
    let after = scrape(&op);
    let (_, text) = op.endpoint("GET", "/metrics");
    let (families, _) = parse_metrics(&text).unwrap();
    for family in [
        "sluice_reconciles",
        "sluice_reconcile_errors",
        "sluice_reconcile_duration_seconds",
        "sluice_reconciles_in_flight",
        "sluice_work_queue_depth",
        "sluice_connect_rest_requests",
        "sluice_connect_rest_request_duration_seconds",
        "sluice_connect_listing_duration_seconds",
        "sluice_connect_listing_connectors",
        "sluice_connectors",
        "sluice_leader",
    ] {
        // A family shows once it has a sample: this test calls no policy and resolves no
        // plugin, so those families are checked where they are recorded (operator unit tests).
        assert!(families.iter().any(|f| f == family), "{family} missing: {families:?}");
    }
    let by_connector = [("controller", "connector")];
    let moved = |name: &str, labels: &[(&str, &str)]| {
        metric(&after, name, labels) - metric(&before, name, labels)
    };
    assert!(moved("sluice_reconciles_total", &by_connector) >= 2.0);
    assert!(moved("sluice_reconcile_duration_seconds_count", &by_connector) >= 2.0);
    let create = [("method", "POST"), ("path", "/connectors"), ("code", "201")];
    assert_eq!(moved("sluice_connect_rest_requests_total", &create), 2.0);
    assert!(
        moved("sluice_connect_rest_request_duration_seconds_count", &[("method", "PUT")]) >= 2.0,
        "validations"
    );
    assert!(metric(&after, "sluice_connect_listing_connectors", &[]) >= 2.0);
    let unavailable = [("controller", "connector"), ("category", "ConnectUnavailable")];
    assert!(moved("sluice_reconcile_errors_total", &unavailable) >= 1.0);
    let refused = [("method", "GET"), ("path", "/connectors"), ("code", "0")];
    assert!(moved("sluice_connect_rest_requests_total", &refused) >= 1.0, "no answer is code 0");
    assert_eq!(metric(&after, "sluice_leader", &[]), 1.0, "without election a replica leads");

    // A controller stopped as a fault would: liveness fails naming it, the others go on.
    assert_eq!(op.endpoint("GET", "/healthz").0, 200);
    let (code, body) = op.endpoint("POST", "/debug/stop/policy");
    assert_eq!(code, 200, "{body}");
    wait_for("healthz failing", WAIT, || {
        let (code, body) = op.endpoint("GET", "/healthz");
        if code == 503 && body.contains("controller policy stopped") {
            Ok(())
        } else {
            Err(format!("{code} {body}"))
        }
    });
    env.apply(&connector(&ns, "m3", &fake.url));
    wait_for("m3 Ready with the policy controller gone", WAIT, || ready(&env, &ns, "m3"));
    env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn a_failure_that_persists_is_counted_by_category_and_told_in_an_event_and_a_condition() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("operate-failing");
    // A service account that may read Connectors, write their status and record Events, but
    // not write Connectors: every reconcile fails adding its finalizer, Forbidden.
    let role = |connector_verbs: &str| {
        format!(
            r#"apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: read-only, namespace: {ns}}}
rules:
  - apiGroups: [sluice.dev]
    resources: [connectors]
    verbs: [{connector_verbs}]
  - apiGroups: [sluice.dev]
    resources: [connects, policies]
    verbs: [get, list, watch]
  - apiGroups: [sluice.dev]
    resources: [connectors/status, connects/status, policies/status]
    verbs: [get, patch]
  - apiGroups: [events.k8s.io]
    resources: [events]
    verbs: [create, patch]
"#
        )
    };
    env.apply(&role("get, list, watch"));
    env.apply(&format!(
        r#"apiVersion: v1
kind: ServiceAccount
metadata: {{name: read-only, namespace: {ns}}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: read-only, namespace: {ns}}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: read-only}}
subjects: [{{kind: ServiceAccount, name: read-only, namespace: {ns}}}]
"#
    ));
    let token = env.kubectl_ok(&["create", "token", "read-only", "-n", &ns, "--duration=1h"]);
    let kubeconfig = env.kubeconfig_with_token(&format!("{ns}-read-only"), token.trim());
    let op = Operator::start_as(&kubeconfig, &ns, &["--resync-seconds", "5"]);
    let fake = FakeConnect::start();
    env.apply(&connector(&ns, "stuck", &fake.url));

    let event = wait_for("a ReconcileFailing Event", WAIT, || {
        env.events_of(&ns, "stuck")
            .into_iter()
            .find(|e| e.starts_with("ReconcileFailing"))
            .ok_or_else(|| format!("{:?}", env.events_of(&ns, "stuck")))
    });
    assert!(event.contains("3 reconciles in a row failed (Forbidden)"), "{event}");
    assert!(event.contains("forbidden"), "the API server's reason: {event}");
    let errors = [("controller", "connector"), ("category", "Forbidden")];
    assert!(metric(&scrape(&op), "sluice_reconcile_errors_total", &errors) >= 3.0);
    // Once per streak, not once per retry.
    std::thread::sleep(Duration::from_secs(5));
    let told =
        env.events_of(&ns, "stuck").iter().filter(|e| e.starts_with("ReconcileFailing")).count();
    assert_eq!(told, 1, "{:?}", env.events_of(&ns, "stuck"));
    assert!(fake.writes().is_empty(), "nothing reached Connect: {:?}", fake.writes());

    // The status says so too, in a condition of its own that the controller's writes keep.
    let reconciled = |want: &'static str| {
        let (env, ns) = (&env, &ns);
        move || {
            let c =
                condition(&env.get_json(&["get", "connector", "stuck", "-n", ns]), "Reconciled")
                    .clone();
            if c["status"] == want { Ok(c) } else { Err(c.to_string()) }
        }
    };
    let failing = wait_for("Reconciled False", WAIT, reconciled("False"));
    assert_eq!(failing["reason"], "Forbidden", "{failing}");
    let message = failing["message"].as_str().unwrap_or_default();
    assert!(message.contains("reconciles in a row failed (Forbidden)"), "{failing}");

    // The fix: the rights, and a touch of the Connector so it need not wait out the backoff.
    env.apply(&role("get, list, watch, patch, update"));
    env.kubectl_ok(&["annotate", "connector", "stuck", "-n", &ns, "fixed=now"]);
    let recovered = wait_for("Reconciled True", WAIT, reconciled("True"));
    assert_eq!(recovered["reason"], "Reconciled", "{recovered}");
    wait_for("stuck Ready beside Reconciled", WAIT, || ready(&env, &ns, "stuck"));
    let status = env.get_json(&["get", "connector", "stuck", "-n", &ns]);
    assert_eq!(
        condition(&status, "Reconciled")["status"],
        "True",
        "the controller kept it: {status}"
    );
    env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn a_connector_whose_connect_is_gone_for_good_can_still_be_deleted() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("gone");
    let fake = FakeConnect::start();
    let args = ["--resync-seconds", "2", "--delete-timeout-seconds", "5"];
    let _op = Operator::start_with(&env, &ns, &args);
    for name in ["asks", "waits"] {
        env.apply(&connector(&ns, name, &fake.url));
        wait_for(&format!("{name} Ready"), WAIT, || ready(&env, &ns, name));
    }
    // The cluster goes away for good.
    drop(fake);
    let gone = |name: &str| {
        wait_for(&format!("{name} deleted"), WAIT, || {
            let out = env.kubectl(&["get", "connector", name, "-n", &ns]);
            let text = String::from_utf8_lossy(&out.stderr).into_owned();
            if !out.status.success() && text.contains("NotFound") { Ok(()) } else { Err(text) }
        })
    };
    let event = |name: &str, reason: &str| {
        wait_for(&format!("a {reason} Event on {name}"), WAIT, || {
            let events = env.events_of(&ns, name);
            events
                .iter()
                .find(|e| e.starts_with(&format!("{reason}:")))
                .cloned()
                .ok_or_else(|| format!("{events:?}"))
        })
    };

    // Asked for: let go at the first failure.
    env.kubectl_ok(&[
        "annotate",
        "connector",
        "asks",
        "-n",
        &ns,
        "sluice.dev/abandon-on-delete=true",
    ]);
    env.kubectl_ok(&["delete", "connector", "asks", "-n", &ns, "--wait=false"]);
    gone("asks");
    let abandoned = event("asks", "DeleteAbandoned");
    assert!(abandoned.contains("Left connector(s) asks on"), "{abandoned}");
    assert!(abandoned.contains("sluice.dev/abandon-on-delete=true"), "{abandoned}");

    // Not asked for: retried, then let go at the deadline (5 s here, 10 min by default).
    env.kubectl_ok(&["delete", "connector", "waits", "-n", &ns, "--wait=false"]);
    let failed = event("waits", "DeleteFailed");
    assert!(failed.contains("will retry"), "{failed}");
    gone("waits");
    let abandoned = event("waits", "DeleteAbandoned");
    assert!(abandoned.contains("Left connector(s) waits on"), "{abandoned}");
    assert!(abandoned.contains("did not accept the delete for 5s"), "{abandoned}");
}
