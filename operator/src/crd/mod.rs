//! The custom resources Sluice serves, group `sluice.dev`, version `v1alpha1`.
//!
//! These Rust types are the one source of truth for the CRDs: `sluice crdgen` renders them,
//! `crds/` holds that output, and a test fails when the two drift apart. Doc comments become
//! the OpenAPI descriptions that `kubectl explain` shows, so every field carries one.

pub mod bounds;
mod common;
mod connect;
mod connector;
mod policy;
mod quantity;
pub mod reference;

pub use common::{
    BasicAuthentication, BearerAuthentication, ClusterReference, ConnectRestAccess,
    RestAuthentication, RestAuthenticationType, RestTls, SecretReference,
};
pub use connect::{
    ConfigOverrides, ConfluentHubPlugin, Connect, ConnectBuild, ConnectBuildType,
    ConnectDependencies, ConnectImage, ConnectSpec, ConnectStatus, ConnectTls, ConnectorAccess,
    CustomPlugin, InstalledConnectorClass, KafkaAuthentication, KafkaAuthenticationType,
    KafkaDependency, KafkaTls, MavenPlugin, MountedSecret, MountedSecretStatus, OnDemandBuild,
    PluginLocationType, PluginSet, PodTemplate, ResolvedPlugin, TlsCertificates, UrlPlugin,
};
pub use connector::{
    ConfigFieldError, ConfigTransform, ConnectRest, Connector, ConnectorSpec, ConnectorStatus,
    ConnectorTargetState, HeldState, RestartDecision, RestartPolicy, RestartPolicyType, TaskStatus,
};
pub use policy::{
    ConfigMapKeyReference, FailurePolicy, HttpCapability, Policy, PolicyCapabilities, PolicyLimits,
    PolicyModule, PolicyReference, PolicySpec, PolicyStatus, SecretsCapability,
};

pub use quantity::quantity_bytes;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::CustomResourceExt;

/// The API group of every Sluice resource.
pub const GROUP: &str = "sluice.dev";

/// Every CRD Sluice installs, in the order `crds/` lists them.
pub fn all() -> Vec<CustomResourceDefinition> {
    vec![Connect::crd(), Connector::crd(), Policy::crd()]
}

/// The CRDs as one multi-document YAML stream, as `sluice crdgen` prints it.
pub fn render_yaml() -> Result<String, serde_norway::Error> {
    let mut out = String::new();
    for crd in all() {
        out.push_str("---\n");
        out.push_str(&serde_norway::to_string(&crd)?);
    }
    Ok(out)
}
