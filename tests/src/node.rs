//! The real node (`tests/env/testenv up node`): its API server, kubelet, containerd,
//! kube-proxy and cluster DNS, the images `scripts/build-images` imported, and the operator
//! installed in it with helm. Node tests drive everything through kubectl and helm.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use serde_json::Value;

use crate::{
    TestEnv, archives::zip_of, assert_success, http_server::Server, plugins::connect_file_jars,
    repo_root, seed_examples_dir, wait_for,
};

/// The images the node has (imported, never pulled).
pub const OPERATOR_IMAGE: &str = "localhost/sluice/sluice:dev";
pub fn connect_image() -> String {
    format!("localhost/sluice/kafka-connect:{}", kafka_version())
}

fn kafka_version() -> String {
    let versions = std::fs::read_to_string(repo_root().join("tests/env/versions.env"))
        .expect("tests/env/versions.env");
    versions
        .lines()
        .find_map(|l| l.strip_prefix("KAFKA_VERSION="))
        .expect("KAFKA_VERSION in versions.env")
        .to_owned()
}

static WORKER_SLOTS: (std::sync::Mutex<usize>, std::sync::Condvar) =
    (std::sync::Mutex::new(0), std::sync::Condvar::new());

/// A place taken by [`NodeEnv::workers_slot`], given back when dropped.
pub struct WorkersSlot;

impl Drop for WorkersSlot {
    fn drop(&mut self) {
        let (lock, freed) = &WORKER_SLOTS;
        *lock.lock().unwrap_or_else(|e| e.into_inner()) -= 1;
        freed.notify_one();
    }
}

/// The node's environment, read from the `env` file `testenv up node` wrote; its path is
/// `SLUICE_NODE_ENV` (tests/run sets it).
pub struct NodeEnv {
    pub env: TestEnv,
    /// The pod bridge's address: the host as pods see it, and where the API server and
    /// Kafka listen.
    pub node_ip: String,
    pub kafka_bootstrap: String,
    /// The same broker with SASL (PLAIN and SCRAM-SHA-512, user `sluice`) over TLS.
    pub kafka_sasl_bootstrap: String,
    /// The SASL user's password.
    pub kafka_password: String,
    /// The test CA (`ca.crt`), which signed the broker's certificate.
    pub pki: PathBuf,
}

impl NodeEnv {
    /// The node, after checking that the API server answers and the node is Ready.
    pub fn require() -> Self {
        let file = std::env::var("SLUICE_NODE_ENV").unwrap_or_else(|_| {
            panic!(
                "SLUICE_NODE_ENV is not set: the node tests need the real node. Run `tests/run`, or \
                 `SLUICE_TESTENV_DIR=target/testenv-node tests/env/testenv up node` and set \
                 SLUICE_NODE_ENV=target/testenv-node/env"
            )
        });
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("the node's environment {file} cannot be read: {e}"));
        let vars: BTreeMap<&str, &str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .collect();
        let var = |name: &str| -> String {
            vars.get(name).unwrap_or_else(|| panic!("{name} missing from {file}")).to_string()
        };
        let dir = PathBuf::from(var("SLUICE_TESTENV_DIR"));
        let env = TestEnv {
            kubeconfig: var("KUBECONFIG").into(),
            apiserver: var("SLUICE_TEST_APISERVER"),
            connect_url: String::new(),
            kafka_bootstrap: var("SLUICE_TEST_KAFKA_BOOTSTRAP"),
            plugin_dir: var("SLUICE_TEST_PLUGIN_DIR").into(),
            work_dir: var("SLUICE_TEST_WORK_DIR").into(),
            helm: var("SLUICE_TEST_HELM").into(),
            testenv_script: var("SLUICE_TEST_TESTENV").into(),
            dir,
        };
        let node = Self {
            node_ip: var("SLUICE_TEST_NODE_IP"),
            kafka_bootstrap: env.kafka_bootstrap.clone(),
            kafka_sasl_bootstrap: var("SLUICE_TEST_KAFKA_SASL_BOOTSTRAP"),
            kafka_password: var("SLUICE_TEST_KAFKA_PASSWORD"),
            pki: var("SLUICE_TEST_PKI").into(),
            env,
        };
        // Every part runs (a stopped kubelet leaves the node Ready for its grace period).
        let status = std::process::Command::new(&node.env.testenv_script)
            .arg("status")
            .env("SLUICE_TESTENV_DIR", &node.env.dir)
            .output()
            .expect("tests/env/testenv runs");
        let status = String::from_utf8_lossy(&status.stdout);
        let stopped: Vec<&str> = status
            .lines()
            .filter_map(|l| l.strip_suffix(')').and_then(|l| l.split_once(" stopped (")))
            .map(|(part, _)| part)
            .collect();
        assert!(
            stopped.is_empty(),
            "the node's {} not running: start it with `SLUICE_TESTENV_DIR={} tests/env/testenv start <part>`, or bring the node up again (its logs are in {}/logs)",
            stopped.join(", "),
            node.env.dir.display(),
            node.env.dir.display()
        );
        let ready = node.env.kubectl(&[
            "get",
            "node",
            "sluice-node",
            "-o",
            "jsonpath={.status.conditions[?(@.type==\"Ready\")].status}",
        ]);
        assert!(
            ready.status.success() && String::from_utf8_lossy(&ready.stdout) == "True",
            "the node is not Ready (tests/env/testenv status shows which part is down; the kubelet \
             log is {}/logs/kubelet.log): {}{}",
            node.env.dir.display(),
            String::from_utf8_lossy(&ready.stdout),
            String::from_utf8_lossy(&ready.stderr)
        );
        node
    }

    /// A server speaking the Confluent Hub API on the node's address, for this test process:
    /// the operator in the cluster resolves `confluentHub` plugins against it, and the pods'
    /// installers download from it.
    pub fn hub(&self) -> &'static Server {
        static HUB: std::sync::OnceLock<Server> = std::sync::OnceLock::new();
        HUB.get_or_init(|| Server::start_on(&self.node_ip))
    }

    /// Installs the chart with the locally built image, watching all namespaces, unless an
    /// earlier test of this process did; waits until the operator pod is ready. The release
    /// lives in `sluice-system`; its Confluent Hub is [`NodeEnv::hub`].
    pub fn install_operator(&self) {
        static INSTALLED: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
        let mut installed = INSTALLED.lock().unwrap_or_else(|e| e.into_inner());
        if *installed {
            return;
        }
        let mut args = vec!["upgrade", "--install", "sluice", "--create-namespace"];
        let (chart, settings) = self.chart_args();
        args.push(&chart);
        args.extend(["--namespace", "sluice-system"]);
        args.extend(settings.iter().map(String::as_str));
        let hub = format!("operator.confluentHubUrl={}", self.hub().base);
        args.extend(["--set", &hub]);
        let out = self.env.helm(&args);
        if !out.status.success() {
            let pods = self.env.kubectl(&["get", "pods", "-n", "sluice-system", "-o", "wide"]);
            let describe = self.env.kubectl(&["describe", "pods", "-n", "sluice-system"]);
            panic!(
                "helm install of the operator failed: {}\n{}\n{}",
                String::from_utf8_lossy(&out.stderr),
                String::from_utf8_lossy(&pods.stdout),
                String::from_utf8_lossy(&describe.stdout)
            );
        }
        *installed = true;
    }

    /// The chart and the settings every release of it on the node takes: the locally built
    /// image, never pulled, a 5 s resync and debug logs; helm waits for the pods.
    pub fn chart_args(&self) -> (String, Vec<String>) {
        let chart = repo_root().join("charts/sluice").to_string_lossy().into_owned();
        let (repository, tag) = OPERATOR_IMAGE.rsplit_once(':').unwrap();
        let settings = [
            "--wait",
            "--timeout",
            "180s",
            "--set",
            &format!("image.repository={repository}"),
            "--set",
            &format!("image.tag={tag}"),
            "--set",
            "image.pullPolicy=Never",
            "--set",
            "operator.resyncSeconds=5",
            "--set",
            "operator.logFormat=text",
            "--set",
            "operator.logLevel=info\\,sluice=debug",
        ];
        (chart, settings.iter().map(|s| s.to_string()).collect())
    }

    /// Waits until Connector `name` in `ns` is RUNNING with its task; returns it.
    pub fn wait_running(&self, what: &str, ns: &str, name: &str) -> Value {
        self.wait_object(
            what,
            Duration::from_secs(180),
            &["get", "connector", name, "-n", ns],
            |c| {
                if running(c) { Ok(()) } else { Err(c["status"].to_string()) }
            },
        )
    }

    /// Waits until connector `name` (on the Connect `connect` of `ns`) is RUNNING with its
    /// tasks as a worker answers now, on workers whose pods exist now, and its Connector's
    /// status says the same (state and worker ids): a status left from before a scale-down, a
    /// deleted pod or a roll cannot pass, since the worker is asked afresh each time.
    pub fn wait_running_now(&self, what: &str, ns: &str, name: &str) -> Value {
        let access = RestAccess::read(self, ns, "connect");
        let args = ["get", "connector", name, "-n", ns];
        self.wait_object(what, Duration::from_secs(180), &args, |c| {
            self.running_now(&access, ns, c)
        })
    }

    /// `Ok` when the Connector `c` (of the Connect `connect` in `ns`) is RUNNING with its
    /// tasks as a worker answers now, on current pods, and its status says the same.
    pub fn running_now(&self, access: &RestAccess, ns: &str, c: &Value) -> Result<(), String> {
        let name = c["metadata"]["name"].as_str().unwrap_or_default();
        if !running(c) {
            return Err(c["status"].to_string());
        }
        let pods: Vec<(String, String)> = pods_of(self, ns)
            .iter()
            .filter(|p| {
                p["metadata"]["deletionTimestamp"].is_null()
                    && condition(p, "Ready")["status"] == "True"
            })
            .filter_map(|p| {
                let name = p["metadata"]["name"].as_str()?.to_owned();
                Some((name, p["status"]["podIP"].as_str()?.to_owned()))
            })
            .collect();
        let Some((pod, ip)) = pods.first() else { return Err("no Ready worker pod".into()) };
        let connector = c["status"]["connectorName"].as_str().unwrap_or(name);
        let path = format!("/connectors/{connector}/status");
        let (url, curl) = access.worker(pod, ip, &path, Some(&access.operator()));
        let curl: Vec<&str> = curl.iter().map(String::as_str).collect();
        let (code, now) = crate::http_with("GET", &url, None, &curl)?;
        let tasks = now["tasks"].as_array().cloned().unwrap_or_default();
        if code != 200
            || now["connector"]["state"] != "RUNNING"
            || tasks.is_empty()
            || tasks.iter().any(|t| t["state"] != "RUNNING")
        {
            return Err(format!("the worker says {code} {now}"));
        }
        // Every worker id names a pod that exists now.
        let ids: Vec<&str> = std::iter::once(&now["connector"])
            .chain(tasks.iter())
            .filter_map(|e| e["worker_id"].as_str())
            .collect();
        let on_pod = |id: &str| {
            pods.iter().any(|(pod, _)| id.starts_with(&format!("{pod}.connect-workers.{ns}.svc:")))
        };
        if let Some(gone) = ids.iter().find(|id| !on_pod(id)) {
            return Err(format!("{gone} is no current worker pod of {pods:?}"));
        }
        // The status mirrors that answer.
        let mut listed: Vec<(i64, &str)> = tasks
            .iter()
            .map(|t| (t["id"].as_i64().unwrap_or(-1), t["worker_id"].as_str().unwrap_or("")))
            .collect();
        let mut mirrored: Vec<(i64, &str)> = c["status"]["tasks"]
            .as_array()
            .map(|ts| {
                ts.iter()
                    .map(|t| (t["id"].as_i64().unwrap_or(-1), t["workerId"].as_str().unwrap_or("")))
                    .collect()
            })
            .unwrap_or_default();
        listed.sort();
        mirrored.sort();
        if c["status"]["workerId"] != now["connector"]["worker_id"] || listed != mirrored {
            return Err(format!("the status {} is not the worker's {now}", c["status"]));
        }
        Ok(())
    }

    /// Waits until the Connect `connect` in `ns` is Ready with `replicas` ready workers
    /// (pods start slowly on 2 cores: five minutes); returns it.
    pub fn wait_connect_ready(&self, what: &str, ns: &str, replicas: i64) -> Value {
        let args = ["get", "connect", "connect", "-n", ns];
        self.wait_object(what, Duration::from_secs(300), &args, |c| {
            if condition(c, "Ready")["status"] == "True" && c["status"]["readyReplicas"] == replicas
            {
                Ok(())
            } else {
                Err(c["status"].to_string())
            }
        })
    }

    /// `kubectl patch --type=merge` of the Connect `connect` in `ns`.
    pub fn patch_connect(&self, ns: &str, patch: &str) {
        self.env.kubectl_ok(&[
            "patch",
            "connect",
            "connect",
            "-n",
            ns,
            "--type=merge",
            "-p",
            patch,
        ]);
    }

    /// Points the Connect's first URL plugin at another archive: a plugin upgrade.
    pub fn upgrade_url_plugin(&self, ns: &str, archive_url: &str, checksum: &str) {
        let connect = self.env.get_json(&["get", "connect", "connect", "-n", ns]);
        let mut plugins = connect["spec"]["build"]["onDemand"]["plugins"].clone();
        plugins["url"][0]["archivePath"] = archive_url.into();
        plugins["url"][0]["checksum"] = checksum.into();
        let patch = serde_json::json!({"spec": {"build": {"onDemand": {"plugins": plugins}}}});
        self.patch_connect(ns, &patch.to_string());
    }

    /// Holds one of a few places for a test that runs Connect workers: on 2 cores, more JVMs
    /// starting at once than this only make every test slower and its waits flakier.
    pub fn workers_slot(&self) -> WorkersSlot {
        const SLOTS: usize = 3;
        let (lock, freed) = &WORKER_SLOTS;
        let mut busy = lock.lock().unwrap_or_else(|e| e.into_inner());
        while *busy >= SLOTS {
            busy = freed.wait(busy).unwrap_or_else(|e| e.into_inner());
        }
        *busy += 1;
        WorkersSlot
    }

    /// The operator's log, through `kubectl logs`.
    pub fn operator_logs(&self) -> String {
        // Every replica's log: the leader acts, the follower may have led before.
        let out = self.env.kubectl(&[
            "logs",
            "-n",
            "sluice-system",
            "-l",
            "app.kubernetes.io/name=sluice",
            "--prefix",
            "--tail=-1",
        ]);
        assert_success(&out, "kubectl logs of the operator");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A namespace labelled to enforce Pod Security `restricted`.
    pub fn restricted_namespace(&self, prefix: &str) -> String {
        let ns = self.env.namespace(prefix);
        self.env.kubectl_ok(&[
            "label",
            "namespace",
            &ns,
            "pod-security.kubernetes.io/enforce=restricted",
        ]);
        ns
    }

    /// Waits for a JSON field of an object to satisfy `check`; returns the object.
    pub fn wait_object(
        &self,
        what: &str,
        timeout: Duration,
        args: &[&str],
        check: impl Fn(&Value) -> Result<(), String>,
    ) -> Value {
        wait_for(what, timeout, || {
            let mut all = args.to_vec();
            all.extend(["-o", "json"]);
            let out = self.env.kubectl(&all);
            if !out.status.success() {
                return Err(String::from_utf8_lossy(&out.stderr).into_owned());
            }
            let v: Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
            check(&v).map(|()| v)
        })
    }

    /// Polls `kubectl <args> -o json` every 250 ms until `done` holds, for at most `limit`:
    /// the benchmarks' clock, finer than [`NodeEnv::wait_object`]'s.
    pub fn poll(&self, limit: Duration, args: &[&str], done: impl Fn(&Value) -> bool) -> Value {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let mut all = args.to_vec();
            all.extend(["-o", "json"]);
            let out = self.env.kubectl(&all);
            if out.status.success() {
                let v: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
                if done(&v) {
                    return v;
                }
            }
            assert!(std::time::Instant::now() < deadline, "timed out: kubectl {}", args.join(" "));
            std::thread::sleep(Duration::from_millis(250));
        }
    }

    /// `kubectl exec` in a pod's container; stdout.
    pub fn exec(&self, ns: &str, pod: &str, command: &[&str]) -> Result<String, String> {
        let mut args = vec!["exec", "-n", ns, pod, "-c", "connect", "--"];
        args.extend(command);
        let out = self.env.kubectl(&args);
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(String::from_utf8_lossy(&out.stderr).into_owned())
        }
    }
}

/// What the operator uses to reach a Connect's REST API, read from the Secret it issued:
/// the listener's CA (in a file, for curl) and the operator's password.
pub struct RestAccess {
    pub password: String,
    ca: tempfile::NamedTempFile,
    ns: String,
    connect: String,
}

impl RestAccess {
    pub fn read(node: &NodeEnv, ns: &str, connect: &str) -> Self {
        let secret: Value = serde_json::from_str(&node.env.kubectl_ok(&[
            "get",
            "secret",
            &format!("{connect}-rest"),
            "-n",
            ns,
            "-o",
            "json",
        ]))
        .expect("the REST Secret as JSON");
        let value = |key: &str| {
            let bytes = crate::secret_sweep::decode_base64(
                secret["data"][key].as_str().unwrap_or_default(),
            )
            .unwrap_or_else(|| panic!("{key} in the REST Secret"));
            String::from_utf8(bytes).expect("UTF-8")
        };
        let ca = tempfile::NamedTempFile::new().expect("a temporary file");
        std::fs::write(ca.path(), value("cacerts.pem")).expect("the CA file");
        RestAccess { password: value("password"), ca, ns: ns.into(), connect: connect.into() }
    }

    /// The URL of a worker pod under the name its certificate holds, and the curl arguments
    /// that reach it at `pod_ip` trusting the listener's CA alone; `user` adds
    /// `user:password` credentials.
    pub fn worker(
        &self,
        pod: &str,
        pod_ip: &str,
        path: &str,
        user: Option<&str>,
    ) -> (String, Vec<String>) {
        let host = format!("{pod}.{}-workers.{}.svc", self.connect, self.ns);
        let mut args = vec![
            "--cacert".to_owned(),
            self.ca_path(),
            "--resolve".to_owned(),
            format!("{host}:8083:{pod_ip}"),
        ];
        if let Some(user) = user {
            args.extend(["-u".to_owned(), user.to_owned()]);
        }
        (format!("https://{host}:8083{path}"), args)
    }

    /// The listener's CA bundle, as a file.
    pub fn ca_path(&self) -> String {
        self.ca.path().display().to_string()
    }

    /// The operator's credentials, `sluice:<password>`.
    pub fn operator(&self) -> String {
        format!("sluice:{}", self.password)
    }
}

/// The condition `type_` of an object's status (`Null` when absent).
pub fn condition<'a>(object: &'a Value, type_: &str) -> &'a Value {
    object["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_))
        .unwrap_or(&Value::Null)
}

/// The jars of Kafka's FileStream connectors (a real plugin, from Maven Central), zipped as a
/// plugin archive, with `extra` files beside them.
pub fn connect_file_archive(node: &NodeEnv, extra: &[(&str, &[u8])]) -> Vec<u8> {
    let jars = connect_file_jars(&node.env.plugin_dir);
    let mut files: Vec<(String, &[u8])> =
        jars.iter().map(|(n, b)| (format!("connect-file/lib/{n}"), b.as_slice())).collect();
    files.extend(extra.iter().map(|(n, b)| (format!("connect-file/{n}"), *b)));
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    zip_of(&refs)
}

/// The seed's `connect-url.yaml` (a Connect named `connect`) in namespace `ns`, with what this
/// machine cannot have replaced: the archive URL (a local server the pods reach), its
/// checksum, the broker, and the images (built here; the seed's cannot be pulled).
pub fn url_example(ns: &str, archive_url: &str, sha512: &str, bootstrap: &str) -> String {
    let seed = std::fs::read_to_string(seed_examples_dir().join("connect-url.yaml")).unwrap();
    let field = |name: &str| {
        seed.lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .unwrap_or_else(|| panic!("the seed example has {name}"))
            .to_owned()
    };
    let (seed_checksum, seed_url) = (field("checksum: "), field("archivePath: "));
    seed.replace("namespace: confluent", &format!("namespace: {ns}"))
        .replace(&seed_url, archive_url)
        .replace(&seed_checksum, sha512)
        .replace("bootstrapEndpoint: kafka:9071", &format!("bootstrapEndpoint: {bootstrap}"))
        .replace(
            "spec:\n",
            &format!(
                "spec:\n  image:\n    application: {}\n    init: {OPERATOR_IMAGE}\n",
                connect_image()
            ),
        )
}

/// A Connector of `class` with one task on the Connect `connect` of its namespace.
fn file_connector(ns: &str, name: &str, class: &str, configs: &[(&str, &str)]) -> String {
    let configs: String = configs.iter().map(|(k, v)| format!("    {k}: \"{v}\"\n")).collect();
    format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Connector\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  class: {class}\n  taskMax: 1\n  connectClusterRef:\n    name: connect\n  configs:\n{configs}"
    )
}

/// Kafka's FileStreamSourceConnector reading `file` (in the worker's pod) into `topic`.
pub fn file_source(ns: &str, name: &str, file: &str, topic: &str) -> String {
    let class = "org.apache.kafka.connect.file.FileStreamSourceConnector";
    file_connector(ns, name, class, &[("file", file), ("topic", topic)])
}

/// Kafka's FileStreamSinkConnector writing `topic` to `file` (in the worker's pod).
pub fn file_sink(ns: &str, name: &str, file: &str, topic: &str) -> String {
    let class = "org.apache.kafka.connect.file.FileStreamSinkConnector";
    file_connector(ns, name, class, &[("file", file), ("topics", topic)])
}

/// Whether a Connector's status says RUNNING with its one task running.
pub fn running(connector: &Value) -> bool {
    connector["status"]["connectorState"] == "RUNNING" && connector["status"]["tasksReady"] == "1/1"
}

/// The worker pods of the Connect `connect` in `ns`.
pub fn pods_of(node: &NodeEnv, ns: &str) -> Vec<Value> {
    node.env.get_json(&["get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance=connect"])
        ["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}
