//! Where the REST API of a Sluice-managed Connect cluster is reachable.

/// The REST port of Connect workers.
pub const REST_PORT: u16 = 8083;

/// The client Service's in-cluster URL: https, the only scheme the rendered workers serve,
/// to the name their certificate holds. An operator run outside the cluster (for
/// development, or against a cluster whose Services it cannot reach) is given another
/// template, for example a local port-forward.
pub const DEFAULT_URL_TEMPLATE: &str = "https://{name}.{namespace}.svc:8083";

/// The REST URL of the `Connect` named `name` in `namespace`, by `template`.
pub fn url(template: &str, name: &str, namespace: &str) -> String {
    template.replace("{name}", name).replace("{namespace}", namespace)
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_default_template_is_the_client_service() {
        assert_eq!(
            super::url(super::DEFAULT_URL_TEMPLATE, "connect", "confluent"),
            "https://connect.confluent.svc:8083"
        );
        assert_eq!(super::url("http://127.0.0.1:9000", "a", "b"), "http://127.0.0.1:9000");
    }
}
