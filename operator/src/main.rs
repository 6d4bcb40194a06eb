use clap::{Parser, Subcommand};

/// Sluice: a Kubernetes operator for Kafka Connect.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Print the CustomResourceDefinitions as YAML.
    Crdgen,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Crdgen => print!("{}", sluice::crd::render_yaml()?),
    }
    Ok(())
}
