//! On the real node: the operator runs in the cluster from its own image (installed with
//! helm), Connect clusters it renders really start (the init container installs the plugins,
//! the workers read the rendered ConfigMap and form one group), connectors run on those pods
//! and move data, and no packet leaves the machine.

use std::{
    net::{SocketAddr, TcpStream},
    process::Command,
    time::Duration,
};

use serde_json::Value;
use sha2::{Digest, Sha512};
use sluice_e2e::{
    archives::zip_of,
    http_server::{Reply, Server},
    node::{NodeEnv, OPERATOR_IMAGE, connect_image},
    seed_examples_dir, wait_for,
};

const POD_START: Duration = Duration::from_secs(300);

fn condition<'a>(object: &'a Value, type_: &str) -> &'a Value {
    object["status"]["conditions"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["type"] == type_))
        .unwrap_or(&Value::Null)
}

/// The jars of Kafka's FileStream connectors (a real plugin, from Maven Central), zipped as a
/// plugin archive.
fn connect_file_archive(node: &NodeEnv) -> Vec<u8> {
    let dir = node.env.plugin_dir.join("connect-file");
    let jars: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jar"))
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect();
    assert!(!jars.is_empty(), "no jars in {}", dir.display());
    let files: Vec<(String, &[u8])> =
        jars.iter().map(|(n, b)| (format!("connect-file/lib/{n}"), b.as_slice())).collect();
    let refs: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    zip_of(&refs)
}

/// The seed's `connect-url.yaml` in namespace `ns`, with what this machine cannot have
/// replaced: the archive URL (a local server the pods reach), its checksum, the broker, and
/// the images (built here; the seed's cannot be pulled).
fn url_example(ns: &str, archive_url: &str, sha512: &str, bootstrap: &str) -> String {
    let seed = std::fs::read_to_string(seed_examples_dir().join("connect-url.yaml")).unwrap();
    let seed_checksum = seed
        .lines()
        .find_map(|l| l.trim().strip_prefix("checksum: "))
        .expect("the seed example has a checksum")
        .to_owned();
    let seed_url = seed
        .lines()
        .find_map(|l| l.trim().strip_prefix("archivePath: "))
        .expect("the seed example has an archivePath")
        .to_owned();
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

fn file_connector(ns: &str, name: &str, class: &str, configs: &[(&str, &str)]) -> String {
    let configs: String = configs.iter().map(|(k, v)| format!("    {k}: \"{v}\"\n")).collect();
    format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Connector\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  class: {class}\n  taskMax: 1\n  connectClusterRef:\n    name: connect\n  configs:\n{configs}"
    )
}

fn pods_of(node: &NodeEnv, ns: &str) -> Vec<Value> {
    node.env.get_json(&["get", "pods", "-n", ns, "-l", "app.kubernetes.io/instance=connect"])
        ["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn the_url_example_runs_on_the_node_and_its_connectors_move_data() {
    let node = NodeEnv::require();
    node.install_operator();
    // Pod Security admission is real: Sluice's pods must pass `restricted`.
    let ns = node.restricted_namespace("node-url");
    let server = Server::start_on(&node.node_ip);
    let archive = connect_file_archive(&node);
    let sha512 = format!("{:x}", Sha512::digest(&archive));
    let url = server.route("/archives/connect-file-3.9.1.zip", Reply::Bytes(archive));
    node.env.apply(&url_example(&ns, &url, &sha512, &node.kafka_bootstrap));

    let connect = node.wait_object(
        "the Connect Ready with 2 ready workers",
        POD_START,
        &["get", "connect", "connect", "-n", &ns],
        |c| {
            let ready = condition(c, "Ready");
            if ready["status"] == "True" && c["status"]["readyReplicas"] == 2 {
                Ok(())
            } else {
                Err(format!("status: {}", c["status"]))
            }
        },
    );
    // The init container fetched the archive (once per pod) and the workers report the
    // plugin's classes themselves.
    assert!(server.hits("/archives/connect-file-3.9.1.zip") >= 2, "each pod's installer downloads");
    let plugins = connect["status"]["plugins"].as_array().expect("resolved plugins");
    assert!(plugins.iter().any(|p| p["name"] == "kafka-connect-s3-source"), "{plugins:?}");
    let classes = connect["status"]["installedConnectorClasses"].to_string();
    for class in ["FileStreamSourceConnector", "FileStreamSinkConnector"] {
        assert!(
            classes.contains(class),
            "{class} not among the classes the workers report: {classes}"
        );
    }

    let pods = pods_of(&node, &ns);
    assert_eq!(pods.len(), 2, "two worker pods");
    let ips: Vec<String> =
        pods.iter().map(|p| p["status"]["podIP"].as_str().unwrap_or_default().to_owned()).collect();

    // A source reading a file every worker image has, a sink writing what it reads.
    let topic = format!("{ns}-lines");
    node.env.apply(&file_connector(
        &ns,
        "lines-in",
        "org.apache.kafka.connect.file.FileStreamSourceConnector",
        &[("file", "/etc/passwd"), ("topic", &topic)],
    ));
    node.env.apply(&file_connector(
        &ns,
        "lines-out",
        "org.apache.kafka.connect.file.FileStreamSinkConnector",
        &[("file", "/tmp/lines-out.txt"), ("topics", &topic)],
    ));
    let mut sink_worker = String::new();
    for name in ["lines-in", "lines-out"] {
        let connector = node.wait_object(
            &format!("{name} RUNNING with its task"),
            Duration::from_secs(180),
            &["get", "connector", name, "-n", &ns],
            |c| match (c["status"]["connectorState"].as_str(), c["status"]["tasksReady"].as_str()) {
                (Some("RUNNING"), Some("1/1")) => Ok(()),
                _ => Err(format!("status: {}", c["status"])),
            },
        );
        let worker = connector["status"]["tasks"][0]["workerId"].as_str().unwrap_or_default();
        let host = worker.split(':').next().unwrap_or_default();
        assert!(ips.iter().any(|ip| ip == host), "task worker {worker} is one of the pods {ips:?}");
        if name == "lines-out" {
            sink_worker = host.to_owned();
        }
    }
    let sink_pod = pods
        .iter()
        .find(|p| p["status"]["podIP"] == sink_worker.as_str())
        .and_then(|p| p["metadata"]["name"].as_str())
        .expect("the sink's pod")
        .to_owned();
    let written = wait_for("the sink's file in its pod", Duration::from_secs(120), || {
        let out = node.exec(&ns, &sink_pod, &["cat", "/tmp/lines-out.txt"])?;
        if out.contains("appuser:x:1000") { Ok(out) } else { Err(out) }
    });
    assert!(written.contains("root:x:0:0"), "every line of the source file arrived: {written}");

    // Deleting the Connect removes its objects through owner references: the garbage
    // collector is real here.
    node.env.kubectl_ok(&[
        "delete",
        "connector",
        "--all",
        "-n",
        &ns,
        "--wait=true",
        "--timeout=120s",
    ]);
    node.env.kubectl_ok(&[
        "delete",
        "connect",
        "connect",
        "-n",
        &ns,
        "--wait=true",
        "--timeout=60s",
    ]);
    wait_for(
        "the StatefulSet, Services and ConfigMaps collected",
        Duration::from_secs(120),
        || {
            let left = node.env.kubectl_ok(&[
                "get",
                "statefulset,service,configmap,poddisruptionbudget",
                "-n",
                &ns,
                "-l",
                "app.kubernetes.io/instance=connect",
                "-o",
                "name",
            ]);
            if left.trim().is_empty() { Ok(()) } else { Err(left) }
        },
    );
    node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn the_operator_runs_in_the_cluster_from_its_own_image() {
    let node = NodeEnv::require();
    node.install_operator();
    let pod = node.wait_object(
        "the operator pod Ready",
        Duration::from_secs(120),
        &["get", "pods", "-n", "sluice-system", "-l", "app.kubernetes.io/name=sluice"],
        |list| match list["items"].as_array().and_then(|i| i.first()) {
            Some(p) if condition(p, "Ready")["status"] == "True" => Ok(()),
            _ => Err(format!("{list}")),
        },
    );
    let spec = &pod["items"][0]["spec"]["containers"][0];
    assert_eq!(spec["image"], OPERATOR_IMAGE);
    let logs = node.operator_logs();
    assert!(!logs.trim().is_empty(), "the operator logs through kubectl logs");
}

/// Connects from the host to `addr`: it must fail (nothing listens there) and fail here.
fn refused_locally(addr: &str) {
    let addr: SocketAddr = addr.parse().unwrap();
    let result = TcpStream::connect_timeout(&addr, Duration::from_secs(5));
    assert!(result.is_err(), "{addr} answered: nothing of the environment listens there");
}

fn guard_drops(node: &NodeEnv) -> u64 {
    let out = Command::new(&node.env.testenv_script)
        .arg("guard-drops")
        .env("SLUICE_TESTENV_DIR", &node.env.dir)
        .output()
        .expect("testenv runs");
    String::from_utf8_lossy(&out.stdout).trim().parse().expect("a packet count")
}

#[test]
fn no_packet_to_an_unused_service_or_pod_address_leaves_the_machine() {
    let node = NodeEnv::require();
    let before = guard_drops(&node);
    // An unused Service IP is routed to the pod bridge and dies there; an unused pod IP is
    // on the bridge's subnet. Neither may follow the default route out.
    refused_locally("10.0.0.213:80");
    refused_locally("10.244.0.213:80");
    let route = Command::new("ip").args(["route", "get", "10.0.0.213"]).output().unwrap();
    let route = String::from_utf8_lossy(&route.stdout);
    assert!(
        route.contains("dev sluice0"),
        "the Service range is routed to the pod bridge: {route}"
    );
    assert_eq!(guard_drops(&node), before, "the guard dropped packets on the uplink");
    assert_eq!(before, 0, "packets to or from the pod and Service ranges reached the uplink");
}
