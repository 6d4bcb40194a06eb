//! Sluice: a Kubernetes operator for Kafka Connect.
//!
//! The crate is one binary with several roles (see `main.rs`); this library holds the parts,
//! so that tests and benchmarks reach them too.

pub mod crd;
