//! The workers' REST listener, locked to the operator: https with a certificate of the
//! Connect's own, and HTTP basic auth (Kafka's `BasicAuthSecurityRestExtension`) with
//! credentials Sluice generates. Whoever reaches the REST API can create connectors, which
//! is running code in the workers with their mounted Secrets, so a Connect's REST API answers
//! only the operator and the workers forwarding to each other.
//!
//! Pure: what the worker config says, where the material is mounted, and when the Secret
//! that holds it must be (re)issued. The controller generates what [`plan`] asks for.

use jiff::{SignedDuration, Timestamp};

use crate::connect_endpoint::REST_PORT;
use crate::crd::ConnectSpec;

/// Where the listener's certificate, key and trusted CAs are mounted.
pub const TLS_DIR: &str = "/mnt/sluice/rest-tls";
/// Where the basic-auth login file is mounted.
pub const CREDENTIALS_DIR: &str = "/mnt/sluice/rest-credentials";
/// The user the operator authenticates as.
pub const USERNAME: &str = "sluice";
/// Confluent for Kubernetes' key names, read from a certificate Secret of the user's own.
pub const FULLCHAIN: &str = "fullchain.pem";
pub const PRIVKEY: &str = "privkey.pem";
/// The CAs the operator trusts for the listener, PEM (in both Secrets).
pub const CACERTS: &str = "cacerts.pem";
/// What the listener serves and trusts, as Connect's Jetty reads them: PKCS#12 (it takes no
/// PEM), both under one random password.
pub const KEYSTORE: &str = "keystore.p12";
pub const TRUSTSTORE: &str = "truststore.p12";
pub const STORE_PASSWORD: &str = "keystore.password";
/// The generated Secret's basic-auth keys, the shape `connectRest` credentials have.
pub const USERNAME_KEY: &str = "username";
pub const PASSWORD_KEY: &str = "password";
/// `PropertyFileLoginModule`'s file: `user=password` lines.
pub const LOGIN_FILE: &str = "basic-auth.properties";
/// The JAAS configuration in the worker config map.
pub const JAAS_FILE: &str = "rest-jaas.conf";
/// When the issued certificate expires (RFC 3339), on the generated Secret.
pub const NOT_AFTER_ANNOTATION: &str = "sluice.dev/not-after";
/// Where the served certificate came from, on the generated Secret: `issued`, or
/// `secret/<name>@<resourceVersion>` for the user's own, so a changed one is taken over.
pub const SOURCE_ANNOTATION: &str = "sluice.dev/certificate-source";
/// The source of an issued certificate.
pub const ISSUED: &str = "issued";
/// How long an issued certificate (and its CA) is valid.
pub const VALIDITY: SignedDuration = SignedDuration::from_hours(365 * 24);
/// How long before it expires a certificate is issued again. The new CA is trusted beside
/// the old one, so workers still on the old certificate are reached while they roll.
pub const RENEW_BEFORE: SignedDuration = SignedDuration::from_hours(30 * 24);

/// The Secret Sluice generates for a Connect: the credentials, and the stores the listener
/// serves (with the certificate Sluice issued or the user's own, converted).
pub fn secret_name(connect: &str) -> String {
    format!("{connect}-rest")
}

/// The source annotation of the user's certificate Secret `name` at `version`.
pub fn user_source(name: &str, version: &str) -> String {
    format!("secret/{name}@{version}")
}

/// The Secret of the user's own certificate, if `spec.tls` names one.
pub fn user_certificate(spec: &ConnectSpec) -> Option<&str> {
    spec.tls.as_ref()?.secret_ref.as_deref()
}

/// The names an issued certificate holds: the client Service the operator calls (with and
/// without the default cluster domain), and the workers under the headless Service.
pub fn dns_names(connect: &str, namespace: &str) -> Vec<String> {
    let workers = super::render::headless_name(connect);
    vec![
        format!("{connect}.{namespace}.svc"),
        format!("{connect}.{namespace}.svc.cluster.local"),
        format!("{connect}.{namespace}"),
        format!("*.{workers}.{namespace}.svc"),
        format!("*.{workers}.{namespace}.svc.cluster.local"),
    ]
}

const SSL: &str = "listeners.https.ssl";

/// The worker properties of the listener. The stores' password is not among them: the
/// start command adds [`password_lines`] from the mounted file, so no ConfigMap holds it.
pub fn worker_lines() -> Vec<String> {
    vec![
        format!("listeners=https://0.0.0.0:{REST_PORT}"),
        "rest.advertised.listener=https".into(),
        format!("{SSL}.keystore.type=PKCS12"),
        format!("{SSL}.keystore.location={TLS_DIR}/{KEYSTORE}"),
        format!("{SSL}.truststore.type=PKCS12"),
        format!("{SSL}.truststore.location={TLS_DIR}/{TRUSTSTORE}"),
        // Workers forward requests to each other by their DNS names under the headless
        // Service, which the certificate covers (Kafka 4's Jetty checks the Host against it
        // on its side). The client's own name check stays off so that a certificate of the
        // user's that names only the Services keeps working on Kafka 3; trust is pinned to
        // the truststore: with an issued certificate, a CA of this Connect alone.
        format!("{SSL}.endpoint.identification.algorithm="),
        "rest.extension.classes=org.apache.kafka.connect.rest.basic.auth.extension.BasicAuthSecurityRestExtension".into(),
    ]
}

/// Shell `echo`s of the stores' password lines, reading the mounted password file, for the
/// start command that writes the worker's properties.
pub fn password_lines() -> String {
    ["keystore.password", "key.password", "truststore.password"]
        .iter()
        .map(|key| format!("echo \"{SSL}.{key}=$(cat {TLS_DIR}/{STORE_PASSWORD})\""))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The JAAS configuration that points the basic-auth extension at the mounted login file.
/// It holds no secret, so it lives in the worker config map.
pub fn jaas_config() -> String {
    format!(
        "KafkaConnect {{\n  org.apache.kafka.connect.rest.basic.auth.extension.PropertyFileLoginModule required\n  file=\"{CREDENTIALS_DIR}/{LOGIN_FILE}\";\n}};\n"
    )
}

/// The generated Secret as the controller found it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Existing {
    pub has_password: bool,
    /// Whether it holds the stores, their password and the CA bundle.
    pub has_certificate: bool,
    /// When that certificate expires, from [`NOT_AFTER_ANNOTATION`].
    pub not_after: Option<Timestamp>,
    /// Where it came from, from [`SOURCE_ANNOTATION`].
    pub source: Option<String>,
}

/// What the generated Secret needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    Keep,
    /// Write it, generating what is marked; the rest is kept as it is.
    Issue {
        password: bool,
        certificate: bool,
    },
}

/// What to generate, given the Secret found and the source the certificate must come from:
/// [`ISSUED`] (renewed before it expires), or the user's Secret at its current version
/// ([`user_source`]; taken over again when it changes, never renewed by Sluice).
pub fn plan(existing: Option<&Existing>, source: &str, now: Timestamp) -> Plan {
    let found = existing.cloned().unwrap_or_default();
    let password = !found.has_password;
    let current = found.has_certificate
        && found.source.as_deref() == Some(source)
        && (source != ISSUED
            || found.not_after.is_some_and(|t| t.duration_since(now) > RENEW_BEFORE));
    let certificate = !current;
    if password || certificate { Plan::Issue { password, certificate } } else { Plan::Keep }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_secret_is_issued_when_missing_and_renewed_before_it_expires() {
        let now: Timestamp = "2026-12-06T00:00:00Z".parse().unwrap();
        let valid = |days: i64| Existing {
            has_password: true,
            has_certificate: true,
            not_after: Some(now + SignedDuration::from_hours(days * 24)),
            source: Some(ISSUED.into()),
        };
        let mine = user_source("mine", "7");
        let converted = |version: &str| Existing {
            source: Some(user_source("mine", version)),
            not_after: None,
            ..valid(365)
        };
        let issue = |password, certificate| Plan::Issue { password, certificate };
        // (case, found, the source wanted, plan)
        let table = [
            ("nothing yet", None, ISSUED, issue(true, true)),
            ("nothing yet, user's certificate", None, mine.as_str(), issue(true, true)),
            ("valid for a year", Some(valid(365)), ISSUED, Plan::Keep),
            ("31 days left", Some(valid(31)), ISSUED, Plan::Keep),
            ("29 days left", Some(valid(29)), ISSUED, issue(false, true)),
            ("expired", Some(valid(-1)), ISSUED, issue(false, true)),
            ("issued, now the user's", Some(valid(365)), mine.as_str(), issue(false, true)),
            ("the user's, unchanged", Some(converted("7")), mine.as_str(), Plan::Keep),
            ("the user's, changed", Some(converted("6")), mine.as_str(), issue(false, true)),
            ("the user's, now issued", Some(converted("7")), ISSUED, issue(false, true)),
            (
                "password removed",
                Some(Existing { has_password: false, ..valid(365) }),
                ISSUED,
                issue(true, false),
            ),
            (
                "certificate without its date",
                Some(Existing { not_after: None, ..valid(365) }),
                ISSUED,
                issue(false, true),
            ),
            (
                "certificate keys removed",
                Some(Existing { has_certificate: false, ..valid(365) }),
                ISSUED,
                issue(false, true),
            ),
        ];
        for (case, found, source, want) in table {
            assert_eq!(plan(found.as_ref(), source, now), want, "{case}");
        }
    }

    #[test]
    fn the_certificate_names_the_service_the_operator_calls() {
        let names = dns_names("demo", "team-a");
        assert!(names.contains(&"demo.team-a.svc".to_owned()), "{names:?}");
        assert!(names.contains(&"*.demo-workers.team-a.svc".to_owned()), "{names:?}");
    }

    #[test]
    fn the_jaas_file_names_the_mounted_login_file_and_holds_no_secret() {
        let jaas = jaas_config();
        assert!(jaas.contains("file=\"/mnt/sluice/rest-credentials/basic-auth.properties\""));
        assert!(jaas.starts_with("KafkaConnect {"), "{jaas}");
    }
}
