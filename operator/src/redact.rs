//! Keeping secrets out of status, Events and logs.
//!
//! Sluice never copies config values into status or Events, but Connect's error messages
//! can quote them ("Invalid value hunter2 for configuration ..."). Every message that leaves
//! Sluice goes through a [`Redactor`] built from the connector's config.

use std::collections::BTreeMap;

/// What replaces a secret.
pub const MASK: &str = "[hidden]";

/// Words in a config key that mark its value as a secret, as Kafka and connector authors
/// spell them (`database.password`, `aws.secret.access.key`, `basic.auth.user.info`,
/// `snowflake.private.key.passphrase`, `gcs.credentials.json`, ...). The table in the tests
/// holds the real keys this must cover.
const SENSITIVE_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "secret",
    "token",
    "credential",
    "private.key",
    "privatekey",
    "api.key",
    "apikey",
    "access.key",
    "account.key",
    "customer.key",
    "sas.key",
    "jaas.config",
    "key.id",
    "user.info",
    "userinfo",
    "keyfile",
    "keystore.key",
    "auth.header",
    "authorization",
];

/// Config keys whose values are treated as secrets.
pub fn is_sensitive_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase().replace(['_', '-'], ".");
    SENSITIVE_WORDS.iter().any(|word| key.contains(word))
}

/// The secrets inside a value whatever its key: the password of `scheme://user:password@host`
/// (`connection.url`, `connection.uri`, `http.api.url`), the value of `password=` in a JDBC or
/// query string, and a value holding a PEM private key, whole and line by line.
fn embedded_secrets(value: &str) -> Vec<String> {
    if value.contains("PRIVATE KEY-----") {
        // The key's lines too: a message may quote one, or the value escaped (`\n`).
        return std::iter::once(value.to_owned())
            .chain(
                value.lines().map(str::trim).filter(|l| !l.starts_with("-----")).map(str::to_owned),
            )
            .collect();
    }
    let mut found = Vec::new();
    let mut rest = value;
    while let Some(at) = rest.find("://") {
        let after = &rest[at + 3..];
        let authority = &after[..after.find(['/', '?', '#', ' ']).unwrap_or(after.len())];
        // The last `@` ends the user info: a password may itself hold `@`.
        if let Some(end) = authority.rfind('@')
            && let Some((_, password)) = authority[..end].split_once(':')
        {
            found.push(password.to_owned());
        }
        rest = after;
    }
    let lower = value.to_ascii_lowercase();
    for word in ["password=", "pwd=", "secret=", "token="] {
        let mut from = 0;
        while let Some(at) = lower[from..].find(word) {
            let start = from + at + word.len();
            let len = value[start..]
                .find([';', '&', ' ', ',', '\n', '"', '\''])
                .unwrap_or(value.len() - start);
            found.push(value[start..start + len].to_owned());
            from = start;
        }
    }
    found
}

/// Masks known secret values in text.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl Redactor {
    /// Treats the values of sensitive keys of `config` as secrets, plus `extra` (values that
    /// came from Kubernetes Secrets).
    pub fn new(config: &BTreeMap<String, String>, extra: impl IntoIterator<Item = String>) -> Self {
        let mut secrets: Vec<String> = config
            .iter()
            .filter(|(_, v)| !is_reference(v))
            .flat_map(|(k, v)| {
                let mut found = embedded_secrets(v);
                if is_sensitive_key(k) {
                    found.push(v.clone());
                }
                found
            })
            .chain(extra)
            // Masking very short values would mangle unrelated words.
            .filter(|v| v.len() >= 4)
            .collect();
        // Longest first, so a secret containing another is masked whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        Self { secrets }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        out
    }
}

/// `${provider:path:key}` references are not secrets themselves: Connect resolves them.
fn is_reference(value: &str) -> bool {
    value.starts_with("${") && value.ends_with('}')
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Secret-bearing keys of popular connectors, as their documentation names them.
    const REAL_SECRET_KEYS: &[(&str, &str)] = &[
        ("JDBC", "connection.password"),
        ("Debezium MySQL/Postgres", "database.password"),
        ("Debezium", "database.ssl.keystore.password"),
        ("Debezium", "database.ssl.truststore.password"),
        ("Debezium", "schema.history.internal.producer.sasl.jaas.config"),
        ("Debezium Oracle", "database.history.kafka.consumer.ssl.key.password"),
        ("S3", "aws.secret.access.key"),
        ("S3", "aws.access.key.id"),
        ("S3", "aws.session.token"),
        ("S3", "s3.sse.customer.key"),
        ("Elasticsearch", "connection.password"),
        ("Elasticsearch", "elastic.https.ssl.keystore.password"),
        ("Elasticsearch", "elastic.https.ssl.key.password"),
        ("Snowflake", "snowflake.private.key"),
        ("Snowflake", "snowflake.private.key.passphrase"),
        ("Snowflake", "snowflake.oauth.client.secret"),
        ("Snowflake", "snowflake.oauth.refresh.token"),
        ("HTTP sink", "basic.auth.user.info"),
        ("HTTP sink", "oauth2.client.secret"),
        ("HTTP sink", "https.ssl.key.password"),
        ("HTTP sink", "auth.password"),
        ("HTTP sink", "bearer.token"),
        ("Salesforce", "salesforce.password"),
        ("Salesforce", "salesforce.password.token"),
        ("Salesforce", "salesforce.consumer.secret"),
        ("Salesforce", "salesforce.jwt.keystore.password"),
        ("Schema Registry", "value.converter.basic.auth.user.info"),
        ("Schema Registry", "key.converter.schema.registry.basic.auth.user.info"),
        ("Kafka clients", "producer.override.sasl.jaas.config"),
        ("Kafka clients", "consumer.override.ssl.keystore.password"),
        ("Kafka clients", "ssl.keystore.key"),
        ("BigQuery", "keyfile"),
        ("GCS", "gcs.credentials.json"),
        ("Azure Blob", "azblob.account.key"),
        ("Azure Blob", "azblob.sas.token"),
        ("Splunk", "splunk.hec.token"),
        ("Datadog", "datadog.api.key"),
        ("Redis", "redis.password"),
        ("MongoDB", "mongo.password"),
        ("Couchbase", "couchbase.password"),
    ];

    #[test]
    fn the_secret_keys_of_popular_connectors_are_recognised() {
        assert!(REAL_SECRET_KEYS.len() >= 30);
        for (connector, key) in REAL_SECRET_KEYS {
            assert!(is_sensitive_key(key), "{connector}: {key}");
        }
        for k in [
            "topic",
            "file",
            "key.converter",
            "tasks.max",
            "connection.user",
            "database.hostname",
            "s3.bucket.name",
            "snowflake.user.name",
        ] {
            assert!(!is_sensitive_key(k), "{k}");
        }
    }

    #[test]
    fn secrets_inside_values_are_masked_whatever_the_key() {
        let config = BTreeMap::from([
            (
                "connection.url".to_owned(),
                "jdbc:postgresql://db:5432/app?user=app&password=pg-Secret1".to_owned(),
            ),
            ("connection.uri".to_owned(), "mongodb://app:m0ngo@pass@mongo:27017/db".to_owned()),
            (
                "jdbc.url".to_owned(),
                "jdbc:sqlserver://db;user=sa;password=Sql$erver9;encrypt=true".to_owned(),
            ),
            ("http.api.url".to_owned(), "https://bot:h77p-tok@api.example/v1".to_owned()),
            (
                "transforms.k.cert".to_owned(),
                "-----BEGIN PRIVATE KEY-----\nMIIEv\n-----END PRIVATE KEY-----".to_owned(),
            ),
            ("topic".to_owned(), "orders".to_owned()),
        ]);
        let r = Redactor::new(&config, []);
        for secret in ["pg-Secret1", "m0ngo@pass", "Sql$erver9", "h77p-tok", "MIIEv"] {
            let masked = r.redact(&format!("Connect says: {secret} is wrong ({config:?})"));
            assert!(!masked.contains(secret), "{secret} in {masked}");
        }
        assert!(r.redact("topic orders, host db:5432").contains("orders"));
    }

    #[test]
    fn secret_values_are_masked_in_messages() {
        let config = BTreeMap::from([
            ("connection.password".to_owned(), "hunter2-long".to_owned()),
            ("topic".to_owned(), "orders".to_owned()),
            ("aws.secret.access.key".to_owned(), "${file:/mnt/secrets/aws:key}".to_owned()),
        ]);
        let r = Redactor::new(&config, ["from-a-secret".to_owned()]);
        assert_eq!(
            r.redact(
                "Invalid value hunter2-long for connection.password; topic orders; from-a-secret"
            ),
            "Invalid value [hidden] for connection.password; topic orders; [hidden]"
        );
        assert_eq!(r.redact("${file:/mnt/secrets/aws:key}"), "${file:/mnt/secrets/aws:key}");
    }
}
