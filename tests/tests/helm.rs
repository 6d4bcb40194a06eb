//! The Helm chart, installed with the real helm into the real API server: it lints clean,
//! carries the generated CRDs, renders the operator Deployment, and grants the operator only
//! the rights it needs, which the operator, run with the chart's service account token,
//! proves enough for a connector's whole life.

use std::time::Duration;

use serde_json::Value;
use sluice_e2e::{Operator, TestEnv, repo_root, wait_for};

fn chart() -> String {
    repo_root().join("charts/sluice").to_str().expect("a UTF-8 path").to_owned()
}

/// `kubectl auth can-i` as `user`: whether the API server's RBAC allows it.
/// `helm template` of the chart for Kubernetes 1.33, with `extra` arguments.
fn template_args<'a>(chart: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["template", "sluice", chart, "--kube-version", "1.33.0"];
    args.extend(extra);
    args
}

fn template(env: &TestEnv, extra: &[&str]) -> std::process::Output {
    env.helm(&template_args(&chart(), extra))
}

fn template_ok(env: &TestEnv, extra: &[&str]) -> String {
    env.helm_ok(&template_args(&chart(), extra))
}

/// Whether the API server allows `user` the access `args` names. Only a clean answer counts:
/// `yes` with exit 0, or `no` with exit 1 and nothing on stderr. Anything else (an unknown
/// resource, a server that does not answer) is an error, never a "no", so a check that
/// something is denied cannot pass on a typo or a dead server.
fn can(env: &TestEnv, user: &str, args: &[&str]) -> bool {
    let mut all = vec!["auth", "can-i", "--as", user];
    all.extend(args);
    let out = env.kubectl(&all);
    let (stdout, stderr) =
        (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    match (out.status.code(), stdout.trim(), stderr.trim()) {
        (Some(0), "yes", "") => true,
        (Some(1), "no", "") => false,
        (code, stdout, stderr) => panic!(
            "kubectl {}: no clean answer (exit {code:?}, stdout {stdout:?}, stderr {stderr:?})",
            all.join(" ")
        ),
    }
}

/// Every document of a multi-document YAML stream, as JSON (`---` separated).
fn documents(yaml: &str) -> Vec<Value> {
    yaml.split("\n---")
        .filter_map(|doc| serde_norway::from_str::<Value>(doc).ok())
        .filter(|v| v.is_object())
        .collect()
}

fn kinds(docs: &[Value]) -> Vec<String> {
    let mut kinds: Vec<String> =
        docs.iter().filter_map(|d| d["kind"].as_str().map(str::to_owned)).collect();
    kinds.sort();
    kinds
}

#[test]
fn the_chart_lints_clean_with_and_without_a_watched_namespace() {
    let env = TestEnv::require();
    env.helm_ok(&["lint", "--strict", &chart()]);
    env.helm_ok(&["lint", "--strict", &chart(), "--set", "watchNamespaces={team-a,team-b}"]);

    let bad = env.helm(&["lint", "--strict", &chart(), "--set", "operator.logFormat=xml"]);
    assert!(!bad.status.success(), "a log format the operator does not know must not lint");
    let stderr = String::from_utf8_lossy(&bad.stderr) + String::from_utf8_lossy(&bad.stdout);
    assert!(stderr.contains("logFormat"), "the error names the value: {stderr}");
}

#[test]
fn the_chart_renders_the_generated_crds_and_a_hardened_deployment() {
    let env = TestEnv::require();
    let rendered = template_ok(&env, &["--include-crds"]);
    let docs = documents(&rendered);
    assert_eq!(
        kinds(&docs),
        [
            "ClusterRole",
            "ClusterRoleBinding",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "CustomResourceDefinition",
            "Deployment",
            "PodDisruptionBudget",
            "Role",
            "RoleBinding",
            "Service",
            "ServiceAccount"
        ]
    );
    let crds = std::fs::read_to_string(repo_root().join("crds/sluice.dev.yaml")).unwrap();
    for crd in documents(&crds) {
        assert!(
            docs.contains(&crd),
            "the chart's CRD {} differs from crds/",
            crd["metadata"]["name"]
        );
    }

    let deployment = docs.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let pod = &deployment["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    assert_eq!(container["args"], serde_json::json!(["run"]));
    assert_eq!(container["image"], "ghcr.io/sluice-dev/sluice:0.1.0");
    assert_eq!(container["securityContext"]["readOnlyRootFilesystem"], true);
    assert_eq!(container["securityContext"]["allowPrivilegeEscalation"], false);
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let env_var = |name: &str| {
        container["env"].as_array().unwrap().iter().find(|e| e["name"] == name).cloned()
    };
    assert_eq!(env_var("POD_NAME").unwrap()["valueFrom"]["fieldRef"]["fieldPath"], "metadata.name");
    assert_eq!(env_var("SLUICE_RESYNC_SECONDS").unwrap()["value"], "30");
    // Policy calls are bounded by the container's own memory limit.
    let memory = &env_var("SLUICE_MEMORY_LIMIT").unwrap()["valueFrom"]["resourceFieldRef"];
    assert_eq!(memory["resource"], "limits.memory", "{memory}");
    assert!(env_var("SLUICE_WATCH_NAMESPACE").is_none(), "all namespaces by default");
    assert!(env_var("SLUICE_ENABLE_TEST_HOOKS").is_none(), "no test hook unless asked for");
    // Connect pods' installer runs the operator's image; plugins resolve where the values say.
    assert_eq!(
        env_var("SLUICE_OPERATOR_IMAGE").unwrap()["value"],
        "ghcr.io/sluice-dev/sluice:0.1.0"
    );
    assert_eq!(
        env_var("SLUICE_CONFLUENT_HUB_URL").unwrap()["value"],
        "https://api.hub.confluent.io"
    );
    assert_eq!(
        env_var("SLUICE_MAVEN_REPOSITORY").unwrap()["value"],
        "https://repo1.maven.org/maven2"
    );
    // Rendered NetworkPolicies let in the pods this Deployment makes, by its selector.
    assert_eq!(env_var("SLUICE_OPERATOR_NAMESPACE").unwrap()["value"], "default");
    let labels = env_var("SLUICE_OPERATOR_POD_LABELS").unwrap()["value"].clone();
    let labels: Vec<&str> = labels.as_str().unwrap().split(',').collect();
    for label in &labels {
        let (k, v) = label.split_once('=').expect("key=value");
        assert_eq!(deployment["spec"]["selector"]["matchLabels"][k], v, "{labels:?}");
    }
    assert_eq!(labels.len(), 2, "{labels:?}");
    assert_eq!(pod["serviceAccountName"], "sluice");
    // Two replicas under leader election, a PDB that keeps one, probes on the http port.
    assert_eq!(deployment["spec"]["replicas"], 2);
    assert_eq!(env_var("SLUICE_LEADER_ELECT").unwrap()["value"], "true");
    assert_eq!(container["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(container["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(container["ports"][0]["name"], "http");
    let pdb = docs.iter().find(|d| d["kind"] == "PodDisruptionBudget").unwrap();
    assert_eq!(pdb["spec"]["minAvailable"], 1);
    let service = docs.iter().find(|d| d["kind"] == "Service").unwrap();
    assert_eq!(service["spec"]["ports"][0]["targetPort"], "http");
    // Without leader election: one replica, no PDB, no Lease rights; a ServiceMonitor on ask.
    let single = template_ok(
        &env,
        &["--set", "leaderElection.enabled=false", "--set", "metrics.serviceMonitor.enabled=true"],
    );
    let single = documents(&single);
    assert_eq!(
        kinds(&single),
        [
            "ClusterRole",
            "ClusterRoleBinding",
            "Deployment",
            "Service",
            "ServiceAccount",
            "ServiceMonitor"
        ]
    );
    let deployment = single.iter().find(|d| d["kind"] == "Deployment").unwrap();
    assert_eq!(deployment["spec"]["replicas"], 1);
    assert_eq!(deployment["spec"]["strategy"]["type"], "Recreate");

    // Listed namespaces: a Role and RoleBinding in each (and the Lease Role), nothing
    // cluster-wide; the operator gets the list.
    let listed = documents(&template_ok(&env, &["--set", "watchNamespaces={team-a,team-b}"]));
    let roles: Vec<String> = listed
        .iter()
        .filter(|d| d["kind"] == "Role" || d["kind"] == "RoleBinding")
        .map(|d| {
            format!(
                "{} {}",
                d["kind"].as_str().unwrap(),
                d["metadata"]["namespace"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        roles,
        // helm orders by kind; the last of each is the Lease's, in the release namespace.
        [
            "Role team-a",
            "Role team-b",
            "Role default",
            "RoleBinding team-a",
            "RoleBinding team-b",
            "RoleBinding default"
        ]
    );
    assert!(
        !listed.iter().any(|d| d["kind"] == "ClusterRole" || d["kind"] == "ClusterRoleBinding")
    );
    let deployment = listed.iter().find(|d| d["kind"] == "Deployment").unwrap();
    let watch = deployment["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "SLUICE_WATCH_NAMESPACE")
        .cloned();
    assert_eq!(watch.unwrap()["value"], "team-a,team-b");
    let bad = template(&env, &["--set", "watchNamespaces={Team_A}"]);
    assert!(!bad.status.success(), "a namespace name Kubernetes refuses must not render");

    // A mirror is taken; a repository that is not an http(s) URL is refused at install.
    let mirrored =
        template_ok(&env, &["--set", "operator.mavenRepository=https://maven.internal/repo"]);
    assert!(mirrored.contains("value: \"https://maven.internal/repo\""), "{mirrored}");
    let refused = template(&env, &["--set", "operator.mavenRepository=ftp://maven.internal"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("/operator/mavenRepository"));

    // The Connect endpoint allow-list reaches the operator only when set; an entry carrying
    // credentials is refused at install.
    assert!(!template_ok(&env, &[]).contains("SLUICE_ALLOWED_CONNECT_ENDPOINTS"));
    let allowed = template_ok(
        &env,
        &["--set", "operator.allowedConnectEndpoints={https://connect.a:8083,connect.b}"],
    );
    assert!(
        allowed.contains(
            "- name: SLUICE_ALLOWED_CONNECT_ENDPOINTS\n              value: \"https://connect.a:8083,connect.b\""
        ),
        "{allowed}"
    );
    let refused = template(&env, &["--set", "operator.allowedConnectEndpoints={u:p@connect.a}"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("/operator/allowedConnectEndpoints/0")
    );
}

#[test]
fn a_cluster_wide_install_grants_only_what_the_operator_uses() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("helm-cluster");
    let release = format!("sluice-{ns}");
    env.helm_ok(&["install", &release, &chart(), "--namespace", &ns, "--skip-crds"]);

    let deployment = env.get_json(&["get", "deployment", &release, "-n", &ns]);
    assert_eq!(deployment["spec"]["template"]["spec"]["serviceAccountName"], release.as_str());
    let sa = format!("system:serviceaccount:{ns}:{release}");
    let allowed: &[&[&str]] = &[
        &["watch", "connectors.sluice.dev", "--all-namespaces"],
        &["patch", "connectors.sluice.dev", "--subresource=status", "--all-namespaces"],
        &["get", "connects.sluice.dev", "--all-namespaces"],
        &["get", "secrets", "--all-namespaces"],
        &["create", "events.events.k8s.io", "--all-namespaces"],
        &["watch", "policies.sluice.dev", "--all-namespaces"],
        &["patch", "policies.sluice.dev", "--subresource=status", "--all-namespaces"],
        &["get", "configmaps", "--all-namespaces"],
        &["watch", "connects.sluice.dev", "--all-namespaces"],
        &["patch", "connects.sluice.dev", "--subresource=status", "--all-namespaces"],
        &["create", "statefulsets.apps", "--all-namespaces"],
        &["patch", "statefulsets.apps", "--all-namespaces"],
        &["watch", "statefulsets.apps", "--all-namespaces"],
        &["patch", "services", "--all-namespaces"],
        &["patch", "configmaps", "--all-namespaces"],
        &["patch", "poddisruptionbudgets.policy", "--all-namespaces"],
        &["list", "pods", "--all-namespaces"],
        // A Connect's REST credentials and certificate, and its NetworkPolicy.
        &["create", "secrets", "--all-namespaces"],
        &["patch", "secrets", "--all-namespaces"],
        &["create", "networkpolicies.networking.k8s.io", "--all-namespaces"],
        &["patch", "networkpolicies.networking.k8s.io", "--all-namespaces"],
        &["create", "leases.coordination.k8s.io", "-n", &ns],
        &["update", "leases.coordination.k8s.io", "-n", &ns],
    ];
    for args in allowed {
        assert!(can(&env, &sa, args), "the operator needs {args:?}");
    }
    let denied: &[&[&str]] = &[
        &["list", "secrets", "--all-namespaces"],
        &["delete", "secrets", "--all-namespaces"],
        &["update", "secrets", "--all-namespaces"],
        &["delete", "networkpolicies.networking.k8s.io", "--all-namespaces"],
        &["list", "configmaps", "--all-namespaces"],
        &["update", "policies.sluice.dev", "--all-namespaces"],
        &["patch", "connects.sluice.dev", "--all-namespaces"],
        &["delete", "statefulsets.apps", "--all-namespaces"],
        &["delete", "services", "--all-namespaces"],
        &["get", "pods", "--all-namespaces", "--subresource=log"],
        &["create", "pods", "--subresource=exec", "--all-namespaces"],
        &["delete", "connectors.sluice.dev", "--all-namespaces"],
        &["create", "connectors.sluice.dev", "--all-namespaces"],
        &["create", "pods", "--all-namespaces"],
        &["update", "customresourcedefinitions", "--all-namespaces"],
        &["update", "leases.coordination.k8s.io", "--all-namespaces"],
        &["delete", "leases.coordination.k8s.io", "-n", &ns],
    ];
    for args in denied {
        assert!(!can(&env, &sa, args), "the operator must not be able to {args:?}");
    }

    env.helm_ok(&["uninstall", &release, "--namespace", &ns, "--wait"]);
    let left = env.kubectl(&["get", "clusterrole", &release]);
    assert!(!left.status.success(), "helm uninstall left the ClusterRole {release} behind");
}

#[test]
fn with_listed_namespaces_the_operator_runs_their_connectors_on_the_charts_rights_alone() {
    let env = TestEnv::require();
    env.install_crds();
    let system = env.namespace("helm-system");
    let teams = [env.namespace("helm-team-a"), env.namespace("helm-team-b")];
    let other = env.namespace("helm-other");
    let release = format!("sluice-{}", teams[0]);
    env.helm_ok(&[
        "install",
        &release,
        &chart(),
        "--namespace",
        &system,
        "--skip-crds",
        "--set",
        &format!("watchNamespaces={{{},{}}}", teams[0], teams[1]),
    ]);

    let sa = format!("system:serviceaccount:{system}:{release}");
    for team in &teams {
        assert!(can(&env, &sa, &["watch", "connectors.sluice.dev", "-n", team]));
    }
    for ns in [&system, &other] {
        assert!(!can(&env, &sa, &["watch", "connectors.sluice.dev", "-n", ns]));
        assert!(!can(&env, &sa, &["get", "secrets", "-n", ns]));
    }
    assert!(!can(&env, &sa, &["list", "connectors.sluice.dev", "--all-namespaces"]));
    let cluster_role = env.kubectl(&["get", "clusterrole", &release]);
    assert!(!cluster_role.status.success(), "a namespaced install made a ClusterRole");

    // The operator as the chart's service account, through a token the API server issued,
    // watching the namespaces the chart lists, as the chart's Deployment would run it.
    let token = env.kubectl_ok(&["create", "token", &release, "-n", &system, "--duration=1h"]);
    let kubeconfig = env.kubeconfig_with_token(&release, token.trim());
    let operator = Operator::start_instance(
        &kubeconfig,
        &teams.join(","),
        &release,
        &["--resync-seconds", "5"],
    );

    std::fs::create_dir_all(&env.work_dir).unwrap();
    let source = |ns: &str| {
        let name = format!("{ns}-source");
        let input = env.work_dir.join(format!("{name}.txt"));
        std::fs::write(&input, "one\n").unwrap();
        env.apply(&sluice_e2e::file_source_connector(
            "source",
            ns,
            &name,
            &input,
            &env.connect_url,
        ));
        name
    };
    let names: Vec<String> = teams.iter().map(|t| source(t)).collect();
    let ignored = source(&other);
    for team in &teams {
        wait_for("the connector RUNNING in status", Duration::from_secs(60), || {
            let c = env.get_json(&["get", "connector", "source", "-n", team]);
            if c["status"]["connectorState"] == "RUNNING" {
                Ok(())
            } else {
                Err(format!("{}", c["status"]))
            }
        });
        let events = env.events_of(team, "source");
        assert!(
            events.iter().any(|e| e.starts_with("CreateConnector")),
            "the service account may record Events: {events:?}"
        );
    }
    // The namespace not listed is not the operator's: its Connector is left alone.
    let c = env.get_json(&["get", "connector", "source", "-n", &other]);
    assert!(c["status"].is_null(), "a Connector outside the list got a status: {c}");
    let on_worker = env.connect_get("/connectors").unwrap();
    assert!(!on_worker.as_array().unwrap().iter().any(|n| n == ignored.as_str()), "{on_worker}");

    for team in &teams {
        env.kubectl_ok(&["delete", "connector", "source", "-n", team, "--timeout=30s"]);
    }
    let on_worker = env.connect_get("/connectors").unwrap();
    for name in &names {
        assert!(!on_worker.as_array().unwrap().iter().any(|n| n == name.as_str()), "{on_worker}");
    }
    env.kubectl_ok(&["delete", "namespace", &other, "--wait=false"]);
    let log = operator.log_text();
    assert!(!log.contains("forbidden"), "the chart's rights fell short:\n{log}");
}
