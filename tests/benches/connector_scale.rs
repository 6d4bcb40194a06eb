//! REST calls per connector per resync in steady state, with 1,000 connectors on one Connect
//! cluster (the fake worker, which counts every request; the real API server holds the
//! Connectors). Target: below 0.01, i.e. one list call per cluster and resync, also when a
//! tenth of them are FAILED with nothing for Sluice to do (`Never`, or out of retries).
//! API server requests per connector per resync are counted beside it, from the API
//! server's own `apiserver_request_total`, less the requests the API server made to itself
//! in the window (its audit log names them: user `system:apiserver`).
//!
//! Needs the real environment: `tests/env/testenv up && source target/testenv/env`, then
//! `cargo bench -p sluice-e2e --bench connector_scale`. `SLUICE_BENCH_CONNECTORS` changes
//! the count; `SLUICE_BENCH_METRICS=false` runs the operator with `--metrics false`, for its
//! memory and CPU without them. With metrics on, the reconcile and REST latency quantiles
//! are read from the operator's own `/metrics`.

use std::time::{Duration, Instant};

use sluice_e2e::{
    Operator, TestEnv, fake_connect::FakeConnect, histogram_quantile, metric, node::condition,
    parse_metrics, wait_for,
};

fn main() {
    let count: usize =
        std::env::var("SLUICE_BENCH_CONNECTORS").ok().and_then(|n| n.parse().ok()).unwrap_or(1000);
    let resync = 5u64;
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("scale");
    let fake = FakeConnect::start();
    let metrics = std::env::var("SLUICE_BENCH_METRICS").map_or(true, |v| v != "false");
    let resync_arg = resync.to_string();
    let metrics_arg = metrics.to_string();
    let args = ["--resync-seconds", &resync_arg, "--metrics", &metrics_arg];
    let operator = Operator::start_with(&env, &ns, &args);

    let mut yaml = String::new();
    // Every tenth connector will fail: half under Never, half with no retries left.
    let failing: Vec<usize> = (0..count).filter(|i| i % 10 == 0).collect();
    for i in 0..count {
        let policy = match i % 20 {
            0 => "  restartPolicy:\n    type: Never\n",
            10 => "  restartPolicy:\n    type: OnFailure\n    maxRetry: 0\n",
            _ => "",
        };
        yaml.push_str(&format!(
            "---\napiVersion: sluice.dev/v1alpha1\nkind: Connector\nmetadata:\n  name: c{i}\n  namespace: {ns}\nspec:\n  class: org.apache.kafka.connect.file.FileStreamSourceConnector\n  taskMax: 1\n  configs:\n    file: /dev/null\n    topic: t{i}\n{policy}  connectRest:\n    endpoint: {}\n",
            fake.url
        ));
    }
    let started = Instant::now();
    let out = env.kubectl_with_stdin(&["create", "-f", "-"], Some(&yaml));
    sluice_e2e::assert_success(&out, "kubectl create of the connectors");
    wait_for("every connector on the fake", Duration::from_secs(600), || {
        let n = fake.connector_count();
        if n == count { Ok(()) } else { Err(format!("{n} of {count}")) }
    });
    let created = started.elapsed();
    wait_for("every Connector Ready", Duration::from_secs(600), || {
        let ready = count_with(&env, &ns, "Ready");
        if ready == count { Ok(()) } else { Err(format!("{ready} of {count} Ready")) }
    });
    let all_ready = started.elapsed();

    for i in &failing {
        assert!(fake.fail(&format!("c{i}")), "c{i} is on the fake");
    }
    wait_for("the failed connectors Degraded", Duration::from_secs(600), || {
        let (degraded, want) = (count_with(&env, &ns, "Degraded"), failing.len());
        if degraded == want { Ok(()) } else { Err(format!("{degraded} of {want} Degraded")) }
    });

    // Let the settling requeues pass, then count over whole resyncs.
    std::thread::sleep(Duration::from_secs(2 * resync));
    let resyncs = 6u64;
    let before = fake.request_count();
    let read_before = jiff::Timestamp::now();
    let api_before = api_requests(&env);
    let cpu_before = cpu_seconds(&operator);
    let window = Instant::now();
    std::thread::sleep(Duration::from_secs(resyncs * resync));
    let calls = fake.request_count() - before;
    let api_after = api_requests(&env);
    let read_after = jiff::Timestamp::now();
    // By resource and verb, so that whatever the window holds is named.
    let api_in_window: Vec<String> = api_after
        .iter()
        .filter_map(|(key, n)| {
            let d = n - api_before.get(key).copied().unwrap_or(0.0);
            (d > 0.0).then(|| format!("{} {}: {d}", key.1, key.0))
        })
        .collect();
    let api_calls: f64 = api_after.values().sum::<f64>() - api_before.values().sum::<f64>();
    // The API server's own share, from its audit log, between the two reads of its metrics;
    // the rest is its clients', and only the operator is one while the window runs.
    let (own, own_in_window) = own_requests(&env, read_before, read_after);
    let by_clients = api_calls - own as f64;
    let cpu_window = cpu_seconds(&operator) - cpu_before;
    let cpu_total = cpu_seconds(&operator);
    let api_per_connector_per_resync = by_clients / (count as f64 * resyncs as f64);
    let elapsed = window.elapsed().as_secs_f64();
    let per_connector_per_resync = calls as f64 / (count as f64 * resyncs as f64);
    let writes = fake.requests().iter().filter(|r| r.at >= window && r.method != "GET").count();
    let rss_kib = rss_kib(&operator);

    println!("connectors                         {count}");
    println!("time to create all on Connect      {:.1} s", created.as_secs_f64());
    println!("time to all Ready in status        {:.1} s", all_ready.as_secs_f64());
    println!("steady-state window                {elapsed:.1} s = {resyncs} resyncs of {resync} s");
    println!("REST calls in the window           {calls} ({writes} writes)");
    println!("failed connectors (Never / no retries) {}", failing.len());
    println!("REST calls per connector per resync {per_connector_per_resync:.5} (target < 0.01)");
    println!("API server requests in the window  {api_calls} {api_in_window:?}");
    println!("  of them the API server's own     {own} {own_in_window:?}");
    println!("  of them by its clients (operator) {by_clients}");
    println!("operator's API requests per connector per resync {api_per_connector_per_resync:.5}");
    println!("metrics                            {}", if metrics { "on" } else { "off" });
    println!("operator resident memory           {:.1} MiB", rss_kib as f64 / 1024.0);
    println!("operator CPU, whole run            {cpu_total:.1} s");
    println!("operator CPU in the window         {:.2} % of a core", 100.0 * cpu_window / elapsed);
    if metrics {
        let (code, text) = operator.endpoint("GET", "/metrics");
        assert_eq!(code, 200, "{text}");
        let samples = parse_metrics(&text).expect("the operator's /metrics parses").1;
        let quantiles = |name: &str, labels: &[(&str, &str)]| {
            let q = |q| histogram_quantile(&samples, name, labels, q) * 1000.0;
            format!("p50 <= {} ms, p99 <= {} ms", q(0.5), q(0.99))
        };
        let reconcile = "sluice_reconcile_duration_seconds";
        let connector = [("controller", "connector")];
        let reconciles = metric(&samples, &format!("{reconcile}_count"), &connector);
        println!(
            "connector reconciles (whole run)   {reconciles}, {}",
            quantiles(reconcile, &connector)
        );
        let rest = "sluice_connect_rest_request_duration_seconds";
        for (method, path) in [
            ("GET", "/connectors"),
            ("PUT", "/connector-plugins/{class}/config/validate"),
            ("POST", "/connectors"),
        ] {
            let labels = [("method", method), ("path", path)];
            let n = metric(&samples, &format!("{rest}_count"), &labels);
            println!("REST {method} {path}: {n} calls, {}", quantiles(rest, &labels));
        }
    }
    assert!(per_connector_per_resync < 0.01, "over target");
    env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

/// Connectors of `ns` whose condition `type_` is True.
fn count_with(env: &TestEnv, ns: &str, type_: &str) -> usize {
    let list = env.get_json(&["get", "connectors", "-n", ns]);
    let items = list["items"].as_array().cloned().unwrap_or_default();
    items.iter().filter(|c| condition(c, type_)["status"] == "True").count()
}

/// Requests the API server has served, watches aside (a watch is one long request): only the
/// operator talks to this API server while the window runs.
fn api_requests(env: &TestEnv) -> std::collections::BTreeMap<(String, String), f64> {
    let out = env.kubectl(&["get", "--raw", "/metrics"]);
    sluice_e2e::assert_success(&out, "reading the API server's metrics");
    let (_, samples) = parse_metrics(&String::from_utf8_lossy(&out.stdout))
        .expect("the API server's metrics parse");
    let mut by_resource = std::collections::BTreeMap::new();
    for s in samples.iter().filter(|s| s.name == "apiserver_request_total") {
        let (Some(verb), Some(resource)) = (s.labels.get("verb"), s.labels.get("resource")) else {
            continue;
        };
        if verb != "WATCH" && !resource.is_empty() {
            let key = (resource.clone(), verb.clone());
            *by_resource.entry(key).or_insert(0.0) += s.value;
        }
    }
    by_resource
}

/// The requests the API server made to itself (user `system:apiserver`) that completed
/// between `from` and `to`, watches aside: the count, and by verb and resource.
fn own_requests(
    env: &TestEnv,
    from: jiff::Timestamp,
    to: jiff::Timestamp,
) -> (usize, std::collections::BTreeMap<String, usize>) {
    let log = env.dir.join("logs/audit.log");
    let text = std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
    let mut by_kind = std::collections::BTreeMap::new();
    let mut seen = false;
    for line in text.lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else { continue };
        if event["user"]["username"] != "system:apiserver" {
            continue;
        }
        seen = true;
        let verb = event["verb"].as_str().unwrap_or_default();
        let at = event["stageTimestamp"].as_str().and_then(|t| t.parse::<jiff::Timestamp>().ok());
        if verb == "watch" || event["stage"] != "ResponseComplete" {
            continue;
        }
        if at.is_some_and(|at| at >= from && at <= to) {
            let resource = event["objectRef"]["resource"].as_str().unwrap_or("-");
            *by_kind.entry(format!("{verb} {resource}")).or_insert(0) += 1;
        }
    }
    // Without the audit rule (an environment from before it) there is nothing to subtract,
    // and the figure would silently count the API server's requests as the operator's.
    assert!(
        seen,
        "{}: no request by system:apiserver recorded (tests/env/testenv audit_policy)",
        log.display()
    );
    (by_kind.values().sum(), by_kind)
}

/// User and system CPU the operator process has used.
fn cpu_seconds(operator: &Operator) -> f64 {
    let stat =
        std::fs::read_to_string(format!("/proc/{}/stat", operator.pid())).unwrap_or_default();
    // Fields after the command's closing parenthesis; utime and stime are the 12th and 13th.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
    let ticks: f64 = [11, 12].iter().filter_map(|i| fields.get(*i)?.parse::<f64>().ok()).sum();
    // USER_HZ: 100 on Linux.
    ticks / 100.0
}

fn rss_kib(operator: &Operator) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", operator.pid())).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}
