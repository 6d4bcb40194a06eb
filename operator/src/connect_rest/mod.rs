//! The Kafka Connect REST API, as the real worker speaks it: the wire shapes in `wire`, the
//! client in `client`. Every REST shape Sluice uses is defined here and nowhere else.

mod client;
mod error;
mod wire;

pub use client::{Auth, ConnectClient};
pub use error::RestError;
pub use wire::{
    ConfigInfos, ConnectorInfo, ConnectorStateInfo, ExpandedConnector, InitialState, PluginInfo,
    StateInfo, TaskState,
};
