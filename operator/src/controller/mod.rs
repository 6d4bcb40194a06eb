//! The imperative shell: controllers that watch resources, call `plan`, carry the actions out
//! against Connect and Kubernetes, and write status and Events.

pub mod connect;
pub mod connect_access;
pub mod connect_cache;
pub mod connector;
pub mod error;
pub mod events;
pub mod health;
pub mod host_services;
pub mod lease;
pub mod policy;
pub mod resolvers;
pub mod restart_policy;
pub mod runner;
pub mod scope;
pub mod status_write;
pub mod transforms;

use std::{sync::Arc, sync::Mutex, time::Duration};

use kube::runtime::reflector::ObjectRef;
use tokio::sync::mpsc::UnboundedReceiver;

use crate::connector::restart::BackoffSettings;
use crate::crd::Connector;

/// The field manager of every server-side apply Sluice makes.
pub const FIELD_MANAGER: &str = "sluice";

/// Settings of a running operator.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How often each Connect cluster is observed when nothing happens.
    pub resync: Duration,
    /// The namespaces to watch; empty watches all.
    pub namespaces: Vec<String>,
    /// The built-in `OnFailure` restart policy's backoff.
    pub backoff: BackoffSettings,
    /// Where compiled policies are cached across restarts; `None` compiles every time.
    pub policy_cache: Option<std::path::PathBuf>,
    /// How long a Connector being deleted waits for Connect to accept the delete before it
    /// is let go with what was left on Connect named in an Event.
    pub delete_timeout: Duration,
    /// The policy engine's maxima, from the operator's memory limit.
    pub policy_limits: crate::policy::EngineLimits,
    /// The one directory `Policy.spec.module.file` may name files below; `None` refuses
    /// every `file` module.
    pub policy_module_dir: Option<std::path::PathBuf>,
    /// Whether a policy's `http` calls may reach private addresses (loopback and link-local
    /// never).
    pub policy_http_allow_private: bool,
    /// What Connectors of external clusters may do.
    pub external: connect_access::ExternalRules,
    /// How Connect clusters are built and reached.
    pub connect: ConnectSettings,
    /// Retries of an object whose reconcile failed.
    pub error_backoff: runner::Backoff,
}

/// Settings of the Connect controller and its resolvers.
#[derive(Clone, Debug)]
pub struct ConnectSettings {
    /// The REST URL of a Sluice-managed Connect, with `{name}` and `{namespace}` filled in.
    pub rest_url_template: String,
    /// The base URL of the Confluent Hub API.
    pub hub_url: String,
    /// The Maven repository of `maven` plugins that name none.
    pub maven_repository: String,
    /// The image of the plugin-installer init container when `image.init` does not say.
    pub operator_image: String,
    /// The operator's own pods, which rendered NetworkPolicies let reach the REST port.
    pub operator_pods: Option<crate::connect::render::OperatorPods>,
}

impl Default for ConnectSettings {
    fn default() -> Self {
        Self {
            rest_url_template: crate::connect_endpoint::DEFAULT_URL_TEMPLATE.into(),
            hub_url: crate::connect::resolve::DEFAULT_HUB_URL.into(),
            maven_repository: crate::connect::resolve::DEFAULT_MAVEN_REPOSITORY.into(),
            operator_image: concat!("ghcr.io/sluice-dev/sluice:", env!("CARGO_PKG_VERSION")).into(),
            operator_pods: None,
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            resync: Duration::from_secs(30),
            namespaces: Vec::new(),
            backoff: BackoffSettings::default(),
            policy_cache: None,
            policy_limits: Default::default(),
            delete_timeout: Duration::from_secs(600),
            policy_module_dir: None,
            policy_http_allow_private: false,
            external: connect_access::ExternalRules::default(),
            connect: ConnectSettings::default(),
            error_backoff: runner::Backoff {
                base: Duration::from_secs(1),
                cap: Duration::from_secs(300),
            },
        }
    }
}

/// What every reconcile shares.
pub struct Context {
    pub client: kube::Client,
    pub events: events::Recorder,
    pub settings: Settings,
    pub cache: Arc<connect_cache::ConnectCache>,
    pub clients: connect_access::ClientPool,
    /// Every Policy's loaded module.
    pub policies: policy::PolicyRegistry,
    /// Turns Connect plugin references into archives.
    pub resolvers: resolvers::Resolvers,
    /// The HTTP client of policies' `http` calls, shared by all of them.
    pub policy_http: host_services::PolicyHttp,
    /// What `/healthz` and `/readyz` answer from.
    pub health: Arc<health::Health>,
    /// Fires once: stop taking new work.
    pub shutdown: Shutdown,
    connector_triggers: Mutex<Option<UnboundedReceiver<ObjectRef<Connector>>>>,
}

impl Context {
    pub fn new(
        client: kube::Client,
        settings: Settings,
        health: Arc<health::Health>,
        shutdown: Shutdown,
    ) -> Result<Self, crate::policy::PolicyError> {
        let engine = crate::policy::PolicyEngine::new(
            settings.policy_limits,
            settings.policy_cache.clone().map(crate::policy::cache::CompileCache::new),
        )?;
        let (cache, triggers) = connect_cache::ConnectCache::new(settings.resync);
        let policy_http = host_services::http_client(settings.policy_http_allow_private);
        Ok(Self {
            events: events::Recorder::new(client.clone(), std::env::var("POD_NAME").ok()),
            client,
            settings,
            cache,
            clients: connect_access::ClientPool::default(),
            policies: policy::PolicyRegistry::new(engine),
            resolvers: resolvers::Resolvers::default(),
            policy_http,
            health,
            shutdown,
            connector_triggers: Mutex::new(Some(triggers)),
        })
    }

    /// The events of `K` in the watched namespaces, as one watch ([`scope::watch`]).
    pub fn watch<K: scope::Watched>(
        &self,
        config: kube::runtime::watcher::Config,
    ) -> futures::stream::BoxStream<
        'static,
        Result<kube::runtime::watcher::Event<K>, kube::runtime::watcher::Error>,
    > {
        scope::watch(self.client.clone(), &self.settings.namespaces, config)
    }

    /// The Connectors the Connect pollers want reconciled; taken once, by the controller.
    fn take_connector_triggers(&self) -> UnboundedReceiver<ObjectRef<Connector>> {
        self.connector_triggers
            .lock()
            .expect("trigger lock")
            .take()
            .expect("the connector controller runs once")
    }
}

/// A shutdown every part of the operator can wait for; it fires once.
#[derive(Clone, Debug)]
pub struct Shutdown(Arc<tokio::sync::watch::Sender<bool>>);

impl Default for Shutdown {
    fn default() -> Self {
        Self(Arc::new(tokio::sync::watch::Sender::new(false)))
    }
}

impl Shutdown {
    pub fn trigger(&self) {
        self.0.send_replace(true);
    }

    pub fn is_triggered(&self) -> bool {
        *self.0.borrow()
    }

    /// Returns once [`Shutdown::trigger`] was called.
    pub async fn wait(&self) {
        let mut rx = self.0.subscribe();
        let _ = rx.wait_for(|fired| *fired).await;
    }
}

/// Runs every controller, each as its own task, until `ctx.shutdown` fires and their running
/// reconciles have finished. A controller whose task ends otherwise (a panic included) is
/// reported in the log and fails `/healthz`; the others go on.
pub async fn run(ctx: Context) {
    let ctx = Arc::new(ctx);
    let tasks = [
        ("connector", tokio::spawn(connector::run(ctx.clone()))),
        ("connect", tokio::spawn(connect::run(ctx.clone()))),
        ("policy", tokio::spawn(policy::run(ctx.clone()))),
    ];
    let supervised = tasks.into_iter().map(|(name, task)| {
        ctx.health.track(name, task.abort_handle());
        let ctx = ctx.clone();
        async move {
            let why = match task.await {
                Ok(()) if ctx.shutdown.is_triggered() => return,
                Ok(()) => "its task returned".to_owned(),
                Err(e) if e.is_panic() => {
                    let panic = e.into_panic();
                    let message = panic
                        .downcast_ref::<&str>()
                        .map(|s| (*s).to_owned())
                        .or_else(|| panic.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "a panic".into());
                    format!("panicked: {message}")
                }
                Err(e) => format!("its task was cancelled: {e}"),
            };
            tracing::error!(controller = name, %why, "controller stopped; /healthz now fails");
            ctx.health.died(name, why);
        }
    });
    futures::future::join_all(supervised).await;
}
