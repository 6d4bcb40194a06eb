//! Connect clusters end to end on the real API server: each seed example becomes the
//! StatefulSet, Services, ConfigMaps and PDB a Kafka Connect cluster needs; a plugin the
//! operator resolved through a local server that speaks the Confluent Hub API is installed
//! by `sluice install-plugins` from the list the operator wrote, and a real worker started on
//! that directory offers its classes (in the Connect's status too) and runs a Connector of
//! that class; bad plugins are named in the status and leave the cluster as it was.
//!
//! This environment has no kubelet: no pod runs here. What pods do (the installer as an init
//! container, its failures in the status, workers that start and run connectors) is tested on
//! the real node, in `node.rs`.

use std::{path::Path, process::Command, time::Duration};

use serde_json::Value;
use sluice_e2e::http_server::{Reply, Server};
use sluice_e2e::plugins::{connect_file_jars, hub_archive, publish_on_hub, sha1, sha512};
use sluice_e2e::{Operator, TestEnv, http_get, seed_examples, sluice_binary, wait_for};

const OPERATOR_IMAGE: &str = "sluice-test/sluice:e2e";

fn example(file: &str, namespace: &str) -> String {
    let path = seed_examples().into_iter().find(|p| p.ends_with(file)).expect(file);
    std::fs::read_to_string(path)
        .unwrap()
        .replace("namespace: confluent", &format!("namespace: {namespace}"))
}

/// The operator for one test, observing every 2 s, with `extra` arguments.
fn operator(env: &TestEnv, ns: &str, extra: &[&str]) -> Operator {
    let args: Vec<&str> =
        ["--resync-seconds", "2"].into_iter().chain(extra.iter().copied()).collect();
    Operator::start_with(env, ns, &args)
}

/// `kubectl patch --type=merge` of `kind/name`.
fn merge_patch(env: &TestEnv, kind: &str, name: &str, ns: &str, patch: &str) {
    env.kubectl_ok(&["patch", kind, name, "-n", ns, "--type=merge", "-p", patch]);
}

/// The same on the status subresource: what a kubelet or a built-in controller would write.
fn patch_status(env: &TestEnv, kind: &str, name: &str, ns: &str, patch: &str) {
    env.kubectl_ok(&[
        "patch",
        kind,
        name,
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        patch,
    ]);
}

fn get(env: &TestEnv, kind: &str, name: &str, ns: &str) -> Value {
    env.get_json(&["get", kind, name, "-n", ns])
}

fn exists(env: &TestEnv, kind: &str, name: &str, ns: &str) -> bool {
    env.kubectl(&["get", kind, name, "-n", ns]).status.success()
}

fn condition(connect: &Value, type_: &str) -> Value {
    connect["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_).cloned())
        .unwrap_or(Value::Null)
}

fn wait_condition(env: &TestEnv, ns: &str, type_: &str, check: impl Fn(&Value) -> bool) -> Value {
    wait_for(&format!("Connect condition {type_}"), Duration::from_secs(60), || {
        let c = get(env, "connect", "connect", ns);
        let cond = condition(&c, type_);
        if check(&cond) && c["status"]["observedGeneration"] == c["metadata"]["generation"] {
            Ok(c)
        } else {
            Err(c["status"].to_string())
        }
    })
}

fn config_hash(set: &Value) -> String {
    set["spec"]["template"]["metadata"]["annotations"]["sluice.dev/config-hash"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// A Secret's value, decoded.
fn decoded(secret: &Value, key: &str) -> String {
    let encoded = secret["data"][key].as_str().unwrap_or_default();
    let bytes = sluice_e2e::secret_sweep::decode_base64(encoded).expect("base64");
    String::from_utf8(bytes).expect("UTF-8")
}

fn plugin_list(env: &TestEnv, ns: &str) -> Value {
    let cm = get(env, "configmap", "connect-plugins", ns);
    serde_json::from_str(cm["data"]["plugins.json"].as_str().unwrap()).unwrap()
}

fn volume<'a>(pod: &'a Value, name: &str) -> &'a Value {
    pod["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == name)
        .unwrap_or_else(|| panic!("no volume {name} in {}", pod["volumes"]))
}

fn mount_path(container: &Value, volume: &str) -> (String, bool) {
    let m = container["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == volume)
        .unwrap_or_else(|| panic!("no mount of {volume} in {}", container["volumeMounts"]));
    (m["mountPath"].as_str().unwrap().to_owned(), m["readOnly"] == true)
}

fn assert_owned_by_connect(object: &Value, connect: &Value) {
    let owner = &object["metadata"]["ownerReferences"][0];
    assert_eq!(owner["kind"], "Connect", "{}", object["metadata"]);
    assert_eq!(owner["uid"], connect["metadata"]["uid"]);
    assert_eq!(owner["controller"], true);
}

#[test]
fn the_confluent_hub_example_becomes_a_connect_cluster_field_by_field() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("connect-hub");
    let hub = Server::start();
    let archive = hub_archive(
        "confluentinc-kafka-connect-s3-source-2.0.1",
        &[("s3-source.jar".into(), b"jar bytes".to_vec())],
    );
    let archive_path = publish_on_hub(
        &hub,
        "confluentinc",
        "kafka-connect-s3-source",
        "2.0.1",
        &archive,
        &sha1(&archive),
    );
    let _operator = operator(
        &env,
        &ns,
        &["--confluent-hub-url", &hub.base, "--operator-image", OPERATOR_IMAGE],
    );

    // The Secrets it mounts do not exist yet: nothing is rendered, and the status says which.
    env.apply(&example("connect-confluenthub.yaml", &ns));
    let c = wait_condition(&env, &ns, "Ready", |c| c["reason"] == "SecretMissing");
    let message = condition(&c, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with(&format!("spec.mountedSecrets[0]: Secret aws-credential does not exist in {ns}: create it, or remove it from spec.mountedSecrets; spec.connectorTLSCerts[0]: Secret connector-tls does not exist")),
        "{message}"
    );
    assert!(!exists(&env, "statefulset", "connect", &ns), "rendered before its Secrets exist");
    assert!(env.events_of(&ns, "connect").iter().any(|e| e.contains("SecretMissing")));

    env.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "aws-credential",
        "-n",
        &ns,
        "--from-literal=aws.txt=[default]",
    ]);
    env.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "connector-tls",
        "-n",
        &ns,
        "--from-literal=tls.crt=x",
    ]);
    let connect = wait_condition(&env, &ns, "Ready", |c| c["reason"] == "WorkersNotReady");
    let status = &connect["status"];
    assert_eq!(condition(&connect, "Ready")["message"], "0 of 2 workers ready");
    assert_eq!(condition(&connect, "PluginsResolved")["status"], "True");
    assert_eq!(status["restEndpoint"], format!("https://connect.{ns}.svc:8083"));
    assert_eq!(
        status["mounts"],
        serde_json::json!([
            {"secretRef": "aws-credential", "path": "/mnt/secrets/aws-credential"},
            {"secretRef": "connector-tls", "path": "/mnt/sslcerts/connector-tls"},
        ])
    );
    let archive_url = format!("{}{archive_path}", hub.base);
    assert_eq!(
        status["plugins"],
        serde_json::json!([{
            "name": "kafka-connect-s3-source", "version": "2.0.1", "source": "confluentHub",
            "archiveUrl": archive_url, "sha512": sha512(&archive),
        }])
    );

    // The StatefulSet.
    let set = get(&env, "statefulset", "connect", &ns);
    assert_owned_by_connect(&set, &connect);
    let spec = &set["spec"];
    assert_eq!(spec["replicas"], 2);
    assert_eq!(spec["serviceName"], "connect-workers");
    assert_eq!(spec["podManagementPolicy"], "Parallel");
    let selector = serde_json::json!({"app.kubernetes.io/instance": "connect", "app.kubernetes.io/name": "kafka-connect"});
    assert_eq!(spec["selector"]["matchLabels"], selector);
    assert_eq!(config_hash(&set).len(), 16);
    let pod = &spec["template"]["spec"];
    let init = &pod["initContainers"][0];
    assert_eq!(init["name"], "install-plugins");
    // The example names CFK's init image, which cannot run the installer: Sluice's runs.
    assert_eq!(init["image"], OPERATOR_IMAGE);
    assert_eq!(
        init["args"],
        serde_json::json!([
            "install-plugins",
            "--plugins",
            "/etc/sluice/plugins/plugins.json",
            "--target",
            "/opt/sluice/plugins"
        ])
    );
    assert_eq!(init["terminationMessagePolicy"], "FallbackToLogsOnError");
    assert_eq!(mount_path(init, "plugins"), ("/opt/sluice/plugins".into(), false));
    assert_eq!(mount_path(init, "plugin-list"), ("/etc/sluice/plugins".into(), true));
    assert!(
        env.events_of(&ns, "connect").iter().any(|e| e.contains(
            "image.init confluentinc/confluent-init-container:2.2.0-1 is Confluent's init container"
        )),
        "{:?}",
        env.events_of(&ns, "connect")
    );
    let worker = &pod["containers"][0];
    assert_eq!(worker["image"], "confluentinc/cp-server-connect:7.0.1");
    assert_eq!(worker["ports"][0]["containerPort"], 8083);
    assert_eq!(mount_path(worker, "plugins"), ("/opt/sluice/plugins".into(), false));
    assert_eq!(mount_path(worker, "config"), ("/etc/sluice/connect".into(), true));
    assert_eq!(
        mount_path(worker, "secret-aws-credential"),
        ("/mnt/secrets/aws-credential".into(), true)
    );
    assert_eq!(
        mount_path(worker, "tls-connector-tls"),
        ("/mnt/sslcerts/connector-tls".into(), true)
    );
    assert_eq!(volume(pod, "plugins")["emptyDir"]["sizeLimit"], "4G");
    assert_eq!(volume(pod, "secret-aws-credential")["secret"]["secretName"], "aws-credential");
    assert_eq!(volume(pod, "tls-connector-tls")["secret"]["secretName"], "connector-tls");
    assert_eq!(volume(pod, "config")["configMap"]["name"], "connect-config");
    assert_eq!(volume(pod, "plugin-list")["configMap"]["name"], "connect-plugins");

    // The Services, ConfigMaps and PDB.
    let headless = get(&env, "service", "connect-workers", &ns);
    assert_owned_by_connect(&headless, &connect);
    assert_eq!(headless["spec"]["clusterIP"], "None");
    assert_eq!(headless["spec"]["publishNotReadyAddresses"], true);
    assert_eq!(headless["spec"]["selector"], selector);
    let client = get(&env, "service", "connect", &ns);
    assert_owned_by_connect(&client, &connect);
    assert_eq!(client["spec"]["ports"][0]["port"], 8083);
    assert_eq!(client["spec"]["ports"][0]["targetPort"], "https");
    assert_eq!(client["spec"]["selector"], selector);
    let config = get(&env, "configmap", "connect-config", &ns);
    assert_owned_by_connect(&config, &connect);
    let properties = config["data"]["connect.properties"].as_str().unwrap();
    for line in [
        "bootstrap.servers=kafka:9071".to_owned(),
        format!("group.id={ns}.connect"),
        format!("config.storage.topic={ns}.connect-configs"),
        format!("offset.storage.topic={ns}.connect-offsets"),
        format!("status.storage.topic={ns}.connect-status"),
        "plugin.path=/opt/sluice/plugins".into(),
        "config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider"
            .into(),
    ] {
        assert!(properties.lines().any(|l| l == line), "no {line} in\n{properties}");
    }
    // The REST listener: https and basic auth, from a Secret the Connect owns; the worker
    // config names the mounted files, never the password.
    for line in [
        "listeners=https://0.0.0.0:8083",
        "listeners.https.ssl.keystore.type=PKCS12",
        "listeners.https.ssl.truststore.location=/mnt/sluice/rest-tls/truststore.p12",
        "rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
    ] {
        assert!(properties.lines().any(|l| l == line), "no {line} in\n{properties}");
    }
    let rest = get(&env, "secret", "connect-rest", &ns);
    assert_owned_by_connect(&rest, &connect);
    let keys: Vec<&str> =
        rest["data"].as_object().expect("data").keys().map(String::as_str).collect();
    for key in [
        "cacerts.pem",
        "keystore.p12",
        "truststore.p12",
        "keystore.password",
        "username",
        "password",
        "basic-auth.properties",
    ] {
        assert!(keys.contains(&key), "{key} in {keys:?}");
    }
    assert!(rest["metadata"]["annotations"]["sluice.dev/not-after"].is_string(), "{rest}");
    assert_eq!(rest["metadata"]["annotations"]["sluice.dev/certificate-source"], "issued");
    let password = decoded(&rest, "password");
    assert_eq!(password.len(), 64);
    assert!(!config.to_string().contains(&password), "the password is not in the ConfigMap");
    let store_password = decoded(&rest, "keystore.password");
    assert!(!config.to_string().contains(&store_password), "nor the stores' password");
    assert!(config["data"]["rest-jaas.conf"].as_str().unwrap().contains("PropertyFileLoginModule"));
    let env_of =
        |name: &str| worker["env"].as_array().unwrap().iter().find(|e| e["name"] == name).cloned();
    assert!(
        env_of("KAFKA_OPTS").unwrap()["value"]
            .as_str()
            .unwrap()
            .contains("-Djava.security.auth.login.config=/etc/sluice/connect/rest-jaas.conf"),
    );
    // Each volume shows its files alone: the workers never see the operator's password.
    assert_eq!(volume(pod, "rest-tls")["secret"]["secretName"], "connect-rest");
    let keys: Vec<&str> = volume(pod, "rest-tls")["secret"]["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["key"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(keys, ["keystore.p12", "truststore.p12", "keystore.password", "cacerts.pem"]);
    assert_eq!(
        volume(pod, "rest-credentials")["secret"]["items"],
        serde_json::json!([{"key": "basic-auth.properties", "path": "basic-auth.properties"}])
    );
    // Ready when Connect serves: the probe the operator's image copies in, which reads the
    // mounted login file (no credential in the pod spec).
    assert_eq!(worker["readinessProbe"]["exec"]["command"][0], "/opt/sluice/bin/sluice-probe");
    assert!(!worker["readinessProbe"].to_string().contains("password"), "{worker}");

    let list = plugin_list(&env, &ns);
    assert_eq!(list["plugins"][0]["archiveUrl"], archive_url.as_str());
    assert_eq!(list["plugins"][0]["sha512"], sha512(&archive));
    assert_eq!(list["storageLimitBytes"], 4_000_000_000u64);
    let pdb = get(&env, "poddisruptionbudget", "connect", &ns);
    assert_owned_by_connect(&pdb, &connect);
    assert_eq!(pdb["spec"]["maxUnavailable"], 1);
    assert_eq!(pdb["spec"]["selector"]["matchLabels"], selector);

    // The Hub's archive was downloaded once, to compute its sha512, and its manifest read
    // once: a fixed version does not change, so resyncs do not ask again.
    std::thread::sleep(Duration::from_secs(5));
    assert_eq!(hub.hits(&archive_path), 1);
    assert_eq!(hub.hits("/api/plugins/confluentinc/kafka-connect-s3-source/versions/2.0.1"), 1);

    // Scaling does not roll the workers; a changed mounted Secret does.
    let hash = config_hash(&set);
    merge_patch(&env, "connect", "connect", &ns, r#"{"spec":{"replicas":3}}"#);
    wait_for("3 replicas", Duration::from_secs(30), || {
        let s = get(&env, "statefulset", "connect", &ns);
        if s["spec"]["replicas"] == 3 { Ok(s) } else { Err(s["spec"]["replicas"].to_string()) }
    });
    assert_eq!(config_hash(&get(&env, "statefulset", "connect", &ns)), hash);
    merge_patch(&env, "secret", "aws-credential", &ns, r#"{"stringData":{"aws.txt":"[rotated]"}}"#);
    wait_for("the workers to roll", Duration::from_secs(30), || {
        let now = config_hash(&get(&env, "statefulset", "connect", &ns));
        if now != hash { Ok(()) } else { Err(now) }
    });
    // The roll repeats the image.init warning word for word: counted in the first Event's
    // series, not written again.
    wait_for("the repeated warning counted in one Event", Duration::from_secs(30), || {
        let events = env.get_json(&[
            "get",
            "events.events.k8s.io",
            "-n",
            &ns,
            "--field-selector",
            "regarding.name=connect,reason=SpecAdjusted",
        ]);
        // The example's Kafka (3.0) also gets its own warning about allowed.paths.
        let items: Vec<_> = events["items"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .into_iter()
            .filter(|e| e["note"].as_str().is_some_and(|n| n.contains("image.init")))
            .collect();
        match items.as_slice() {
            [one] if one["series"]["count"] == 2 => Ok(()),
            _ => Err(events["items"].to_string()),
        }
    });
}

#[test]
fn the_url_example_becomes_a_connect_cluster_with_the_given_checksum() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("connect-url");
    let _operator = operator(&env, &ns, &["--operator-image", OPERATOR_IMAGE]);
    env.apply(&example("connect-url.yaml", &ns));
    let connect = wait_condition(&env, &ns, "Ready", |c| c["reason"] == "WorkersNotReady");
    let set = get(&env, "statefulset", "connect", &ns);
    assert_owned_by_connect(&set, &connect);
    let pod = &set["spec"]["template"]["spec"];
    assert_eq!(pod["initContainers"][0]["image"], OPERATOR_IMAGE);
    // The example names no image: Sluice's default, Apache's image of Kafka 4.3.1.
    assert_eq!(pod["containers"][0]["image"], "apache/kafka:4.3.1");
    assert_eq!(volume(pod, "plugins")["emptyDir"]["sizeLimit"], "4G");
    let list = plugin_list(&env, &ns);
    assert_eq!(
        list["plugins"],
        serde_json::json!([{
            "name": "kafka-connect-s3-source", "source": "url",
            "archiveUrl": "https://example.com/confluentinc-kafka-connect-s3-source-2.0.1.zip",
            "sha512": "f2e6588d16f0dfff44f306bf4854cdf85fa38cd7f362dfd2c2e50e9e07f5bedaf0c60bd98b2562d09cd868c161ab81511be44732bc2ca83556baf7b61d0d50b0",
        }])
    );
    for (kind, name) in [
        ("service", "connect"),
        ("service", "connect-workers"),
        ("configmap", "connect-config"),
        ("poddisruptionbudget", "connect"),
    ] {
        assert_owned_by_connect(&get(&env, kind, name, &ns), &connect);
    }
    assert_eq!(connect["status"]["mounts"], Value::Null);

    // podTemplate.resources reach the worker container.
    merge_patch(
        &env,
        "connect",
        "connect",
        &ns,
        r#"{"spec":{"podTemplate":{"resources":{"requests":{"cpu":"500m","memory":"1Gi"},"limits":{"memory":"1Gi"}}}}}"#,
    );
    let resources = wait_for("the worker's resources", Duration::from_secs(30), || {
        let s = get(&env, "statefulset", "connect", &ns);
        let r = s["spec"]["template"]["spec"]["containers"][0]["resources"].clone();
        if r.is_null() || r == serde_json::json!({}) { Err(r.to_string()) } else { Ok(r) }
    });
    assert_eq!(
        resources,
        serde_json::json!({"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "1Gi"}})
    );
}

#[test]
fn an_object_the_api_server_refuses_is_named_in_the_status_and_nothing_of_the_set_is_applied() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("connect-refused");
    let _operator = operator(&env, &ns, &["--operator-image", OPERATOR_IMAGE]);
    env.apply(&example("connect-url.yaml", &ns));
    wait_condition(&env, &ns, "Ready", |c| c["reason"] == "WorkersNotReady");
    let hash = config_hash(&get(&env, "statefulset", "connect", &ns));
    let config = get(&env, "configmap", "connect-config", &ns)["data"].clone();

    // A Log4j2 config (the example's workers are the default image, Kafka 4) over a
    // ConfigMap's 1 MiB passes the CRD's schema (300 lines of 4 KiB, within its bounds of
    // 500 lines of 4096 bytes); the API server refuses the worker ConfigMap. The worker
    // properties change in the same edit and must not reach the workers alone, nor the
    // StatefulSet roll.
    let huge: Vec<String> =
        (0..300).map(|i| format!("logger.l{i}.level=INFO{}", " ".repeat(4000))).collect();
    let patch = serde_json::json!({"spec": {"configOverrides": {
        "server": ["offset.flush.interval.ms=1234"],
        "log4j2": huge,
    }}});
    let patch_file = env.work_dir.join(format!("{ns}-patch.json"));
    std::fs::create_dir_all(&env.work_dir).unwrap();
    std::fs::write(&patch_file, patch.to_string()).unwrap();
    env.kubectl_ok(&[
        "patch",
        "connect",
        "connect",
        "-n",
        &ns,
        "--type=merge",
        "--patch-file",
        patch_file.to_str().unwrap(),
    ]);
    let connect = wait_condition(&env, &ns, "Ready", |c| c["reason"] == "ApplyRefused");
    let message = condition(&connect, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(message.starts_with("the API server refused ConfigMap connect-config: "), "{message}");
    assert!(message.contains("more than 1048576 bytes"), "{message}");
    assert!(message.contains("nothing was applied"), "{message}");
    assert!(
        env.events_of(&ns, "connect")
            .iter()
            .any(|e| e.contains("ApplyRefused") && e.contains("more than 1048576 bytes")),
        "an Event names the refusal"
    );
    assert_eq!(get(&env, "configmap", "connect-config", &ns)["data"], config, "a half-applied set");
    assert_eq!(config_hash(&get(&env, "statefulset", "connect", &ns)), hash);

    // Fixed: the whole set goes in, the worker config with it.
    merge_patch(&env, "connect", "connect", &ns, r#"{"spec":{"configOverrides":{"log4j2":null}}}"#);
    wait_condition(&env, &ns, "Ready", |c| c["reason"] == "WorkersNotReady");
    let properties = get(&env, "configmap", "connect-config", &ns)["data"]["connect.properties"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(properties.contains("offset.flush.interval.ms=1234"), "{properties}");
    assert_ne!(config_hash(&get(&env, "statefulset", "connect", &ns)), hash);
}

#[test]
fn an_object_that_is_not_the_connects_is_never_taken_over() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("connect-taken");
    // Someone's own Service, with the name the Connect's client Service would have.
    env.apply(&format!(
        r#"apiVersion: v1
kind: Service
metadata: {{name: connect, namespace: {ns}, labels: {{owner: someone}}}}
spec:
  selector: {{app: theirs}}
  ports: [{{name: web, port: 80, targetPort: 8080}}]
"#
    ));
    let theirs = get(&env, "service", "connect", &ns);
    let _operator = operator(&env, &ns, &["--operator-image", OPERATOR_IMAGE]);
    env.apply(&example("connect-url.yaml", &ns));
    let connect = wait_condition(&env, &ns, "Ready", |c| c["reason"] == "ObjectNotOwned");
    let message = condition(&connect, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("Service connect already exists and is not this Connect's"),
        "{message}"
    );
    assert!(
        env.events_of(&ns, "connect").iter().any(|e| e.contains("ObjectNotOwned")),
        "an Event names it: {:?}",
        env.events_of(&ns, "connect")
    );
    let after = get(&env, "service", "connect", &ns);
    assert_eq!(after["spec"], theirs["spec"], "their Service is untouched");
    assert_eq!(after["metadata"]["resourceVersion"], theirs["metadata"]["resourceVersion"]);
    assert!(!exists(&env, "statefulset", "connect", &ns), "nothing of the set was applied");
    assert!(!exists(&env, "configmap", "connect-config", &ns), "nothing of the set was applied");

    // Their Service gone, the Connect is rendered whole.
    env.kubectl_ok(&["delete", "service", "connect", "-n", &ns]);
    wait_condition(&env, &ns, "Ready", |c| c["reason"] == "WorkersNotReady");
    let service = get(&env, "service", "connect", &ns);
    assert_owned_by_connect(&service, &get(&env, "connect", "connect", &ns));
}

/// Stops the worker however the test ends, so later tests and `down` find it stopped.
struct StopWorker<'a>(&'a TestEnv);

impl Drop for StopWorker<'_> {
    fn drop(&mut self) {
        self.0.testenv(&["stop", "connect-plugins"]);
    }
}

/// Runs the installer on `list` into `target`, which must succeed. (Its failures, a wrong
/// checksum among them, are the node tests': there they reach the status from the pod.)
fn install(list: &Value, target: &Path) {
    let work = tempfile::tempdir().unwrap();
    let list_file = work.path().join("plugins.json");
    std::fs::write(&list_file, list.to_string()).unwrap();
    let out = Command::new(sluice_binary())
        .args(["install-plugins", "--plugins"])
        .arg(&list_file)
        .arg("--target")
        .arg(target)
        .args(["--retries", "0", "--timeout-seconds", "5", "--termination-log"])
        // Not the default /dev/termination-log: this is the host, not a pod.
        .arg(work.path().join("termination-log"))
        .output()
        .expect("sluice install-plugins runs");
    sluice_e2e::assert_success(&out, "sluice install-plugins");
}

#[test]
fn a_plugin_resolved_through_the_hub_is_installed_and_a_fresh_worker_runs_it() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("connect-install");
    let plugins_url = env.worker_url("plugins");
    let installed = std::path::PathBuf::from(
        std::env::var("SLUICE_TEST_INSTALLED_PLUGIN_DIR").expect("testenv env"),
    );

    // The connector's jars from Maven Central, in Confluent Hub's layout, on a local Hub.
    let hub = Server::start();
    let archive = hub_archive("apache-connect-file-3.9.1", &connect_file_jars(&env.plugin_dir));
    publish_on_hub(&hub, "apache", "connect-file", "3.9.1", &archive, &sha1(&archive));
    // The operator reaches "the Connect's Service" at the worker started on the plugins.
    let _operator = operator(
        &env,
        &ns,
        &["--confluent-hub-url", &hub.base, "--connect-url-template", &plugins_url],
    );
    env.apply(&format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Connect\nmetadata:\n  name: connect\n  namespace: {ns}\nspec:\n  replicas: 1\n  build:\n    type: onDemand\n    onDemand:\n      plugins:\n        locationType: confluentHub\n        confluentHub:\n          - name: connect-file\n            owner: apache\n            version: 3.9.1\n  dependencies:\n    kafka:\n      bootstrapEndpoint: {}\n",
        env.kafka_bootstrap
    ));
    wait_condition(&env, &ns, "PluginsResolved", |c| c["status"] == "True");

    // What the operator wrote is what the init container would read.
    let list = plugin_list(&env, &ns);
    assert_eq!(list["plugins"][0]["sha512"], sha512(&archive));
    install(&list, &installed);
    assert!(installed.join("connect-file/manifest.json").is_file());
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(installed.join(".sluice-manifest.json")).unwrap())
            .unwrap();
    let classes = manifest["plugins"][0]["classes"].to_string();
    assert!(classes.contains("org.apache.kafka.connect.file.FileStreamSinkConnector"), "{classes}");
    assert!(
        classes.contains("org.apache.kafka.connect.file.FileStreamSourceConnector"),
        "{classes}"
    );

    // A worker whose plugin.path is the installed directory and nothing else.
    env.testenv(&["start", "connect-plugins"]);
    let _stop = StopWorker(&env);
    let offered = http_get(&format!("{plugins_url}/connector-plugins")).unwrap().to_string();
    assert!(
        offered.contains("org.apache.kafka.connect.file.FileStreamSourceConnector"),
        "{offered}"
    );

    // The Connect's status shows what the workers offer.
    let c = wait_for("installed classes in the Connect status", Duration::from_secs(60), || {
        let c = get(&env, "connect", "connect", &ns);
        let classes = c["status"]["installedConnectorClasses"].to_string();
        if classes.contains("org.apache.kafka.connect.file.FileStreamSinkConnector") {
            Ok(c)
        } else {
            Err(classes)
        }
    });
    let source = c["status"]["installedConnectorClasses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["class"] == "org.apache.kafka.connect.file.FileStreamSourceConnector")
        .cloned()
        .unwrap();
    assert_eq!(source["type"], "source");
    // The workers run the test environment's Kafka, whose FileStream connectors report it.
    let kafka = std::env::var("SLUICE_TEST_KAFKA_VERSION").expect("SLUICE_TEST_KAFKA_VERSION");
    assert_eq!(source["version"], kafka.as_str());

    // A Connector of that class, on the Connect by connectClusterRef, runs.
    let name = format!("{ns}-source");
    let input = env.work_dir.join(format!("{name}.txt"));
    std::fs::create_dir_all(&env.work_dir).unwrap();
    std::fs::write(&input, "one\n").unwrap();
    env.apply(&format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Connector\nmetadata:\n  name: source\n  namespace: {ns}\nspec:\n  name: {name}\n  class: org.apache.kafka.connect.file.FileStreamSourceConnector\n  taskMax: 1\n  configs:\n    file: {}\n    topic: {name}\n  connectClusterRef:\n    name: connect\n",
        input.display()
    ));
    wait_for("the installed connector RUNNING on the worker", Duration::from_secs(60), || {
        let s = http_get(&format!("{plugins_url}/connectors/{name}/status"))?;
        if s["connector"]["state"] == "RUNNING" && s["tasks"][0]["state"] == "RUNNING" {
            Ok(())
        } else {
            Err(s.to_string())
        }
    });
    env.kubectl_ok(&["delete", "connector", "source", "-n", &ns, "--timeout=30s"]);
}

#[test]
fn bad_plugins_are_named_in_the_status_and_leave_the_cluster_as_it_was() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("connect-bad");
    let hub = Server::start();
    let repo = Server::start();
    let good = hub_archive("good", &[("good.jar".into(), b"good".to_vec())]);
    let good_url = repo.route("/archives/good.zip", Reply::Bytes(good.clone()));
    // A Maven artifact with only a .sha1 next to it: the operator computes the sha512.
    let jar = b"a jar".to_vec();
    repo.route("/maven2/org/example/sink/1.0/sink-1.0.jar", Reply::Bytes(jar.clone()));
    repo.route(
        "/maven2/org/example/sink/1.0/sink-1.0.jar.sha1",
        Reply::Bytes(format!("{}  sink-1.0.jar\n", sha1(&jar)).into_bytes()),
    );
    let tampered = hub_archive("tampered", &[("t.jar".into(), b"t".to_vec())]);
    publish_on_hub(&hub, "acme", "tampered", "1.0.0", &tampered, &"0".repeat(40));
    let _operator = operator(&env, &ns, &["--confluent-hub-url", &hub.base]);

    let connect = |extra: &str| {
        format!(
            "apiVersion: sluice.dev/v1alpha1\nkind: Connect\nmetadata:\n  name: connect\n  namespace: {ns}\nspec:\n  replicas: 1\n  build:\n    type: onDemand\n    onDemand:\n      plugins:\n        locationType: url\n        url:\n          - name: good\n            archivePath: {good_url}\n            checksum: {}\n        maven:\n          - name: sink\n            groupId: org.example\n            artifactId: sink\n            version: \"1.0\"\n            repository: {}/maven2\n{extra}  dependencies:\n    kafka:\n      bootstrapEndpoint: kafka:9092\n",
            sha512(&good),
            repo.base
        )
    };
    env.apply(&connect(""));
    wait_condition(&env, &ns, "Ready", |c| c["reason"] == "WorkersNotReady");
    let list = plugin_list(&env, &ns);
    assert_eq!(list["plugins"][1]["name"], "sink");
    assert_eq!(list["plugins"][1]["sha512"], sha512(&jar));
    let hash = config_hash(&get(&env, "statefulset", "connect", &ns));

    // Each bad plugin: named with its field in the condition and an Event; nothing applied.
    let cases = [
        (
            "        confluentHub:\n          - name: nope\n            owner: acme\n            version: 1.0.0\n",
            "plugin nope (spec.build.onDemand.plugins.confluentHub[0]): Confluent Hub has no plugin acme/nope version 1.0.0",
        ),
        (
            "        confluentHub:\n          - name: tampered\n            owner: acme\n            version: 1.0.0\n",
            "plugin tampered (spec.build.onDemand.plugins.confluentHub[0]): ",
        ),
        (
            "        custom:\n          - name: mine\n            policyRef:\n              name: no-such-policy\n",
            "plugin mine (spec.build.onDemand.plugins.custom[0]): policyRef: Policy no-such-policy does not exist",
        ),
    ];
    for (extra, expected) in cases {
        env.apply(&connect(extra));
        let c = wait_condition(&env, &ns, "PluginsResolved", |c| {
            c["status"] == "False" && c["message"].as_str().is_some_and(|m| m.starts_with(expected))
        });
        let message = condition(&c, "PluginsResolved")["message"].as_str().unwrap().to_owned();
        if expected.contains("tampered") {
            assert!(
                message.contains("but its publisher says 0000000000000000000000000000000000000000"),
                "{message}"
            );
        }
        assert_eq!(condition(&c, "Ready")["reason"], "PluginUnresolvable");
        assert!(
            env.events_of(&ns, "connect").iter().any(|e| e.contains(expected)),
            "no Event for {expected}"
        );
        assert_eq!(
            config_hash(&get(&env, "statefulset", "connect", &ns)),
            hash,
            "the StatefulSet changed"
        );
        assert_eq!(plugin_list(&env, &ns), list, "the plugin list changed");
    }
    // A Maven artifact that is not there.
    let missing = connect("").replace("artifactId: sink", "artifactId: nosuch");
    env.apply(&missing);
    let c = wait_condition(&env, &ns, "PluginsResolved", |c| {
        c["status"] == "False" && c["message"].to_string().contains("nosuch")
    });
    let message = condition(&c, "PluginsResolved")["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with(
            "plugin sink (spec.build.onDemand.plugins.maven[0]): the repository has no"
        ),
        "{message}"
    );
    assert_eq!(config_hash(&get(&env, "statefulset", "connect", &ns)), hash);
    // The release was resolved once, whatever the resyncs and spec changes since: its
    // checksums and the artifact (hashed for its sha512) were each fetched once.
    for path in ["", ".sha512", ".sha1"] {
        let path = format!("/maven2/org/example/sink/1.0/sink-1.0.jar{path}");
        assert_eq!(repo.hits(&path), 1, "{path}");
    }
}

#[test]
fn a_custom_plugin_is_resolved_by_a_plugin_resolver_policy_within_its_grants() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("connect-custom");
    // The repository listens on the node's bridge, a private address on this machine: a
    // policy's http capability never reaches loopback, and private ranges only with
    // --policy-http-allow-private.
    let node = sluice_e2e::node::NodeEnv::require();
    let repo = Server::start_on(&node.node_ip);
    let local = Server::start();
    let jar = b"a connector jar".to_vec();
    let jar_url =
        repo.route("/maven2/org/example/sink/1.0/sink-1.0.jar", Reply::Bytes(jar.clone()));
    repo.route(
        "/maven2/org/example/sink/1.0/sink-1.0.jar.sha512",
        Reply::Bytes(format!("{}  sink-1.0.jar\n", sha512(&jar)).into_bytes()),
    );
    let module = sluice_e2e::repo_root().join("target/policies/maven-resolver.wasm");
    assert!(module.is_file(), "{} is missing: run scripts/build-policies", module.display());
    local.route("/maven2/org/example/sink/1.0/sink-1.0.jar", Reply::Bytes(jar.clone()));
    let host = repo.base.trim_start_matches("http://");
    let local_host = local.base.trim_start_matches("http://");
    for (policy, base, hosts) in [
        ("maven", &repo.base, format!("[\"{host}\"]")),
        ("maven-no-http", &repo.base, "[]".to_owned()),
        // Allowed by name, refused by address.
        ("maven-loopback", &local.base, format!("[\"{local_host}\"]")),
    ] {
        env.apply(&format!(
            "apiVersion: sluice.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: {policy}\n  namespace: {ns}\nspec:\n  module:\n    file: {}\n  settings:\n    repository: {base}/maven2\n  capabilities:\n    http:\n      allowedHosts: {hosts}\n",
            module.display(),
        ));
    }
    let _operator = operator(&env, &ns, &["--policy-http-allow-private"]);
    let connect = |policy: &str| {
        format!(
            "apiVersion: sluice.dev/v1alpha1\nkind: Connect\nmetadata:\n  name: connect\n  namespace: {ns}\nspec:\n  replicas: 1\n  build:\n    type: onDemand\n    onDemand:\n      plugins:\n        locationType: custom\n        custom:\n          - name: sink\n            policyRef:\n              name: {policy}\n            settings:\n              groupId: org.example\n              artifactId: sink\n              version: \"1.0\"\n              extension: jar\n  dependencies:\n    kafka:\n      bootstrapEndpoint: kafka:9092\n"
        )
    };
    env.apply(&connect("maven"));
    let c = wait_condition(&env, &ns, "PluginsResolved", |c| c["status"] == "True");
    let expected = serde_json::json!({
        "name": "sink", "version": "1.0", "source": "custom", "archiveUrl": jar_url, "sha512": sha512(&jar),
    });
    assert_eq!(c["status"]["plugins"][0], expected);
    assert_eq!(plugin_list(&env, &ns)["plugins"][0], expected);
    assert!(exists(&env, "statefulset", "connect", &ns));

    // The same module without the http grant: a policy error naming the fix, nothing applied.
    let hash = config_hash(&get(&env, "statefulset", "connect", &ns));
    env.apply(&connect("maven-no-http"));
    let c = wait_condition(&env, &ns, "PluginsResolved", |c| c["status"] == "False");
    let message = condition(&c, "PluginsResolved")["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with(
            "plugin sink (spec.build.onDemand.plugins.custom[0]): Policy maven-no-http: "
        ) && message.contains("add it to spec.capabilities.http.allowedHosts"),
        "{message}"
    );
    assert_eq!(config_hash(&get(&env, "statefulset", "connect", &ns)), hash);

    // The repository on loopback, in allowedHosts: refused by address, nothing asked of it.
    env.apply(&connect("maven-loopback"));
    let c = wait_condition(&env, &ns, "PluginsResolved", |c| {
        c["status"] == "False"
            && c["message"].as_str().is_some_and(|m| m.contains("maven-loopback"))
    });
    let message = condition(&c, "PluginsResolved")["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("127.0.0.1 is a loopback address, which policies may not reach"),
        "{message}"
    );
    assert_eq!(local.hits("/maven2/org/example/sink/1.0/sink-1.0.jar.sha512"), 0);
    assert_eq!(config_hash(&get(&env, "statefulset", "connect", &ns)), hash);
}

#[test]
fn a_worker_becoming_ready_shows_at_once_not_at_the_next_resync() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("connect-ready");
    // A resync far beyond the wait below: only the watch on owned StatefulSets can tell.
    let _operator = Operator::start_with(&env, &ns, &["--resync-seconds", "600"]);
    env.apply(&example("connect-url.yaml", &ns));
    wait_condition(&env, &ns, "Ready", |c| c["message"] == "0 of 2 workers ready");

    // What the StatefulSet controller writes once both pods are ready (no kubelet here).
    patch_status(
        &env,
        "statefulset",
        "connect",
        &ns,
        r#"{"status":{"replicas":2,"readyReplicas":2,"availableReplicas":2,"currentReplicas":2,"updatedReplicas":2}}"#,
    );
    let c = wait_condition(&env, &ns, "Ready", |c| c["status"] == "True");
    let ready = condition(&c, "Ready");
    assert_eq!(
        (ready["reason"].as_str(), ready["message"].as_str()),
        (Some("WorkersReady"), Some("2 of 2 workers ready"))
    );
    assert_eq!(
        (c["status"]["replicas"].as_i64(), c["status"]["readyReplicas"].as_i64()),
        (Some(2), Some(2))
    );
}

#[test]
fn the_rest_secret_is_never_taken_over_and_a_users_certificate_needs_its_consent() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("connect-rest");
    // Someone's own Secret with the name of the Connect's REST Secret.
    env.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "connect-rest",
        "-n",
        &ns,
        "--from-literal=password=theirs-not-sluices",
    ]);
    let theirs = get(&env, "secret", "connect-rest", &ns);
    let _operator = operator(&env, &ns, &["--operator-image", OPERATOR_IMAGE]);
    env.apply(&example("connect-url.yaml", &ns));
    let connect = wait_condition(&env, &ns, "Ready", |c| c["reason"] == "ObjectNotOwned");
    let message = condition(&connect, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("Secret connect-rest already exists and is not this Connect's"),
        "{message}"
    );
    let after = get(&env, "secret", "connect-rest", &ns);
    assert_eq!(after["metadata"]["resourceVersion"], theirs["metadata"]["resourceVersion"]);
    assert!(!exists(&env, "statefulset", "connect", &ns), "nothing of the set was applied");
    env.kubectl_ok(&["delete", "secret", "connect-rest", "-n", &ns]);
    wait_condition(&env, &ns, "Ready", |c| c["reason"] == "WorkersNotReady");
    let issued = get(&env, "secret", "connect-rest", &ns);
    assert_owned_by_connect(&issued, &get(&env, "connect", "connect", &ns));

    // A certificate of the user's own: refused without the Secret's consent, naming the fix;
    // with it, converted into the stores the workers mount, and the workers roll.
    let ca = decoded(&issued, "cacerts.pem");
    let pki = std::path::PathBuf::from(std::env::var("SLUICE_TEST_PKI").expect("testenv env"));
    let read = |file: &str| std::fs::read_to_string(pki.join(file)).expect(file);
    let key = std::process::Command::new("openssl")
        .args(["pkcs8", "-topk8", "-nocrypt", "-in"])
        .arg(pki.join("connect.key"))
        .output()
        .expect("openssl");
    assert!(key.status.success(), "{}", String::from_utf8_lossy(&key.stderr));
    let secret = |annotations: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: my-cert\n  namespace: {ns}\n{annotations}stringData:\n  fullchain.pem: |\n{}\n  privkey.pem: |\n{}\n  cacerts.pem: |\n{}\n",
            indent(&read("connect.crt")),
            indent(&String::from_utf8_lossy(&key.stdout)),
            indent(&read("ca.crt")),
        )
    };
    env.apply(&secret(""));
    let hash = config_hash(&get(&env, "statefulset", "connect", &ns));
    merge_patch(&env, "connect", "connect", &ns, r#"{"spec":{"tls":{"secretRef":"my-cert"}}}"#);
    let refused = wait_condition(&env, &ns, "Ready", |c| {
        c["message"].as_str().unwrap_or_default().contains("spec.tls.secretRef")
    });
    let message = condition(&refused, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("Secret my-cert does not allow use by connectRest")
            && message.contains(
                "kubectl annotate secret my-cert --overwrite sluice.dev/usable-by=connectRest"
            ),
        "{message}"
    );
    env.apply(&secret("  annotations:\n    sluice.dev/usable-by: connectRest\n"));
    let converted = wait_for("the user's certificate taken", Duration::from_secs(30), || {
        let s = get(&env, "secret", "connect-rest", &ns);
        let source = s["metadata"]["annotations"]["sluice.dev/certificate-source"].to_string();
        if source.contains("secret/my-cert@") { Ok(s) } else { Err(source) }
    });
    // The user's CA, then the one the running workers were issued from, trusted while they
    // roll.
    assert_eq!(decoded(&converted, "cacerts.pem"), read("ca.crt") + &ca);
    assert_eq!(
        decoded(&converted, "password"),
        decoded(&issued, "password"),
        "the credentials stay"
    );
    wait_for("the workers to roll", Duration::from_secs(30), || {
        let now = config_hash(&get(&env, "statefulset", "connect", &ns));
        if now != hash { Ok(()) } else { Err(now) }
    });
    let key_text = String::from_utf8_lossy(&key.stdout).into_owned();
    let key_line = key_text.lines().nth(1).unwrap_or_default();
    for kind in ["connect", "configmap"] {
        let all = env.kubectl_ok(&["get", kind, "-n", &ns, "-o", "json"]);
        assert!(!all.contains(key_line), "the user's key shows in a {kind}");
    }
}

/// `text` indented for a YAML block scalar under a key.
fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}")).collect::<Vec<_>>().join("\n")
}

#[test]
fn kafka_credentials_are_used_only_with_consent_and_written_to_a_secret_the_connect_owns() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("connect-kafka-auth");
    let password = format!("kafka-pw-{}", std::process::id());
    let creds = |annotations: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: kafka-creds\n  namespace: {ns}\n{annotations}stringData:\n  plain.txt: |\n    username=sluice\n    password={password}\n"
        )
    };
    env.apply(&creds(""));
    let _operator = operator(&env, &ns, &["--operator-image", OPERATOR_IMAGE]);
    let connect = example("connect-url.yaml", &ns).replace(
        "      bootstrapEndpoint: kafka:9071\n",
        "      bootstrapEndpoint: kafka:9093\n      authentication:\n        type: plain\n        jaasConfig:\n          secretRef: kafka-creds\n",
    );
    assert!(connect.contains("type: plain"), "{connect}");
    env.apply(&connect);
    let refused = wait_condition(&env, &ns, "Ready", |c| c["reason"] == "SecretMissing");
    let message = condition(&refused, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(
        message.starts_with("dependencies.kafka.authentication.jaasConfig.secretRef: Secret kafka-creds does not allow use by kafka")
            && message.contains("kubectl annotate secret kafka-creds --overwrite sluice.dev/usable-by=kafka"),
        "{message}"
    );
    assert!(!exists(&env, "statefulset", "connect", &ns), "nothing applied without the consent");

    env.apply(&creds("  annotations:\n    sluice.dev/usable-by: kafka\n"));
    wait_condition(&env, &ns, "Ready", |c| c["reason"] == "WorkersNotReady");
    let owned = get(&env, "secret", "connect-kafka", &ns);
    assert_owned_by_connect(&owned, &get(&env, "connect", "connect", &ns));
    let login = decoded(&owned, "client.properties");
    for prefix in ["", "producer.", "consumer.", "admin."] {
        let line = format!(
            "{prefix}sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"sluice\" password=\"{password}\";"
        );
        assert!(login.lines().any(|l| l == line), "{line} in {login}");
    }
    let config = get(&env, "configmap", "connect-config", &ns);
    let properties = config["data"]["connect.properties"].as_str().unwrap();
    assert!(properties.contains("\nproducer.security.protocol=SASL_PLAINTEXT\n"), "{properties}");
    assert!(properties.contains("\nadmin.sasl.mechanism=PLAIN\n"), "{properties}");
    for text in [config.to_string(), get(&env, "connect", "connect", &ns).to_string()] {
        assert!(!text.contains(&password), "the Kafka password shows: {text}");
    }
    let set = get(&env, "statefulset", "connect", &ns);
    let command = set["spec"]["template"]["spec"]["containers"][0]["command"][2].to_string();
    assert!(command.contains("cat /mnt/sluice/kafka/client.properties"), "{command}");

    // A Connect's own credentials are not any Connect's to mount.
    merge_patch(
        &env,
        "connect",
        "connect",
        &ns,
        r#"{"spec":{"mountedSecrets":[{"secretRef":"connect-kafka"}]}}"#,
    );
    let refused = wait_condition(&env, &ns, "Ready", |c| c["reason"] == "SecretMissing");
    let message = condition(&refused, "Ready")["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains(
            "spec.mountedSecrets[0]: Secret connect-kafka holds a Connect's own credentials"
        ),
        "{message}"
    );
    merge_patch(&env, "connect", "connect", &ns, r#"{"spec":{"mountedSecrets":null}}"#);

    // Authentication removed: the copy of the credentials goes with it.
    merge_patch(
        &env,
        "connect",
        "connect",
        &ns,
        r#"{"spec":{"dependencies":{"kafka":{"authentication":null}}}}"#,
    );
    wait_for("the copied credentials emptied", Duration::from_secs(30), || {
        let copy = get(&env, "secret", "connect-kafka", &ns);
        if copy["data"].as_object().is_none_or(|d| d.is_empty()) {
            Ok(())
        } else {
            Err(copy.to_string())
        }
    });
}
