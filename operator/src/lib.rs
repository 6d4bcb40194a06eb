//! Sluice: a Kubernetes operator for Kafka Connect.
//!
//! The crate is one binary with several roles (see `main.rs`); this library holds the parts,
//! so that tests and benchmarks reach them too.

pub mod bounded;
pub mod conditions;
pub mod connect;
pub mod connect_endpoint;
pub mod connect_rest;
pub mod connect_wire;
pub mod connector;
pub mod controller;
pub mod crd;
pub mod installer;
pub mod metrics;
pub mod origin;
pub mod plugin_list;
pub mod policy;
pub mod policy_status;
pub mod redact;
pub mod rest_pki;
pub mod secret_use;
pub mod serve;
pub mod telemetry;
pub mod text;
pub mod tls;
