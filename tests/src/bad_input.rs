//! A generated table of malformed and hostile resources for the bad-input sweep
//! (tests/tests/bad_input.rs): each field of a valid Connector, Connect and Policy set in turn
//! to a value of the wrong type, a huge string, odd unicode, an injection attempt or a
//! reference to an object that does not exist.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// One resource of the sweep.
pub struct Case {
    /// What was done to the base resource, for messages.
    pub what: String,
    /// The field set, as the API server names it (`spec.restartPolicy.type`), if one was.
    pub field: Option<String>,
    pub kind: &'static str,
    /// The resource's `metadata.name`, unique in the sweep.
    pub name: String,
    pub object: Value,
}

/// Values no field should take quietly: wrong types, sizes, unicode and injections.
pub fn hostile_values() -> Vec<(&'static str, Value)> {
    vec![
        ("a number", json!(42)),
        ("a negative number", json!(-1)),
        ("a huge number", json!(1e300)),
        ("a boolean", json!(true)),
        ("null", Value::Null),
        ("a list", json!(["a", 1])),
        ("an object", json!({ "a": { "b": [] } })),
        ("an empty string", json!("")),
        ("a 300 KiB string", json!("x".repeat(300 << 10))),
        ("right-to-left and zero-width unicode", json!("a\u{202e}b\u{200b}c")),
        ("emoji", json!("😀🚀")),
        ("a NUL character", json!("a\u{0}b")),
        ("a newline with a property", json!("a\nkey.converter=evil")),
        ("a path up the tree", json!("../../../etc/passwd")),
        ("a config provider reference", json!("${file:/etc/shadow:root}")),
        ("shell substitution", json!("$(id)`id`")),
        ("SQL", json!("'; DROP TABLE connectors;--")),
        ("the metadata address", json!("http://169.254.169.254/latest/meta-data/")),
        ("a name that exists nowhere", json!("does-not-exist")),
    ]
}

/// The fields each kind's sweep sets, as JSON pointers below the object.
const CONNECTOR_FIELDS: &[&str] = &[
    "/metadata/annotations/sluice.dev~1restart-task",
    "/metadata/annotations/sluice.dev~1pause-connector",
    "/spec/name",
    "/spec/class",
    "/spec/taskMax",
    "/spec/state",
    "/spec/configs",
    "/spec/configs/topic",
    "/spec/restartPolicy",
    "/spec/restartPolicy/type",
    "/spec/restartPolicy/maxRetry",
    "/spec/connectRest/endpoint",
    "/spec/connectRest/authentication",
];

const CONNECT_FIELDS: &[&str] = &[
    "/spec/replicas",
    "/spec/image/application",
    "/spec/image/init",
    "/spec/configOverrides/server",
    "/spec/mountedSecrets",
    "/spec/dependencies/kafka/bootstrapEndpoint",
    "/spec/build/onDemand/plugins/url/0/archivePath",
    "/spec/build/onDemand/plugins/url/0/checksum",
    "/spec/build/onDemand/storageLimit",
    "/spec/connectorAccess/namespaces",
    "/spec/tls",
];

const POLICY_FIELDS: &[&str] = &[
    "/spec/module/configMapRef/name",
    "/spec/module/configMapRef/key",
    "/spec/settings",
    "/spec/limits/memory",
    "/spec/limits/fuel",
    "/spec/limits/timeoutMs",
    "/spec/capabilities/secrets/names",
    "/spec/capabilities/http/allowedHosts",
    "/spec/failurePolicy",
];

/// Every case: each field of each kind set to each hostile value, and a few whole-object
/// cases (references to missing objects).
pub fn cases(namespace: &str, connect_url: &str) -> Vec<Case> {
    let mut out = Vec::new();
    let kinds: [(&'static str, Value, &[&str]); 3] = [
        ("Connector", connector(namespace, connect_url), CONNECTOR_FIELDS),
        ("Connect", connect(namespace), CONNECT_FIELDS),
        ("Policy", policy(namespace), POLICY_FIELDS),
    ];
    for (kind, base, fields) in kinds {
        for field in fields {
            for (label, value) in hostile_values() {
                let mut object = base.clone();
                set(&mut object, field, value);
                let name = format!("{}-{}", kind.to_lowercase(), out.len());
                object["metadata"]["name"] = json!(name);
                out.push(Case {
                    what: format!("{kind} {field} = {label}"),
                    field: Some(dotted(field)),
                    kind,
                    name,
                    object,
                });
            }
        }
    }
    // References to objects that do not exist, each alone in an otherwise valid resource.
    let mut missing = |kind: &'static str, what: &str, mut object: Value| {
        let name = format!("{}-{}", kind.to_lowercase(), out.len());
        object["metadata"]["name"] = json!(name);
        let what = format!("{kind} naming a missing {what}");
        out.push(Case { what, field: None, kind, name, object });
    };
    let mut c = connector(namespace, connect_url);
    c["spec"].as_object_mut().expect("spec").remove("connectRest");
    c["spec"]["connectClusterRef"] = json!({ "name": "no-such-connect" });
    missing("Connector", "Connect", c);
    let mut c = connector(namespace, connect_url);
    c["spec"]["restartPolicy"] =
        json!({ "type": "Policy", "policyRef": { "name": "no-such-policy" } });
    missing("Connector", "Policy", c);
    let mut c = connector(namespace, connect_url);
    c["spec"]["connectRest"]["authentication"] =
        json!({ "type": "basic", "basic": { "secretRef": "no-such-secret" } });
    missing("Connector", "Secret", c);
    let mut c = connect(namespace);
    c["spec"]["mountedSecrets"] = json!([{ "secretRef": "no-such-secret" }]);
    missing("Connect", "Secret", c);
    let mut c = connect(namespace);
    c["spec"]["tls"] = json!({ "secretRef": "no-such-secret" });
    missing("Connect", "TLS Secret", c);
    missing("Policy", "ConfigMap", policy(namespace));
    out
}

fn connector(namespace: &str, connect_url: &str) -> Value {
    json!({
        "apiVersion": "sluice.dev/v1alpha1", "kind": "Connector",
        "metadata": { "name": "base", "namespace": namespace },
        "spec": {
            "class": "org.apache.kafka.connect.file.FileStreamSourceConnector",
            "taskMax": 1,
            "configs": { "file": "/dev/null", "topic": "sweep" },
            "connectRest": { "endpoint": connect_url },
        },
    })
}

fn connect(namespace: &str) -> Value {
    json!({
        "apiVersion": "sluice.dev/v1alpha1", "kind": "Connect",
        "metadata": { "name": "base", "namespace": namespace },
        "spec": {
            "replicas": 1,
            "image": { "application": "sluice/connect:test", "init": "sluice/operator:test" },
            "dependencies": { "kafka": { "bootstrapEndpoint": "kafka:9092" } },
            "build": { "type": "onDemand", "onDemand": {
                "plugins": { "locationType": "url", "url": [{
                    "name": "p", "archivePath": "https://example.invalid/p.zip",
                    "checksum": "0".repeat(128),
                }] },
            } },
        },
    })
}

fn policy(namespace: &str) -> Value {
    json!({
        "apiVersion": "sluice.dev/v1alpha1", "kind": "Policy",
        "metadata": { "name": "base", "namespace": namespace },
        "spec": { "module": { "configMapRef": { "name": "no-such-module" } } },
    })
}

/// A JSON pointer as the API server names the field: `/spec/a/0/b` → `spec.a[0].b`.
fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.trim_start_matches('/').split('/') {
        let part = part.replace("~1", "/").replace("~0", "~");
        if part.parse::<usize>().is_ok() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&part);
        }
    }
    out
}

/// Whether the API server's `answer` names `field` or one of its ancestors below the
/// top (`spec.restartPolicy` for `spec.restartPolicy.type`, since some rules are on the
/// object that holds the field), or, for a rule on the whole spec, `spec:`.
pub fn names_field(answer: &str, field: &str) -> bool {
    let mut candidate = field;
    loop {
        match candidate.rfind(['.', '[']) {
            Some(cut) if cut > 0 => {
                if answer.contains(candidate) {
                    return true;
                }
                candidate = &candidate[..cut];
            }
            _ => return answer.contains(&format!("{candidate}:")),
        }
    }
}

/// Sets the JSON pointer `at` in `object` to `value`, creating objects (and list entries)
/// on the way.
fn set(object: &mut Value, at: &str, value: Value) {
    let mut here = object;
    let parts: Vec<String> = at
        .trim_start_matches('/')
        .split('/')
        .map(|p| p.replace("~1", "/").replace("~0", "~"))
        .collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        if let Ok(index) = part.parse::<usize>()
            && here.is_array()
        {
            let list = here.as_array_mut().expect("a list");
            while list.len() <= index {
                list.push(json!({}));
            }
            if last {
                list[index] = value;
                return;
            }
            here = &mut list[index];
            continue;
        }
        if !here.is_object() {
            *here = json!({});
        }
        let map = here.as_object_mut().expect("an object");
        if last {
            map.insert(part.clone(), value);
            return;
        }
        here = map.entry(part.clone()).or_insert_with(|| json!({}));
    }
}

/// What one pass of the sweep saw.
pub struct Sweep {
    /// Cases the API server refused: what, the field set, and its answer.
    pub refused: Vec<(String, Option<String>, String)>,
    /// Cases it accepted: kind, name, what.
    pub accepted: Vec<(&'static str, String, String)>,
}

/// Creates every case (names prefixed with `round`), one `kubectl create` each (not apply:
/// its last-applied annotation would itself be refused for large objects), four at a time.
pub fn create_all(env: &crate::TestEnv, cases: &[Case], round: &str) -> Sweep {
    let outcomes = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for share in cases.chunks(cases.len().div_ceil(4).max(1)) {
            let outcomes = &outcomes;
            s.spawn(move || {
                for case in share {
                    let mut object = case.object.clone();
                    let name = format!("{round}{}", case.name);
                    object["metadata"]["name"] = json!(name);
                    let out =
                        env.kubectl_with_stdin(&["create", "-f", "-"], Some(&object.to_string()));
                    let answer = String::from_utf8_lossy(&out.stderr).into_owned();
                    let outcome = (case, name, out.status.success().then_some(()).ok_or(answer));
                    outcomes.lock().expect("outcomes").push(outcome);
                }
            });
        }
    });
    let mut sweep = Sweep { refused: Vec::new(), accepted: Vec::new() };
    for (case, name, outcome) in outcomes.into_inner().expect("outcomes") {
        match outcome {
            Ok(()) => sweep.accepted.push((case.kind, name, case.what.clone())),
            Err(answer) => sweep.refused.push((case.what.clone(), case.field.clone(), answer)),
        }
    }
    sweep
}

/// Waits until every accepted resource has [`concluded`], listing the namespace once per
/// second; panics naming those that did not within `bound`.
pub fn wait_concluded(env: &crate::TestEnv, namespace: &str, sweep: &Sweep, bound: Duration) {
    let deadline = Instant::now() + bound;
    loop {
        let list = env.get_json(&["get", "connectors,connects,policies", "-n", namespace]);
        let done: std::collections::BTreeSet<(String, String)> = list["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|o| concluded(o))
            .map(|o| {
                let kind = o["kind"].as_str().unwrap_or_default().to_owned();
                (kind, o["metadata"]["name"].as_str().unwrap_or_default().to_owned())
            })
            .collect();
        let pending: Vec<&String> = sweep
            .accepted
            .iter()
            .filter(|(kind, name, _)| !done.contains(&(kind.to_string(), name.clone())))
            .map(|(_, _, what)| what)
            .collect();
        if pending.is_empty() {
            return;
        }
        assert!(Instant::now() < deadline, "no condition for their generation: {pending:?}");
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Whether an accepted resource's status has a condition for its current generation with
/// a message: the clear outcome every accepted case must reach.
pub fn concluded(object: &Value) -> bool {
    let generation = &object["metadata"]["generation"];
    object["status"]["conditions"].as_array().is_some_and(|cs| {
        cs.iter().any(|c| {
            c["observedGeneration"] == *generation
                && c["message"].as_str().is_some_and(|m| !m.trim().is_empty())
        })
    })
}

/// The resident memory of process `pid`, in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|n| n.parse().ok()))
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sweep_has_a_few_hundred_distinct_cases() {
        let cases = cases("ns", "http://127.0.0.1:1");
        assert!(cases.len() > 300, "{}", cases.len());
        let names: std::collections::BTreeSet<_> = cases.iter().map(|c| &c.name).collect();
        assert_eq!(names.len(), cases.len());
    }

    #[test]
    fn fields_are_named_as_the_api_server_names_them() {
        assert_eq!(
            dotted("/spec/build/onDemand/plugins/url/0/checksum"),
            "spec.build.onDemand.plugins.url[0].checksum"
        );
        assert_eq!(
            dotted("/metadata/annotations/sluice.dev~1restart-task"),
            "metadata.annotations.sluice.dev/restart-task"
        );
        assert!(names_field("spec.restartPolicy: Invalid value", "spec.restartPolicy.type"));
        assert!(!names_field("spec.taskMax: Invalid value", "spec.restartPolicy.type"));
    }

    #[test]
    fn pointers_reach_into_lists_and_escaped_keys() {
        let mut v = json!({ "spec": { "plugins": [{ "a": 1 }] } });
        set(&mut v, "/spec/plugins/0/a", json!(2));
        set(&mut v, "/metadata/annotations/sluice.dev~1x", json!("y"));
        assert_eq!(v["spec"]["plugins"][0]["a"], 2);
        assert_eq!(v["metadata"]["annotations"]["sluice.dev/x"], "y");
    }
}
