//! The `Connect` resource's functional core: what a Connect cluster becomes in Kubernetes.
//! The controller that applies it (and the plugin resolvers that feed it) come next.

pub mod render;
