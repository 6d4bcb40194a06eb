//! What a `Connect` becomes in Kubernetes: a StatefulSet of workers with the plugin
//! installer as init container, a headless Service for the workers' identities, a client
//! Service for the REST API, a ConfigMap with the worker properties, a ConfigMap with the
//! resolved plugin list, a PodDisruptionBudget and, where the operator knows its own pods, a
//! NetworkPolicy that lets only them and the workers reach the REST port. Pure: the controller applies the result
//! with server-side apply.

use std::collections::BTreeMap;

use k8s_openapi::api::{
    apps::v1::{StatefulSet, StatefulSetSpec},
    core::v1::{
        Capabilities, ConfigMap, ConfigMapVolumeSource, Container, ContainerPort,
        EmptyDirVolumeSource, EnvVar, EnvVarSource, KeyToPath, ObjectFieldSelector,
        PodSecurityContext, PodSpec, PodTemplateSpec, SeccompProfile, SecretVolumeSource,
        SecurityContext, Service, ServicePort, ServiceSpec, Volume, VolumeMount,
    },
    networking::v1::{
        NetworkPolicy, NetworkPolicyIngressRule, NetworkPolicyPeer, NetworkPolicyPort,
        NetworkPolicySpec,
    },
    policy::v1::{PodDisruptionBudget, PodDisruptionBudgetSpec},
};
use k8s_openapi::apimachinery::pkg::{
    api::resource::Quantity,
    apis::meta::v1::{LabelSelector, ObjectMeta},
    util::intstr::IntOrString,
};
use sha2::{Digest, Sha256};

use super::kafka_client;
use super::logging::{self, Logging};
use super::metric_reporters;
use super::probe;
use super::readable;
use super::rest_security as rest;
use super::worker_version::{self, KafkaVersion};
use crate::connect_endpoint::REST_PORT;
use crate::crd::Connect;
use crate::plugin_list::{PluginArchive, PluginList};

/// Where the installer puts plugins and the worker finds them.
pub const PLUGIN_PATH: &str = "/opt/sluice/plugins";
/// Where the worker properties are mounted.
const CONFIG_DIR: &str = "/etc/sluice/connect";
/// Where the resolved plugin list is mounted for the installer.
const PLUGIN_LIST_DIR: &str = "/etc/sluice/plugins";
/// The worker image when `image.application` is not set: Apache's image of the newest Kafka
/// the suite runs (tests/env/versions.env).
pub const DEFAULT_WORKER_IMAGE: &str = "apache/kafka:4.3.1";
/// The plugin volume's size when `storageLimit` is not set.
const DEFAULT_STORAGE_LIMIT: &str = "4G";
/// The init container that runs `sluice install-plugins`.
pub const INSTALLER_CONTAINER: &str = "install-plugins";
/// The pod annotation whose change rolls the workers.
pub const HASH_ANNOTATION: &str = "sluice.dev/config-hash";
/// The StatefulSet annotation (not the pods') of everything rendered for the workers,
/// reloadable Log4j2 file included: its change without a roll still tells the warnings.
pub const FILES_HASH_ANNOTATION: &str = "sluice.dev/files-hash";
/// A writable directory of the worker's own (the root filesystems stay read-only), in
/// memory: the properties written there hold the REST listener's store password.
const RUNTIME_DIR: &str = "/opt/sluice/runtime";
/// The user, group and fsGroup of both containers unless `podTemplate.podSecurityContext`
/// says otherwise: `appuser` of the Apache and Confluent images, and of Sluice's.
pub const DEFAULT_UID: i64 = 1000;
/// What the internal topics' replication factors default to: -1 asks the broker for its
/// `default.replication.factor` (KIP-464, Kafka 2.4), which a one-broker cluster can hold,
/// where Kafka's own default of 3 cannot. `configOverrides.server` sets them.
const DEFAULT_REPLICATION_FACTOR: i32 = -1;

/// Everything rendering needs besides the resource.
pub struct Inputs<'a> {
    /// The resolved plugins, in the order the spec lists them.
    pub plugins: &'a [PluginArchive],
    /// The operator's own image: the installer's when `image.init` is not set.
    pub operator_image: &'a str,
    /// `resourceVersion` of each mounted Secret, the REST listener's among them, so a
    /// changed Secret rolls the workers.
    pub secret_versions: &'a BTreeMap<String, String>,
    /// The operator's own pods, the only callers the NetworkPolicy lets in besides the
    /// workers; `None` when the operator does not run in the cluster (then no NetworkPolicy).
    pub operator_pods: Option<&'a OperatorPods>,
}

/// Where the operator's pods are: their namespace and labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorPods {
    pub namespace: String,
    pub labels: BTreeMap<String, String>,
}

/// The objects of one Connect cluster.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub stateful_set: StatefulSet,
    pub headless: Service,
    pub client: Service,
    pub worker_config: ConfigMap,
    pub plugin_list: ConfigMap,
    pub pdb: PodDisruptionBudget,
    pub network_policy: Option<NetworkPolicy>,
    /// What rendering chose differently from the spec, and why, for an Event.
    pub warnings: Vec<String>,
}

/// The names of the rendered objects.
pub fn headless_name(connect: &str) -> String {
    format!("{connect}-workers")
}

fn config_name(connect: &str) -> String {
    format!("{connect}-config")
}

fn plugins_name(connect: &str) -> String {
    format!("{connect}-plugins")
}

/// The labels every rendered object carries; the selector uses the last two.
pub fn labels(connect: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        ("app.kubernetes.io/managed-by".into(), "sluice".into()),
        ("app.kubernetes.io/name".into(), "kafka-connect".into()),
        ("app.kubernetes.io/instance".into(), connect.into()),
    ])
}

fn selector(connect: &str) -> BTreeMap<String, String> {
    let mut l = labels(connect);
    l.remove("app.kubernetes.io/managed-by");
    l
}

/// The worker image, `image.application` or Sluice's default.
pub fn worker_image(connect: &Connect) -> String {
    connect
        .spec
        .image
        .as_ref()
        .and_then(|i| i.application.clone())
        .unwrap_or_else(|| DEFAULT_WORKER_IMAGE.into())
}

/// The worker's Kafka version as its image names it, and a warning when it does not.
fn worker_kafka_version(connect: &Connect) -> (Option<KafkaVersion>, Option<String>) {
    let image = worker_image(connect);
    match worker_version::of_image(&image) {
        Some(version) => (Some(version), None),
        None => (
            None,
            Some(format!(
                "image.application {image} does not tell its Kafka version, so the workers get only the file config provider: tag the image with its Kafka version (3.9.1), or add the dir and env providers in configOverrides.server"
            )),
        ),
    }
}

/// The worker properties: what Sluice sets, then the user's `configOverrides.server`
/// lines, which win because later lines override earlier ones in a properties file, then on
/// Kafka 4 the JMX reporter added to each reporter list those lines set.
/// `rest.advertised.host.name` is not among them: the start command puts the pod's own DNS
/// name in front, so it needs no config provider.
pub fn worker_properties(connect: &Connect, name: &str, namespace: &str) -> String {
    let id = format!("{namespace}.{name}");
    let rf = DEFAULT_REPLICATION_FACTOR;
    let version = worker_kafka_version(connect).0;
    let providers = worker_version::config_providers(version);
    let mut lines = vec![
        format!("bootstrap.servers={}", connect.spec.dependencies.kafka.bootstrap_endpoint),
        format!("group.id={id}"),
        format!("config.storage.topic={id}-configs"),
        format!("offset.storage.topic={id}-offsets"),
        format!("status.storage.topic={id}-status"),
        format!("config.storage.replication.factor={rf}"),
        format!("offset.storage.replication.factor={rf}"),
        format!("status.storage.replication.factor={rf}"),
        "key.converter=org.apache.kafka.connect.json.JsonConverter".into(),
        "value.converter=org.apache.kafka.connect.json.JsonConverter".into(),
        format!("rest.advertised.port={REST_PORT}"),
        format!("plugin.path={PLUGIN_PATH}"),
    ];
    lines.extend(rest::worker_lines());
    lines.extend(kafka_client::worker_lines(&connect.spec));
    // file: properties files; dir: one file per key, the shape of a mounted Secret, which
    // is what the secret-transform policy emits; env: the pod's environment. Each only where
    // the worker's Kafka has it.
    let names: Vec<&str> = providers.iter().map(|p| p.name).collect();
    lines.push(format!("config.providers={}", names.join(",")));
    for p in &providers {
        lines.push(format!("config.providers.{}.class={}", p.name, p.class));
    }
    lines.extend(readable::provider_limits(&connect.spec, &names));
    let server = server_overrides(connect);
    lines.extend(server.iter().cloned());
    lines.extend(metric_reporters::keep_jmx(server, version).0);
    lines.join("\n") + "\n"
}

fn server_overrides(connect: &Connect) -> &[String] {
    connect.spec.config_overrides.as_ref().map_or(&[], |o| o.server.as_slice())
}

/// The workers' logging files for their Kafka version, or why the spec's cannot be used.
pub fn logging(connect: &Connect) -> Result<Logging, Vec<String>> {
    logging::render(connect.spec.config_overrides.as_ref(), worker_kafka_version(connect).0)
}

/// The resolved plugin list the installer reads, as JSON.
pub fn plugin_list_json(connect: &Connect, plugins: &[PluginArchive]) -> String {
    let list = PluginList {
        plugins: plugins.to_vec(),
        storage_limit_bytes: storage_limit(connect).as_ref().and_then(crate::crd::quantity_bytes),
    };
    serde_json::to_string_pretty(&list).expect("the plugin list serialises")
}

fn storage_limit(connect: &Connect) -> Option<Quantity> {
    let on_demand = connect.spec.build.as_ref().and_then(|b| b.on_demand.as_ref())?;
    Some(on_demand.storage_limit.clone().unwrap_or_else(|| Quantity(DEFAULT_STORAGE_LIMIT.into())))
}

/// Renders `connect` (named `name` in `namespace`), or says which fields cannot be rendered
/// and how to fix them.
pub fn render(
    connect: &Connect,
    name: &str,
    namespace: &str,
    inputs: &Inputs<'_>,
) -> Result<Rendered, Vec<String>> {
    let properties = worker_properties(connect, name, namespace);
    let logging = logging(connect)?;
    let plugin_list = plugin_list_json(connect, inputs.plugins);
    // A Log4j2 file that its workers re-read changes nothing that needs a roll.
    let mut worker_files = properties.clone();
    worker_files.push_str(logging.log4j.as_deref().unwrap_or_default());
    if !logging.reloads() {
        worker_files.push_str(logging.log4j2.as_deref().unwrap_or_default());
    }
    let hash = config_hash(&worker_files, &plugin_list, inputs.secret_versions);
    let every_file = properties.clone()
        + logging.log4j.as_deref().unwrap_or_default()
        + logging.log4j2.as_deref().unwrap_or_default();
    let files_hash = config_hash(&every_file, &plugin_list, inputs.secret_versions);
    let (installer, installer_warning) = installer_image(connect, inputs.operator_image);
    let meta = |object: String| ObjectMeta {
        name: Some(object),
        namespace: Some(namespace.into()),
        labels: Some(labels(name)),
        ..ObjectMeta::default()
    };
    let worker_config = ConfigMap {
        metadata: meta(config_name(name)),
        data: Some(
            [
                ("connect.properties".to_owned(), properties),
                (rest::JAAS_FILE.to_owned(), rest::jaas_config()),
            ]
            .into_iter()
            .chain(logging.log4j.clone().map(|l| (logging::LOG4J_FILE.to_owned(), l)))
            .chain(logging.log4j2.clone().map(|l| (logging::LOG4J2_FILE.to_owned(), l)))
            .collect(),
        ),
        ..ConfigMap::default()
    };
    let plugin_list = ConfigMap {
        metadata: meta(plugins_name(name)),
        data: Some(BTreeMap::from([("plugins.json".into(), plugin_list)])),
        ..ConfigMap::default()
    };
    let port = ServicePort {
        name: Some(PORT_NAME.into()),
        port: i32::from(REST_PORT),
        target_port: Some(IntOrString::String(PORT_NAME.into())),
        ..ServicePort::default()
    };
    let client = Service {
        metadata: meta(name.into()),
        spec: Some(ServiceSpec {
            selector: Some(selector(name)),
            ports: Some(vec![port.clone()]),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    let headless = Service {
        metadata: meta(headless_name(name)),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".into()),
            selector: Some(selector(name)),
            ports: Some(vec![port]),
            // Workers must find each other while they start, before they are ready.
            publish_not_ready_addresses: Some(true),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    };
    let pdb = PodDisruptionBudget {
        metadata: meta(name.into()),
        spec: Some(PodDisruptionBudgetSpec {
            max_unavailable: Some(IntOrString::Int(1)),
            selector: Some(LabelSelector {
                match_labels: Some(selector(name)),
                ..LabelSelector::default()
            }),
            ..PodDisruptionBudgetSpec::default()
        }),
        ..PodDisruptionBudget::default()
    };
    let stateful_set = StatefulSet {
        metadata: ObjectMeta {
            annotations: Some(BTreeMap::from([(FILES_HASH_ANNOTATION.to_owned(), files_hash)])),
            ..meta(name.into())
        },
        spec: Some(StatefulSetSpec {
            replicas: Some(connect.spec.replicas),
            service_name: Some(headless_name(name)),
            selector: LabelSelector {
                match_labels: Some(selector(name)),
                ..LabelSelector::default()
            },
            // Workers join a group and rebalance; starting them together is faster and safe.
            pod_management_policy: Some("Parallel".into()),
            template: pod_template(
                connect,
                name,
                namespace,
                Images { installer: &installer, operator: inputs.operator_image },
                &hash,
                &logging,
            ),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    };
    let network_policy =
        inputs.operator_pods.map(|operator| network_policy(name, namespace, operator));
    let (version, version_warning) = worker_kafka_version(connect);
    let warnings = installer_warning
        .into_iter()
        .chain(version_warning)
        .chain(readable::unenforced(version))
        .chain(logging.warnings)
        .chain(metric_reporters::keep_jmx(server_overrides(connect), version).1)
        .collect();
    Ok(Rendered {
        stateful_set,
        headless,
        client,
        worker_config,
        plugin_list,
        pdb,
        network_policy,
        warnings,
    })
}

/// The REST port's name on the container and the Services.
const PORT_NAME: &str = "https";

/// Lets the workers (forwarding to the leader) and the operator's pods reach the REST port,
/// and nothing else reach the workers at all. It takes effect only where the cluster's
/// network plugin enforces NetworkPolicies; the listener's authentication holds either way.
fn network_policy(name: &str, namespace: &str, operator: &OperatorPods) -> NetworkPolicy {
    let port = NetworkPolicyPort {
        port: Some(IntOrString::Int(i32::from(REST_PORT))),
        protocol: Some("TCP".into()),
        ..NetworkPolicyPort::default()
    };
    let pods = |labels: BTreeMap<String, String>| LabelSelector {
        match_labels: Some(labels),
        ..LabelSelector::default()
    };
    let operator_peer = NetworkPolicyPeer {
        namespace_selector: Some(pods(BTreeMap::from([(
            "kubernetes.io/metadata.name".to_owned(),
            operator.namespace.clone(),
        )]))),
        pod_selector: Some(pods(operator.labels.clone())),
        ..NetworkPolicyPeer::default()
    };
    let workers_peer = NetworkPolicyPeer {
        pod_selector: Some(pods(selector(name))),
        ..NetworkPolicyPeer::default()
    };
    NetworkPolicy {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(namespace.into()),
            labels: Some(labels(name)),
            ..ObjectMeta::default()
        },
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(pods(selector(name))),
            policy_types: Some(vec!["Ingress".into()]),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: Some(vec![workers_peer, operator_peer]),
                ports: Some(vec![port]),
            }]),
            ..NetworkPolicySpec::default()
        }),
    }
}

/// The init container's image, and a warning when `image.init` names Confluent's init
/// container: a CFK manifest migrated by changing `apiVersion` keeps that field, and that
/// image cannot run `sluice install-plugins`, so the operator's image runs instead.
pub fn installer_image(connect: &Connect, operator_image: &str) -> (String, Option<String>) {
    let Some(init) = connect.spec.image.as_ref().and_then(|i| i.init.clone()) else {
        return (operator_image.to_owned(), None);
    };
    let repository = init.rsplit_once(':').map_or(init.as_str(), |(r, _)| r);
    if repository.ends_with("confluent-init-container") {
        let why = format!(
            "image.init {init} is Confluent's init container, which cannot run Sluice's installer; using {operator_image}: remove image.init to silence this"
        );
        return (operator_image.to_owned(), Some(why));
    }
    (init, None)
}

/// The hash of everything whose change must restart the workers.
pub fn config_hash(
    properties: &str,
    plugin_list: &str,
    secret_versions: &BTreeMap<String, String>,
) -> String {
    let mut h = Sha256::new();
    h.update(properties);
    h.update([0]);
    h.update(plugin_list);
    for (name, version) in secret_versions {
        h.update([0]);
        h.update(name);
        h.update([0]);
        h.update(version);
    }
    format!("{:x}", h.finalize())[..16].to_owned()
}

/// The images of the init containers: the installer's (`image.init` or the operator's), and
/// the operator's own, which copies the probe whatever `image.init` names (an older Sluice
/// image there has no probe to copy).
struct Images<'a> {
    installer: &'a str,
    operator: &'a str,
}

fn pod_template(
    connect: &Connect,
    name: &str,
    namespace: &str,
    images: Images<'_>,
    hash: &str,
    logging: &Logging,
) -> PodTemplateSpec {
    let mut volumes = vec![
        Volume {
            name: "plugins".into(),
            empty_dir: Some(EmptyDirVolumeSource {
                size_limit: storage_limit(connect)
                    .or_else(|| Some(Quantity(DEFAULT_STORAGE_LIMIT.into()))),
                ..EmptyDirVolumeSource::default()
            }),
            ..Volume::default()
        },
        config_map_volume("config", &config_name(name)),
        config_map_volume("plugin-list", &plugins_name(name)),
        Volume {
            name: "runtime".into(),
            empty_dir: Some(EmptyDirVolumeSource {
                medium: Some("Memory".into()),
                size_limit: Some(Quantity("16Mi".into())),
            }),
            ..Volume::default()
        },
        // The probe checks the listener against the CA bundle; the stores are Jetty's.
        secret_items_volume(
            "rest-tls",
            &rest::secret_name(name),
            &[rest::KEYSTORE, rest::TRUSTSTORE, rest::STORE_PASSWORD, rest::CACERTS],
        ),
        Volume {
            name: "probe".into(),
            empty_dir: Some(EmptyDirVolumeSource {
                size_limit: Some(Quantity("64Mi".into())),
                ..EmptyDirVolumeSource::default()
            }),
            ..Volume::default()
        },
        secret_items_volume("rest-credentials", &rest::secret_name(name), &[rest::LOGIN_FILE]),
    ];
    let kafka_keys = kafka_client::secret_keys(&connect.spec);
    if !kafka_keys.is_empty() {
        volumes.push(secret_items_volume(
            "kafka-client",
            &kafka_client::secret_name(name),
            &kafka_keys,
        ));
    }
    let mut mounts = vec![
        mount("plugins", PLUGIN_PATH, false),
        mount("config", CONFIG_DIR, true),
        mount("runtime", RUNTIME_DIR, false),
        mount("rest-tls", rest::TLS_DIR, true),
        mount("rest-credentials", rest::CREDENTIALS_DIR, true),
        mount("probe", probe::DIR, true),
    ];
    if !kafka_keys.is_empty() {
        mounts.push(mount("kafka-client", kafka_client::DIR, true));
    }
    for m in readable::secret_mounts(&connect.spec) {
        volumes.push(Volume {
            name: m.volume.clone(),
            secret: Some(SecretVolumeSource {
                secret_name: Some(m.secret),
                ..SecretVolumeSource::default()
            }),
            ..Volume::default()
        });
        mounts.push(mount(&m.volume, &m.path, true));
    }
    // The basic-auth extension finds its login module through the JVM's JAAS file.
    let jaas = format!("-Djava.security.auth.login.config={CONFIG_DIR}/{}", rest::JAAS_FILE);
    let jvm = std::iter::once(jaas)
        .chain(connect.spec.config_overrides.iter().flat_map(|o| o.jvm.iter().cloned()))
        .collect::<Vec<_>>()
        .join(" ");
    let field = |name: &str, path: &str| EnvVar {
        name: name.into(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: path.into(),
                ..ObjectFieldSelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    };
    let mut env = vec![
        field("POD_IP", "status.podIP"),
        field("POD_NAME", "metadata.name"),
        // The pod's stable name under the headless Service, which the certificate covers
        // (`*.<connect>-workers.<namespace>.svc`): workers advertise it to each other, and
        // the probe asks by it. Kafka 4's Jetty 12 refuses a TLS request whose Host is no
        // name of the certificate ("Invalid SNI"), so a pod IP there would break every
        // request a follower forwards to the leader.
        EnvVar {
            name: probe::HOST_ENV.into(),
            value: Some(format!("$(POD_NAME).{}.{namespace}.svc", headless_name(name))),
            ..EnvVar::default()
        },
    ];
    env.push(EnvVar { name: "KAFKA_OPTS".into(), value: Some(jvm), ..EnvVar::default() });
    if let Some(options) = logging.jvm_options(CONFIG_DIR) {
        env.push(EnvVar {
            name: "KAFKA_LOG4J_OPTS".into(),
            value: Some(options),
            ..EnvVar::default()
        });
    }
    // Pod Security "restricted" for both containers; the installer also keeps its root
    // filesystem read-only (it writes only to the plugin volume).
    let restricted = SecurityContext {
        allow_privilege_escalation: Some(false),
        run_as_non_root: Some(true),
        capabilities: Some(Capabilities { drop: Some(vec!["ALL".into()]), add: None }),
        seccomp_profile: Some(SeccompProfile {
            type_: "RuntimeDefault".into(),
            localhost_profile: None,
        }),
        ..SecurityContext::default()
    };
    let installer_security =
        SecurityContext { read_only_root_filesystem: Some(true), ..restricted.clone() };
    let copy_probe = Container {
        name: probe::COPY_CONTAINER.into(),
        image: Some(images.operator.to_owned()),
        args: Some(vec!["copy-probe".into(), "--to".into(), probe::DIR.into()]),
        volume_mounts: Some(vec![mount("probe", probe::DIR, false)]),
        security_context: Some(installer_security.clone()),
        ..Container::default()
    };
    let installer = Container {
        name: INSTALLER_CONTAINER.into(),
        image: Some(images.installer.to_owned()),
        // The installer's last lines name each failed plugin; the status shows them.
        termination_message_policy: Some("FallbackToLogsOnError".into()),
        args: Some(vec![
            "install-plugins".into(),
            "--plugins".into(),
            format!("{PLUGIN_LIST_DIR}/plugins.json"),
            "--target".into(),
            PLUGIN_PATH.into(),
        ]),
        volume_mounts: Some(vec![
            mount("plugins", PLUGIN_PATH, false),
            mount("plugin-list", PLUGIN_LIST_DIR, true),
        ]),
        security_context: Some(installer_security),
        ..Container::default()
    };
    let worker = Container {
        name: "connect".into(),
        image: Some(worker_image(connect)),
        command: Some(vec![
            "/bin/sh".into(),
            "-c".into(),
            start_command(kafka_client::has_login(&connect.spec)),
        ]),
        env: Some(env),
        ports: Some(vec![ContainerPort {
            name: Some(PORT_NAME.into()),
            container_port: i32::from(REST_PORT),
            ..ContainerPort::default()
        }]),
        readiness_probe: Some(probe::readiness()),
        volume_mounts: Some(mounts),
        resources: connect.spec.pod_template.as_ref().and_then(|p| p.resources.clone()),
        security_context: Some(restricted),
        ..Container::default()
    };
    let template = connect.spec.pod_template.as_ref();
    let identity = template.and_then(|t| t.pod_security_context.clone()).unwrap_or_default();
    let mut annotations = BTreeMap::new();
    annotations.insert(HASH_ANNOTATION.to_owned(), hash.to_owned());
    PodTemplateSpec {
        metadata: Some(ObjectMeta {
            labels: Some(labels(name)),
            annotations: Some(annotations),
            ..ObjectMeta::default()
        }),
        spec: Some(PodSpec {
            init_containers: Some(vec![installer, copy_probe]),
            containers: vec![worker],
            volumes: Some(volumes),
            security_context: Some(PodSecurityContext {
                run_as_non_root: Some(true),
                run_as_user: Some(identity.run_as_user.unwrap_or(DEFAULT_UID)),
                run_as_group: Some(identity.run_as_group.unwrap_or(DEFAULT_UID)),
                fs_group: Some(identity.fs_group.unwrap_or(DEFAULT_UID)),
                seccomp_profile: Some(SeccompProfile {
                    type_: "RuntimeDefault".into(),
                    localhost_profile: None,
                }),
                ..PodSecurityContext::default()
            }),
            automount_service_account_token: Some(
                template.and_then(|t| t.automount_service_account_token).unwrap_or(false),
            ),
            ..PodSpec::default()
        }),
    }
}

/// The worker's start: the rendered properties behind a first line with this pod's own
/// DNS name, so workers reach each other by a name the certificate holds (a user's
/// `rest.advertised.host.name` in
/// `configOverrides.server` comes later and wins), with the REST listener's store password
/// from its mounted file and, with `kafka_login`, the Kafka clients' SASL login lines, in a
/// file of the worker's alone (in memory), so that no ConfigMap holds them; the user's lines
/// stay last.
/// Apache's image ships `connect-distributed.sh`, Confluent's and Sluice's
/// `connect-distributed`.
fn start_command(kafka_login: bool) -> String {
    let host = probe::HOST_ENV;
    let login = if kafka_login {
        format!(" cat {}/{};", kafka_client::DIR, kafka_client::CLIENT_PROPERTIES)
    } else {
        String::new()
    };
    format!(
        "umask 077 && {{ echo \"rest.advertised.host.name=${host}\"; {};{login} cat {CONFIG_DIR}/connect.properties; }} >{RUNTIME_DIR}/connect.properties && exec \"$(command -v connect-distributed || command -v connect-distributed.sh || echo /opt/kafka/bin/connect-distributed.sh)\" {RUNTIME_DIR}/connect.properties",
        rest::password_lines(),
    )
}

/// A Secret volume of only `keys`, readable by the pod's group (the worker's fsGroup), so a
/// Secret holding more (the generated one holds the operator's password too) shows no more.
fn secret_items_volume(volume: &str, secret: &str, keys: &[&str]) -> Volume {
    Volume {
        name: volume.into(),
        secret: Some(SecretVolumeSource {
            secret_name: Some(secret.into()),
            items: Some(
                keys.iter()
                    .map(|k| KeyToPath { key: (*k).into(), path: (*k).into(), mode: None })
                    .collect(),
            ),
            default_mode: Some(0o440),
            ..SecretVolumeSource::default()
        }),
        ..Volume::default()
    }
}

fn config_map_volume(volume: &str, config_map: &str) -> Volume {
    Volume {
        name: volume.into(),
        config_map: Some(ConfigMapVolumeSource {
            name: config_map.into(),
            ..ConfigMapVolumeSource::default()
        }),
        ..Volume::default()
    }
}

fn mount(volume: &str, path: &str, read_only: bool) -> VolumeMount {
    VolumeMount {
        name: volume.into(),
        mount_path: path.into(),
        read_only: Some(read_only),
        ..VolumeMount::default()
    }
}

#[cfg(test)]
mod tests;
