//! JSON shapes of the Connect REST API (Kafka 3.9, `connect/runtime/.../rest/entities`): plain
//! data, every REST shape Sluice uses and nowhere else, shared by the pure core and the
//! client in `connect_rest`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One entry of `GET /connectors?expand=status&expand=info`. Either part can be missing when
/// the connector is being created or deleted while the worker answers.
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct ExpandedConnector {
    pub status: Option<ConnectorStateInfo>,
    pub info: Option<ConnectorInfo>,
}

/// `ConnectorInfo`: the connector's config as stored, and its task ids.
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct ConnectorInfo {
    pub name: String,
    pub config: BTreeMap<String, String>,
    #[serde(default)]
    pub tasks: Vec<TaskId>,
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct TaskId {
    pub connector: String,
    pub task: i32,
}

/// `ConnectorStateInfo`: the connector's and its tasks' runtime state.
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct ConnectorStateInfo {
    pub name: String,
    pub connector: StateInfo,
    #[serde(default)]
    pub tasks: Vec<TaskState>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct StateInfo {
    pub state: String,
    pub worker_id: Option<String>,
    /// Omitted by the worker when empty.
    #[serde(default)]
    pub trace: Option<String>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct TaskState {
    pub id: i32,
    pub state: String,
    pub worker_id: Option<String>,
    #[serde(default)]
    pub trace: Option<String>,
}

/// `initial_state` of `POST /connectors` (KIP-980, Kafka 3.7): a connector created paused or
/// stopped never starts its tasks.
#[derive(Serialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "UPPERCASE")]
pub enum InitialState {
    Running,
    Paused,
    Stopped,
}

#[derive(Serialize)]
pub(super) struct CreateConnector<'a> {
    pub name: &'a str,
    pub config: &'a BTreeMap<String, String>,
    /// Left out for workers older than Kafka 3.7, which refuse what they do not know.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_state: Option<InitialState>,
}

/// The worker's error body: `{"error_code": 409, "message": "..."}`.
#[derive(Deserialize)]
pub(super) struct ErrorBody {
    pub message: Option<String>,
}

/// `ConfigInfos`, the answer of `PUT /connector-plugins/{class}/config/validate`.
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct ConfigInfos {
    pub error_count: u32,
    #[serde(default)]
    pub configs: Vec<ConfigInfo>,
}

#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct ConfigInfo {
    pub value: ConfigValueInfo,
}

/// One key's validation result. Its `value` is not read: it may be a secret.
#[derive(Deserialize, Debug, Clone, PartialEq)]
pub struct ConfigValueInfo {
    pub name: String,
    #[serde(default)]
    pub errors: Vec<String>,
}

/// One entry of `GET /connector-plugins`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PluginInfo {
    pub class: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub version: Option<String>,
}
