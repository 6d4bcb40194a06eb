use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use sluice::{controller, telemetry};

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
    Run {
        /// Seconds between two observations of a connector when nothing changes.
        #[arg(long, env = "SLUICE_RESYNC_SECONDS", default_value_t = 30)]
        resync_seconds: u64,
        /// Watch only this namespace (default: all namespaces).
        #[arg(long, env = "SLUICE_WATCH_NAMESPACE")]
        watch_namespace: Option<String>,
        /// Log format.
        #[arg(long, env = "SLUICE_LOG_FORMAT", value_enum, default_value_t = telemetry::LogFormat::Text)]
        log_format: telemetry::LogFormat,
    },
    /// Print the CustomResourceDefinitions as YAML.
    Crdgen,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crdgen => print!("{}", sluice::crd::render_yaml()?),
        Command::Run { resync_seconds, watch_namespace, log_format } => {
            telemetry::init(log_format);
            sluice::tls::install_crypto_provider();
            let client = kube::Client::try_default()
                .await
                .context("no Kubernetes cluster: set KUBECONFIG or run in a pod")?;
            let settings = controller::Settings {
                resync: Duration::from_secs(resync_seconds.max(1)),
                namespace: watch_namespace,
            };
            let ctx = controller::Context::new(client, settings)?;
            tracing::info!(version = env!("CARGO_PKG_VERSION"), "sluice operator starting");
            controller::run(ctx).await;
        }
    }
    Ok(())
}
