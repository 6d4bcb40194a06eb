//! On the real node: the operator runs in the cluster from its own image (installed with
//! helm), Connect clusters it renders really start (the init container installs the plugins,
//! the workers read the rendered ConfigMap and form one group), connectors run on those pods
//! and move data, and no packet leaves the machine.

use std::{
    net::{SocketAddr, TcpStream},
    process::Command,
    time::{Duration, Instant},
};

use sluice_e2e::{
    archives::{incompressible, zip_of},
    fake_connect::FakeConnect,
    file_source_connector,
    http_server::{Reply, Server},
    http_text, http_text_with, http_with, lease_holder, metric,
    node::{
        NodeEnv, OPERATOR_IMAGE, RestAccess, condition, connect_file_archive, connect_image,
        file_sink, file_source, pods_of, url_example,
    },
    parse_metrics,
    plugins::{connect_file_jars, hub_archive, publish_on_hub, sha1, sha512},
    seed_examples_dir, wait_for, wait_for_or,
};

const POD_START: Duration = Duration::from_secs(300);

#[test]
fn the_url_example_runs_on_the_node_and_its_connectors_move_data() {
    let node = NodeEnv::require();
    let _slot = node.workers_slot();
    node.install_operator();
    // Pod Security admission is real: Sluice's pods must pass `restricted`.
    let ns = node.restricted_namespace("node-url");
    let server = Server::start_on(&node.node_ip);
    let archive = connect_file_archive(&node, &[]);
    let checksum = sha512(&archive);
    let url = server.route("/archives/connect-file-3.9.1.zip", Reply::Bytes(archive));
    node.env.apply(&url_example(&ns, &url, &checksum, &node.kafka_bootstrap));

    node.wait_connect_ready("the Connect Ready with 2 ready workers", &ns, 2);
    // The init container fetched the archive (once per pod) and the workers report the
    // plugin's classes themselves, read once their Service routes to them (seconds after
    // they are ready, which is why this waits rather than reads once).
    assert!(server.hits("/archives/connect-file-3.9.1.zip") >= 2, "each pod's installer downloads");
    let connect = node.wait_object(
        "the workers' connector classes in the status",
        Duration::from_secs(60),
        &["get", "connect", "connect", "-n", &ns],
        |c| {
            let classes = c["status"]["installedConnectorClasses"].to_string();
            match ["FileStreamSourceConnector", "FileStreamSinkConnector"]
                .into_iter()
                .find(|class| !classes.contains(class))
            {
                None => Ok(()),
                Some(class) => {
                    Err(format!("{class} not among the classes the workers report: {classes}"))
                }
            }
        },
    );
    let plugins = connect["status"]["plugins"].as_array().expect("resolved plugins");
    assert!(plugins.iter().any(|p| p["name"] == "kafka-connect-s3-source"), "{plugins:?}");

    let pods = pods_of(&node, &ns);
    assert_eq!(pods.len(), 2, "two worker pods");
    // Workers advertise their DNS names under the headless Service, which the worker ids
    // carry: `<pod>.connect-workers.<ns>.svc:8083`.
    let names: Vec<String> = pods
        .iter()
        .map(|p| {
            format!(
                "{}.connect-workers.{ns}.svc",
                p["metadata"]["name"].as_str().unwrap_or_default()
            )
        })
        .collect();

    // A source reading a file every worker image has, a sink writing what it reads.
    let topic = format!("{ns}-lines");
    node.env.apply(&file_source(&ns, "lines-in", "/etc/passwd", &topic));
    node.env.apply(&file_sink(&ns, "lines-out", "/tmp/lines-out.txt", &topic));
    let mut sink_worker = String::new();
    for name in ["lines-in", "lines-out"] {
        let connector = node.wait_running(&format!("{name} RUNNING with its task"), &ns, name);
        let worker = connector["status"]["tasks"][0]["workerId"].as_str().unwrap_or_default();
        let host = worker.split(':').next().unwrap_or_default();
        assert!(
            names.iter().any(|n| n == host),
            "task worker {worker} is one of the pods {names:?}"
        );
        if name == "lines-out" {
            sink_worker = host.to_owned();
        }
    }
    // Pods resolve through the cluster's own DNS only.
    let resolv = node
        .exec(&ns, pods[0]["metadata"]["name"].as_str().unwrap(), &["cat", "/etc/resolv.conf"])
        .unwrap();
    let servers: Vec<&str> = resolv.lines().filter(|l| l.starts_with("nameserver")).collect();
    assert_eq!(servers, [format!("nameserver {}", node.node_ip)], "{resolv}");

    let sink_pod = pods
        .iter()
        .find(|p| p["metadata"]["name"].as_str() == sink_worker.split('.').next())
        .and_then(|p| p["metadata"]["name"].as_str())
        .expect("the sink's pod")
        .to_owned();
    let written = wait_for("the sink's file in its pod", Duration::from_secs(120), || {
        let out = node.exec(&ns, &sink_pod, &["cat", "/tmp/lines-out.txt"])?;
        if out.contains("appuser:x:1000") { Ok(out) } else { Err(out) }
    });
    assert!(written.contains("root:x:0:0"), "every line of the source file arrived: {written}");

    // The operator was served (it made both connectors through the Service, whichever
    // worker answered forwarding to the leader); no one else is.
    rest_api_answers_the_operator_alone(&node, &ns, &pods, &connect_image());

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
                "statefulset,service,configmap,poddisruptionbudget,secret,networkpolicy",
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

/// The workers' REST API serves https alone and answers only the operator's credentials:
/// from the host and from another pod of the namespace, plain http, no credentials and
/// wrong ones are refused, while the same requests with the operator's credentials are
/// served. The NetworkPolicy names the operator's pods (this node's bridge plugin does not
/// enforce NetworkPolicies, so what it keeps out is not tested here).
fn rest_api_answers_the_operator_alone(
    node: &NodeEnv,
    ns: &str,
    pods: &[serde_json::Value],
    image: &str,
) {
    let pod = pods[0]["metadata"]["name"].as_str().unwrap_or_default();
    let ip = pods[0]["status"]["podIP"].as_str().unwrap_or_default();
    let rest = RestAccess::read(node, ns, "connect");
    match http_text("GET", &format!("http://{ip}:8083/connectors"), None) {
        Ok((code, body)) => assert!(!(200..300).contains(&code), "plain http served: {body}"),
        Err(refused) => eprintln!("plain http refused: {refused}"),
    }
    let get = |user: Option<&str>| {
        let (url, args) = rest.worker(pod, ip, "/connectors", user);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        // The handshake succeeds trusting the listener's CA alone, for the pod's DNS name.
        http_text_with("GET", &url, None, &args).expect("https with the listener's CA")
    };
    for user in [None, Some("sluice:not-the-password"), Some("admin:admin")] {
        let (code, body) = get(user);
        assert_eq!(code, 401, "{user:?} got {body}");
    }
    let (code, body) = get(Some(&rest.operator()));
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("lines-in") && body.contains("lines-out"), "{body}");

    // Another pod of the namespace, through the Service: refused without credentials,
    // served with them (so the refusal is the credentials', not the connection's). The
    // request leaves from the pod's own network namespace (curl entered into it, since the
    // images carry no client that speaks TLS with an ECDSA certificate), to the Service's
    // address under the name the certificate holds, trusting the listener's CA alone.
    let nap = 3000 + std::process::id() % 1000;
    node.env.apply(&format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: rest-probe\n  namespace: {ns}\nspec:\n  securityContext:\n    runAsNonRoot: true\n    runAsUser: 1000\n    seccompProfile:\n      type: RuntimeDefault\n  automountServiceAccountToken: false\n  containers:\n    - name: connect\n      image: {image}\n      imagePullPolicy: Never\n      command: [/bin/busybox, sleep, \"{nap}\"]\n      securityContext:\n        allowPrivilegeEscalation: false\n        capabilities:\n          drop: [ALL]\n"
    ));
    node.env.kubectl_ok(&[
        "wait",
        "-n",
        ns,
        "pod/rest-probe",
        "--for=condition=Ready",
        "--timeout=120s",
    ]);
    let pid = Command::new("pgrep")
        .args(["-f", &format!("busybox sleep {nap}")])
        .output()
        .expect("pgrep");
    let pid = String::from_utf8_lossy(&pid.stdout).lines().next().unwrap_or_default().to_owned();
    assert!(!pid.is_empty(), "the probe pod's process");
    let service_ip = node.env.kubectl_ok(&[
        "get",
        "service",
        "connect",
        "-n",
        ns,
        "-o",
        "jsonpath={.spec.clusterIP}",
    ]);
    let host = format!("connect.{ns}.svc");
    let from_pod = |user: Option<&str>| -> (u16, String) {
        let ca = rest.ca_path();
        let resolve = format!("{host}:8083:{}", service_ip.trim());
        let url = format!("https://{host}:8083/connectors");
        let mut args = vec![
            "-t",
            &pid,
            "-n",
            "curl",
            "-sS",
            "--max-time",
            "30",
            "-w",
            "\n%{http_code}",
            "--cacert",
            &ca,
            "--resolve",
            &resolve,
        ];
        if let Some(user) = user {
            args.extend(["-u", user]);
        }
        args.push(&url);
        let out = Command::new("nsenter").args(&args).output().expect("nsenter");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "curl from the pod: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let (body, code) = text.rsplit_once('\n').unwrap_or(("", "0"));
        (code.trim().parse().unwrap_or(0), body.to_owned())
    };
    for user in [None, Some("sluice:not-the-password")] {
        let (code, body) = from_pod(user);
        assert_eq!(code, 401, "from the pod with {user:?}: {body}");
    }
    let (code, body) = from_pod(Some(&rest.operator()));
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("lines-in"), "{body}");
    node.env.kubectl_ok(&["delete", "pod", "rest-probe", "-n", ns, "--wait=false"]);

    let policy: serde_json::Value = serde_json::from_str(&node.env.kubectl_ok(&[
        "get",
        "networkpolicy",
        "connect",
        "-n",
        ns,
        "-o",
        "json",
    ]))
    .expect("the NetworkPolicy as JSON");
    let from = policy["spec"]["ingress"][0]["from"].to_string();
    assert!(from.contains(r#""kubernetes.io/metadata.name":"sluice-system""#), "{from}");
    assert!(from.contains(r#""app.kubernetes.io/name":"sluice""#), "{from}");
    assert_eq!(policy["spec"]["ingress"][0]["ports"][0]["port"], 8083);
}

#[test]
fn a_connect_reaches_kafka_over_sasl_ssl_with_scram_and_its_connectors_move_data() {
    let node = NodeEnv::require();
    let _slot = node.workers_slot();
    node.install_operator();
    let ns = node.restricted_namespace("node-kafka-sasl");
    // The credentials and the CA, each consenting to the Connect's Kafka use.
    let secret = |name: &str, key: &str, value: &str| {
        let value: String = value.lines().map(|l| format!("    {l}\n")).collect();
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {ns}\n  annotations:\n    sluice.dev/usable-by: kafka\nstringData:\n  {key}: |\n{value}"
        )
    };
    let password = node.kafka_password.clone();
    node.env.apply(&secret(
        "kafka-creds",
        "plain.txt",
        &format!("username=sluice\npassword={password}"),
    ));
    let ca = std::fs::read_to_string(node.pki.join("ca.crt")).expect("the test CA");
    node.env.apply(&secret("kafka-ca", "cacerts.pem", &ca));
    let server = Server::start_on(&node.node_ip);
    let archive = connect_file_archive(&node, &[]);
    let checksum = sha512(&archive);
    let url = server.route("/archives/connect-file.zip", Reply::Bytes(archive));
    let bootstrap = &node.kafka_sasl_bootstrap;
    let connect = url_example(&ns, &url, &checksum, bootstrap).replace("replicas: 2", "replicas: 1").replace(
        &format!("      bootstrapEndpoint: {bootstrap}\n"),
        &format!(
            "      bootstrapEndpoint: {bootstrap}\n      authentication:\n        type: scram\n        jaasConfig:\n          secretRef: kafka-creds\n      tls:\n        enabled: true\n        secretRef: kafka-ca\n"
        ),
    );
    assert!(connect.contains("type: scram"), "{connect}");
    node.env.apply(&connect);
    // The worker joins its group through the SASL_SSL listener, or it never becomes ready.
    node.wait_connect_ready("the Connect Ready over SASL_SSL", &ns, 1);

    // Connectors' producers and consumers use the same listener: data moves.
    let topic = format!("{ns}-lines");
    node.env.apply(&file_source(&ns, "sasl-in", "/etc/passwd", &topic));
    node.env.apply(&file_sink(&ns, "sasl-out", "/tmp/sasl-out.txt", &topic));
    for name in ["sasl-in", "sasl-out"] {
        node.wait_running(&format!("{name} RUNNING"), &ns, name);
    }
    let pod = pods_of(&node, &ns)[0]["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    wait_for("the sink's file, through the SASL_SSL listener", Duration::from_secs(120), || {
        let out = node.exec(&ns, &pod, &["cat", "/tmp/sasl-out.txt"])?;
        if out.contains("appuser:x:1000") { Ok(()) } else { Err(out) }
    });

    // The ConfigMap says how, the Secret the Connect owns holds the login; the password is
    // in no ConfigMap, status, Event or operator log.
    let config =
        node.env.kubectl_ok(&["get", "configmap", "connect-config", "-n", &ns, "-o", "json"]);
    for line in [
        "producer.security.protocol=SASL_SSL",
        "consumer.sasl.mechanism=SCRAM-SHA-512",
        "admin.ssl.truststore.type=PEM",
    ] {
        assert!(config.contains(line), "{line} in {config}");
    }
    let mut outputs = vec![config, node.operator_logs()];
    for kind in ["connect", "connector", "events"] {
        outputs.push(node.env.kubectl_ok(&["get", kind, "-n", &ns, "-o", "json"]));
    }
    for text in &outputs {
        assert!(!text.contains(&password), "the Kafka password leaked");
    }
    let owned = node.env.kubectl_ok(&["get", "secret", "connect-kafka", "-n", &ns, "-o", "json"]);
    assert!(owned.contains("\"kind\": \"Connect\""), "owned by the Connect: {owned}");
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
    // A missing guard is an error, not zero drops.
    sluice_e2e::assert_success(&out, "testenv guard-drops");
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

fn ensure_namespace(node: &NodeEnv, ns: &str) {
    let out = node.env.kubectl(&["create", "namespace", ns]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() || err.contains("AlreadyExists"), "creating {ns}: {err}");
}

#[test]
fn the_seed_examples_unchanged_say_what_is_missing_and_run_with_local_images() {
    let node = NodeEnv::require();
    let _slot = node.workers_slot();
    node.install_operator();
    // The seed example as it is: namespace `confluent`, CFK's images, a Hub plugin, two
    // mounted Secrets. The Secrets and the Hub plugin are what its cluster would have.
    let seed =
        std::fs::read_to_string(seed_examples_dir().join("connect-confluenthub.yaml")).unwrap();
    ensure_namespace(&node, "confluent");
    node.env.kubectl(&[
        "delete",
        "connect",
        "connect",
        "-n",
        "confluent",
        "--ignore-not-found",
        "--wait=true",
    ]);
    for (secret, key) in [("aws-credential", "aws.txt"), ("connector-tls", "tls.crt")] {
        node.env.kubectl(&["delete", "secret", secret, "-n", "confluent", "--ignore-not-found"]);
        node.env.kubectl_ok(&[
            "create",
            "secret",
            "generic",
            secret,
            "-n",
            "confluent",
            &format!("--from-literal={key}=placeholder"),
        ]);
    }
    let jars = connect_file_jars(&node.env.plugin_dir);
    let archive = hub_archive("confluentinc-kafka-connect-s3-source-2.0.1", &jars);
    publish_on_hub(
        node.hub(),
        "confluentinc",
        "kafka-connect-s3-source",
        "2.0.1",
        &archive,
        &sha1(&archive),
    );
    let applied = Instant::now();
    node.env.apply(&seed);

    let connect = node.wait_object(
        "Ready=False naming the worker image that cannot be pulled",
        Duration::from_secs(60),
        &["get", "connect", "connect", "-n", "confluent"],
        |c| {
            let ready = condition(c, "Ready");
            let message = ready["message"].as_str().unwrap_or_default();
            if ready["reason"] == "ImagePullFailed"
                && message.contains("confluentinc/cp-server-connect:7.0.1")
            {
                Ok(())
            } else {
                Err(format!("Ready: {ready}"))
            }
        },
    );
    let message = condition(&connect, "Ready")["message"].as_str().unwrap().to_owned();
    eprintln!("after {:?}: {message}", applied.elapsed());
    // Why: the kubelet's own words (no registry is reachable from this machine).
    assert!(message.contains("ErrImagePull") || message.contains("ImagePullBackOff"), "{message}");

    // Nothing else breaks: Sluice's installer ran in place of CFK's init container and
    // installed the Hub plugin in every pod.
    node.wait_object(
        "PluginsInstalled=True",
        Duration::from_secs(120),
        &["get", "connect", "connect", "-n", "confluent"],
        |c| {
            if condition(c, "PluginsInstalled")["status"] == "True" {
                Ok(())
            } else {
                Err(c["status"].to_string())
            }
        },
    );
    // Nothing loops: the StatefulSet is written once, the operator does not restart.
    let generation = |node: &NodeEnv| {
        node.env.get_json(&["get", "statefulset", "connect", "-n", "confluent"])["metadata"]["generation"].clone()
    };
    let first = generation(&node);
    std::thread::sleep(Duration::from_secs(12));
    assert_eq!(generation(&node), first, "the StatefulSet was rewritten while nothing changed");
    for pod in operator_pod_list(&node) {
        let restarts = &pod["status"]["containerStatuses"][0]["restartCount"];
        assert_eq!(restarts, 0, "operator pod {} restarted", pod["metadata"]["name"]);
    }

    // The seed's Connector, unchanged, on that cluster: its class is not among the plugins,
    // and its status says so instead of failing silently.
    let connector =
        std::fs::read_to_string(seed_examples_dir().join("connector-s3-source.yaml")).unwrap();
    node.env.apply(&connector);

    // With the images this machine has, the same example runs: workers Ready with the Hub
    // plugin installed and the mounted Secrets in place.
    let local = serde_json::json!({"spec": {
        "image": {"application": connect_image(), "init": OPERATOR_IMAGE},
        "dependencies": {"kafka": {"bootstrapEndpoint": node.kafka_bootstrap}},
    }});
    node.patch_connect("confluent", &local.to_string());
    let connect =
        node.wait_connect_ready("the Hub example Ready with the local images", "confluent", 2);
    let plugins = connect["status"]["plugins"].to_string();
    assert!(plugins.contains("kafka-connect-s3-source") && plugins.contains("2.0.1"), "{plugins}");
    let classes = connect["status"]["installedConnectorClasses"].to_string();
    assert!(classes.contains("FileStreamSourceConnector"), "the workers' own classes: {classes}");
    for path in ["/mnt/secrets/aws-credential/aws.txt", "/mnt/sslcerts/connector-tls/tls.crt"] {
        node.exec("confluent", "connect-0", &["cat", path])
            .unwrap_or_else(|e| panic!("{path} in connect-0: {e}"));
    }
    let seed_connector = node.wait_object(
        "the seed Connector's status naming its missing class",
        Duration::from_secs(120),
        &["get", "connector", "connector", "-n", "confluent"],
        |c| {
            let ready = condition(c, "Ready");
            let message = ready["message"].as_str().unwrap_or_default();
            if ready["status"] == "False" && message.contains("S3SourceConnector") {
                Ok(())
            } else {
                Err(c["status"].to_string())
            }
        },
    );
    eprintln!("the seed Connector: {}", condition(&seed_connector, "Ready"));
    node.env.kubectl_ok(&["delete", "connector", "connector", "-n", "confluent", "--wait=true"]);

    node.env.kubectl_ok(&[
        "delete",
        "connect",
        "connect",
        "-n",
        "confluent",
        "--wait=true",
        "--timeout=60s",
    ]);
}

/// A Connect of one worker with one URL plugin, in its own restricted namespace.
fn one_plugin_connect(
    node: &NodeEnv,
    ns: &str,
    plugin: &str,
    url: &str,
    checksum: &str,
    limit: &str,
) -> String {
    format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Connect\nmetadata:\n  name: connect\n  namespace: {ns}\nspec:\n  replicas: 1\n  image:\n    application: {image}\n    init: {OPERATOR_IMAGE}\n  build:\n    type: onDemand\n    onDemand:\n      storageLimit: {limit}\n      plugins:\n        locationType: url\n        url:\n          - name: {plugin}\n            archivePath: {url}\n            checksum: {checksum}\n  dependencies:\n    kafka:\n      bootstrapEndpoint: {bootstrap}\n",
        image = connect_image(),
        bootstrap = node.kafka_bootstrap,
    )
}

#[test]
fn installer_failures_are_the_init_containers_own_message_in_the_status() {
    let node = NodeEnv::require();
    let _slot = node.workers_slot();
    node.install_operator();
    let server = Server::start_on(&node.node_ip);
    let good = zip_of(&[("lib/a.jar", b"jar")]);
    let slip = zip_of(&[("../../evil.txt", b"evil")]);
    // Incompressible, so the storage limit and not the compression-ratio bound refuses it.
    let noise = incompressible(300_000);
    let big = zip_of(&[("lib/big.jar", &noise)]);
    // (plugin, archive path, served reply, sha512 in the spec, storageLimit, what the message says)
    let cases: Vec<(&str, &str, Reply, String, &str, &str)> = vec![
        ("wrong-checksum", "/a.zip", Reply::Bytes(good.clone()), sha512(b"other"), "4G", "sha512"),
        ("not-found", "/missing.zip", Reply::Status(404), sha512(&good), "4G", "404"),
        (
            "zip-slip",
            "/slip.zip",
            Reply::Bytes(slip.clone()),
            sha512(&slip),
            "4G",
            "leaves the plugin directory",
        ),
        ("too-big", "/big.zip", Reply::Bytes(big.clone()), sha512(&big), "200k", "storageLimit"),
    ];
    // All four side by side, each a Connect of its own.
    let mut started = Vec::new();
    for (plugin, path, reply, checksum, limit, says) in cases {
        let ns = node.restricted_namespace(&format!("node-{plugin}"));
        let url = server.route(path, reply);
        node.env.apply(&one_plugin_connect(&node, &ns, plugin, &url, &checksum, limit));
        started.push((ns, plugin, says));
    }
    for (ns, plugin, says) in &started {
        let connect = node.wait_object(
            &format!("{plugin}: PluginsInstalled=False from the init container"),
            POD_START,
            &["get", "connect", "connect", "-n", ns],
            |c| {
                let installed = condition(c, "PluginsInstalled");
                let message = installed["message"].as_str().unwrap_or_default();
                if installed["status"] == "False"
                    && message.contains(plugin)
                    && message.contains(says)
                {
                    Ok(())
                } else {
                    Err(format!("{}", c["status"]))
                }
            },
        );
        let message =
            condition(&connect, "PluginsInstalled")["message"].as_str().unwrap().to_owned();
        assert!(message.starts_with("pod connect-0: "), "{plugin}: names the pod: {message}");
        assert_eq!(condition(&connect, "Ready")["reason"], "InstallFailed", "{plugin}");
        // The message is the kubelet's record of the init container's termination.
        let pod = node.env.get_json(&["get", "pod", "connect-0", "-n", ns]);
        let statuses = pod["status"]["initContainerStatuses"][0].to_string();
        assert!(
            statuses.contains(plugin),
            "{plugin}: the kubelet's termination message: {statuses}"
        );
        // Nothing half-installed reaches a worker: it never started.
        assert!(
            pod["status"]["containerStatuses"][0]["state"]["running"].is_null(),
            "{plugin}: {pod}"
        );
        assert!(
            node.env
                .events_of(ns, "connect")
                .iter()
                .any(|e| e.starts_with("InstallFailed: ") && e.contains(plugin)),
            "{plugin}: no InstallFailed Event"
        );
    }
    for (ns, _, _) in started {
        node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
    }
}

#[test]
fn a_mounted_secret_reaches_the_worker_and_its_rotation_rolls_the_workers() {
    let node = NodeEnv::require();
    let _slot = node.workers_slot();
    node.install_operator();
    let ns = node.restricted_namespace("node-secret");
    let token = format!("sink-{}", std::process::id());
    let rotated = format!("{token}-rotated");
    let secret = |path: &str| {
        format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sink-target\n  namespace: {ns}\nstringData:\n  target.properties: \"path=/tmp/{path}.txt\"\n"
        )
    };
    node.env.apply(&secret(&token));
    node.env.kubectl_ok(&[
        "create",
        "secret",
        "generic",
        "worker-tls",
        "-n",
        &ns,
        "--from-literal=tls.crt=certificate",
    ]);
    let server = Server::start_on(&node.node_ip);
    let archive = connect_file_archive(&node, &[]);
    let checksum = sha512(&archive);
    let url = server.route("/archives/connect-file.zip", Reply::Bytes(archive));
    let connect = url_example(&ns, &url, &checksum, &node.kafka_bootstrap).replace(
        "  dependencies:\n",
        "  mountedSecrets:\n    - secretRef: sink-target\n  connectorTLSCerts:\n    - secretRef: worker-tls\n  dependencies:\n",
    );
    node.env.apply(&connect);
    let ready = |what: &str| node.wait_connect_ready(what, &ns, 2);
    let status = ready("the Connect Ready");
    // The mount paths the status names exist in the pods.
    let mounts = status["status"]["mounts"].as_array().expect("mounts in the status").clone();
    assert_eq!(mounts.len(), 2, "{mounts:?}");
    for m in &mounts {
        let path = m["path"].as_str().unwrap();
        node.exec(&ns, "connect-0", &["ls", path])
            .unwrap_or_else(|e| panic!("{path} in connect-0: {e}"));
    }
    node.exec(&ns, "connect-1", &["cat", "/mnt/sslcerts/worker-tls/tls.crt"])
        .expect("the certificate is mounted");

    let topic = format!("{ns}-secret-lines");
    node.env.apply(&file_source(&ns, "secret-in", "/etc/passwd", &topic));
    let secret_file = "${file:/mnt/secrets/sink-target/target.properties:path}";
    node.env.apply(&file_sink(&ns, "secret-out", secret_file, &topic));
    // The sink opens its file when its task starts, then appends what it reads.
    let opened_by_the_sink = |file: &str, with: &str| {
        wait_for(&format!("/tmp/{file}.txt opened by the sink"), Duration::from_secs(240), || {
            for pod in ["connect-0", "connect-1"] {
                let out = node.exec(&ns, pod, &["cat", &format!("/tmp/{file}.txt")]);
                if out.is_ok_and(|out| out.contains(with)) {
                    return Ok(pod.to_owned());
                }
            }
            Err("not yet".to_owned())
        })
    };
    opened_by_the_sink(&token, "appuser:x:1000");
    let uids = |node: &NodeEnv| -> Vec<String> {
        pods_of(node, &ns)
            .iter()
            .map(|p| p["metadata"]["uid"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let before = uids(&node);

    // Rotating the Secret rolls the workers; the sink then runs with the new value.
    node.env.apply(&secret(&rotated));
    wait_for("both workers replaced", POD_START, || {
        let now = uids(&node);
        if now.len() == 2 && now.iter().all(|u| !before.contains(u)) {
            Ok(())
        } else {
            Err(format!("{now:?}"))
        }
    });
    ready("the Connect Ready again");
    // The source's offsets are committed, so nothing new flows; the restarted sink task
    // resolved the new value and opened that file.
    opened_by_the_sink(&rotated, "");
    node.wait_running("the sink RUNNING after the roll", &ns, "secret-out");

    // A Connector asking for a file outside the mounted Secrets is refused before anything
    // reaches the workers, naming the path and what the workers may read.
    node.env.apply(&file_sink(&ns, "escape", "/tmp/${file:/etc/os-release:ID}.txt", &topic));
    let args = ["get", "connector", "escape", "-n", ns.as_str()];
    let refused = node.wait_object("the escape refused", Duration::from_secs(120), &args, |c| {
        let ready = condition(c, "Ready");
        let message = ready["message"].as_str().unwrap_or_default();
        if ready["reason"] == "InvalidSpec"
            && message.contains(
                "spec.configs.file reads /etc/os-release through the file config provider",
            )
        {
            Ok(())
        } else {
            Err(c["status"].to_string())
        }
    });
    let message = condition(&refused, "Ready")["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.contains("/mnt/secrets/sink-target, /mnt/sslcerts/worker-tls"), "{message}");
    assert!(
        node.env.events_of(&ns, "escape").iter().any(|e| e.contains("/etc/os-release")),
        "an Event names the path"
    );
    // A connector made on the workers by hand, past Sluice, meets the workers' own limits:
    // the file provider does not read outside the mounts and env reads only its allow-list,
    // so those references stay as written while ${env:POD_IP} resolves. The sink's task
    // names the path it was given when it cannot open it (the literal holds a `/`).
    // By hand means with the operator's credentials, read from the Secret it issued: the
    // REST API answers no one else (see the_rest_api_answers_the_operator_alone).
    let pods = pods_of(&node, &ns);
    let ip = pods[0]["status"]["podIP"].as_str().unwrap_or_default().to_owned();
    let pod = pods[0]["metadata"]["name"].as_str().unwrap_or_default().to_owned();
    let rest = RestAccess::read(&node, &ns, "connect");
    let operator = rest.operator();
    let worker = |path: &str| rest.worker(&pod, &ip, path, Some(&operator));
    let call = |method: &str, path: &str, body: Option<&serde_json::Value>| {
        let (url, args) = worker(path);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        http_with(method, &url, body, &args)
    };
    let by_hand = serde_json::json!({"name": "by-hand", "config": {
        "connector.class": "org.apache.kafka.connect.file.FileStreamSinkConnector",
        "tasks.max": "1",
        "topics": topic,
        "file": "/tmp/by-hand-${env:POD_IP}-${env:JAVA_HOME}-${file:/etc/os-release:ID}.txt",
    }});
    // Ready means Connect serves (sluice-probe), so this answers at once; it stays as a
    // guard with a clear message should that ever regress.
    wait_for("the worker's REST resources", Duration::from_secs(60), || {
        match call("GET", "/connectors", None)? {
            (200, _) => Ok(()),
            (code, body) => Err(format!("{code} {body}")),
        }
    });
    let (code, body) = call("POST", "/connectors", Some(&by_hand)).expect("the worker's REST API");
    assert_eq!(code, 201, "{body}");
    let task = wait_for("the hand-made sink's task started", Duration::from_secs(180), || {
        let (_, status) = call("GET", "/connectors/by-hand/status", None)?;
        let task = status["tasks"][0].clone();
        if task["state"] == "FAILED" || task["state"] == "RUNNING" {
            Ok(task)
        } else {
            Err(status.to_string())
        }
    });
    // The worker id is the advertised `<pod>.connect-workers.<ns>.svc:8083`; the task's
    // ${env:POD_IP} is that pod's address.
    let worker = task["worker_id"].as_str().unwrap_or_default();
    let task_pod = worker.split('.').next().unwrap_or_default();
    let task_pod = pods
        .iter()
        .find(|p| p["metadata"]["name"] == task_pod)
        .unwrap_or_else(|| panic!("worker id {worker} names no pod of the Connect"));
    let pod_ip = task_pod["status"]["podIP"].as_str().unwrap_or_default();
    let trace = task["trace"].as_str().unwrap_or_default();
    let given =
        format!("/tmp/by-hand-{pod_ip}-${{env:JAVA_HOME}}-${{file:/etc/os-release:ID}}.txt");
    assert!(trace.contains(&format!("Couldn't find or create file '{given}'")), "{task}");
    assert!(!trace.contains("debian") && !trace.contains("/usr/lib/jvm"), "{task}");
    let (code, _) = call("DELETE", "/connectors/by-hand", None).expect("the worker's REST API");
    assert_eq!(code, 204);

    // The values never show: not in a status, an Event, or the operator's log.
    let mut outputs = vec![node.operator_logs()];
    for kind in ["connector", "connect"] {
        outputs.push(node.env.kubectl_ok(&["get", kind, "-n", &ns, "-o", "json"]));
    }
    outputs.push(node.env.kubectl_ok(&["get", "events", "-n", &ns, "-o", "json"]));
    for text in &outputs {
        for value in [&token, &rotated] {
            assert!(!text.contains(value.as_str()), "the Secret's value {value} leaked");
        }
    }
    node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

/// Pod name → uid of a Connect's workers.
fn pod_uids(node: &NodeEnv, ns: &str) -> std::collections::BTreeMap<String, String> {
    pods_of(node, ns)
        .iter()
        .filter(|p| p["metadata"]["deletionTimestamp"].is_null())
        .map(|p| {
            (
                p["metadata"]["name"].as_str().unwrap_or_default().to_owned(),
                p["metadata"]["uid"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Container restarts (crashes) across a Connect's workers.
fn container_restarts(node: &NodeEnv, ns: &str) -> i64 {
    pods_of(node, ns)
        .iter()
        .flat_map(|p| p["status"]["containerStatuses"].as_array().cloned().unwrap_or_default())
        .map(|c| c["restartCount"].as_i64().unwrap_or(0))
        .sum()
}

#[test]
fn scaling_deleting_a_pod_upgrading_a_plugin_and_overrides_roll_exactly_as_documented() {
    let node = NodeEnv::require();
    let _slot = node.workers_slot();
    node.install_operator();
    let ns = node.restricted_namespace("node-roll");
    let server = Server::start_on(&node.node_ip);
    let archive = connect_file_archive(&node, &[]);
    let url = server.route("/v1/connect-file.zip", Reply::Bytes(archive.clone()));
    // Connect holds a departed worker's connectors for scheduled.rebalance.max.delay.ms
    // (5 minutes by default) before it reassigns them; scaling down is what this test does.
    let quick = "scheduled.rebalance.max.delay.ms=0";
    let connect = url_example(&ns, &url, &sha512(&archive), &node.kafka_bootstrap).replace(
        "  dependencies:\n",
        &format!("  configOverrides:\n    server:\n      - {quick}\n  dependencies:\n"),
    );
    node.env.apply(&connect);
    let ready = |what: &str, replicas: i64| {
        node.wait_object(what, POD_START, &["get", "connect", "connect", "-n", &ns], |c| {
            let pods = pod_uids(&node, &ns).len() as i64;
            if condition(c, "Ready")["status"] == "True"
                && c["status"]["readyReplicas"] == replicas
                && pods == replicas
            {
                Ok(())
            } else {
                Err(format!("{pods} pods; {}", c["status"]))
            }
        })
    };
    // Asked of a worker afresh each time: a status from before the event does not pass.
    let running = |what: &str| node.wait_running_now(what, &ns, "roll-in");
    ready("2 workers", 2);
    node.env.apply(&file_source(&ns, "roll-in", "/etc/passwd", &format!("{ns}-roll")));
    running("the connector RUNNING");
    let patch = |patch: &str| node.patch_connect(&ns, patch);
    // A pod counts as replaced once its successor exists: one deleted and not yet created
    // again is not replaced, and the Connect's status may still count it ready.
    let replaced = |before: &std::collections::BTreeMap<String, String>| {
        let now = pod_uids(&node, &ns);
        before.iter().filter(|(name, uid)| now.get(*name).is_some_and(|u| u != *uid)).count()
    };

    // Scaling does not roll: the existing workers stay, new ones join, surplus ones go.
    let start = pod_uids(&node, &ns);
    patch(r#"{"spec":{"replicas":3}}"#);
    ready("3 workers", 3);
    assert_eq!(replaced(&start), 0, "scaling up replaced a worker");
    let three = pod_uids(&node, &ns);
    patch(r#"{"spec":{"replicas":1}}"#);
    ready("1 worker", 1);
    assert_eq!(
        pod_uids(&node, &ns).get("connect-0"),
        three.get("connect-0"),
        "scaling down rolled connect-0"
    );
    running("the connector RUNNING on the one worker left");
    patch(r#"{"spec":{"replicas":2}}"#);
    ready("2 workers again", 2);

    // A deleted worker comes back (a new pod), and so does the connector.
    let before = pod_uids(&node, &ns);
    node.env.kubectl_ok(&["delete", "pod", "connect-1", "-n", &ns, "--wait=true"]);
    ready("the deleted worker back", 2);
    assert_eq!(replaced(&before), 1, "only the deleted pod is new");
    running("the connector RUNNING after the pod was deleted");

    // A plugin upgrade (another archive) rolls every worker.
    let before = pod_uids(&node, &ns);
    let upgraded = connect_file_archive(&node, &[("RELEASE-NOTES.txt", b"2.0")]);
    let url2 = server.route("/v2/connect-file.zip", Reply::Bytes(upgraded.clone()));
    node.upgrade_url_plugin(&ns, &url2, &sha512(&upgraded));
    wait_for("every worker replaced after the plugin upgrade", POD_START, || {
        match replaced(&before) {
            2 => Ok(()),
            n => Err(format!("{n} of 2 replaced")),
        }
    });
    ready("Ready after the upgrade", 2);
    wait_for("each new pod's installer downloading the new archive", POD_START, || {
        match server.hits("/v2/connect-file.zip") {
            n if n >= 2 => Ok(()),
            n => Err(format!("{n} downloads")),
        }
    });
    running("the connector RUNNING after the upgrade");

    // configOverrides change the worker config: every worker rolls.
    let before = pod_uids(&node, &ns);
    patch(&format!(
        r#"{{"spec":{{"configOverrides":{{"server":["{quick}","offset.flush.interval.ms=5000"]}}}}}}"#
    ));
    wait_for("every worker replaced after configOverrides", POD_START, || {
        match replaced(&before) {
            2 => Ok(()),
            n => Err(format!("{n} of 2 replaced")),
        }
    });
    ready("Ready after the override", 2);
    running("the connector RUNNING after the override");
    // Read with retries: right after the roll the kubelet may not serve exec into the new
    // container yet ("container not found"), which one CI run hit.
    let properties = wait_for("connect-0's worker properties", POD_START, || {
        node.exec(&ns, "connect-0", &["cat", "/opt/sluice/runtime/connect.properties"])
    });
    assert!(properties.ends_with("offset.flush.interval.ms=5000\n"), "{properties}");

    // Through all of it no worker crashed and Sluice never had to restart the connector.
    assert_eq!(container_restarts(&node, &ns), 0, "a worker container restarted");
    let connector = node.env.get_json(&["get", "connector", "roll-in", "-n", &ns]);
    assert_eq!(connector["status"]["restartCount"], 0, "{}", connector["status"]);
    node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

/// The operator pods not being deleted.
fn operator_pod_list(node: &NodeEnv) -> Vec<serde_json::Value> {
    let list = node.env.get_json(&[
        "get",
        "pods",
        "-n",
        "sluice-system",
        "-l",
        "app.kubernetes.io/name=sluice",
    ]);
    let items = list["items"].as_array().cloned().unwrap_or_default();
    items.into_iter().filter(|p| p["metadata"]["deletionTimestamp"].is_null()).collect()
}

/// The operator pods, by name, with whether each is Ready.
fn operator_pods(node: &NodeEnv) -> Vec<(String, bool)> {
    operator_pod_list(node)
        .iter()
        .map(|p| {
            let name = p["metadata"]["name"].as_str().unwrap_or_default().to_owned();
            (name, condition(p, "Ready")["status"] == "True")
        })
        .collect()
}

/// One scrape of /metrics through the metrics Service (whichever replica answers), parsed.
fn scrape_service(node: &NodeEnv) -> Result<Vec<sluice_e2e::Sample>, String> {
    let ip = node.env.kubectl_ok(&[
        "get",
        "service",
        "sluice-metrics",
        "-n",
        "sluice-system",
        "-o",
        "jsonpath={.spec.clusterIP}",
    ]);
    match http_text("GET", &format!("http://{ip}:8080/metrics"), None)? {
        (200, text) => Ok(parse_metrics(&text)?.1),
        (code, text) => Err(format!("HTTP {code}: {text}")),
    }
}

/// Scrapes through the Service until the leader answers: its samples.
fn scrape_leader(node: &NodeEnv) -> Vec<sluice_e2e::Sample> {
    wait_for("the leader's /metrics through the Service", Duration::from_secs(60), || {
        let samples = scrape_service(node)?;
        if metric(&samples, "sluice_leader", &[]) == 1.0 {
            Ok(samples)
        } else {
            Err("the follower answered".into())
        }
    })
}

#[test]
fn two_operator_replicas_fail_over_when_the_leader_pod_dies_and_no_write_is_made_twice() {
    let node = NodeEnv::require();
    node.install_operator();
    let both = wait_for("two operator pods Ready", Duration::from_secs(180), || {
        let pods = operator_pods(&node);
        if pods.len() == 2 && pods.iter().all(|(_, ready)| *ready) {
            Ok(pods)
        } else {
            Err(format!("{pods:?}"))
        }
    });
    let lease = "sluice";
    let leader = lease_holder(&node.env, "sluice-system", lease);
    assert!(both.iter().any(|(name, _)| *name == leader), "{leader} holds the Lease: {both:?}");

    // A Connect worker the operator pods reach on the node's address; it logs every request.
    let fake = FakeConnect::start_on(&node.node_ip);
    let ns = node.restricted_namespace("node-failover");
    let apply = |name: &str| {
        node.env.apply(&file_source_connector(
            name,
            &ns,
            name,
            std::path::Path::new("/dev/null"),
            &fake.url,
        ));
        node.wait_object(
            name,
            Duration::from_secs(120),
            &["get", "connector", name, "-n", &ns],
            |c| {
                if condition(c, "Ready")["status"] == "True" {
                    Ok(())
                } else {
                    Err(c["status"].to_string())
                }
            },
        );
    };
    let before = scrape_leader(&node);
    apply("before");
    let after = scrape_leader(&node);
    let connector = [("controller", "connector")];
    assert!(
        metric(&after, "sluice_reconciles_total", &connector)
            > metric(&before, "sluice_reconciles_total", &connector),
        "the leader's reconcile count moved"
    );
    let create = [("method", "POST"), ("path", "/connectors"), ("code", "201")];
    assert!(metric(&after, "sluice_connect_rest_requests_total", &create) >= 1.0);

    // The leader pod is deleted (a drain, a node loss): another replica takes the Lease and
    // acts. Usually the standby; the deleted pod's replacement wins when it starts within the
    // standby's retry period after the release (CI saw that), which is a failover as good.
    let killed = Instant::now();
    node.env.kubectl_ok(&["delete", "pod", &leader, "-n", "sluice-system", "--wait=false"]);
    let follower = both.iter().map(|(n, _)| n.clone()).find(|n| *n != leader).unwrap();
    let new_leader = wait_for_or(
        "another replica leads",
        Duration::from_secs(60),
        || {
            let holder = lease_holder(&node.env, "sluice-system", lease);
            if !holder.is_empty() && holder != leader { Ok(holder) } else { Err(holder) }
        },
        || {
            let lease =
                node.env.kubectl(&["get", "lease", lease, "-n", "sluice-system", "-o", "yaml"]);
            format!(
                "leader {leader}, follower {follower}\n{}\n{}",
                String::from_utf8_lossy(&lease.stdout),
                node.operator_logs()
            )
        },
    );
    let took = killed.elapsed();
    assert!(took < Duration::from_secs(15), "within the lease duration: {took:?}");
    let live: Vec<String> = operator_pods(&node).into_iter().map(|(name, _)| name).collect();
    assert!(live.contains(&new_leader), "{new_leader} is a live operator pod: {live:?}");
    apply("after");

    // Every write on the worker: one create per connector, and nothing else.
    let writes = fake.writes();
    assert_eq!(writes, ["POST /connectors"; 2], "a write made twice: {writes:?}");
    node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}

#[test]
fn liveness_fails_for_a_stopped_controller_and_the_kubelet_restarts_the_operator() {
    let node = NodeEnv::require();
    // The shared release carries the CRDs; this one, with the test hook, watches only its
    // own namespace and has no rights elsewhere, so it never acts beside the shared one.
    node.install_operator();
    let ns = node.restricted_namespace("node-probe");
    let release = "sluice-probe";
    let (chart, settings) = node.chart_args();
    let watch = format!("watchNamespaces={{{ns}}}");
    let mut args = vec!["install", release, &chart, "--namespace", &ns, "--skip-crds"];
    args.extend(settings.iter().map(String::as_str));
    args.extend(["--set", &watch, "--set", "testHooks=true", "--set", "replicaCount=1"]);
    args.extend([
        "--set",
        "leaderElection.enabled=false",
        "--set",
        "podDisruptionBudget.enabled=false",
    ]);
    node.env.helm_ok(&args);
    let pod = |node: &NodeEnv| {
        let list =
            node.env.get_json(&["get", "pods", "-n", &ns, "-l", "app.kubernetes.io/name=sluice"]);
        list["items"][0].clone()
    };
    let first = pod(&node);
    let ip = first["status"]["podIP"].as_str().unwrap_or_default().to_owned();
    let url = |path: &str| format!("http://{ip}:8080{path}");
    assert_eq!(http_text("GET", &url("/healthz"), None).unwrap().0, 200);

    let (code, body) = http_text("POST", &url("/debug/stop/connector"), None).unwrap();
    assert_eq!((code, body.trim()), (200, "stopped connector"));
    let (code, body) = http_text("GET", &url("/healthz"), None).unwrap();
    assert_eq!(code, 503, "{body}");
    assert!(body.contains("controller connector stopped"), "{body}");
    // The kubelet's liveness probe sees the same and restarts the container; the new
    // process is healthy and ready again.
    wait_for("the kubelet restarts the operator container", Duration::from_secs(120), || {
        let p = pod(&node);
        let restarts = p["status"]["containerStatuses"][0]["restartCount"].as_i64().unwrap_or(0);
        if restarts >= 1 && condition(&p, "Ready")["status"] == "True" {
            Ok(())
        } else {
            Err(format!("{restarts} restarts: {}", p["status"]))
        }
    });
    let unhealthy =
        node.env.get_json(&["get", "events", "-n", &ns, "--field-selector", "reason=Unhealthy"]);
    let said = unhealthy["items"].as_array().cloned().unwrap_or_default();
    assert!(
        said.iter()
            .any(|e| e["message"].as_str().is_some_and(|m| m.contains("Liveness probe failed"))),
        "the kubelet's Event for the failed probe: {said:?}"
    );
    let (code, body) = http_text("GET", &url("/healthz"), None).unwrap();
    assert_eq!((code, body.trim()), (200, "ok"));
    node.env.helm_ok(&["uninstall", release, "--namespace", &ns, "--wait"]);
    node.env.kubectl_ok(&["delete", "namespace", &ns, "--wait=false"]);
}
