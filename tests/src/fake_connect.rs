//! An in-memory Kafka Connect REST API. It is for what a real worker cannot be made to do on
//! cue or at scale: the scale benchmarks (a thousand real connectors would measure the
//! worker rather than Sluice), and the tests of Sluice's answer to a worker's bad day
//! (`tests/tests/faults.rs`: a rebalance's 409s, a create answered after the client's
//! timeout, a worker dying mid-create, credentials rotated; `operate.rs`, `bad_input.rs` and
//! the node fail-over test, which need a connector FAILED or a worker that never answers).
//!
//! Every behaviour those tests rely on is checked by `tests/tests/connect_conformance.rs`
//! against the real workers of each Kafka lane and against this fake, with the same
//! assertions: the calls and their codes, `initial_state` RUNNING, PAUSED and STOPPED, a
//! FAILED connector and a FAILED task with their traces in `/status` and the expanded listing
//! (the real side uses `tests/env/failing-connector`, a connector that fails on purpose), the
//! 401 of the basic-auth extension, and a rebalance's 409 (from two real workers of one
//! group: a write that misses the leader). The faults themselves (timing,
//! dropped connections) are not a worker's behaviour but the network's and the clock's.
//!
//! Unlike the worker, state changes are immediate and every request is counted and timed.

use std::{
    collections::BTreeMap,
    io::{BufReader, Write},
    net::{TcpListener, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    thread,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

/// The suite's connector that fails on purpose (`tests/env/failing-connector`): with
/// `fail=connector` its first start throws, with `fail=task` each task's first start does.
pub const FAILING: &str = "dev.sluice.test.FailingSourceConnector";

/// Connector classes the fake "has installed".
const PLUGINS: &[(&str, &str)] = &[
    ("org.apache.kafka.connect.file.FileStreamSourceConnector", "source"),
    ("org.apache.kafka.connect.file.FileStreamSinkConnector", "sink"),
    (FAILING, "source"),
];

/// The body the basic-auth extension (`JaasBasicAuthFilter`) answers a request without
/// valid credentials with: plain text, though labelled JSON.
const UNAUTHORIZED: &str = "User cannot access the resource.";

/// What a worker answers a write that missed the group's leader because the leader changed
/// under it, a rebalance (`HerderRequestHandler`); the conformance suite gets the same body
/// from a real worker.
pub const REBALANCE_409: &str =
    "Cannot complete request because of a conflicting operation (e.g. worker rebalance)";

#[derive(Clone)]
struct Task {
    state: &'static str,
    trace: Option<String>,
}

#[derive(Clone)]
struct Connector {
    config: BTreeMap<String, String>,
    /// The state the worker is told to keep it in; a FAILED connector keeps its status
    /// when paused or resumed, and a restart brings it up in this state.
    target: &'static str,
    state: &'static str,
    trace: Option<String>,
    tasks: Vec<Task>,
}

#[derive(Default)]
struct State {
    connectors: BTreeMap<String, Connector>,
    fault: Option<Fault>,
    /// The `Authorization` header every request must carry, when set.
    authorization: Option<String>,
    /// The failing connector's connectors and tasks that failed their first start already.
    failed_once: std::collections::BTreeSet<String>,
}

/// A fault the fake shows while it is set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Every write answered `409 Conflict`, as a worker does while its group rebalances;
    /// reads are answered.
    Rebalancing,
    /// `POST /connectors` is carried out at once and answered this much later, as by a
    /// worker too slow for the client's timeout: the create the client gave up on happened.
    SlowCreate(Duration),
    /// The worker dies during `POST /connectors`: the connection closes unanswered, after
    /// the create was stored (`stored: true`) or before.
    DieOnCreate { stored: bool },
}

/// One request as the fake saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub at: Instant,
    /// The request's `Authorization` header.
    pub authorization: Option<String>,
    /// The status it was answered with (0: not answered, the fake stopped first).
    pub status: u16,
}

/// A running fake worker on 127.0.0.1; stops when dropped.
pub struct FakeConnect {
    pub url: String,
    state: Arc<Mutex<State>>,
    log: Arc<Mutex<Vec<Seen>>>,
    requests: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl FakeConnect {
    pub fn start() -> Self {
        Self::start_on("127.0.0.1")
    }

    /// A fake on `ip` (the node's bridge address, say, which pods reach).
    pub fn start_on(ip: &str) -> Self {
        let listener = TcpListener::bind((ip, 0)).expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let fake = Self {
            url: format!("http://{addr}"),
            addr,
            state: Arc::default(),
            log: Arc::default(),
            requests: Arc::default(),
            stop: Arc::default(),
        };
        let (state, log, requests, stop) =
            (fake.state.clone(), fake.log.clone(), fake.requests.clone(), fake.stop.clone());
        thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(stream) = stream else { continue };
                let (state, log, requests, stop) =
                    (state.clone(), log.clone(), requests.clone(), stop.clone());
                thread::spawn(move || serve(stream, &state, &log, &requests, &stop));
            }
        });
        fake
    }

    /// Requests answered so far.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Seen> {
        self.log.lock().expect("log lock").clone()
    }

    /// Every write so far, as `METHOD path`. Validation is left out: a read by another verb,
    /// made before each create.
    pub fn writes(&self) -> Vec<String> {
        self.requests()
            .into_iter()
            .filter(|r| r.method != "GET" && !r.path.ends_with("/config/validate"))
            .map(|r| format!("{} {}", r.method, r.path))
            .collect()
    }

    /// Marks `name` FAILED, as a worker does when a running connector raises an error: its
    /// tasks run on. `false` if absent.
    pub fn fail(&self, name: &str) -> bool {
        let mut state = self.state.lock().expect("state lock");
        let Some(c) = state.connectors.get_mut(name) else { return false };
        c.state = "FAILED";
        c.trace = Some(trace(&format!("{name} failed (fake)")));
        true
    }

    /// Shows `fault` from now on, or no fault.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.state.lock().expect("state lock").fault = fault;
    }

    /// Answers only requests with this `Authorization` header (others get 401), or all.
    pub fn require_authorization(&self, header: Option<&str>) {
        self.state.lock().expect("state lock").authorization = header.map(str::to_owned);
    }

    /// Connector `name`'s stored config.
    pub fn config(&self, name: &str) -> Option<BTreeMap<String, String>> {
        self.state.lock().expect("state lock").connectors.get(name).map(|c| c.config.clone())
    }

    /// Whether connector `name` is defined.
    pub fn has(&self, name: &str) -> bool {
        self.state.lock().expect("state lock").connectors.contains_key(name)
    }

    /// Connectors currently defined.
    pub fn connector_count(&self) -> usize {
        self.state.lock().expect("state lock").connectors.len()
    }
}

impl Drop for FakeConnect {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
    }
}

/// Serves one connection. Once the fake is stopped, no request is answered on any
/// connection, open keep-alive ones included: the connection closes, as a dead worker's does.
fn serve(
    stream: TcpStream,
    state: &Mutex<State>,
    log: &Mutex<Vec<Seen>>,
    requests: &AtomicU64,
    stop: &AtomicBool,
) {
    let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
    let mut stream = stream;
    // Keep-alive: serve requests on this connection until the client closes it.
    loop {
        let Some(request) = crate::http_wire::read_request(&mut reader) else { return };
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let (method, target, body) =
            (request.method.clone(), request.target.clone(), &request.body);
        let authorization = request.header("authorization").map(str::to_owned);
        requests.fetch_add(1, Ordering::Relaxed);
        let seen = {
            let mut log = log.lock().expect("log lock");
            log.push(Seen {
                method: method.clone(),
                path: target.clone(),
                at: Instant::now(),
                authorization: authorization.clone(),
                status: 0,
            });
            log.len() - 1
        };
        let (code, reply, delay) = {
            let mut state = state.lock().expect("state lock");
            let fault = state.fault;
            if let Some(Fault::DieOnCreate { stored }) = fault
                && method == "POST"
                && target == "/connectors"
            {
                if stored {
                    route(&mut state, &method, &target, body);
                }
                return;
            }
            if state.authorization.is_some() && state.authorization != authorization {
                (401, Some(Value::String(UNAUTHORIZED.into())), None)
            } else if fault == Some(Fault::Rebalancing) && method != "GET" {
                let (code, reply) = error(409, REBALANCE_409);
                (code, reply, None)
            } else {
                let (code, reply) = route(&mut state, &method, &target, body);
                let delay = match fault {
                    Some(Fault::SlowCreate(d)) if method == "POST" && target == "/connectors" => {
                        Some(d)
                    }
                    _ => None,
                };
                (code, reply, delay)
            }
        };
        if let Some(delay) = delay {
            thread::sleep(delay);
        }
        if stop.load(Ordering::Relaxed) {
            return;
        }
        log.lock().expect("log lock")[seen].status = code;
        let text = match reply {
            // The basic-auth filter's plain-text body.
            Some(Value::String(text)) => text,
            Some(v) => v.to_string(),
            None => String::new(),
        };
        let head = format!(
            "HTTP/1.1 {code} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            reason(code),
            text.len()
        );
        if stream
            .write_all(head.as_bytes())
            .and_then(|_| stream.write_all(text.as_bytes()))
            .is_err()
        {
            return;
        }
    }
}

fn reason(code: u16) -> &'static str {
    match code {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        404 => "Not Found",
        401 => "Unauthorized",
        409 => "Conflict",
        _ => "Internal Server Error",
    }
}

fn error(code: u16, message: impl Into<String>) -> (u16, Option<Value>) {
    (code, Some(json!({"error_code": code, "message": message.into()})))
}

fn decode(segment: &str) -> String {
    let bytes = segment.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&segment[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A Java stack trace's first lines, as a worker reports a throw.
fn trace(message: &str) -> String {
    format!(
        "org.apache.kafka.connect.errors.ConnectException: {message}\n\tat dev.sluice.test.Fake.start(Fake.java:1)\n"
    )
}

/// A status entry: `trace` only when FAILED, as the worker writes it.
fn state_entry(state: &str, trace: &Option<String>) -> serde_json::Map<String, Value> {
    let mut entry = serde_json::Map::new();
    entry.insert("state".into(), json!(state));
    if let Some(trace) = trace {
        entry.insert("trace".into(), json!(trace));
    }
    entry.insert("worker_id".into(), json!("fake:8083"));
    entry
}

fn status_of(name: &str, c: &Connector) -> Value {
    let tasks: Vec<Value> = c
        .tasks
        .iter()
        .enumerate()
        .map(|(id, t)| {
            let mut entry = state_entry(t.state, &t.trace);
            entry.insert("id".into(), json!(id));
            Value::Object(entry)
        })
        .collect();
    json!({"name": name, "connector": state_entry(c.state, &c.trace), "tasks": tasks, "type": kind(c)})
}

fn info_of(name: &str, c: &Connector) -> Value {
    let tasks: Vec<Value> =
        (0..c.tasks.len()).map(|t| json!({"connector": name, "task": t})).collect();
    json!({"name": name, "config": c.config, "tasks": tasks, "type": kind(c)})
}

fn kind(c: &Connector) -> &'static str {
    let class = c.config.get("connector.class").map(String::as_str).unwrap_or("");
    PLUGINS.iter().find(|(p, _)| *p == class).map(|(_, k)| *k).unwrap_or("unknown")
}

/// Starts (or restarts) connector `name` in `state`, as a worker does: a connector made
/// STOPPED or PAUSED has no tasks until it runs; the failing connector fails its first
/// start, or each task's.
fn start(
    state: &mut State,
    name: &str,
    config: BTreeMap<String, String>,
    run: &'static str,
) -> Connector {
    let mode = config.get("fail").filter(|_| kind_of(&config) == Some(FAILING)).cloned();
    if mode.as_deref() == Some("connector") && state.failed_once.insert(name.to_owned()) {
        let trace = Some(trace(&format!("failing on purpose: connector {name}")));
        return Connector { config, target: run, state: "FAILED", trace, tasks: vec![] };
    }
    let count = if run == "STOPPED" || run == "PAUSED" {
        0
    } else {
        config.get("tasks.max").and_then(|t| t.parse().ok()).unwrap_or(1)
    };
    let tasks = (0..count)
        .map(|id| {
            let task = format!("{name}-{id}");
            if mode.as_deref() == Some("task") && state.failed_once.insert(task.clone()) {
                let trace = Some(trace(&format!("failing on purpose: task {task}")));
                Task { state: "FAILED", trace }
            } else {
                Task { state: run, trace: None }
            }
        })
        .collect();
    Connector { config, target: run, state: run, trace: None, tasks }
}

fn kind_of(config: &BTreeMap<String, String>) -> Option<&'static str> {
    let class = config.get("connector.class")?;
    PLUGINS.iter().find(|(p, _)| p == class).map(|(p, _)| *p)
}

/// Validates like `AbstractHerder.validateConnectorConfig` does for what Sluice sends.
fn validate(config: &BTreeMap<String, String>) -> Result<Value, (u16, Option<Value>)> {
    let class = config.get("connector.class").cloned().unwrap_or_default();
    let Some((_, kind)) = PLUGINS.iter().find(|(p, _)| *p == class) else {
        return Err(error(
            500,
            format!(
                "Failed to find any class that implements Connector and which name matches {class}"
            ),
        ));
    };
    let mut configs = Vec::new();
    let mut errors = 0;
    if *kind == "sink" && !config.contains_key("topics") && !config.contains_key("topics.regex") {
        errors += 2;
        let msg = "Must configure one of topics or topics.regex";
        configs.push(json!({"definition": null, "value": {"name": "topics", "value": null, "recommended_values": [], "errors": [msg], "visible": true}}));
        configs.push(json!({"definition": null, "value": {"name": "topics.regex", "value": null, "recommended_values": [], "errors": [msg], "visible": true}}));
    }
    Ok(json!({"name": class, "error_count": errors, "groups": [], "configs": configs}))
}

fn route(state: &mut State, method: &str, target: &str, body: &[u8]) -> (u16, Option<Value>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let segments: Vec<String> = path.trim_matches('/').split('/').map(decode).collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    let json_body = || serde_json::from_slice::<Value>(body).unwrap_or(Value::Null);
    match (method, segments.as_slice()) {
        ("GET", [""]) => (
            200,
            Some(json!({"version": "3.9.1-fake", "commit": "fake", "kafka_cluster_id": "fake"})),
        ),
        ("GET", ["connectors"]) => {
            if query.contains("expand") {
                let all: serde_json::Map<String, Value> = state
                    .connectors
                    .iter()
                    .map(|(n, c)| {
                        let mut entry = serde_json::Map::new();
                        if query.contains("expand=status") {
                            entry.insert("status".into(), status_of(n, c));
                        }
                        if query.contains("expand=info") {
                            entry.insert("info".into(), info_of(n, c));
                        }
                        (n.clone(), Value::Object(entry))
                    })
                    .collect();
                (200, Some(Value::Object(all)))
            } else {
                (200, Some(json!(state.connectors.keys().collect::<Vec<_>>())))
            }
        }
        ("POST", ["connectors"]) => {
            let body = json_body();
            let Some(name) = body["name"].as_str() else {
                return error(400, "Connector name must be specified");
            };
            let Some(config) = body["config"].as_object() else {
                return error(400, "Connector config must be specified");
            };
            let config: BTreeMap<String, String> = config
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .chain([("name".to_owned(), name.to_owned())])
                .collect();
            if state.connectors.contains_key(name) {
                return error(409, format!("Connector {name} already exists"));
            }
            if let Err(e) = validate(&config) {
                return e;
            }
            let initial =
                match body["initial_state"].as_str().map(str::to_ascii_uppercase).as_deref() {
                    None | Some("RUNNING") => "RUNNING",
                    Some("PAUSED") => "PAUSED",
                    Some("STOPPED") => "STOPPED",
                    Some(other) => return error(400, format!("Invalid initial state {other}")),
                };
            let c = start(state, name, config, initial);
            let info = info_of(name, &c);
            state.connectors.insert(name.to_owned(), c);
            (201, Some(info))
        }
        ("GET", ["connectors", name]) => match state.connectors.get(*name) {
            Some(c) => (200, Some(info_of(name, c))),
            None => error(404, format!("Connector {name} not found")),
        },
        ("GET", ["connectors", name, "config"]) => match state.connectors.get(*name) {
            Some(c) => (200, Some(json!(c.config))),
            None => error(404, format!("Connector {name} not found")),
        },
        ("GET", ["connectors", name, "status"]) => match state.connectors.get(*name) {
            Some(c) => (200, Some(status_of(name, c))),
            None => error(404, format!("No status found for connector {name}")),
        },
        ("PUT", ["connectors", name, "config"]) => {
            let Some(config) = json_body().as_object().cloned() else {
                return error(400, "config must be an object");
            };
            let mut config: BTreeMap<String, String> = config
                .into_iter()
                .map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned()))
                .collect();
            config.insert("name".into(), (*name).to_owned());
            if let Err(e) = validate(&config) {
                return e;
            }
            // A new config restarts the connector in its target state.
            let (created, run) = match state.connectors.get(*name) {
                None => (true, "RUNNING"),
                Some(c) => (false, c.target),
            };
            let mut c = start(state, name, config, run);
            if let Some(old) = state.connectors.get(*name).filter(|_| run == "PAUSED") {
                // A paused connector is not started: its tasks stay as they were, paused.
                c.tasks = old.tasks.clone();
            }
            let info = info_of(name, &c);
            state.connectors.insert((*name).to_owned(), c);
            (if created { 201 } else { 200 }, Some(info))
        }
        ("PUT", ["connectors", name, action @ ("pause" | "resume" | "stop")]) => {
            match state.connectors.get_mut(*name) {
                Some(c) => {
                    let run = match *action {
                        "pause" => "PAUSED",
                        "resume" => "RUNNING",
                        _ => "STOPPED",
                    };
                    c.target = run;
                    if c.state == "FAILED" && run != "STOPPED" {
                        // Only the target changes; the status stays FAILED until a restart.
                    } else if c.tasks.is_empty() || run == "STOPPED" {
                        // Leaving STOPPED makes the tasks again; stopping drops them.
                        let config = c.config.clone();
                        let restarted = start(state, name, config, run);
                        state.connectors.insert((*name).to_owned(), restarted);
                    } else {
                        c.state = run;
                        c.tasks
                            .iter_mut()
                            .filter(|t| t.state != "FAILED")
                            .for_each(|t| t.state = run);
                    }
                    (if *action == "stop" { 204 } else { 202 }, None)
                }
                None => error(404, format!("Connector {name} not found")),
            }
        }
        ("POST", ["connectors", name, "restart"]) => {
            let Some(c) = state.connectors.get(*name).cloned() else {
                return error(404, format!("Unknown connector: {name}"));
            };
            let with_tasks = query.contains("includeTasks=true");
            let only_failed = query.contains("onlyFailed=true");
            let restarted = if c.state == "FAILED" && c.tasks.is_empty() {
                // A connector that failed to start makes its tasks once it runs.
                start(state, name, c.config.clone(), c.target)
            } else {
                let mut c = c;
                if !only_failed || c.state == "FAILED" {
                    c.state = c.target;
                    c.trace = None;
                }
                if with_tasks {
                    let run = c.state;
                    for t in c.tasks.iter_mut().filter(|t| !only_failed || t.state == "FAILED") {
                        *t = Task { state: run, trace: None };
                    }
                }
                c
            };
            let status = status_of(name, &restarted);
            state.connectors.insert((*name).to_owned(), restarted);
            if query.is_empty() { (204, None) } else { (202, Some(status)) }
        }
        ("POST", ["connectors", name, "tasks", task, "restart"]) => {
            let Some(c) = state.connectors.get_mut(*name) else {
                return error(404, format!("Unknown task: {name}-{task}"));
            };
            let run = c.state;
            match task.parse::<usize>().ok().and_then(|t| c.tasks.get_mut(t)) {
                Some(t) => {
                    *t = Task { state: run, trace: None };
                    (204, None)
                }
                None => error(404, format!("Unknown task: {name}-{task}")),
            }
        }
        ("DELETE", ["connectors", name]) => match state.connectors.remove(*name) {
            Some(_) => (204, None),
            None => error(404, format!("Connector {name} not found")),
        },
        ("GET", ["connector-plugins"]) => (
            200,
            Some(json!(
                PLUGINS
                    .iter()
                    .map(|(c, k)| json!({"class": c, "type": k, "version": "3.9.1"}))
                    .collect::<Vec<_>>()
            )),
        ),
        ("PUT", ["connector-plugins", _class, "config", "validate"]) => {
            let config: BTreeMap<String, String> = json_body()
                .as_object()
                .map(|o| {
                    o.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                        .collect()
                })
                .unwrap_or_default();
            match validate(&config) {
                Ok(v) => (200, Some(v)),
                Err(e) => e,
            }
        }
        _ => error(404, format!("HTTP 404 Not Found: {method} {path}")),
    }
}
