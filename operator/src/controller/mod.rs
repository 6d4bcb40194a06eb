//! The imperative shell: controllers that watch resources, call `plan`, carry the actions out
//! against Connect and Kubernetes, and write status and Events.

pub mod connector;

use std::time::Duration;

use kube::runtime::events::{Recorder, Reporter};

/// The field manager of every server-side apply Sluice makes.
pub const FIELD_MANAGER: &str = "sluice";

/// Settings of a running operator.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How often a connector is observed when nothing happens.
    pub resync: Duration,
    /// The one namespace to watch; `None` watches all.
    pub namespace: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self { resync: Duration::from_secs(30), namespace: None }
    }
}

/// What every reconcile shares.
#[derive(Clone)]
pub struct Context {
    pub client: kube::Client,
    pub http: reqwest::Client,
    pub recorder: Recorder,
    pub settings: Settings,
}

impl Context {
    pub fn new(client: kube::Client, settings: Settings) -> Result<Self, reqwest::Error> {
        let reporter =
            Reporter { controller: "sluice".into(), instance: std::env::var("POD_NAME").ok() };
        Ok(Self {
            recorder: Recorder::new(client.clone(), reporter),
            http: reqwest::Client::builder().connect_timeout(Duration::from_secs(5)).build()?,
            client,
            settings,
        })
    }
}

impl Context {
    /// The API of `K` over the watched namespaces.
    pub fn watched<K>(&self) -> kube::Api<K>
    where
        K: kube::Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + serde::de::DeserializeOwned
            + std::fmt::Debug,
        K::DynamicType: Default,
    {
        match &self.settings.namespace {
            Some(ns) => kube::Api::namespaced(self.client.clone(), ns),
            None => kube::Api::all(self.client.clone()),
        }
    }
}

/// Runs every controller until a shutdown signal.
pub async fn run(ctx: Context) {
    connector::run(ctx).await;
}
