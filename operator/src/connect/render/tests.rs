use super::*;

fn example() -> Connect {
    // The seed's example, unchanged (the repository's copy in examples/cfk).
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/cfk/connect-confluenthub.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_norway::from_str(&text).expect("the seed example parses")
}

fn plugin() -> PluginArchive {
    PluginArchive {
        name: "kafka-connect-s3-source".into(),
        version: Some("2.0.1".into()),
        source: "confluentHub".into(),
        archive_url: "https://hub.example/s3-source-2.0.1.zip".into(),
        sha512: "a".repeat(128),
        headers: BTreeMap::new(),
    }
}

fn rendered(
    connect: &Connect,
    plugins: &[PluginArchive],
    secrets: &BTreeMap<String, String>,
) -> Rendered {
    render(
        connect,
        "connect",
        "confluent",
        &Inputs {
            plugins,
            operator_image: "ghcr.io/sluice-dev/sluice:0.1.0",
            secret_versions: secrets,
            operator_pods: None,
        },
    )
    .expect("the Connect renders")
}

#[test]
fn the_confluent_hub_example_renders_a_worker_statefulset_with_the_installer() {
    let r = rendered(&example(), &[plugin()], &BTreeMap::new());
    let spec = r.stateful_set.spec.as_ref().unwrap();
    assert_eq!(spec.replicas, Some(2));
    assert_eq!(spec.service_name.as_deref(), Some("connect-workers"));
    let pod = spec.template.spec.as_ref().unwrap();
    let init = &pod.init_containers.as_ref().unwrap()[0];
    // The example keeps CFK's init image, which cannot run the installer: Sluice's runs.
    assert_eq!(init.image.as_deref(), Some("ghcr.io/sluice-dev/sluice:0.1.0"));
    assert!(r.warnings[0].contains("image.init confluentinc/confluent-init-container:2.2.0-1"));
    assert_eq!(init.termination_message_policy.as_deref(), Some("FallbackToLogsOnError"));
    assert_eq!(
        init.args.as_ref().unwrap(),
        &[
            "install-plugins",
            "--plugins",
            "/etc/sluice/plugins/plugins.json",
            "--target",
            "/opt/sluice/plugins"
        ]
    );
    assert_eq!(init.security_context.as_ref().unwrap().read_only_root_filesystem, Some(true));
    let worker = &pod.containers[0];
    assert_eq!(worker.image.as_deref(), Some("confluentinc/cp-server-connect:7.0.1"));
    let mounts: Vec<(&str, &str)> = worker
        .volume_mounts
        .as_ref()
        .unwrap()
        .iter()
        .map(|m| (m.name.as_str(), m.mount_path.as_str()))
        .collect();
    assert_eq!(
        mounts,
        [
            ("plugins", "/opt/sluice/plugins"),
            ("config", "/etc/sluice/connect"),
            ("runtime", "/opt/sluice/runtime"),
            ("rest-tls", "/mnt/sluice/rest-tls"),
            ("rest-credentials", "/mnt/sluice/rest-credentials"),
            ("probe", "/opt/sluice/bin"),
            ("secret-aws-credential", "/mnt/secrets/aws-credential"),
            ("tls-connector-tls", "/mnt/sslcerts/connector-tls"),
        ]
    );
    let plugins = pod.volumes.as_ref().unwrap().iter().find(|v| v.name == "plugins").unwrap();
    assert_eq!(plugins.empty_dir.as_ref().unwrap().size_limit, Some(Quantity("4G".into())));
}

#[test]
fn the_worker_properties_name_kafka_the_group_and_the_config_providers() {
    let p = worker_properties(&example(), "connect", "confluent");
    for line in [
        "bootstrap.servers=kafka:9071",
        "group.id=confluent.connect",
        "config.storage.topic=confluent.connect-configs",
        "plugin.path=/opt/sluice/plugins",
        // A one-broker cluster cannot hold Kafka's default of 3: the broker's default rules.
        "config.storage.replication.factor=-1",
        "offset.storage.replication.factor=-1",
        "status.storage.replication.factor=-1",
        // cp-server-connect 7.0 is Kafka 3.0: no EnvVarConfigProvider (3.5) for it.
        "config.providers=file,dir",
        "config.providers.dir.class=org.apache.kafka.common.config.provider.DirectoryConfigProvider",
    ] {
        assert!(p.lines().any(|l| l == line), "{line} missing from\n{p}");
    }
    // The worker's own address comes from the start command, not from a provider.
    assert!(!p.contains("${env:"), "{p}");
    assert!(!p.contains("EnvVarConfigProvider"), "{p}");
}

#[test]
fn config_providers_follow_the_workers_kafka_version() {
    let mut c = example();
    let providers = |c: &Connect| {
        worker_properties(c, "connect", "confluent")
            .lines()
            .find_map(|l| l.strip_prefix("config.providers=").map(str::to_owned))
            .unwrap()
    };
    c.spec.image.as_mut().unwrap().application = Some("apache/kafka:3.9.1".into());
    assert_eq!(providers(&c), "file,dir,env");
    c.spec.image.as_mut().unwrap().application = Some("confluentinc/cp-kafka-connect:6.0.1".into());
    assert_eq!(providers(&c), "file");
    // An image whose tag says nothing gets the one provider every Kafka has, and a warning.
    c.spec.image.as_mut().unwrap().application = Some("mycorp/connect:latest".into());
    assert_eq!(providers(&c), "file");
    let r = rendered(&c, &[plugin()], &BTreeMap::new());
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("mycorp/connect:latest") && w.contains("configOverrides.server")),
        "{:?}",
        r.warnings
    );
    c.spec.image = None;
    assert_eq!(providers(&c), "file,dir,env", "the default image is Kafka {DEFAULT_WORKER_IMAGE}");
}

#[test]
fn the_start_command_advertises_the_pods_dns_name_before_the_rendered_lines() {
    let r = rendered(&example(), &[plugin()], &BTreeMap::new());
    let pod = r.stateful_set.spec.unwrap().template.spec.unwrap();
    let command = pod.containers[0].command.clone().unwrap();
    assert_eq!(command[..2], ["/bin/sh", "-c"]);
    let script = &command[2];
    let advertised = script.find("rest.advertised.host.name=$SLUICE_REST_HOST").expect(script);
    let rendered = script.find("cat /etc/sluice/connect/connect.properties").expect(script);
    assert!(advertised < rendered, "a user's override comes later and wins: {script}");
    assert!(script.contains("exec "), "the worker replaces the shell: {script}");
    let env = pod.containers[0].env.clone().unwrap();
    let value = |name: &str| env.iter().find(|e| e.name == name).and_then(|e| e.value.clone());
    // Kubernetes expands $(POD_NAME), declared before it, to the pod's name: a name the
    // certificate holds (`*.connect-workers.confluent.svc`), which Jetty 12 checks.
    assert_eq!(
        value("SLUICE_REST_HOST").as_deref(),
        Some("$(POD_NAME).connect-workers.confluent.svc")
    );
    let position = |name: &str| env.iter().position(|e| e.name == name).unwrap();
    assert!(position("POD_NAME") < position("SLUICE_REST_HOST"), "{env:?}");
    let names = super::rest::dns_names("connect", "confluent");
    assert!(names.contains(&"*.connect-workers.confluent.svc".to_owned()), "{names:?}");
}

#[test]
fn readiness_is_the_probe_the_operators_image_copies_in_whatever_image_init_says() {
    let mut c = example();
    c.spec.image.as_mut().unwrap().init = Some("registry.local/sluice:0.0.9".into());
    let r = rendered(&c, &[plugin()], &BTreeMap::new());
    let pod = r.stateful_set.spec.unwrap().template.spec.unwrap();
    let inits = pod.init_containers.unwrap();
    assert_eq!(inits[0].image.as_deref(), Some("registry.local/sluice:0.0.9"));
    let copy = &inits[1];
    assert_eq!(copy.name, "copy-probe");
    assert_eq!(copy.image.as_deref(), Some("ghcr.io/sluice-dev/sluice:0.1.0"));
    assert_eq!(copy.args.clone().unwrap(), ["copy-probe", "--to", "/opt/sluice/bin"]);
    let worker = &pod.containers[0];
    let exec = worker.readiness_probe.clone().unwrap().exec.unwrap().command.unwrap();
    assert_eq!(exec[0], "/opt/sluice/bin/sluice-probe");
    let mounts = worker.volume_mounts.clone().unwrap();
    let probe = mounts.iter().find(|m| m.mount_path == "/opt/sluice/bin").unwrap();
    assert_eq!(probe.read_only, Some(true), "the worker cannot replace its probe");
    // The CA bundle the probe checks the listener against is projected beside the stores.
    let volumes = pod.volumes.unwrap();
    let tls = volumes.iter().find(|v| v.name == "rest-tls").unwrap();
    let items = tls.secret.clone().unwrap().items.unwrap();
    assert!(items.iter().any(|i| i.key == "cacerts.pem"), "{items:?}");
}

#[test]
fn a_kafka_4_worker_gets_log4j2_whose_changes_do_not_roll_and_a_kafka_3_worker_log4j() {
    let with = |image: &str, log4j: &[&str], log4j2: &[&str]| {
        let mut c = example();
        c.spec.image.as_mut().unwrap().application = Some(image.into());
        c.spec.config_overrides = Some(crate::crd::ConfigOverrides {
            log4j: log4j.iter().map(|s| (*s).to_owned()).collect(),
            log4j2: log4j2.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        });
        c
    };
    let env_of = |r: &Rendered, name: &str| {
        let pod = r.stateful_set.spec.clone().unwrap().template.spec.unwrap();
        pod.containers[0]
            .env
            .clone()
            .unwrap()
            .into_iter()
            .find(|e| e.name == name)
            .and_then(|e| e.value)
    };
    let hash_of = |r: &Rendered| {
        r.stateful_set.spec.clone().unwrap().template.metadata.unwrap().annotations.unwrap()
            [HASH_ANNOTATION]
            .clone()
    };
    let four = rendered(
        &with("apache/kafka:4.3.1", &[], &["logger.a.name=a", "logger.a.level=DEBUG"]),
        &[],
        &BTreeMap::new(),
    );
    assert_eq!(
        env_of(&four, "KAFKA_LOG4J_OPTS").as_deref(),
        Some("-Dlog4j2.configurationFile=/etc/sluice/connect/log4j2.properties")
    );
    let data = four.worker_config.data.clone().unwrap();
    assert!(data["log4j2.properties"].ends_with("logger.a.level=DEBUG\n"));
    assert!(!data.contains_key("log4j.properties"));
    // Another level: the file changes, the pods do not roll (Log4j2 re-reads it).
    let other = rendered(
        &with("apache/kafka:4.3.1", &[], &["logger.a.name=a", "logger.a.level=TRACE"]),
        &[],
        &BTreeMap::new(),
    );
    assert_ne!(four.worker_config, other.worker_config);
    assert_eq!(hash_of(&four), hash_of(&other));
    // A translated log4j line is said; one without translation refuses the render.
    let translated =
        rendered(&with("apache/kafka:4.3.1", &["log4j.logger.b=WARN"], &[]), &[], &BTreeMap::new());
    assert!(
        translated.warnings.iter().any(|w| w.contains("spec.configOverrides.log4j[0]")),
        "{:?}",
        translated.warnings
    );
    let inputs = Inputs {
        plugins: &[],
        operator_image: "o",
        secret_versions: &BTreeMap::new(),
        operator_pods: None,
    };
    let refused = render(
        &with("apache/kafka:4.3.1", &["log4j.appender.x=y"], &[]),
        "connect",
        "confluent",
        &inputs,
    );
    assert!(refused.unwrap_err()[0].starts_with("spec.configOverrides.log4j[0]"));
    let refused = render(
        &with("apache/kafka:3.9.1", &[], &["logger.a.level=DEBUG"]),
        "connect",
        "confluent",
        &inputs,
    );
    assert!(refused.unwrap_err()[0].starts_with("spec.configOverrides.log4j2"));
    // Kafka 3: a log4j change rolls.
    let three =
        rendered(&with("apache/kafka:3.9.1", &["log4j.logger.b=WARN"], &[]), &[], &BTreeMap::new());
    let three_b =
        rendered(&with("apache/kafka:3.9.1", &["log4j.logger.b=INFO"], &[]), &[], &BTreeMap::new());
    assert_ne!(hash_of(&three), hash_of(&three_b));
    assert_eq!(
        env_of(&three, "KAFKA_LOG4J_OPTS").as_deref(),
        Some("-Dlog4j.configuration=file:/etc/sluice/connect/log4j.properties")
    );
}

#[test]
fn a_metric_reporters_override_keeps_the_jmx_reporter_on_kafka_4() {
    let mut c = example();
    c.spec.image.as_mut().unwrap().application = Some("apache/kafka:4.3.1".into());
    c.spec.config_overrides = Some(crate::crd::ConfigOverrides {
        server: vec!["metric.reporters=com.example.Prometheus".into()],
        ..Default::default()
    });
    let p = worker_properties(&c, "connect", "confluent");
    assert!(
        p.ends_with(
            "metric.reporters=com.example.Prometheus,org.apache.kafka.common.metrics.JmxReporter\n"
        ),
        "{p}"
    );
    let r = rendered(&c, &[], &BTreeMap::new());
    assert!(r.warnings.iter().any(|w| w.contains("metric.reporters")), "{:?}", r.warnings);
}

#[test]
fn both_containers_meet_pod_security_restricted_with_numeric_ids() {
    let r = rendered(&example(), &[plugin()], &BTreeMap::new());
    let pod = r.stateful_set.spec.unwrap().template.spec.unwrap();
    let ctx = pod.security_context.clone().unwrap();
    assert_eq!(ctx.run_as_non_root, Some(true));
    assert_eq!(
        (ctx.run_as_user, ctx.run_as_group, ctx.fs_group),
        (Some(1000), Some(1000), Some(1000))
    );
    assert_eq!(ctx.seccomp_profile.unwrap().type_, "RuntimeDefault");
    assert_eq!(pod.automount_service_account_token, Some(false), "no token unless asked");
    for c in pod.init_containers.unwrap().iter().chain(&pod.containers) {
        let s = c.security_context.clone().unwrap();
        assert_eq!(s.allow_privilege_escalation, Some(false), "{}", c.name);
        assert_eq!(s.run_as_non_root, Some(true), "{}", c.name);
        assert_eq!(s.capabilities.unwrap().drop.unwrap(), ["ALL"], "{}", c.name);
        assert_eq!(s.seccomp_profile.unwrap().type_, "RuntimeDefault", "{}", c.name);
    }

    let mut c = example();
    c.spec.pod_template = Some(
        serde_json::from_value(serde_json::json!({
            "podSecurityContext": {"runAsUser": 1001, "runAsGroup": 0, "fsGroup": 2000},
            "automountServiceAccountToken": true
        }))
        .unwrap(),
    );
    let pod = rendered(&c, &[plugin()], &BTreeMap::new())
        .stateful_set
        .spec
        .unwrap()
        .template
        .spec
        .unwrap();
    let ctx = pod.security_context.unwrap();
    assert_eq!(
        (ctx.run_as_user, ctx.run_as_group, ctx.fs_group),
        (Some(1001), Some(0), Some(2000))
    );
    assert_eq!(pod.automount_service_account_token, Some(true));
}

#[test]
fn server_overrides_come_last_so_they_win() {
    let mut c = example();
    c.spec.config_overrides = Some(crate::crd::ConfigOverrides {
        server: vec!["offset.flush.interval.ms=5000".into(), "group.id=mine".into()],
        jvm: vec!["-Xmx2g".into()],
        log4j: vec!["log4j.logger.org.apache.kafka.connect=DEBUG".into()],
        log4j2: vec![],
    });
    let p = worker_properties(&c, "connect", "confluent");
    assert!(p.ends_with("offset.flush.interval.ms=5000\ngroup.id=mine\n"), "{p}");
    let r = rendered(&c, &[], &BTreeMap::new());
    let env =
        r.stateful_set.spec.unwrap().template.spec.unwrap().containers[0].env.clone().unwrap();
    // The user's JVM options after the JAAS file the REST listener's basic auth needs.
    assert!(env.iter().any(|e| e.name == "KAFKA_OPTS"
        && e.value.as_deref()
            == Some(
                "-Djava.security.auth.login.config=/etc/sluice/connect/rest-jaas.conf -Xmx2g"
            )));
    assert!(env.iter().any(|e| e.name == "KAFKA_LOG4J_OPTS"
        && e.value.as_deref()
            == Some("-Dlog4j.configuration=file:/etc/sluice/connect/log4j.properties")));
    let log4j = &r.worker_config.data.as_ref().unwrap()["log4j.properties"];
    assert!(log4j.ends_with("log4j.logger.org.apache.kafka.connect=DEBUG\n"), "{log4j}");
}

#[test]
fn the_plugin_list_carries_the_storage_limit_in_bytes() {
    let json: serde_json::Value =
        serde_json::from_str(&plugin_list_json(&example(), &[plugin()])).unwrap();
    assert_eq!(json["storageLimitBytes"], 4_000_000_000u64);
    assert_eq!(json["plugins"][0]["name"], "kafka-connect-s3-source");
}

#[test]
fn services_and_the_disruption_budget_select_the_workers() {
    let r = rendered(&example(), &[plugin()], &BTreeMap::new());
    let client = r.client.spec.unwrap();
    assert_eq!(r.client.metadata.name.as_deref(), Some("connect"));
    assert_eq!(client.ports.unwrap()[0].port, 8083);
    let headless = r.headless.spec.unwrap();
    assert_eq!(headless.cluster_ip.as_deref(), Some("None"));
    assert_eq!(headless.publish_not_ready_addresses, Some(true));
    let pod_labels = r.stateful_set.spec.unwrap().template.metadata.unwrap().labels.unwrap();
    for selector in [
        client.selector.unwrap(),
        r.pdb.spec.clone().unwrap().selector.unwrap().match_labels.unwrap(),
    ] {
        assert!(selector.iter().all(|(k, v)| pod_labels.get(k) == Some(v)), "{selector:?}");
    }
    assert_eq!(r.pdb.spec.unwrap().max_unavailable, Some(IntOrString::Int(1)));
}

fn hash_of(r: &Rendered) -> String {
    r.stateful_set.spec.clone().unwrap().template.metadata.unwrap().annotations.unwrap()
        [HASH_ANNOTATION]
        .clone()
}

#[test]
fn worker_config_plugins_and_mounted_secrets_roll_the_pods_and_nothing_else_does() {
    let base = example();
    let secrets = BTreeMap::from([("aws-credential".to_string(), "100".to_string())]);
    let before = hash_of(&rendered(&base, &[plugin()], &secrets));
    assert_eq!(before, hash_of(&rendered(&base, &[plugin()], &secrets)), "stable");

    let mut scaled = base.clone();
    scaled.spec.replicas = 5;
    assert_eq!(hash_of(&rendered(&scaled, &[plugin()], &secrets)), before, "scaling does not roll");

    let mut overridden = base.clone();
    overridden.spec.config_overrides =
        Some(crate::crd::ConfigOverrides { server: vec!["a=b".into()], ..Default::default() });
    assert_ne!(hash_of(&rendered(&overridden, &[plugin()], &secrets)), before, "worker config");
    let mut upgraded = plugin();
    upgraded.sha512 = "b".repeat(128);
    assert_ne!(hash_of(&rendered(&base, &[upgraded], &secrets)), before, "plugin list");
    let rotated = BTreeMap::from([("aws-credential".to_string(), "101".to_string())]);
    assert_ne!(hash_of(&rendered(&base, &[plugin()], &rotated)), before, "mounted Secret");
}

#[test]
fn pod_template_resources_go_to_the_worker_container() {
    let mut connect = example();
    connect.spec.pod_template = Some(
        serde_json::from_value(serde_json::json!({
            "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "2Gi"}}
        }))
        .unwrap(),
    );
    let r = rendered(&connect, &[plugin()], &BTreeMap::new());
    let pod = r.stateful_set.spec.unwrap().template.spec.unwrap();
    let resources = pod.containers[0].resources.clone().unwrap();
    assert_eq!(resources.requests.unwrap()["memory"].0, "2Gi");
    assert_eq!(resources.limits.unwrap()["memory"].0, "2Gi");
    // The installer is not the worker: it keeps no requests of its own.
    assert!(pod.init_containers.unwrap()[0].resources.is_none());
}

#[test]
fn an_init_image_of_ones_own_is_used_as_given() {
    let mut connect = example();
    connect.spec.image.as_mut().unwrap().init = Some("registry.example/sluice:custom".into());
    let r = rendered(&connect, &[plugin()], &BTreeMap::new());
    let pod = r.stateful_set.spec.unwrap().template.spec.unwrap();
    assert_eq!(
        pod.init_containers.unwrap()[0].image.as_deref(),
        Some("registry.example/sluice:custom")
    );
    assert!(!r.warnings.iter().any(|w| w.contains("image.init")), "{:?}", r.warnings);
}

#[test]
fn the_file_and_dir_providers_read_only_the_mounted_secrets_and_env_only_the_allow_list() {
    let mut c = example();
    c.spec.image.as_mut().unwrap().application = Some("apache/kafka:3.9.1".into());
    c.spec.mounted_secrets = vec![crate::crd::SecretReference { secret_ref: "creds".into() }];
    c.spec.connector_tls_certs = vec![crate::crd::SecretReference { secret_ref: "tls".into() }];
    let r = rendered(&c, &[plugin()], &BTreeMap::new());
    let p = &r.worker_config.data.as_ref().unwrap()["connect.properties"];
    for line in [
        "config.providers.file.param.allowed.paths=/mnt/secrets/creds,/mnt/sslcerts/tls",
        "config.providers.dir.param.allowed.paths=/mnt/secrets/creds,/mnt/sslcerts/tls",
        "config.providers.env.param.allowlist.pattern=^(POD_IP|HOSTNAME)$",
    ] {
        assert!(p.lines().any(|l| l == line), "{line} missing from\n{p}");
    }
    // The paths are the mounts the pod has for connectors (not the REST listener's).
    let pod = r.stateful_set.spec.unwrap().template.spec.unwrap();
    let mounts: Vec<String> = pod.containers[0]
        .volume_mounts
        .iter()
        .flatten()
        .filter(|m| m.mount_path.starts_with("/mnt/") && !m.mount_path.starts_with("/mnt/sluice/"))
        .map(|m| m.mount_path.clone())
        .collect();
    assert_eq!(mounts, ["/mnt/secrets/creds", "/mnt/sslcerts/tls"]);
    assert!(!r.warnings.iter().any(|w| w.contains("allowed.paths")), "{:?}", r.warnings);

    // Kafka 3.0 ignores allowed.paths: the properties still say it, and a warning says
    // that only Sluice's check holds.
    let old = rendered(&example(), &[plugin()], &BTreeMap::new());
    assert!(
        old.warnings.iter().any(|w| w.contains("Kafka 3.0") && w.contains("allowed.paths")),
        "{:?}",
        old.warnings
    );
}

#[test]
fn the_rest_listener_serves_https_with_basic_auth_from_the_mounted_secret() {
    let r = rendered(&example(), &[], &BTreeMap::new());
    let properties = &r.worker_config.data.as_ref().unwrap()["connect.properties"];
    for line in [
        "listeners=https://0.0.0.0:8083",
        "rest.advertised.listener=https",
        "listeners.https.ssl.keystore.type=PKCS12",
        "listeners.https.ssl.keystore.location=/mnt/sluice/rest-tls/keystore.p12",
        "listeners.https.ssl.truststore.location=/mnt/sluice/rest-tls/truststore.p12",
        "rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension",
    ] {
        assert!(properties.lines().any(|l| l == line), "no {line} in\n{properties}");
    }
    assert!(!properties.contains("listeners=http:"), "{properties}");
    assert!(!properties.contains("password"), "no password in the ConfigMap: {properties}");
    let pod = r.stateful_set.spec.unwrap().template.spec.unwrap();
    let worker = &pod.containers[0];
    let command = worker.command.as_ref().unwrap()[2].clone();
    // The store password joins the properties from its file, in the worker's own file.
    assert!(command.starts_with("umask 077 && { echo"), "{command}");
    for key in ["keystore.password", "key.password", "truststore.password"] {
        let line = format!(
            "echo \"listeners.https.ssl.{key}=$(cat /mnt/sluice/rest-tls/keystore.password)\""
        );
        assert!(command.contains(&line), "{command}");
    }
    let probe = worker.readiness_probe.as_ref().unwrap();
    // No credential in the pod spec: the exec'd probe reads the mounted login file.
    assert!(probe.http_get.is_none() && probe.exec.is_some(), "{probe:?}");
    let volume = |name: &str| {
        pod.volumes.as_ref().unwrap().iter().find(|v| v.name == name).cloned().unwrap()
    };
    let keys = |name: &str| -> Vec<String> {
        volume(name).secret.unwrap().items.unwrap().into_iter().map(|i| i.key).collect()
    };
    assert_eq!(volume("rest-tls").secret.unwrap().secret_name.as_deref(), Some("connect-rest"));
    assert_eq!(
        keys("rest-tls"),
        ["keystore.p12", "truststore.p12", "keystore.password", "cacerts.pem"]
    );
    assert_eq!(keys("rest-credentials"), ["basic-auth.properties"]);
    assert_eq!(volume("runtime").empty_dir.unwrap().medium.as_deref(), Some("Memory"));
    // The listener's paths are not among what connector configs may read.
    assert!(!properties.contains("allowed.paths=/mnt/sluice"), "{properties}");
}

#[test]
fn the_network_policy_lets_in_only_the_operator_and_the_workers() {
    assert!(
        rendered(&example(), &[], &BTreeMap::new()).network_policy.is_none(),
        "no operator pods known"
    );
    let operator = OperatorPods {
        namespace: "sluice-system".into(),
        labels: BTreeMap::from([("app.kubernetes.io/name".into(), "sluice".into())]),
    };
    let inputs = Inputs {
        plugins: &[],
        operator_image: "sluice",
        secret_versions: &BTreeMap::new(),
        operator_pods: Some(&operator),
    };
    let policy =
        render(&example(), "connect", "confluent", &inputs).unwrap().network_policy.unwrap();
    let spec = policy.spec.unwrap();
    assert_eq!(spec.policy_types.as_deref(), Some(&["Ingress".to_owned()][..]));
    assert_eq!(spec.pod_selector.unwrap().match_labels, Some(selector("connect")));
    let rules = spec.ingress.unwrap();
    assert_eq!(rules.len(), 1, "one rule: the REST port from two peers");
    let from = rules[0].from.clone().unwrap();
    assert_eq!(from[0].pod_selector.clone().unwrap().match_labels, Some(selector("connect")));
    assert!(from[0].namespace_selector.is_none(), "workers of this namespace only");
    let ns = from[1].namespace_selector.clone().unwrap().match_labels.unwrap();
    assert_eq!(ns["kubernetes.io/metadata.name"], "sluice-system");
    assert_eq!(from[1].pod_selector.clone().unwrap().match_labels, Some(operator.labels.clone()));
    let ports = rules[0].ports.clone().unwrap();
    assert_eq!(ports[0].port, Some(IntOrString::Int(8083)));
}

#[test]
fn kafka_credentials_are_mounted_and_joined_at_start_never_in_the_config_map() {
    let mut c = example();
    c.spec.dependencies.kafka = serde_json::from_value(serde_json::json!({
        "bootstrapEndpoint": "kafka:9093",
        "authentication": {"type": "scram", "jaasConfig": {"secretRef": "creds"}},
        "tls": {"secretRef": "ca"},
    }))
    .unwrap();
    let r = rendered(&c, &[], &BTreeMap::new());
    let properties = &r.worker_config.data.as_ref().unwrap()["connect.properties"];
    assert!(properties.contains("\nconsumer.security.protocol=SASL_SSL\n"), "{properties}");
    assert!(!properties.contains("jaas.config"), "{properties}");
    let pod = r.stateful_set.spec.unwrap().template.spec.unwrap();
    let volume = pod.volumes.unwrap().into_iter().find(|v| v.name == "kafka-client").unwrap();
    let secret = volume.secret.unwrap();
    assert_eq!(secret.secret_name.as_deref(), Some("connect-kafka"));
    let keys: Vec<String> = secret.items.unwrap().into_iter().map(|i| i.key).collect();
    assert_eq!(keys, ["client.properties", "truststore.pem"]);
    let worker = &pod.containers[0];
    let command = &worker.command.as_ref().unwrap()[2];
    assert!(
        command.contains(" cat /mnt/sluice/kafka/client.properties; cat /etc/sluice/connect/connect.properties; }"),
        "the user's lines stay last: {command}"
    );
    let mounts = worker.volume_mounts.as_ref().unwrap();
    assert!(mounts.iter().any(|m| m.name == "kafka-client" && m.mount_path == "/mnt/sluice/kafka"));

    // Without TLS or authentication, none of it.
    let r = rendered(&example(), &[], &BTreeMap::new());
    let pod = r.stateful_set.spec.unwrap().template.spec.unwrap();
    assert!(!pod.volumes.unwrap().iter().any(|v| v.name == "kafka-client"));
    assert!(!pod.containers[0].command.as_ref().unwrap()[2].contains("/mnt/sluice/kafka"));
}
