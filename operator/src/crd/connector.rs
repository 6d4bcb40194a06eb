//! The `Connector` resource: the desired state of one connector on a Kafka Connect cluster.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, MicroTime, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::common::{ClusterReference, ConnectRestAccess};
use super::policy::PolicyReference;

/// The desired state of one Kafka Connect connector. Sluice creates or updates it on the
/// Connect cluster, mirrors its state into `status`, restarts it by `restartPolicy`, and
/// deletes it from Connect when this resource is deleted.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "sluice.dev",
    version = "v1alpha1",
    kind = "Connector",
    namespaced,
    doc = "A Connector: one Kafka Connect connector, declared. See spec and status.",
    status = "ConnectorStatus",
    shortname = "kctr",
    category = "sluice",
    printcolumn = r#"{"name": "State", "type": "string", "jsonPath": ".status.connectorState", "description": "The connector's state on the Connect cluster"}"#,
    printcolumn = r#"{"name": "Tasks", "type": "string", "jsonPath": ".status.tasksReady", "description": "Running tasks / all tasks"}"#,
    printcolumn = r#"{"name": "Connect", "type": "string", "jsonPath": ".status.connectCluster", "description": "The Connect cluster the connector runs on"}"#,
    printcolumn = r#"{"name": "Restarts", "type": "integer", "jsonPath": ".status.restartCount", "description": "Automatic restarts since the connector was last healthy"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = ("has(self.connectClusterRef) != has(self.connectRest)", "set exactly one of spec.connectClusterRef (a Sluice-managed Connect) or spec.connectRest (an external Connect cluster)"),
    validation = ("!has(self.configs) || !('connector.class' in self.configs)", "spec.configs must not set connector.class: set spec.class instead"),
    validation = ("!has(self.configs) || !('tasks.max' in self.configs)", "spec.configs must not set tasks.max: set spec.taskMax instead"),
)]
pub struct ConnectorSpec {
    /// Name of the connector on the Connect cluster. Defaults to `metadata.name`. Changing it
    /// moves the connector: the new one is created before the old one is removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 249))]
    // Connect serves a connector under /connectors/<name>: these can never be reached there.
    #[x_kube(
        validation = ("self != '.' && self != '..'", "spec.name must not be . or ..: Connect cannot serve a connector under that path; choose another name"),
        validation = ("!self.contains('/')", "spec.name must not contain /: Connect serves a connector under /connectors/<name>; choose a name without it"),
        validation = ("!self.matches('[[:cntrl:]]')", "spec.name must not contain control characters; choose a printable name"),
        validation = ("!self.matches('^[[:space:]]|[[:space:]]$')", "spec.name must not begin or end with whitespace, which Connect trims; remove it"),
    )]
    pub name: Option<String>,
    /// The connector's Java class (`connector.class`), for example
    /// `org.apache.kafka.connect.file.FileStreamSourceConnector`. Its plugin must be installed
    /// on the Connect cluster.
    #[schemars(length(min = 1, max = 1024))]
    pub class: String,
    /// The maximum number of tasks (`tasks.max`); at least 1.
    #[schemars(range(min = 1))]
    pub task_max: i32,
    /// The connector's configuration, as Kafka Connect takes it. Use `${file:...}` references
    /// backed by `mountedSecrets` for credentials rather than putting them here in clear.
    /// At most 1000 entries, each value at most 128 KiB.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    #[schemars(schema_with = "super::bounds::connector_configs")]
    pub configs: BTreeMap<String, String>,
    /// The state to hold the connector in: `running` (default), `paused` or `stopped`. A
    /// connector created as `paused` or `stopped` never runs first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<ConnectorTargetState>,
    /// What Sluice does when the connector or a task fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<RestartPolicy>,
    /// `config-transform` policies applied in order to `configs` before it is sent to Connect,
    /// for example to resolve secret placeholders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 16))]
    pub config_transforms: Vec<ConfigTransform>,
    /// The Sluice-managed `Connect` cluster to run on. Exclusive with `connectRest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_cluster_ref: Option<ClusterReference>,
    /// The REST endpoint of a Connect cluster that Sluice does not manage. Exclusive with
    /// `connectClusterRef`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_rest: Option<ConnectRest>,
}

// The state a connector should be held in (documented on the field that uses it: schemars
// would let this doc comment replace the field's in the CRD).
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorTargetState {
    /// Tasks run.
    #[default]
    Running,
    /// Tasks stay assigned but stop processing (`PUT /connectors/{name}/pause`).
    Paused,
    /// Tasks are shut down and release their resources (`PUT /connectors/{name}/stop`).
    Stopped,
}

/// What Sluice does when the connector or its tasks fail.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = ("self.type != 'Policy' || has(self.policyRef)", "restartPolicy.type Policy needs restartPolicy.policyRef naming a Policy with a restart-policy module"))]
pub struct RestartPolicy {
    /// `OnFailure` restarts a failed connector and failed tasks with exponential backoff and
    /// jitter; `Never` only reports failures; `Policy` asks the restart-policy module that
    /// `policyRef` names.
    #[serde(rename = "type")]
    pub kind: RestartPolicyType,
    /// How many automatic restarts to attempt before giving up. The count resets once the
    /// connector has stayed healthy. Defaults to 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 1000))]
    pub max_retry: Option<i32>,
    /// The `Policy` (in this namespace) whose restart-policy module decides; required when
    /// `type` is `Policy`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_ref: Option<PolicyReference>,
}

/// How failures are handled.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestartPolicyType {
    /// Restart failed connectors and tasks with exponential backoff, up to `maxRetry` times.
    OnFailure,
    /// Report failures in status; never restart.
    Never,
    /// Let a restart-policy WebAssembly module decide.
    Policy,
}

/// One config transform step.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConfigTransform {
    /// The `Policy` (in this namespace) whose config-transform module rewrites the config.
    pub policy_ref: PolicyReference,
}

/// A Kafka Connect REST endpoint that Sluice does not manage.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectRest {
    /// Base URL of the Connect REST API, for example `http://connect.kafka.svc:8083`.
    #[schemars(length(min = 1, max = 2048))]
    #[x_kube(validation = ("self.startsWith('http://') || self.startsWith('https://')", "connectRest.endpoint must be an http:// or https:// URL, for example http://connect:8083"))]
    pub endpoint: String,
    /// Authentication and TLS for the endpoint.
    #[serde(flatten)]
    pub access: ConnectRestAccess,
}

/// What Sluice last observed of the connector, and what it did about it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectorStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, `Progressing`, `Degraded` and `ConnectUnavailable`, with reason and message; `Reconciled` once reconciles have failed several times in a row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
    /// The name of the connector on the Connect cluster that Sluice manages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_name: Option<String>,
    /// A name the connector had before `spec.name` changed, deleted from Connect once the
    /// connector exists under its new name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_connector_name: Option<String>,
    /// The Connect cluster: `namespace/name` of a Sluice-managed Connect, or the REST endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_cluster: Option<String>,
    /// The connector's state as Connect reports it: UNASSIGNED, RUNNING, PAUSED, STOPPED,
    /// FAILED or RESTARTING.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_state: Option<String>,
    /// The worker (`host:port`) running the connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    /// Running tasks out of all tasks, for example `2/3`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks_ready: Option<String>,
    /// Every task, as Connect reports it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<TaskStatus>,
    /// Automatic restarts since the connector was last healthy.
    #[serde(default)]
    pub restart_count: i32,
    /// When Sluice last restarted the connector or a task, to the microsecond: the backoff
    /// counts from it, and whole seconds would shorten a wait by up to one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_restart_time: Option<MicroTime>,
    /// When Sluice will next try to restart, if it is backing off.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_retry_time: Option<Time>,
    /// The last restart decision and why it was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_decision: Option<RestartDecision>,
    /// Errors Connect's config validation reported, per config key. Values are never shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub config_errors: Vec<ConfigFieldError>,
    /// A state set by a `sluice.dev/pause-connector` or `sluice.dev/resume-connector`
    /// annotation. It holds over `spec.state` until the spec next changes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held_state: Option<HeldState>,
}

/// A config key that Connect's validation rejected.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConfigFieldError {
    /// The config key, for example `topics`.
    pub name: String,
    /// What Connect said is wrong with it.
    pub errors: Vec<String>,
}

/// A target state set by annotation, held until the spec changes.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HeldState {
    /// `running`, `paused` or `stopped`.
    pub state: ConnectorTargetState,
    /// The `metadata.generation` the hold was set at; a newer spec ends the hold.
    pub generation: i64,
}

/// One task of the connector.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatus {
    /// The task's number.
    pub id: i32,
    /// UNASSIGNED, RUNNING, PAUSED, FAILED or RESTARTING.
    pub state: String,
    /// The worker (`host:port`) running the task.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    /// The start of the failure's stack trace, when the task failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<String>,
}

/// A restart decision and its reason.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RestartDecision {
    /// What was decided: `None`, `RestartConnector`, `RestartFailedTasks`, `Wait` or `GiveUp`.
    pub action: String,
    /// Why, in words.
    pub reason: String,
    /// When the decision was taken.
    pub time: Time,
}
