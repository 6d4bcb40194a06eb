//! The WebAssembly policy host.
//!
//! Policies are components of the `sluice:policy` ABI (plugin-sdk/wit). A component is
//! compiled once per content (and cached on disk, [`cache`]), checked for the ABI version and
//! world it exports ([`abi`]), and kept as an `InstancePre`. Every call gets a fresh `Store`
//! with its own memory cap, fuel and deadline ([`limits`]), so no state leaks between
//! connectors or teams and a hostile guest costs at most its limits ([`engine`]). Host
//! functions see only what the Policy grants ([`host`]).

pub mod abi;
mod bindings;
pub mod cache;
pub mod egress;
pub mod engine;
pub mod error;
pub mod host;
pub mod limiter;
pub mod limits;
mod queue;
pub mod tool;
pub mod wasi;

pub use abi::{AbiVersion, World};
pub use bindings::types::{
    ConnectorStatus, PluginArchive, PluginReference, RestartDecision, RestartHistory, RestartInput,
    RunState, TaskStatus, TransformInput, Wait,
};
pub use engine::{CallReport, LoadedPolicy, PolicyEngine};
pub use error::PolicyError;
pub use host::{Grants, HostCall, HostServices};
pub use limits::{CallLimits, EngineLimits};
