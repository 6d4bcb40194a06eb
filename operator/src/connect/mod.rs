//! The `Connect` resource's functional core: what a Connect cluster becomes in Kubernetes
//! (`render`), what its workers may read (`readable`) and the pure half of turning its plugin references into archives (`resolve`).

pub mod readable;
pub mod render;
pub mod resolve;
pub mod status;
pub mod worker_version;
