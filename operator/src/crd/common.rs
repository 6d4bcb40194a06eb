//! Pieces shared by several resources: references to Secrets and clusters, and how Sluice
//! authenticates to a Kafka Connect REST endpoint.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A Secret in the namespace of the resource that names it.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SecretReference {
    /// Name of the Secret, in the same namespace as this resource.
    #[schemars(length(min = 1, max = 253))]
    pub secret_ref: String,
}

/// A Sluice-managed `Connect` cluster.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ClusterReference {
    /// Name of the `Connect` resource.
    #[schemars(length(min = 1, max = 253))]
    pub name: String,
    /// Namespace of the `Connect` resource. Defaults to the namespace of this resource.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 63))]
    pub namespace: Option<String>,
}

/// How Sluice authenticates to and trusts a Kafka Connect REST endpoint.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ConnectRestAccess {
    /// Credentials Sluice presents to the Connect REST API. Omit for an unauthenticated endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<RestAuthentication>,
    /// TLS settings for an `https` endpoint: the CA to trust and, for mTLS, the client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls: Option<RestTls>,
}

/// Credentials for the Connect REST API, read from Secrets in the resource's namespace.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = ("self.type != 'basic' || has(self.basic)", "authentication.type basic needs authentication.basic.secretRef naming a Secret with the username and password"),
    validation = ("self.type != 'bearer' || has(self.bearer)", "authentication.type bearer needs authentication.bearer.secretRef naming a Secret with the token"),
)]
pub struct RestAuthentication {
    /// The authentication scheme: `basic` (HTTP basic auth), `bearer` (a bearer token) or
    /// `mtls` (a client certificate, configured in `tls.secretRef`).
    #[serde(rename = "type")]
    pub kind: RestAuthenticationType,
    /// HTTP basic authentication; required when `type` is `basic`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic: Option<BasicAuthentication>,
    /// Bearer token authentication; required when `type` is `bearer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bearer: Option<BearerAuthentication>,
}

/// The authentication scheme for the Connect REST API.
#[derive(JsonSchema, Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub enum RestAuthenticationType {
    /// HTTP basic authentication.
    Basic,
    /// A bearer token in the `Authorization` header.
    Bearer,
    /// A TLS client certificate.
    Mtls,
}

/// HTTP basic authentication.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BasicAuthentication {
    /// A Secret with keys `username` and `password`, or, as Confluent for Kubernetes writes
    /// it, a key `basic.txt` holding `username=<user>` and `password=<password>` lines.
    #[schemars(length(min = 1, max = 253))]
    pub secret_ref: String,
}

/// Bearer token authentication.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct BearerAuthentication {
    /// A Secret with the token under the key `token`, or as `bearer.txt`.
    #[schemars(length(min = 1, max = 253))]
    pub secret_ref: String,
}

/// TLS settings for reaching an `https` Connect REST endpoint.
#[derive(KubeSchema, Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct RestTls {
    /// A Secret with `cacerts.pem` (the CA bundle to trust) and, for mTLS, `fullchain.pem`
    /// and `privkey.pem` (the client certificate and key), as Confluent for Kubernetes names them.
    #[schemars(length(min = 1, max = 253))]
    pub secret_ref: String,
}
