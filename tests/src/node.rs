//! The real node (`tests/env/testenv up node`): its API server, kubelet, containerd,
//! kube-proxy and cluster DNS, the images `scripts/build-images` imported, and the operator
//! installed in it with helm. Node tests drive everything through kubectl and helm.

use std::{collections::BTreeMap, path::PathBuf, time::Duration};

use serde_json::Value;

use crate::{TestEnv, assert_success, http_server::Server, repo_root, wait_for};

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

/// The node's environment, read from the `env` file `testenv up node` wrote; its path is
/// `SLUICE_NODE_ENV` (tests/run sets it).
pub struct NodeEnv {
    pub env: TestEnv,
    /// The pod bridge's address: the host as pods see it, and where the API server and
    /// Kafka listen.
    pub node_ip: String,
    pub kafka_bootstrap: String,
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
            env,
        };
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
        let chart = repo_root().join("charts/sluice");
        let (repository, tag) = OPERATOR_IMAGE.rsplit_once(':').unwrap();
        let out = self.env.helm(&[
            "upgrade",
            "--install",
            "sluice",
            chart.to_str().unwrap(),
            "--namespace",
            "sluice-system",
            "--create-namespace",
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
            &format!("operator.confluentHubUrl={}", self.hub().base),
            "--set",
            "operator.logFormat=text",
            "--set",
            "operator.logLevel=info\\,sluice=debug",
        ]);
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

    /// The operator's log, through `kubectl logs`.
    pub fn operator_logs(&self) -> String {
        let out =
            self.env.kubectl(&["logs", "-n", "sluice-system", "deployment/sluice", "--tail=-1"]);
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
