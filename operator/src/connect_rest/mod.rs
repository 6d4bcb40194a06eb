//! The Kafka Connect REST API client, over the wire shapes of [`crate::connect_wire`] (which
//! the pure core imports without this client).

mod client;
mod error;

pub use crate::connect_wire::{
    ConfigInfos, ConnectorInfo, ConnectorStateInfo, ExpandedConnector, InitialState, PluginInfo,
    StateInfo, TaskState,
};
pub use client::{Auth, ConnectClient};
pub use error::RestError;
