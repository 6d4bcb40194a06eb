//! The `Policy` resource: a WebAssembly module that extends Sluice, with the capabilities and
//! limits it runs under.

use k8s_openapi::apimachinery::pkg::{api::resource::Quantity, apis::meta::v1::Condition};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A WebAssembly component that Sluice runs as a restart policy, a config transform or a
/// plugin resolver, sandboxed by `limits` and allowed only what `capabilities` grants.
#[derive(CustomResource, KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq)]
#[kube(
    group = "sluice.dev",
    version = "v1alpha1",
    kind = "Policy",
    plural = "policies",
    namespaced,
    doc = "A Policy: a WebAssembly module that extends Sluice. See spec and status.",
    status = "PolicyStatus",
    shortname = "spol",
    category = "sluice",
    printcolumn = r#"{"name": "Ready", "type": "string", "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status", "description": "Whether the module loaded"}"#,
    printcolumn = r#"{"name": "ABI", "type": "string", "jsonPath": ".status.abiVersion", "description": "The host ABI version the module targets"}"#,
    printcolumn = r#"{"name": "Worlds", "type": "string", "jsonPath": ".status.worlds", "description": "The worlds the module exports"}"#,
    printcolumn = r#"{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}"#
)]
#[serde(rename_all = "camelCase")]
pub struct PolicySpec {
    /// Where the compiled WebAssembly component comes from.
    pub module: PolicyModule,
    /// Free-form settings handed to the module on every call (at most 256 top-level keys,
    /// and 64 KiB as the module receives them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "super::bounds::policy_settings")]
    pub settings: Option<serde_json::Value>,
    /// What the module may do beyond computing: read named Secrets, make HTTP GET requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<PolicyCapabilities>,
    /// Per-call resource limits, within the operator-wide maxima.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<PolicyLimits>,
    /// What happens when the module fails (trap, timeout, limit, bad output): `Fail` (default)
    /// leaves the connector untouched and reports the error; `Ignore` falls back to Sluice's
    /// built-in behaviour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_policy: Option<FailurePolicy>,
}

/// Where a module comes from; set exactly one of `configMapRef`, `url` or `file`.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = ("(has(self.configMapRef) ? 1 : 0) + (has(self.url) ? 1 : 0) + (has(self.file) ? 1 : 0) == 1", "set exactly one of module.configMapRef, module.url or module.file"),
    validation = ("!has(self.url) || has(self.sha256)", "module.url needs module.sha256, the module's sha256 as 64 hex digits (sha256sum <file>)"),
)]
pub struct PolicyModule {
    /// A ConfigMap in this namespace holding the component under `binaryData`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_ref: Option<ConfigMapKeyReference>,
    /// An https URL to download the component from; requires `sha256`. `http://` only with
    /// `allowHttp`; never with credentials in it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 2048))]
    pub url: Option<String>,
    /// The component's sha256 (64 hex digits); mandatory with `url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = 64))]
    #[x_kube(validation = ("self.matches('^[0-9a-fA-F]{64}$')", "sha256 must be 64 hex digits (the output of sha256sum)"))]
    pub sha256: Option<String>,
    /// A path in the operator's filesystem, for modules shipped with the operator: only a
    /// regular file below the directory the operator is started with
    /// (`--policy-module-dir`), relative to it or absolute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 4096))]
    pub file: Option<String>,
    /// Allow an `http://` module URL. Off: a module is fetched over https, so no one on the
    /// path sees or delays which module a team loads (the sha256 pin still holds either way).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_http: bool,
}

/// A key of a ConfigMap.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConfigMapKeyReference {
    /// The ConfigMap's name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// The key under `binaryData`. Defaults to `policy.wasm`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253))]
    pub key: Option<String>,
}

/// A reference to a `Policy` in the same namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyReference {
    /// The Policy's name.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
}

/// Capabilities granted to a module; it has none unless listed here.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyCapabilities {
    /// Secrets the module may read, in the namespace of the resource it runs for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secrets: Option<SecretsCapability>,
    /// Hosts the module may send HTTP GET requests to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http: Option<HttpCapability>,
}

/// Read access to named Secrets.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecretsCapability {
    /// Names of the Secrets the module may read.
    #[serde(default)]
    #[schemars(length(max = 64))]
    pub names: Vec<String>,
    /// Whether a config transform may put a Secret's value into a connector config in clear
    /// (it is then stored in Connect's config topic). Without it, transforms must emit
    /// `${dir:...}` or `${file:...}` references to mounted Secrets.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub inline: bool,
}

/// Outbound HTTP GET.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct HttpCapability {
    /// Hosts the module may reach, as `https://host[:port]`.
    #[serde(default)]
    #[schemars(length(max = 64))]
    pub allowed_hosts: Vec<String>,
}

/// Per-call limits.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyLimits {
    /// Memory the module may use, for example `16Mi`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory: Option<Quantity>,
    /// Fuel (roughly, WebAssembly instructions) per call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub fuel: Option<i64>,
    /// Wall-clock time per call, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 60000))]
    pub timeout_ms: Option<i64>,
}

// What happens when a module fails (documented on the field: schemars would let a doc
// comment here replace the field's in the CRD).
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FailurePolicy {
    /// Leave the resource untouched and report the error.
    #[default]
    Fail,
    /// Fall back to Sluice's built-in behaviour.
    Ignore,
}

/// What Sluice last observed of the module.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PolicyStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    /// `Ready`, with reason and message; `Reconciled` once reconciles have failed several times in a row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
    /// The host ABI version the module targets, for example `0.1.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abi_version: Option<String>,
    /// The worlds the module exports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub worlds: Vec<String>,
    /// The module's sha256.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// How long compiling the module took, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compile_time_ms: Option<i64>,
    /// The last error loading or running the module.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}
