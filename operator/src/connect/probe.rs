//! The workers' readiness probe: a worker is Ready when Connect's REST resources answer,
//! not when its listener merely accepts connections (which it does while it still scans
//! plugins and joins the group).
//!
//! Every REST path asks for the basic-auth credentials (Kafka's extension exempts only the
//! workers' internal calls, `/health` included), and a kubelet `httpGet` probe could hold
//! them only in the pod spec; it would also send the pod IP as `Host`, which Kafka 4's
//! Jetty 12 refuses on TLS ("Invalid SNI"). So the probe is an `exec` of `sluice-probe`, a
//! static binary an init container on the operator's image copies into a volume of the
//! pod: it needs nothing of the worker image (Apache's is Alpine with musl and busybox,
//! Confluent's UBI), reads the credentials from the login file the worker already mounts,
//! checks the listener against the Connect's CA bundle, and asks by the pod's DNS name.
//! `GET /health` (KIP-1017, Kafka 3.9) answers 200 once the herder has ticked, 503 while
//! it starts, 500 when its thread is stuck; on older workers it is 404, and the probe asks
//! `GET /connectors` instead.

use k8s_openapi::api::core::v1::{ExecAction, Probe};

use super::rest_security as rest;
use crate::connect_endpoint::REST_PORT;

/// Where the init container puts the probe, in a volume both containers mount.
pub const DIR: &str = "/opt/sluice/bin";
/// The init container that runs `sluice copy-probe` on the operator's image.
pub const COPY_CONTAINER: &str = "copy-probe";
/// The probe's file name, in the operator image beside `sluice` and in [`DIR`].
pub const BINARY: &str = "sluice-probe";
/// The environment variable holding the name the worker is asked by.
pub const HOST_ENV: &str = "SLUICE_REST_HOST";
/// How long one probe may take, kubelet's and the probe's own: a worker busy rebalancing
/// answers within it.
pub const TIMEOUT_SECONDS: i32 = 5;

/// The readiness probe of the worker container.
pub fn readiness() -> Probe {
    Probe {
        exec: Some(ExecAction { command: Some(command()) }),
        period_seconds: Some(5),
        timeout_seconds: Some(TIMEOUT_SECONDS),
        failure_threshold: Some(3),
        ..Probe::default()
    }
}

fn command() -> Vec<String> {
    vec![
        format!("{DIR}/{BINARY}"),
        "--port".into(),
        REST_PORT.to_string(),
        "--ca".into(),
        format!("{}/{}", rest::TLS_DIR, rest::CACERTS),
        "--login".into(),
        format!("{}/{}", rest::CREDENTIALS_DIR, rest::LOGIN_FILE),
        "--host-env".into(),
        HOST_ENV.into(),
        "--timeout-seconds".into(),
        (TIMEOUT_SECONDS - 1).to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_holds_no_credential_only_where_to_read_one() {
        let probe = readiness();
        let command = probe.exec.unwrap().command.unwrap();
        assert_eq!(command[0], "/opt/sluice/bin/sluice-probe");
        assert!(command.contains(&"/mnt/sluice/rest-credentials/basic-auth.properties".to_owned()));
        assert!(probe.http_get.is_none() && probe.tcp_socket.is_none());
    }
}
