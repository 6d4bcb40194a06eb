//! Where the REST API of a Sluice-managed Connect cluster is reachable.

/// The REST port of Connect workers.
pub const REST_PORT: u16 = 8083;

/// The in-cluster URL of the client Service of the `Connect` named `name`.
pub fn in_cluster_url(name: &str, namespace: &str) -> String {
    format!("http://{name}.{namespace}.svc:{REST_PORT}")
}
