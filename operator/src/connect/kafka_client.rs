//! How the workers reach a Kafka cluster that asks for TLS and SASL or mTLS
//! (`dependencies.kafka.tls` and `.authentication`, CFK's names). Connect hands its
//! connectors' producers, consumers and admin clients only the settings under `producer.`,
//! `consumer.` and `admin.`, so every setting is rendered for the worker and again under each
//! prefix.
//!
//! Nothing secret goes into the worker ConfigMap: the SASL login line and the PEM stores are
//! built from the user's Secrets into a Secret the Connect owns, mounted at [`DIR`], and the
//! start command adds the login lines to the worker's properties. Pure: the controller reads
//! the Secrets and applies what [`secret_data`] returns.

use std::collections::BTreeMap;

use crate::crd::{ConnectSpec, KafkaAuthenticationType};

/// Where the Connect's Kafka client Secret is mounted.
pub const DIR: &str = "/mnt/sluice/kafka";
/// The `sasl.jaas.config` lines, one per client.
pub const CLIENT_PROPERTIES: &str = "client.properties";
/// The CAs the clients trust, PEM.
pub const TRUSTSTORE: &str = "truststore.pem";
/// The mTLS client key and its chain in one file, the shape of Kafka's PEM keystore.
pub const KEYSTORE: &str = "keystore.pem";
/// The worker's own clients, then those it makes for connectors.
const PREFIXES: [&str; 4] = ["", "producer.", "consumer.", "admin."];

/// A Secret's data, key by key, as bytes.
pub type SecretData = BTreeMap<String, Vec<u8>>;

/// The data of a Secret as read (empty when it has none).
pub fn secret_data_of(secret: &k8s_openapi::api::core::v1::Secret) -> SecretData {
    secret.data.iter().flatten().map(|(k, v)| (k.clone(), v.0.clone())).collect()
}

/// The Secret Sluice builds for a Connect's Kafka clients.
pub fn secret_name(connect: &str) -> String {
    format!("{connect}-kafka")
}

fn sasl(spec: &ConnectSpec) -> Option<KafkaAuthenticationType> {
    let kind = spec.dependencies.kafka.authentication.as_ref()?.kind;
    (kind != KafkaAuthenticationType::Mtls).then_some(kind)
}

fn tls(spec: &ConnectSpec) -> bool {
    spec.dependencies.kafka.tls.as_ref().is_some_and(|t| t.enabled != Some(false))
}

fn tls_secret(spec: &ConnectSpec) -> Option<&str> {
    let tls = spec.dependencies.kafka.tls.as_ref().filter(|t| t.enabled != Some(false))?;
    tls.secret_ref.as_deref()
}

fn mtls(spec: &ConnectSpec) -> bool {
    spec.dependencies.kafka.authentication.as_ref().map(|a| a.kind)
        == Some(KafkaAuthenticationType::Mtls)
}

/// The keys of the Connect's Kafka client Secret, empty when the workers need none.
pub fn secret_keys(spec: &ConnectSpec) -> Vec<&'static str> {
    let mut keys = Vec::new();
    if sasl(spec).is_some() {
        keys.push(CLIENT_PROPERTIES);
    }
    if tls_secret(spec).is_some() {
        keys.push(TRUSTSTORE);
    }
    if mtls(spec) {
        keys.push(KEYSTORE);
    }
    keys
}

/// Whether the start command adds the login lines from [`CLIENT_PROPERTIES`].
pub fn has_login(spec: &ConnectSpec) -> bool {
    sasl(spec).is_some()
}

/// The worker properties for Kafka's security, for the worker and each client prefix.
pub fn worker_lines(spec: &ConnectSpec) -> Vec<String> {
    let protocol = match (sasl(spec).is_some(), tls(spec) || mtls(spec)) {
        (true, true) => Some("SASL_SSL"),
        (true, false) => Some("SASL_PLAINTEXT"),
        (false, true) => Some("SSL"),
        (false, false) => None,
    };
    let mut settings: Vec<(&str, String)> = Vec::new();
    if let Some(protocol) = protocol {
        settings.push(("security.protocol", protocol.into()));
    }
    if let Some(kind) = sasl(spec) {
        settings.push(("sasl.mechanism", mechanism(kind).into()));
    }
    if tls_secret(spec).is_some() {
        settings.push(("ssl.truststore.type", "PEM".into()));
        settings.push(("ssl.truststore.location", format!("{DIR}/{TRUSTSTORE}")));
    }
    if mtls(spec) {
        settings.push(("ssl.keystore.type", "PEM".into()));
        settings.push(("ssl.keystore.location", format!("{DIR}/{KEYSTORE}")));
    }
    PREFIXES.iter().flat_map(|p| settings.iter().map(move |(k, v)| format!("{p}{k}={v}"))).collect()
}

fn mechanism(kind: KafkaAuthenticationType) -> &'static str {
    match kind {
        KafkaAuthenticationType::Scram => "SCRAM-SHA-512",
        _ => "PLAIN",
    }
}

/// The user's Secrets the client Secret is built from: (the field naming it, its name).
pub fn user_secrets(spec: &ConnectSpec) -> Vec<(&'static str, &str)> {
    let mut out = Vec::new();
    if let Some(auth) = &spec.dependencies.kafka.authentication {
        if let Some(s) = &auth.jaas_config {
            out.push((
                "dependencies.kafka.authentication.jaasConfig.secretRef",
                s.secret_ref.as_str(),
            ));
        }
        if let Some(s) = &auth.jaas_config_pass_through {
            out.push((
                "dependencies.kafka.authentication.jaasConfigPassThrough.secretRef",
                s.secret_ref.as_str(),
            ));
        }
    }
    if let Some(name) = tls_secret(spec) {
        out.push(("dependencies.kafka.tls.secretRef", name));
    }
    out
}

/// The client Secret's data from the user's Secrets (`read`, by name), or what is missing
/// from them, naming the field, the Secret, the key and the fix.
pub fn secret_data(
    spec: &ConnectSpec,
    read: &BTreeMap<String, SecretData>,
) -> Result<SecretData, String> {
    let mut out = SecretData::new();
    let key = |field: &str, name: &str, key: &str, what: &str| -> Result<Vec<u8>, String> {
        read.get(name)
            .and_then(|d| d.get(key))
            .cloned()
            .ok_or_else(|| format!("{field}: Secret {name} has no {key} ({what}): add it"))
    };
    if let (Some(kind), Some(auth)) = (sasl(spec), &spec.dependencies.kafka.authentication) {
        let login = if let Some(s) = &auth.jaas_config_pass_through {
            let field = "dependencies.kafka.authentication.jaasConfigPassThrough.secretRef";
            let text = key(field, &s.secret_ref, "plain-jaas.conf", "the whole sasl.jaas.config")?;
            String::from_utf8_lossy(&text).trim().to_owned()
        } else if let Some(s) = &auth.jaas_config {
            let field = "dependencies.kafka.authentication.jaasConfig.secretRef";
            let what = "username=... and password=... lines";
            let text = key(field, &s.secret_ref, "plain.txt", what)?;
            let text = String::from_utf8_lossy(&text);
            let value = |name: &str| {
                text.lines().find_map(|l| {
                    l.trim().strip_prefix(name)?.trim_start().strip_prefix('=').map(str::trim)
                })
            };
            let (Some(user), Some(password)) = (value("username"), value("password")) else {
                return Err(format!(
                    "{field}: Secret {}'s plain.txt needs username=... and password=... lines",
                    s.secret_ref
                ));
            };
            let module = match kind {
                KafkaAuthenticationType::Scram => {
                    "org.apache.kafka.common.security.scram.ScramLoginModule"
                }
                _ => "org.apache.kafka.common.security.plain.PlainLoginModule",
            };
            format!(
                "{module} required username=\"{}\" password=\"{}\";",
                jaas_quoted(user),
                jaas_quoted(password)
            )
        } else {
            return Err("dependencies.kafka.authentication needs jaasConfig.secretRef or jaasConfigPassThrough.secretRef".into());
        };
        let lines: String = PREFIXES
            .iter()
            .map(|p| format!("{p}sasl.jaas.config={}\n", properties_escaped(&login)))
            .collect();
        out.insert(CLIENT_PROPERTIES.into(), lines.into_bytes());
    }
    if let Some(name) = tls_secret(spec) {
        let field = "dependencies.kafka.tls.secretRef";
        out.insert(
            TRUSTSTORE.into(),
            key(field, name, "cacerts.pem", "the CAs that signed the brokers' certificates")?,
        );
        if mtls(spec) {
            let chain = key(field, name, "fullchain.pem", "the client certificate and its chain")?;
            let private = key(field, name, "privkey.pem", "the client certificate's key")?;
            if !String::from_utf8_lossy(&private).contains("-----BEGIN PRIVATE KEY-----") {
                return Err(format!(
                    "{field}: Secret {name}'s privkey.pem is not an unencrypted PKCS#8 key (BEGIN PRIVATE KEY), which Kafka's PEM key store reads: convert it with openssl pkcs8 -topk8 -nocrypt"
                ));
            }
            out.insert(KEYSTORE.into(), [private.as_slice(), b"\n", chain.as_slice()].concat());
        }
    }
    Ok(out)
}

/// A value inside a JAAS option's double quotes.
fn jaas_quoted(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A value as a Java properties file reads it back unchanged: Kafka loads the file as
/// ISO-8859-1, so anything beyond ASCII goes as `\\uXXXX` (UTF-16 units).
fn properties_escaped(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::Connect;

    fn spec(kafka: serde_json::Value) -> ConnectSpec {
        let c: Connect = serde_json::from_value(serde_json::json!({
            "apiVersion": "sluice.dev/v1alpha1", "kind": "Connect",
            "metadata": {"name": "c"},
            "spec": {"replicas": 1, "dependencies": {"kafka": kafka}},
        }))
        .unwrap();
        c.spec
    }

    fn secrets(pairs: &[(&str, &str, &str)]) -> BTreeMap<String, SecretData> {
        let mut out: BTreeMap<String, SecretData> = BTreeMap::new();
        for (secret, key, value) in pairs {
            out.entry((*secret).into())
                .or_default()
                .insert((*key).into(), value.as_bytes().to_vec());
        }
        out
    }

    #[test]
    fn every_client_gets_the_protocol_the_mechanism_and_the_stores() {
        let scram = spec(serde_json::json!({
            "bootstrapEndpoint": "kafka:9093",
            "authentication": {"type": "scram", "jaasConfig": {"secretRef": "creds"}},
            "tls": {"enabled": true, "secretRef": "ca"},
        }));
        let lines = worker_lines(&scram);
        for prefix in ["", "producer.", "consumer.", "admin."] {
            for setting in [
                "security.protocol=SASL_SSL",
                "sasl.mechanism=SCRAM-SHA-512",
                "ssl.truststore.type=PEM",
                "ssl.truststore.location=/mnt/sluice/kafka/truststore.pem",
            ] {
                let line = format!("{prefix}{setting}");
                assert!(lines.contains(&line), "{line} in {lines:?}");
            }
        }
        assert!(!lines.iter().any(|l| l.contains("jaas")), "no login in the ConfigMap");
        assert_eq!(secret_keys(&scram), [CLIENT_PROPERTIES, TRUSTSTORE]);

        // (case, kafka, the protocol, the mechanism)
        let table = [
            ("nothing", serde_json::json!({"bootstrapEndpoint": "k:9092"}), None, None),
            (
                "plain without tls",
                serde_json::json!({"bootstrapEndpoint": "k", "authentication": {"type": "plain", "jaasConfig": {"secretRef": "c"}}}),
                Some("SASL_PLAINTEXT"),
                Some("PLAIN"),
            ),
            (
                "tls with the JVM's CAs",
                serde_json::json!({"bootstrapEndpoint": "k", "tls": {"enabled": true}}),
                Some("SSL"),
                None,
            ),
            (
                "tls disabled",
                serde_json::json!({"bootstrapEndpoint": "k", "tls": {"enabled": false}}),
                None,
                None,
            ),
            (
                "mtls",
                serde_json::json!({"bootstrapEndpoint": "k", "authentication": {"type": "mtls"}, "tls": {"secretRef": "t"}}),
                Some("SSL"),
                None,
            ),
        ];
        for (case, kafka, protocol, mechanism) in table {
            let lines = worker_lines(&spec(kafka));
            let value = |key: &str| {
                lines
                    .iter()
                    .find_map(|l| l.strip_prefix(&format!("producer.{key}=")))
                    .map(str::to_owned)
            };
            assert_eq!(value("security.protocol").as_deref(), protocol, "{case}");
            assert_eq!(value("sasl.mechanism").as_deref(), mechanism, "{case}");
        }
    }

    #[test]
    fn the_login_line_is_built_quoted_for_every_client_and_mtls_joins_key_and_chain() {
        let scram = spec(serde_json::json!({
            "bootstrapEndpoint": "k",
            "authentication": {"type": "scram", "jaasConfig": {"secretRef": "creds"}},
        }));
        let read = secrets(&[("creds", "plain.txt", "username=sluice\npassword = p\"w\\d\n")]);
        let data = secret_data(&scram, &read).unwrap();
        let properties = String::from_utf8(data[CLIENT_PROPERTIES].clone()).unwrap();
        let login = r#"org.apache.kafka.common.security.scram.ScramLoginModule required username="sluice" password="p\\"w\\\\d";"#;
        for prefix in ["", "producer.", "consumer.", "admin."] {
            let line = format!("{prefix}sasl.jaas.config={login}");
            assert!(properties.lines().any(|l| l == line), "{line} in\n{properties}");
        }
        // Read back as Java would (properties, then JAAS unquoting), the password is intact.
        let value =
            properties.lines().next().unwrap().split_once('=').unwrap().1.replace("\\\\", "\\");
        assert!(value.ends_with(r#"password="p\"w\\d";"#), "{value}");

        // Beyond ASCII, as Java's properties loader reads it back.
        assert_eq!(properties_escaped("pä😀\t"), "p\\u00e4\\ud83d\\ude00\\u0009");

        let pass_through = spec(serde_json::json!({
            "bootstrapEndpoint": "k",
            "authentication": {"type": "plain", "jaasConfigPassThrough": {"secretRef": "jaas"}},
        }));
        let line = "org.apache.kafka.common.security.plain.PlainLoginModule required username=\"u\" password=\"x\";";
        let data = secret_data(
            &pass_through,
            &secrets(&[("jaas", "plain-jaas.conf", &format!("{line}\n"))]),
        )
        .unwrap();
        let properties = String::from_utf8(data[CLIENT_PROPERTIES].clone()).unwrap();
        assert!(properties.starts_with(&format!("sasl.jaas.config={line}\n")), "{properties}");

        let mtls = spec(serde_json::json!({
            "bootstrapEndpoint": "k", "authentication": {"type": "mtls"}, "tls": {"secretRef": "client"},
        }));
        let read = secrets(&[
            ("client", "cacerts.pem", "CA"),
            ("client", "fullchain.pem", "CHAIN"),
            ("client", "privkey.pem", "-----BEGIN PRIVATE KEY-----\nK\n-----END PRIVATE KEY-----"),
        ]);
        let data = secret_data(&mtls, &read).unwrap();
        assert_eq!(data[TRUSTSTORE], b"CA");
        let keystore = String::from_utf8(data[KEYSTORE].clone()).unwrap();
        assert!(keystore.starts_with("-----BEGIN PRIVATE KEY-----") && keystore.ends_with("CHAIN"));
        assert!(!data.contains_key(CLIENT_PROPERTIES));
        assert_eq!(secret_keys(&mtls), [TRUSTSTORE, KEYSTORE]);
    }

    #[test]
    fn what_a_secret_lacks_is_named_with_the_field_and_the_fix() {
        let scram = spec(serde_json::json!({
            "bootstrapEndpoint": "k",
            "authentication": {"type": "scram", "jaasConfig": {"secretRef": "creds"}},
            "tls": {"secretRef": "ca"},
        }));
        // (case, what was read, the message)
        let table = [
            (
                "no plain.txt",
                secrets(&[("creds", "other", "x"), ("ca", "cacerts.pem", "CA")]),
                "dependencies.kafka.authentication.jaasConfig.secretRef: Secret creds has no plain.txt (username=... and password=... lines): add it",
            ),
            (
                "no password line",
                secrets(&[("creds", "plain.txt", "username=u"), ("ca", "cacerts.pem", "CA")]),
                "dependencies.kafka.authentication.jaasConfig.secretRef: Secret creds's plain.txt needs username=... and password=... lines",
            ),
            (
                "no CA",
                secrets(&[("creds", "plain.txt", "username=u\npassword=p")]),
                "dependencies.kafka.tls.secretRef: Secret ca has no cacerts.pem (the CAs that signed the brokers' certificates): add it",
            ),
        ];
        for (case, read, want) in table {
            assert_eq!(secret_data(&scram, &read).unwrap_err(), want, "{case}");
        }
        let mtls = spec(serde_json::json!({
            "bootstrapEndpoint": "k", "authentication": {"type": "mtls"}, "tls": {"secretRef": "client"},
        }));
        let read = secrets(&[
            ("client", "cacerts.pem", "CA"),
            ("client", "fullchain.pem", "CHAIN"),
            ("client", "privkey.pem", "-----BEGIN RSA PRIVATE KEY-----"),
        ]);
        let e = secret_data(&mtls, &read).unwrap_err();
        assert!(e.contains("openssl pkcs8 -topk8 -nocrypt"), "{e}");
        assert_eq!(
            user_secrets(&scram),
            [
                ("dependencies.kafka.authentication.jaasConfig.secretRef", "creds"),
                ("dependencies.kafka.tls.secretRef", "ca"),
            ]
        );
    }
}
