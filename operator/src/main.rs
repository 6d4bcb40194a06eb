use std::time::Duration;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand};
use sluice::{connector::restart::BackoffSettings, controller, telemetry};

/// Sluice: a Kubernetes operator for Kafka Connect.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the operator against the cluster of the current kubeconfig or service account.
    Run(Box<RunArgs>),
    /// Print the CustomResourceDefinitions as YAML, or their reference page.
    Crdgen(CrdgenArgs),
    /// Fill a Kafka Connect plugin path from a resolved plugin list (the Connect pods' init
    /// container).
    InstallPlugins(InstallArgs),
    /// Copy the workers' readiness probe (`sluice-probe`, beside this binary) into a
    /// directory the worker container mounts (one of the Connect pods' init containers).
    CopyProbe(CopyProbeArgs),
    /// Tools for policy authors.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// Print the version, the policy ABI versions served and the commit built from.
    Version,
}

#[derive(Args)]
struct CrdgenArgs {
    /// Print the Markdown field reference (docs/crds.md) instead of the YAML.
    #[arg(long)]
    reference: bool,
}

#[derive(Args)]
struct CopyProbeArgs {
    /// The directory to copy it into.
    #[arg(long)]
    to: std::path::PathBuf,
}

#[derive(Args)]
struct InstallArgs {
    /// The resolved plugin list (JSON), as the operator writes it.
    #[arg(long, env = "SLUICE_PLUGINS", default_value = "/etc/sluice/plugins.json")]
    plugins: std::path::PathBuf,
    /// The plugin path to fill.
    #[arg(long, env = "SLUICE_PLUGIN_DIR", default_value = "/opt/sluice/plugins")]
    target: std::path::PathBuf,
    /// Downloads at the same time.
    #[arg(long, default_value_t = 4)]
    parallelism: usize,
    /// Seconds one download attempt may take.
    #[arg(long, default_value_t = 300)]
    timeout_seconds: u64,
    /// Further attempts after a download failed in a way that may pass.
    #[arg(long, default_value_t = 3)]
    retries: u32,
    /// Where the failure lines also go when the file exists: the kubelet shows this file's
    /// content as the container's termination message, which the Connect status reports.
    #[arg(long, default_value = "/dev/termination-log")]
    termination_log: std::path::PathBuf,
    /// Log format.
    #[arg(long, env = "SLUICE_LOG_FORMAT", value_enum, default_value_t = telemetry::LogFormat::Text)]
    log_format: telemetry::LogFormat,
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Print a module's world, ABI version and host imports.
    Inspect {
        /// The policy component (.wasm).
        module: std::path::PathBuf,
    },
    /// Run a module once on an input and print its answer, the fuel and time it used, and
    /// every host call it made.
    Test {
        #[arg(long)]
        module: std::path::PathBuf,
        /// The world's input as JSON (restart-input, transform-input or plugin-reference).
        #[arg(long)]
        input: std::path::PathBuf,
        /// The Policy's settings, a JSON object of strings (replaces the input's settings).
        #[arg(long)]
        settings: Option<std::path::PathBuf>,
        /// Secrets and HTTP answers the host serves: {"secrets": {name: {key: value}},
        /// "http": {url: {"status": 200, "body": "..."}}}; listed means granted.
        #[arg(long)]
        fixtures: Option<std::path::PathBuf>,
    },
}

#[derive(Args)]
struct RunArgs {
    /// Seconds between two observations of a Connect cluster when nothing changes.
    #[arg(long, env = "SLUICE_RESYNC_SECONDS", default_value_t = 30)]
    resync_seconds: u64,
    /// Watch only these namespaces, comma-separated (default: all namespaces). A list needs
    /// rights in each namespace only, none cluster-wide.
    #[arg(long, env = "SLUICE_WATCH_NAMESPACE", value_delimiter = ',')]
    watch_namespace: Vec<String>,
    /// Seconds the built-in OnFailure policy waits after the first restart; the wait doubles
    /// after each further restart.
    #[arg(long, env = "SLUICE_RESTART_BACKOFF_SECONDS", default_value_t = 10)]
    restart_backoff_seconds: u64,
    /// The longest wait, in seconds, between two automatic restarts.
    #[arg(long, env = "SLUICE_RESTART_BACKOFF_MAX_SECONDS", default_value_t = 600)]
    restart_backoff_max_seconds: u64,
    /// Seconds a connector must stay healthy before its restart count resets.
    #[arg(long, env = "SLUICE_HEALTHY_RESET_SECONDS", default_value_t = 600)]
    healthy_reset_seconds: u64,
    /// Seconds a Connector being deleted waits for Connect to accept deleting its connector
    /// (Connect down, unreachable, or its credentials missing); then the Connector is let go
    /// and a DeleteAbandoned Event names what was left on Connect. The annotation
    /// `sluice.dev/abandon-on-delete=true` lets one go at the first failure.
    #[arg(long, env = "SLUICE_DELETE_TIMEOUT_SECONDS", default_value_t = 600)]
    delete_timeout_seconds: u64,
    /// Let Connectors that name an external cluster (`spec.connectRest`) adopt connectors
    /// Sluice did not create, with `sluice.dev/adopt=true`. A Sluice-managed Connect allows
    /// it on itself (`spec.connectorAccess.allowAdoption`).
    #[arg(long, env = "SLUICE_ALLOW_EXTERNAL_ADOPTION", default_value_t = false)]
    allow_external_adoption: bool,
    /// The directory `Policy.spec.module.file` may name modules below (regular files only,
    /// symlinks resolved). Without it, `file` modules are refused.
    #[arg(long, env = "SLUICE_POLICY_MODULE_DIR")]
    policy_module_dir: Option<std::path::PathBuf>,
    /// Let a policy's `http` capability reach private addresses (10/8, 172.16/12, 192.168/16,
    /// 100.64/10, fc00::/7), such as a repository inside the cluster. Loopback and
    /// link-local addresses are refused whatever this says.
    #[arg(long, env = "SLUICE_POLICY_HTTP_ALLOW_PRIVATE", default_value_t = false)]
    policy_http_allow_private: bool,
    /// An external Connect endpoint Connectors may name in `spec.connectRest.endpoint`
    /// (`https://host:port`, `host:port` or `host`); repeat or separate with commas. When
    /// set, no other endpoint is reached and no credentials are sent anywhere else. Unset:
    /// any endpoint.
    #[arg(long, env = "SLUICE_ALLOWED_CONNECT_ENDPOINTS", value_delimiter = ',')]
    allowed_connect_endpoint: Vec<String>,
    /// The memory this operator may use (bytes, or a quantity such as 256Mi): policy calls
    /// together get half, one call at most a quarter of that. The chart passes the
    /// container's `resources.limits.memory`. Unset: 1 GiB for policy calls.
    #[arg(long, env = "SLUICE_MEMORY_LIMIT", value_parser = memory_limit)]
    memory_limit: Option<u64>,
    /// A directory to cache compiled policies in, so a restart does not compile them again.
    #[arg(long, env = "SLUICE_POLICY_CACHE_DIR")]
    policy_cache_dir: Option<std::path::PathBuf>,
    /// The REST URL of a Sluice-managed Connect; `{name}` and `{namespace}` are filled in.
    /// The default is the client Service. An operator run outside the cluster needs a URL it
    /// can reach, for example a `kubectl port-forward`.
    #[arg(long, env = "SLUICE_CONNECT_URL_TEMPLATE", default_value = sluice::connect_endpoint::DEFAULT_URL_TEMPLATE)]
    connect_url_template: String,
    /// The Confluent Hub API that `confluentHub` plugins are resolved through.
    #[arg(long, env = "SLUICE_CONFLUENT_HUB_URL", default_value = sluice::connect::resolve::DEFAULT_HUB_URL)]
    confluent_hub_url: String,
    /// The Maven repository of `maven` plugins that name none (a mirror, say).
    #[arg(long, env = "SLUICE_MAVEN_REPOSITORY", default_value = sluice::connect::resolve::DEFAULT_MAVEN_REPOSITORY)]
    maven_repository: String,
    /// The namespace the operator's pods run in. With `--operator-pod-labels`, each Connect
    /// gets a NetworkPolicy that lets only those pods (and its workers) reach its REST port;
    /// without, none is rendered (an operator outside the cluster has no pods to select).
    #[arg(long, env = "SLUICE_OPERATOR_NAMESPACE", requires = "operator_pod_labels")]
    operator_namespace: Option<String>,
    /// The labels of the operator's pods, `key=value` comma-separated (the chart passes its
    /// selector labels).
    #[arg(
        long,
        env = "SLUICE_OPERATOR_POD_LABELS",
        value_delimiter = ',',
        requires = "operator_namespace"
    )]
    operator_pod_labels: Vec<String>,
    /// The image of the Connect pods' plugin-installer init container when `image.init` is
    /// not set: the operator's own image (the chart passes it).
    #[arg(long, env = "SLUICE_OPERATOR_IMAGE")]
    operator_image: Option<String>,
    /// Log format.
    #[arg(long, env = "SLUICE_LOG_FORMAT", value_enum, default_value_t = telemetry::LogFormat::Text)]
    log_format: telemetry::LogFormat,
    /// Where /metrics, /healthz and /readyz are served.
    #[arg(long, env = "SLUICE_HTTP_BIND_ADDRESS", default_value = "0.0.0.0:8080")]
    http_bind_address: std::net::SocketAddr,
    /// Record and serve Prometheus metrics (false: /metrics answers 404, nothing is recorded).
    #[arg(long, env = "SLUICE_METRICS", default_value_t = true, action = clap::ArgAction::Set)]
    metrics: bool,
    /// Act only while holding the leader Lease, so that several replicas can run.
    #[arg(long, env = "SLUICE_LEADER_ELECT", default_value_t = false, action = clap::ArgAction::Set)]
    leader_elect: bool,
    /// The namespace of the leader Lease (the chart passes the operator's own).
    #[arg(long, env = "SLUICE_LEADER_ELECTION_NAMESPACE", default_value = "default")]
    leader_election_namespace: String,
    /// The name of the leader Lease.
    #[arg(long, env = "SLUICE_LEADER_ELECTION_LEASE", default_value = "sluice-operator")]
    leader_election_lease: String,
    /// This replica's identity in the Lease (the chart passes the pod name).
    #[arg(long, env = "POD_NAME")]
    leader_election_identity: Option<String>,
    /// Seconds a Lease holds without renewal: the longest a follower waits after a leader died.
    #[arg(long, env = "SLUICE_LEASE_DURATION_SECONDS", default_value_t = 15)]
    lease_duration_seconds: u64,
    /// Seconds between two renewals by the leader, and between two tries of a follower.
    #[arg(long, env = "SLUICE_LEASE_RENEW_SECONDS", default_value_t = 2)]
    lease_renew_seconds: u64,
    /// Seconds running reconciles may take to finish after SIGTERM before the process exits.
    #[arg(long, env = "SLUICE_SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 20)]
    shutdown_timeout_seconds: u64,
    /// Serve POST /debug/stop/{controller}, which aborts a controller's task (tests only).
    #[arg(long, env = "SLUICE_ENABLE_TEST_HOOKS", hide = true)]
    enable_test_hooks: bool,
}

impl RunArgs {
    fn election(&self) -> Option<controller::lease::Election> {
        let renew = Duration::from_secs(self.lease_renew_seconds.max(1));
        self.leader_elect.then(|| controller::lease::Election {
            namespace: self.leader_election_namespace.clone(),
            name: self.leader_election_lease.clone(),
            identity: self.leader_election_identity.clone().unwrap_or_else(|| {
                format!("sluice-{}-{}", std::process::id(), jiff::Timestamp::now().as_millisecond())
            }),
            lease_duration: Duration::from_secs(self.lease_duration_seconds.max(2)).max(renew * 2),
            renew_period: renew,
        })
    }

    fn settings(&self) -> controller::Settings {
        let base = self.restart_backoff_seconds.max(1);
        controller::Settings {
            resync: Duration::from_secs(self.resync_seconds.max(1)),
            namespaces: {
                let mut namespaces = self.watch_namespace.clone();
                namespaces.retain(|n| !n.trim().is_empty());
                namespaces.sort();
                namespaces.dedup();
                namespaces
            },
            backoff: BackoffSettings {
                base: Duration::from_secs(base),
                cap: Duration::from_secs(self.restart_backoff_max_seconds.max(base)),
                healthy_reset: Duration::from_secs(self.healthy_reset_seconds),
            },
            delete_timeout: Duration::from_secs(self.delete_timeout_seconds),
            policy_cache: self.policy_cache_dir.clone(),
            policy_limits: self
                .memory_limit
                .map_or_else(Default::default, sluice::policy::EngineLimits::for_memory_limit),
            policy_module_dir: self.policy_module_dir.clone(),
            policy_http_allow_private: self.policy_http_allow_private,
            external: controller::connect_access::ExternalRules {
                allow_adoption: self.allow_external_adoption,
                endpoints: {
                    let mut endpoints = self.allowed_connect_endpoint.clone();
                    endpoints.retain(|e| !e.trim().is_empty());
                    endpoints
                },
            },
            connect: {
                let default = controller::ConnectSettings::default();
                controller::ConnectSettings {
                    rest_url_template: self.connect_url_template.clone(),
                    hub_url: self.confluent_hub_url.clone(),
                    maven_repository: self.maven_repository.clone(),
                    operator_image: self.operator_image.clone().unwrap_or(default.operator_image),
                    operator_pods: self.operator_namespace.clone().map(|namespace| {
                        sluice::connect::render::OperatorPods {
                            namespace,
                            labels: self
                                .operator_pod_labels
                                .iter()
                                .filter_map(|l| l.split_once('='))
                                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
                                .collect(),
                        }
                    }),
                }
            },
            ..controller::Settings::default()
        }
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crdgen(CrdgenArgs { reference: false }) => {
            print!("{}", sluice::crd::render_yaml()?);
        }
        Command::Crdgen(CrdgenArgs { reference: true }) => {
            print!("{}", sluice::crd::reference::render_markdown());
        }
        Command::CopyProbe(args) => {
            sluice::installer::probe::copy_beside_self(&args.to)?;
        }
        Command::InstallPlugins(args) => {
            telemetry::init(args.log_format);
            sluice::tls::install_crypto_provider();
            // A ConfigMap holds at most 1 MiB; anything larger is not a list Sluice wrote.
            let bytes = sluice::bounded::read_file(&args.plugins, 1 << 20)
                .map_err(anyhow::Error::msg)
                .with_context(|| format!("reading the plugin list {}", args.plugins.display()))?;
            let text = String::from_utf8(bytes).context("the plugin list is not UTF-8")?;
            let list = sluice::installer::PluginList::parse(&text).map_err(anyhow::Error::msg)?;
            let options = sluice::installer::Options {
                target: args.target,
                parallelism: args.parallelism,
                timeout: Duration::from_secs(args.timeout_seconds.max(1)),
                retries: args.retries,
            };
            let report =
                sluice::installer::install(&list, &options).await.map_err(anyhow::Error::msg)?;
            if !report.failed.is_empty() {
                let lines: Vec<String> = report.failed.iter().map(ToString::to_string).collect();
                for line in &lines {
                    eprintln!("{line}");
                }
                // Outside a pod the file does not exist, and is not created.
                if let Ok(mut f) = std::fs::OpenOptions::new()
                    .write(true)
                    .truncate(true)
                    .open(&args.termination_log)
                {
                    use std::io::Write as _;
                    let _ = f.write_all((lines.join("\n") + "\n").as_bytes());
                }
                std::process::exit(1);
            }
        }
        Command::Policy(PolicyCommand::Inspect { module }) => {
            println!("{}", serde_json::to_string_pretty(&sluice::policy::tool::inspect(&module)?)?)
        }
        Command::Policy(PolicyCommand::Test { module, input, settings, fixtures }) => {
            let out = sluice::policy::tool::test(
                &module,
                &input,
                settings.as_deref(),
                fixtures.as_deref(),
            )
            .await?;
            println!("{}", serde_json::to_string_pretty(&out)?)
        }
        Command::Version => {
            println!("sluice {}", env!("CARGO_PKG_VERSION"));
            println!(
                "policy ABI {} (serves every module of sluice:policy@{}.{}.x)",
                sluice::policy::abi::HOST_ABI,
                sluice::policy::abi::HOST_ABI.major,
                sluice::policy::abi::HOST_ABI.minor
            );
            println!("commit {}", env!("SLUICE_BUILD_COMMIT"));
        }
        Command::Run(args) => {
            telemetry::init(args.log_format);
            sluice::tls::install_crypto_provider();
            let client = kube::Client::try_default()
                .await
                .context("no Kubernetes cluster: set KUBECONFIG or run in a pod")?;
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "sluice operator starting");
            return run(*args, client).await;
        }
    }
    Ok(())
}

/// The operator: the HTTP endpoint, the leader election if asked for, the controllers, and a
/// graceful shutdown on SIGTERM.
async fn run(args: RunArgs, client: kube::Client) -> anyhow::Result<()> {
    use controller::{Shutdown, health::Health};
    use std::sync::Arc;

    for (flag, url) in [
        ("--maven-repository", &args.maven_repository),
        ("--confluent-hub-url", &args.confluent_hub_url),
    ] {
        // Plugin URLs end in a ConfigMap; a credential there is readable by anyone who may
        // read ConfigMaps. The value is not echoed: it holds the credential.
        anyhow::ensure!(
            !sluice::text::has_credentials(url),
            "{flag} carries credentials (user:password@): remove them; Sluice would write them into every Connect's plugin-list ConfigMap"
        );
    }
    // A NetworkPolicy selecting the operator's pods by a label set that lost entries would
    // select every pod of the operator's namespace: refuse to start instead.
    if args.operator_namespace.is_some() {
        let bad: Vec<&String> = args
            .operator_pod_labels
            .iter()
            .filter(|l| {
                l.split_once('=').is_none_or(|(k, v)| k.trim().is_empty() || v.trim().is_empty())
            })
            .collect();
        anyhow::ensure!(
            bad.is_empty() && !args.operator_pod_labels.is_empty(),
            "--operator-pod-labels needs key=value entries (the operator pods' labels) for the Connects' NetworkPolicies; got {:?}",
            args.operator_pod_labels
        );
    }
    if args.metrics {
        sluice::metrics::enable();
    }
    let health = Arc::new(Health::default());
    let endpoint =
        sluice::serve::Endpoint { health: health.clone(), test_hooks: args.enable_test_hooks };
    let listener = sluice::serve::bind(args.http_bind_address)
        .await
        .with_context(|| format!("--http-bind-address {}", args.http_bind_address))?;
    tokio::spawn(sluice::serve::serve(listener, endpoint));
    let signalled = Shutdown::default();
    tokio::spawn({
        let signalled = signalled.clone();
        async move {
            wait_for_signal().await;
            tracing::info!("shutting down: no new work; running reconciles finish");
            signalled.trigger();
        }
    });

    let mut elector = args.election().map(|e| controller::lease::Elector::new(client.clone(), e));
    if let Some(elector) = elector.as_mut() {
        health.set_standby(true);
        sluice::metrics::leader(false);
        if !elector.acquire(&signalled).await {
            return Ok(());
        }
        health.set_standby(false);
    }
    sluice::metrics::leader(true);

    // The controllers stop taking work on the signal; the Lease is held until then.
    let ctx = controller::Context::new(client, args.settings(), health, signalled.clone())?;
    let mut controllers = tokio::spawn(controller::run(ctx));
    let held = async {
        match elector.as_mut() {
            Some(elector) => elector.hold(&signalled).await,
            None => {
                signalled.wait().await;
                true
            }
        }
    };
    tokio::select! {
        held = held => {
            if !held {
                // Another replica may act already: running reconciles must not finish their
                // writes, so exit at once and let the pod restart as a follower.
                tracing::error!("lost the leader Lease; exiting");
                std::process::exit(1);
            }
            let bound = Duration::from_secs(args.shutdown_timeout_seconds);
            if tokio::time::timeout(bound, controllers).await.is_err() {
                tracing::warn!(
                    seconds = bound.as_secs(),
                    "reconciles still running at the shutdown bound; exiting"
                );
            }
        }
        // Every controller stopped by itself (/healthz says why): give the Lease up.
        _ = &mut controllers => {}
    }
    sluice::metrics::leader(false);
    if let Some(elector) = elector.as_mut() {
        elector.release().await;
    }
    tracing::info!("stopped");
    Ok(())
}

/// SIGTERM (the kubelet stopping the pod) or Ctrl-C.
async fn wait_for_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// `--memory-limit`: bytes, or a Kubernetes quantity.
fn memory_limit(text: &str) -> Result<u64, String> {
    let q = k8s_openapi::apimachinery::pkg::api::resource::Quantity(text.to_owned());
    match sluice::crd::quantity_bytes(&q) {
        Some(bytes) if bytes > 0 => Ok(bytes),
        _ => Err(format!("{text:?} is not a memory size: give bytes or a quantity such as 256Mi")),
    }
}
