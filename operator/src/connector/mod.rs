//! The functional core of the Connector controller: what the connector should be
//! (`desired`), what Connect reports (`observed`), the actions that close the gap (`plan`)
//! and the status that describes it (`status`). Nothing here does I/O.

pub mod annotations;
pub mod deletion;
pub mod desired;
pub mod observed;
pub mod plan;
pub mod restart;
pub mod status;

pub use desired::{DesiredConnector, SpecError};
pub use observed::{ConnectorRunState, ObservedConnector};
pub use plan::{Action, Adoption, Plan, PlanInput, plan};
