//! The `Connect` resource's functional core: what a Connect cluster becomes in Kubernetes
//! (`render`), what its workers may read (`readable`), how its REST API is locked to the operator (`rest_security`) and the pure half of turning its plugin references into archives (`resolve`).

pub mod kafka_client;
pub mod logging;
pub mod metric_reporters;
pub mod probe;
pub mod readable;
pub mod render;
pub mod resolve;
pub mod rest_security;
pub mod status;
pub mod worker_version;
