//! The harness of Sluice's end-to-end tests: the real environment that `tests/env/testenv`
//! brought up, the real `kubectl`, and the `sluice` binary run as a process.
//!
//! Nothing here fakes a component. When a part is missing or not answering, the harness
//! panics with the reason and how to bring it up, so a test can never pass without it.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    sync::atomic::{AtomicU32, Ordering},
    time::{Duration, Instant},
};

use serde_json::Value;

pub mod archives;
pub mod bad_input;
pub mod bearer_proxy;
pub mod fake_connect;
pub mod http_server;
pub mod http_wire;
pub mod node;
pub mod plugins;
pub mod secret_sweep;

/// The environment written by `tests/env/testenv up` (its `env` file, sourced by `tests/run`).
#[derive(Clone, Debug)]
pub struct TestEnv {
    pub kubeconfig: PathBuf,
    pub apiserver: String,
    pub connect_url: String,
    pub kafka_bootstrap: String,
    pub plugin_dir: PathBuf,
    pub work_dir: PathBuf,
    pub helm: PathBuf,
    pub testenv_script: PathBuf,
    pub dir: PathBuf,
}

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!(
            "{name} is not set: the end-to-end tests need the real test environment. \
             Run `tests/run`, or `tests/env/testenv up && source target/testenv/env` first."
        )
    })
}

impl TestEnv {
    /// The environment, after checking that the API server and the Connect worker answer.
    pub fn require() -> Self {
        let env = Self {
            kubeconfig: var("KUBECONFIG").into(),
            apiserver: var("SLUICE_TEST_APISERVER"),
            connect_url: var("SLUICE_TEST_CONNECT_URL"),
            kafka_bootstrap: var("SLUICE_TEST_KAFKA_BOOTSTRAP"),
            plugin_dir: var("SLUICE_TEST_PLUGIN_DIR").into(),
            work_dir: var("SLUICE_TEST_WORK_DIR").into(),
            helm: var("SLUICE_TEST_HELM").into(),
            testenv_script: var("SLUICE_TEST_TESTENV").into(),
            dir: var("SLUICE_TESTENV_DIR").into(),
        };
        let readyz = env.kubectl(&["get", "--raw", "/readyz"]);
        assert!(
            readyz.status.success(),
            "kube-apiserver at {} is not answering (tests/env/testenv status shows which part is down): {}",
            env.apiserver,
            String::from_utf8_lossy(&readyz.stderr)
        );
        if let Err(e) = http_get(&format!("{}/", env.connect_url)) {
            panic!(
                "the Kafka Connect worker at {} is not answering (tests/env/testenv status shows which part is down): {e}",
                env.connect_url
            );
        }
        env
    }

    /// Runs kubectl against the environment and returns its output, successful or not.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_with_stdin(args, None)
    }

    /// Runs kubectl with `stdin` piped in.
    pub fn kubectl_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new("kubectl");
        cmd.args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("kubectl is installed (see README)");
        if let Some(input) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("piped stdin")
                .write_all(input.as_bytes())
                .expect("writing to kubectl");
        }
        child.wait_with_output().expect("kubectl runs")
    }

    /// Runs kubectl and panics with its stderr unless it succeeds; returns stdout.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let out = self.kubectl(args);
        assert_success(&out, &format!("kubectl {}", args.join(" ")));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `kubectl apply -f -` of `yaml`, which must succeed.
    pub fn apply(&self, yaml: &str) -> String {
        let out = self.kubectl_with_stdin(&["apply", "-f", "-"], Some(yaml));
        assert_success(&out, "kubectl apply");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Installs the CRDs from `crds/` (idempotent) and waits until they are served.
    pub fn install_crds(&self) {
        let crds = repo_root().join("crds");
        self.kubectl_ok(&[
            "apply",
            "--server-side",
            "--force-conflicts",
            "-f",
            crds.to_str().unwrap(),
        ]);
        self.kubectl_ok(&[
            "wait",
            "--for",
            "condition=established",
            "--timeout=60s",
            "crd/connectors.sluice.dev",
            "crd/connects.sluice.dev",
            "crd/policies.sluice.dev",
        ]);
    }

    /// A fresh namespace for one test, so tests run side by side without seeing each other.
    pub fn namespace(&self, prefix: &str) -> String {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let ns =
            format!("{prefix}-{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
        self.kubectl_ok(&["create", "namespace", &ns]);
        ns
    }

    /// `GET` on the real Connect worker; the parsed JSON body, or the HTTP status on error.
    pub fn connect_get(&self, path: &str) -> Result<Value, String> {
        http_get(&format!("{}{path}", self.connect_url))
    }

    /// `GET` on another worker of the environment (`SLUICE_TEST_CONNECT_<NAME>_URL`).
    pub fn worker_url(&self, name: &str) -> String {
        var(&format!("SLUICE_TEST_CONNECT_{}_URL", name.to_uppercase()))
    }

    /// Runs `tests/env/testenv <args>` (stop or start a part), which must succeed.
    pub fn testenv(&self, args: &[&str]) {
        let out = Command::new(&self.testenv_script)
            .args(args)
            .env("SLUICE_TESTENV_DIR", &self.dir)
            .output()
            .expect("tests/env/testenv runs");
        assert_success(&out, &format!("testenv {}", args.join(" ")));
    }

    /// The requests a worker logged from the operator whose `POD_NAME` is `instance`:
    /// `(method, path)` pairs, read from the worker's request log.
    pub fn requests_from(&self, worker: &str, instance: &str) -> Vec<(String, String)> {
        self.responses_to(worker, instance).into_iter().map(|(m, p, _)| (m, p)).collect()
    }

    /// Like [`TestEnv::requests_from`], with the HTTP status the worker answered.
    pub fn responses_to(&self, worker: &str, instance: &str) -> Vec<(String, String, u16)> {
        self.logged_requests(worker, instance)
            .into_iter()
            .map(|r| (r.method, r.path, r.code))
            .collect()
    }

    /// The requests a worker logged from the operator whose `POD_NAME` is `instance`, with
    /// when the worker logged each (its log's timestamp, to the millisecond).
    pub fn logged_requests(&self, worker: &str, instance: &str) -> Vec<LoggedRequest> {
        let agent = format!("({instance})");
        self.worker_requests(worker).into_iter().filter(|r| r.agent.ends_with(&agent)).collect()
    }

    /// Every request a worker of this environment logged, whoever made it.
    pub fn worker_requests(&self, worker: &str) -> Vec<LoggedRequest> {
        let log = self.dir.join("logs").join(format!("{worker}.log"));
        let text =
            std::fs::read_to_string(&log).unwrap_or_else(|e| panic!("{}: {e}", log.display()));
        text.lines()
            .filter(|l| l.contains("RestServer"))
            .filter_map(|l| {
                // `[2026-12-07 21:48:29,285] INFO 127.0.0.1 - - [...] "GET / HTTP/1.1" 200 ...`
                let stamp =
                    l.strip_prefix('[')?.get(..23)?.replacen(' ', "T", 1).replacen(',', ".", 1);
                let at = stamp.parse::<jiff::civil::DateTime>().ok()?;
                // ... "METHOD path HTTP/1.1" code size "referrer" "agent" ms
                let mut quoted = l.split('"');
                let request = quoted.nth(1)?;
                let code = quoted.next()?.split_whitespace().next()?.parse().ok()?;
                let agent = quoted.nth(2)?.to_owned();
                let mut parts = request.split(' ');
                Some(LoggedRequest {
                    at,
                    method: parts.next()?.to_owned(),
                    path: parts.next()?.to_owned(),
                    code,
                    agent,
                })
            })
            .collect()
    }

    /// Events of one object, as `reason: message` lines.
    pub fn events_of(&self, namespace: &str, name: &str) -> Vec<String> {
        let events = self.get_json(&[
            "get",
            "events.events.k8s.io",
            "-n",
            namespace,
            "--field-selector",
            &format!("regarding.name={name}"),
        ]);
        events["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|e| {
                        format!(
                            "{}: {}",
                            e["reason"].as_str().unwrap_or(""),
                            e["note"].as_str().unwrap_or("")
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Runs the environment's helm (built from the Go module proxy) against its API server.
    pub fn helm(&self, args: &[&str]) -> Output {
        Command::new(&self.helm)
            .args(args)
            .env("KUBECONFIG", &self.kubeconfig)
            // Keep helm's caches and repositories out of the user's home.
            .env("HELM_CACHE_HOME", self.dir.join("helm/cache"))
            .env("HELM_CONFIG_HOME", self.dir.join("helm/config"))
            .env("HELM_DATA_HOME", self.dir.join("helm/data"))
            .output()
            .unwrap_or_else(|e| panic!("cannot run helm at {}: {e}", self.helm.display()))
    }

    /// Runs helm and panics with its stderr unless it succeeds; returns stdout.
    pub fn helm_ok(&self, args: &[&str]) -> String {
        let out = self.helm(args);
        assert_success(&out, &format!("helm {}", args.join(" ")));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A kubeconfig for the environment's API server that authenticates with a bearer token
    /// (a service account's), written next to the environment's own.
    pub fn kubeconfig_with_token(&self, name: &str, token: &str) -> PathBuf {
        let admin = self.get_json(&["config", "view", "--raw", "--minify"]);
        let cluster = &admin["clusters"][0]["cluster"];
        let config = serde_json::json!({
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": "testenv", "cluster": cluster}],
            "users": [{"name": name, "user": {"token": token}}],
            "contexts": [{"name": name, "context": {"cluster": "testenv", "user": name}}],
            "current-context": name,
        });
        let path = self.dir.join(format!("kubeconfig-{name}"));
        std::fs::write(&path, config.to_string()).expect("writing a kubeconfig");
        path
    }

    /// A JSON object from kubectl.
    pub fn get_json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.extend(["-o", "json"]);
        serde_json::from_str(&self.kubectl_ok(&all)).expect("kubectl prints JSON")
    }
}

/// A Connector running Kafka's FileStreamSourceConnector on `file` against the worker at
/// `url`, named `resource` in `namespace` and `connector` on Connect.
pub fn file_source_connector(
    resource: &str,
    namespace: &str,
    connector: &str,
    file: &Path,
    url: &str,
) -> String {
    format!(
        r#"
apiVersion: sluice.dev/v1alpha1
kind: Connector
metadata:
  name: {resource}
  namespace: {namespace}
spec:
  name: {connector}
  class: org.apache.kafka.connect.file.FileStreamSourceConnector
  taskMax: 1
  configs:
    file: {file}
    topic: {connector}
  connectRest:
    endpoint: {url}
"#,
        file = file.display()
    )
}

/// Waits until `check` returns `Ok`, polling; panics after `timeout` naming `what` and the
/// last thing `check` saw.
pub fn wait_for<T>(what: &str, timeout: Duration, check: impl FnMut() -> Result<T, String>) -> T {
    wait_for_or(what, timeout, check, String::new)
}

/// [`wait_for`], whose panic also carries what `context` gathers then (logs, objects), for
/// waits whose failure the last value alone does not explain.
pub fn wait_for_or<T>(
    what: &str,
    timeout: Duration,
    mut check: impl FnMut() -> Result<T, String>,
    context: impl FnOnce() -> String,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match check() {
            Ok(v) => return v,
            Err(last) if Instant::now() >= deadline => {
                panic!(
                    "timed out after {timeout:?} waiting for {what}; last seen: {last}\n{}",
                    context()
                )
            }
            Err(_) => std::thread::sleep(Duration::from_millis(250)),
        }
    }
}

pub fn assert_success(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("tests/ has a parent").to_path_buf()
}

/// The seed's example CRs (CFK manifests in Sluice's API group), which must apply unchanged;
/// the repository keeps them in `examples/cfk/`.
pub fn seed_examples() -> Vec<PathBuf> {
    let dir = seed_examples_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("the seed examples at {} cannot be read: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no examples in {}", dir.display());
    files
}

pub fn seed_examples_dir() -> PathBuf {
    repo_root().join("examples/cfk")
}

/// One request in a worker's request log.
#[derive(Debug, Clone)]
pub struct LoggedRequest {
    /// When the worker logged it (its local clock, the machine's).
    pub at: jiff::civil::DateTime,
    pub method: String,
    pub path: String,
    pub code: u16,
    /// The `User-Agent` (Sluice's ends with `(<POD_NAME>)`).
    pub agent: String,
}

/// `GET url`: the parsed JSON body of a 2xx answer, or what went wrong.
pub fn http_get(url: &str) -> Result<Value, String> {
    match http("GET", url, None)? {
        (code, body) if (200..300).contains(&code) => Ok(body),
        (code, body) => Err(format!("HTTP {code}: {body}")),
    }
}

/// An HTTP request with a JSON body, through curl: the status and the JSON body (`Null`
/// when empty or not JSON).
pub fn http(method: &str, url: &str, body: Option<&Value>) -> Result<(u16, Value), String> {
    http_with(method, url, body, &[])
}

/// [`http`] with more curl arguments.
pub fn http_with(
    method: &str,
    url: &str,
    body: Option<&Value>,
    curl: &[&str],
) -> Result<(u16, Value), String> {
    let (code, text) = http_text_with(method, url, body, curl)?;
    Ok((code, serde_json::from_str(&text).unwrap_or(Value::Null)))
}

/// An HTTP request through curl: the status and the body as text.
pub fn http_text(method: &str, url: &str, body: Option<&Value>) -> Result<(u16, String), String> {
    http_text_with(method, url, body, &[])
}

/// [`http_text`] with more curl arguments (a CA, credentials, `--resolve`).
pub fn http_text_with(
    method: &str,
    url: &str,
    body: Option<&Value>,
    curl: &[&str],
) -> Result<(u16, String), String> {
    let mut cmd = Command::new("curl");
    cmd.args(["-sS", "--max-time", "30", "-X", method, "-w", "\n%{http_code}"]);
    cmd.args(curl);
    if let Some(body) = body {
        cmd.args(["-H", "Content-Type: application/json", "-d", &body.to_string()]);
    }
    let out = cmd.arg(url).output().map_err(|e| format!("curl: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let (body, code) = text.rsplit_once('\n').unwrap_or(("", "000"));
    let code = code.trim().parse().map_err(|_| format!("no status in {text:?}"))?;
    Ok((code, body.to_owned()))
}

/// One sample of a Prometheus text exposition.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: std::collections::BTreeMap<String, String>,
    pub value: f64,
}

/// Parses an exposition strictly: every family has a `# TYPE`, every sample line is
/// `name{label="value",...} number` and belongs to a declared family. `Err` says which line.
pub fn parse_metrics(text: &str) -> Result<(Vec<String>, Vec<Sample>), String> {
    let mut families = Vec::new();
    let mut samples = Vec::new();
    for line in text.lines().filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().ok_or(format!("bad TYPE line {line:?}"))?;
            families.push(name.to_owned());
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').ok_or(format!("no value in {line:?}"))?;
        let value: f64 = value.parse().map_err(|_| format!("bad value in {line:?}"))?;
        let (name, labels) = match series.split_once('{') {
            Some((name, rest)) => {
                let body = rest.strip_suffix('}').ok_or(format!("unclosed labels in {line:?}"))?;
                let mut labels = std::collections::BTreeMap::new();
                for pair in body.split("\",").filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once("=\"").ok_or(format!("bad label in {line:?}"))?;
                    labels.insert(k.to_owned(), v.trim_end_matches('"').to_owned());
                }
                (name.to_owned(), labels)
            }
            None => (series.to_owned(), Default::default()),
        };
        let declared = families.iter().any(|f| {
            name == *f
                || ["_total", "_bucket", "_sum", "_count", "_created"]
                    .iter()
                    .any(|suffix| name.strip_suffix(suffix) == Some(f.as_str()))
        });
        if !declared {
            return Err(format!("sample {name} has no # TYPE"));
        }
        samples.push(Sample { name, labels, value });
    }
    Ok((families, samples))
}

/// The sum of the samples called `name` whose labels include every pair of `labels`.
pub fn metric(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .map(|s| s.value)
        .sum()
}

/// The `sluice` operator, run as a process against the environment, watching one namespace.
/// Dropping it stops it; its log is kept in `target/e2e-logs/`.
pub struct Operator {
    child: Child,
    pub log: PathBuf,
    /// The operator's `POD_NAME`, which names it in Connect's request log.
    pub instance: String,
    /// The base URL of its /metrics, /healthz and /readyz.
    pub http: String,
}

/// The holder of the Lease `name` in `namespace`; empty while there is none.
pub fn lease_holder(env: &TestEnv, namespace: &str, name: &str) -> String {
    let out = env.kubectl(&["get", "lease", name, "-n", namespace, "-o", "json"]);
    let lease: Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    lease["spec"]["holderIdentity"].as_str().unwrap_or_default().to_owned()
}

/// The `q` quantile (0..1) of the histogram `name` with `labels`, as the upper bound of the
/// first bucket holding it: what `histogram_quantile` would bracket, without interpolating.
pub fn histogram_quantile(samples: &[Sample], name: &str, labels: &[(&str, &str)], q: f64) -> f64 {
    let bucket = format!("{name}_bucket");
    let mut buckets: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.name == bucket)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v)))
        .filter_map(|s| Some((s.labels.get("le")?.parse::<f64>().ok()?, s.value)))
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Several label sets of the same histogram: sum per bound.
    buckets.dedup_by(|b, a| {
        let same = a.0 == b.0;
        if same {
            a.1 += b.1;
        }
        same
    });
    let total = buckets.last().map_or(0.0, |b| b.1);
    buckets.iter().find(|(_, count)| *count >= q * total).map_or(f64::NAN, |(le, _)| *le)
}

/// A loopback port free right now (the OS picks it; the caller binds it next).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl Operator {
    pub fn start(env: &TestEnv, namespace: &str, resync_seconds: u32) -> Self {
        Self::start_with(env, namespace, &["--resync-seconds", &resync_seconds.to_string()])
    }

    /// Starts the operator with extra `sluice run` arguments.
    pub fn start_with(env: &TestEnv, namespace: &str, args: &[&str]) -> Self {
        Self::start_as(&env.kubeconfig, namespace, args)
    }

    /// Starts the operator with the identity of `kubeconfig` (for example a service account's
    /// token) instead of the environment's administrator.
    pub fn start_as(kubeconfig: &Path, namespace: &str, args: &[&str]) -> Self {
        Self::start_instance(kubeconfig, namespace, &format!("sluice-{namespace}"), args)
    }

    /// Starts one of several operators of `namespace`, named `instance` (its `POD_NAME`,
    /// its leader-election identity and its log's name).
    pub fn start_instance(
        kubeconfig: &Path,
        namespace: &str,
        instance: &str,
        args: &[&str],
    ) -> Self {
        let bin = sluice_binary();
        let logs = repo_root().join("target/e2e-logs");
        std::fs::create_dir_all(&logs).expect("creating target/e2e-logs");
        let log = logs.join(format!("operator-{instance}.log"));
        let file = std::fs::File::create(&log).expect("creating the operator log");
        let instance = instance.to_owned();
        let http = format!("127.0.0.1:{}", free_port());
        let child = Command::new(&bin)
            .args(["run", "--watch-namespace", namespace, "--http-bind-address", &http])
            // The policies tests/run builds; a Policy's `module.file` may name only these.
            .arg("--policy-module-dir")
            .arg(repo_root().join("target/policies"))
            .args(args)
            .env("KUBECONFIG", kubeconfig)
            .env("POD_NAME", &instance)
            .env("RUST_LOG", "info,kube=warn")
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {}: {e} (cargo build -p sluice)", bin.display())
            });
        Self { child, log, instance, http: format!("http://{http}") }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as the kubelet does, and waits up to `bound` for the exit; its status.
    pub fn terminate(&mut self, bound: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status();
        let deadline = std::time::Instant::now() + bound;
        while std::time::Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// `GET` (or another method) of a path of its HTTP endpoint: the status and body; status
    /// 0 with curl's message while nothing listens (the operator is still starting).
    pub fn endpoint(&self, method: &str, path: &str) -> (u16, String) {
        http_text(method, &format!("{}{path}", self.http), None).unwrap_or_else(|e| (0, e))
    }

    /// Waits until `GET path` of its HTTP endpoint answers 200 (`/healthz`, `/readyz`).
    pub fn wait_ok(&self, path: &str) {
        wait_for(&format!("{} {path}", self.instance), Duration::from_secs(60), || {
            match self.endpoint("GET", path) {
                (200, _) => Ok(()),
                (code, body) => Err(format!("{code} {body}")),
            }
        });
    }

    /// The operator's log so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Operator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The operator binary: `SLUICE_BIN`, or the one cargo built next to the tests.
pub fn sluice_binary() -> PathBuf {
    if let Ok(bin) = std::env::var("SLUICE_BIN") {
        return bin.into();
    }
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target"));
    let bin = target.join("debug/sluice");
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p sluice` (tests/run does)",
        bin.display()
    );
    bin
}
