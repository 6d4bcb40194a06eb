//! The `Connect` resource: a Kafka Connect cluster that Sluice runs, with its plugins.

use k8s_openapi::api::core::v1::ResourceRequirements;
use k8s_openapi::apimachinery::pkg::{api::resource::Quantity, apis::meta::v1::Condition};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::SecretReference;
use super::policy::PolicyReference;

/// A Kafka Connect cluster. Sluice renders its StatefulSet, Services and ConfigMaps, and an
/// init container installs the listed connector plugins before each worker starts.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "sluice.dev",
    version = "v1alpha1",
    kind = "Connect",
    namespaced,
    doc = "A Connect: a Kafka Connect cluster run by Sluice, with its plugins. See spec and status.",
    status = "ConnectStatus",
    shortname = "kc",
    category = "sluice",
    // The name becomes the client Service's (a DNS-1035 label) and the StatefulSet's, whose
    // pods carry a controller-revision-hash label of the name and 11 more characters (63 at
    // most): a longer name is accepted by the API server and then fails at every apply.
    validation = Rule::new("self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$') && size(self.metadata.name) <= 52").message("metadata.name must be at most 52 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit: it names the workers' Services (DNS-1035 labels) and StatefulSet (whose pod labels add 11 characters to it)"),
    printcolumn = r#"{"name": "Replicas", "type": "integer", "jsonPath": ".spec.replicas", "description": "Desired workers"}"#,
    printcolumn = r#"{"name": "Ready", "type": "integer", "jsonPath": ".status.readyReplicas", "description": "Ready workers"}"#,
    printcolumn = r#"{"name": "Endpoint", "type": "string", "jsonPath": ".status.restEndpoint", "description": "The Connect REST endpoint"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct ConnectSpec {
    /// Number of Connect workers.
    #[schemars(range(min = 0, max = 1000))]
    pub replicas: i32,
    /// Container images of the worker and of the plugin installer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<ConnectImage>,
    /// How the worker gets its connector plugins.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build: Option<ConnectBuild>,
    /// Extra worker (`server`), JVM and log4j settings, one `key=value` per entry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_overrides: Option<ConfigOverrides>,
    /// Secrets mounted read-only into every worker at `/mnt/secrets/<secretRef>`, for use in
    /// connector configs as `${file:/mnt/secrets/<secretRef>/<file>:<key>}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    pub mounted_secrets: Vec<MountedSecret>,
    /// TLS certificates for connectors, mounted read-only at `/mnt/sslcerts/<secretRef>`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 64))]
    #[serde(rename = "connectorTLSCerts")]
    pub connector_tls_certs: Vec<TlsCertificates>,
    /// The Kafka cluster the workers use for their internal topics.
    pub dependencies: ConnectDependencies,
    /// The certificate of the workers' REST listener, which always serves https and asks
    /// every caller but the workers themselves for the basic-auth credentials Sluice
    /// generates into the Secret `<name>-rest`. Unset: Sluice issues the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<ConnectTls>,
    /// Settings of the worker pods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_template: Option<PodTemplate>,
    /// Who may use this cluster through Sluice besides Connectors in its own namespace, and
    /// whether they may take over connectors Sluice did not create. Unset: only Connectors of
    /// this namespace, and no adoption.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_access: Option<ConnectorAccess>,
}

/// The consent of a Connect cluster's owner: which other namespaces' Connectors may create
/// connectors on it, and whether an existing connector may be adopted.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorAccess {
    /// Namespaces, besides the Connect's own, whose Connectors may name this cluster in
    /// `spec.connectClusterRef`. A Connector in any other namespace is refused with
    /// `InvalidSpec`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    // Per-item pattern and length rather than a CEL `all()`: the API server prices a CEL rule
    // over a list of unbounded strings far above its budget and refuses the whole CRD.
    #[schemars(
        length(max = 256),
        inner(length(min = 1, max = 63), regex(pattern = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"))
    )]
    pub namespaces: Vec<String>,
    /// Let a Connector annotated `sluice.dev/adopt=true` take over a connector of its name
    /// that Sluice did not create (and delete it when the Connector is deleted). Off unless
    /// set: a connector someone made by hand is never overwritten or deleted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_adoption: bool,
}

/// The certificate of the workers' REST listener (Confluent for Kubernetes' `spec.tls`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = ("!(has(self.secretRef) && has(self.autoGeneratedCerts) && self.autoGeneratedCerts)", "tls: set either secretRef (your certificate) or autoGeneratedCerts: true (Sluice issues one), not both"))]
pub struct ConnectTls {
    /// Sluice issues the listener's certificate from a CA of this Connect's own, kept in
    /// the Secret `<name>-rest` and renewed before it expires. The default when `secretRef`
    /// is not set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_generated_certs: Option<bool>,
    /// A Secret of yours with `fullchain.pem` (the certificate, then its chain),
    /// `privkey.pem` (its PKCS#8 key) and `cacerts.pem` (the CAs Sluice and the workers
    /// trust for it), annotated `sluice.dev/usable-by: connectRest`. Its names must
    /// include `<name>.<namespace>.svc`, the name Sluice calls the cluster by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub secret_ref: Option<String>,
}

/// Settings of the worker pods, as Confluent for Kubernetes names them.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PodTemplate {
    /// CPU and memory requests and limits of the Connect worker container, for example
    /// `requests: {cpu: "1", memory: 2Gi}`. Size the JVM heap (`configOverrides.jvm`) to fit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceRequirements>,
    /// The user and groups both containers run as. Numeric, because the kubelet can only
    /// verify `runAsNonRoot` against a numeric user: the Apache and Confluent worker images
    /// name theirs (`appuser`, uid 1000). Defaults to 1000 for all three.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_security_context: Option<WorkerSecurityContext>,
    /// Whether the workers get a Kubernetes service account token. Off unless set: a
    /// connector's code runs in the worker and has no business with the Kubernetes API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Option<bool>,
}

/// The numeric identity of the worker pods (CFK's `podTemplate.podSecurityContext`).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = ("!has(self.runAsUser) || self.runAsUser > 0", "podTemplate.podSecurityContext.runAsUser must not be 0: the workers run as non-root (use 1000, the worker images' appuser)"))]
pub struct WorkerSecurityContext {
    /// The user id of the worker and installer processes (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_user: Option<i64>,
    /// The primary group id (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_as_group: Option<i64>,
    /// The group that owns the plugin volume, so the installer's files are the worker's to
    /// read (default 1000).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fs_group: Option<i64>,
}

/// Container images.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectImage {
    /// The Kafka Connect worker image. Defaults to Apache Kafka's image of the version Sluice
    /// is tested with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application: Option<String>,
    /// The image of the init container that installs plugins (`sluice install-plugins`).
    /// Defaults to the operator's own image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<String>,
}

/// How the worker gets its plugins.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = ("self.type != 'onDemand' || has(self.onDemand)", "build.type onDemand needs build.onDemand with the plugins to install"))]
pub struct ConnectBuild {
    /// `onDemand`: an init container installs the plugins listed in `onDemand` at pod start.
    #[serde(rename = "type")]
    pub kind: ConnectBuildType,
    /// The plugins to install and the space they may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_demand: Option<OnDemandBuild>,
}

/// The build type.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum ConnectBuildType {
    /// Plugins are downloaded and installed by the init container at pod start.
    OnDemand,
}

/// Plugins installed at pod start.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct OnDemandBuild {
    /// The plugins to install.
    pub plugins: PluginSet,
    /// Size limit of the plugin volume; an archive that would unpack past it is refused.
    /// Defaults to `4G`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_limit: Option<Quantity>,
}

/// The plugins to install, grouped by where they come from.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = ("self.locationType != 'confluentHub' || (has(self.confluentHub) && size(self.confluentHub) > 0)", "plugins.locationType confluentHub needs at least one entry in plugins.confluentHub"),
    validation = ("self.locationType != 'url' || (has(self.url) && size(self.url) > 0)", "plugins.locationType url needs at least one entry in plugins.url"),
    validation = ("self.locationType != 'maven' || (has(self.maven) && size(self.maven) > 0)", "plugins.locationType maven needs at least one entry in plugins.maven"),
    validation = ("self.locationType != 'custom' || (has(self.custom) && size(self.custom) > 0)", "plugins.locationType custom needs at least one entry in plugins.custom"),
)]
pub struct PluginSet {
    /// Where the plugins come from: `confluentHub`, `url`, `maven` or `custom` (a
    /// plugin-resolver policy). The list of that name must not be empty; plugins listed under
    /// the other names are installed too.
    pub location_type: PluginLocationType,
    /// Plugins from Confluent Hub.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub confluent_hub: Vec<ConfluentHubPlugin>,
    /// Plugin archives from a URL, each with its mandatory sha512 checksum.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub url: Vec<UrlPlugin>,
    /// Plugins from a Maven repository.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub maven: Vec<MavenPlugin>,
    /// Plugins resolved by a plugin-resolver policy.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    pub custom: Vec<CustomPlugin>,
}

/// Where a plugin comes from.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum PluginLocationType {
    /// Confluent Hub.
    ConfluentHub,
    /// An archive URL with a sha512 checksum.
    Url,
    /// A Maven repository.
    Maven,
    /// A plugin-resolver policy.
    Custom,
}

/// A plugin on Confluent Hub.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConfluentHubPlugin {
    /// The plugin's name on the hub, for example `kafka-connect-s3-source`.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// The publisher, for example `confluentinc`.
    #[schemars(length(min = 1, max = 253))]
    pub owner: String,
    /// The version to install, for example `2.0.1`, or `latest`.
    #[schemars(length(min = 1, max = 128))]
    pub version: String,
    /// Optional sha512 of the archive to pin (128 hex digits). The hub publishes only md5 and
    /// sha1; Sluice reports the sha512 it computed in the Connect status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 128))]
    #[x_kube(validation = ("self.matches('^[0-9a-fA-F]{128}$')", "checksum must be the archive's sha512 as 128 hex digits (the output of sha512sum)"))]
    pub checksum: Option<String>,
}

/// A plugin archive at a URL.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct UrlPlugin {
    /// The plugin's name; it names the plugin's directory under `plugin.path`.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// URL of a zip, tar.gz or jar archive.
    #[schemars(length(min = 1, max = 2048))]
    #[x_kube(validation = ("self.startsWith('https://') || self.startsWith('http://')", "archivePath must be an http:// or https:// URL"))]
    pub archive_path: String,
    /// The archive's sha512 as 128 hex digits (the output of `sha512sum`). Mandatory: the
    /// installer refuses an archive that does not match.
    #[schemars(length(max = 128))]
    #[x_kube(validation = ("self.matches('^[0-9a-fA-F]{128}$')", "checksum must be the archive's sha512 as 128 hex digits (the output of sha512sum)"))]
    pub checksum: String,
}

/// A plugin archive in a Maven repository.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MavenPlugin {
    /// The plugin's name; it names the plugin's directory under `plugin.path`.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Maven group id, for example `org.apache.kafka`.
    #[schemars(length(min = 1, max = 253))]
    pub group_id: String,
    /// Maven artifact id, for example `connect-file`.
    #[schemars(length(min = 1, max = 253))]
    pub artifact_id: String,
    /// Version of the artifact.
    #[schemars(length(min = 1, max = 128))]
    pub version: String,
    /// The artifact's file type: `jar` (default), `zip` or `tar.gz`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 16))]
    pub extension: Option<String>,
    /// Base URL of the Maven repository. Defaults to Maven Central.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub repository: Option<String>,
}

/// A plugin resolved by a plugin-resolver policy.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CustomPlugin {
    /// The plugin's name; it names the plugin's directory under `plugin.path`.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// The `Policy` (in this namespace) whose plugin-resolver module turns this entry into an
    /// archive URL and sha512.
    pub policy_ref: PolicyReference,
    /// Free-form settings handed to the resolver with the plugin's name (at most 100, each
    /// at most 4096 bytes).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    #[schemars(schema_with = "super::bounds::plugin_settings")]
    pub settings: std::collections::BTreeMap<String, String>,
}

/// Extra settings, one `key=value` per entry (at most 500 per list, each at most 4096
/// bytes).
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConfigOverrides {
    /// Worker properties, for example `offset.flush.interval.ms=10000`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::bounds::override_lines")]
    pub server: Vec<String>,
    /// JVM options, for example `-Xmx2g`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::bounds::override_lines")]
    pub jvm: Vec<String>,
    /// log4j 1 properties, for example `log4j.logger.org.apache.kafka.connect=DEBUG`, for
    /// Kafka 3.x workers. On Kafka 4.x workers (which read Log4j2) `log4j.rootLogger` and
    /// `log4j.logger.NAME` lines are translated to Log4j2 with a `SpecAdjusted` warning;
    /// other lines are refused: use `log4j2` there.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::bounds::override_lines")]
    pub log4j: Vec<String>,
    /// Log4j2 properties, for example `logger.connect.name=org.apache.kafka.connect` and
    /// `logger.connect.level=DEBUG`, for Kafka 4.x workers (as Confluent for Kubernetes 3
    /// names the field). The workers re-read their Log4j2 file, so a change here takes
    /// effect within about two minutes without rolling them. Refused on Kafka 3.x workers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(schema_with = "super::bounds::override_lines")]
    pub log4j2: Vec<String>,
}

/// A Secret mounted into every worker.
pub type MountedSecret = SecretReference;

/// A Secret with TLS certificates for connectors.
pub type TlsCertificates = SecretReference;

/// What the workers depend on.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectDependencies {
    /// The Kafka cluster.
    pub kafka: KafkaDependency,
}

/// The Kafka cluster the workers connect to.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = ("!has(self.authentication) || self.authentication.type != 'mtls' || (has(self.tls) && has(self.tls.secretRef))", "dependencies.kafka.authentication.type mtls needs dependencies.kafka.tls.secretRef naming a Secret with fullchain.pem and privkey.pem (the client certificate)"))]
pub struct KafkaDependency {
    /// `bootstrap.servers` of the Kafka cluster, for example `kafka:9071`.
    #[schemars(length(min = 1, max = 2048))]
    pub bootstrap_endpoint: String,
    /// How the workers authenticate to Kafka: SASL `plain` or `scram` (SCRAM-SHA-512), or
    /// `mtls` (the client certificate in `tls.secretRef`). Applied to the workers and to
    /// their connectors' producers, consumers and admin clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<KafkaAuthentication>,
    /// TLS to Kafka: the CAs to trust and, for `mtls`, the client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<KafkaTls>,
}

/// SASL or mTLS authentication to Kafka, as Confluent for Kubernetes names it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = ("self.type == 'mtls' || has(self.jaasConfig) || has(self.jaasConfigPassThrough)", "dependencies.kafka.authentication.type plain and scram need jaasConfig.secretRef (a Secret with plain.txt: username=... and password=... lines) or jaasConfigPassThrough.secretRef (a Secret with plain-jaas.conf: the whole sasl.jaas.config)"))]
pub struct KafkaAuthentication {
    /// `plain` (SASL/PLAIN), `scram` (SASL/SCRAM-SHA-512) or `mtls`.
    #[serde(rename = "type")]
    pub kind: KafkaAuthenticationType,
    /// A Secret with `plain.txt` holding `username=<user>` and `password=<password>` lines,
    /// annotated `sluice.dev/usable-by: kafka`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jaas_config: Option<SecretReference>,
    /// A Secret with `plain-jaas.conf` holding the whole `sasl.jaas.config` value,
    /// annotated `sluice.dev/usable-by: kafka`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jaas_config_pass_through: Option<SecretReference>,
}

/// How the workers authenticate to Kafka.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum KafkaAuthenticationType {
    /// SASL/PLAIN.
    Plain,
    /// SASL/SCRAM-SHA-512.
    Scram,
    /// A TLS client certificate.
    Mtls,
}

/// TLS to Kafka, as Confluent for Kubernetes names it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = ("!(has(self.enabled) && !self.enabled && has(self.secretRef))", "dependencies.kafka.tls: secretRef needs enabled: true (or no enabled)"))]
pub struct KafkaTls {
    /// Whether the workers use TLS to Kafka. Default: true when `tls` is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// A Secret with `cacerts.pem` (the CAs that signed the brokers' certificates) and, for
    /// `mtls`, `fullchain.pem` and a PKCS#8 `privkey.pem`, annotated
    /// `sluice.dev/usable-by: kafka`. Unset: the JVM's default CAs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub secret_ref: Option<String>,
}

/// What Sluice last observed of the Connect cluster.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, `PluginsResolved` and `PluginsInstalled` (once a pod has run its installer), with reason and message; `Reconciled` once reconciles have failed several times in a row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
    /// Workers the StatefulSet has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    /// Workers that are ready.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
    /// The in-cluster URL of the Connect REST API.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rest_endpoint: Option<String>,
    /// Every plugin, resolved to the archive the installer fetches.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub plugins: Vec<ResolvedPlugin>,
    /// The connector classes the workers report in `GET /connector-plugins`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub installed_connector_classes: Vec<InstalledConnectorClass>,
    /// Where each mounted Secret and TLS certificate Secret is in the workers' filesystem.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mounts: Vec<MountedSecretStatus>,
}

/// A plugin resolved to an archive.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ResolvedPlugin {
    /// The plugin's name.
    pub name: String,
    /// The plugin's version, where the source tells it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Where it comes from: `confluentHub`, `url`, `maven` or `custom`.
    pub source: String,
    /// The archive's URL.
    pub archive_url: String,
    /// The archive's sha512.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha512: Option<String>,
}

/// A connector class a worker offers.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct InstalledConnectorClass {
    /// The Java class.
    pub class: String,
    /// `source` or `sink`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The plugin's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// Where a Secret is mounted in the workers.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MountedSecretStatus {
    /// The Secret's name.
    pub secret_ref: String,
    /// The directory it is mounted at.
    pub path: String,
}
