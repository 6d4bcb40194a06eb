//! Keeping secrets out of status, Events and logs.
//!
//! Sluice never copies config values into status or Events, but Connect's error messages
//! can quote them ("Invalid value hunter2 for configuration ..."). Every message that leaves
//! Sluice goes through a [`Redactor`] built from the connector's config.

use std::collections::BTreeMap;

/// What replaces a secret.
pub const MASK: &str = "[hidden]";

/// Config keys whose values are treated as secrets, by the words Kafka and connector
/// authors use for them.
pub fn is_sensitive_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "credential",
        "private.key",
        "api.key",
        "apikey",
        "access.key",
        "sasl.jaas.config",
        "key.id",
    ]
    .iter()
    .any(|word| key.contains(word))
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
            .filter(|(k, v)| is_sensitive_key(k) && !is_reference(v))
            .map(|(_, v)| v.clone())
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

    #[test]
    fn sensitive_keys_are_recognised() {
        for k in [
            "connection.password",
            "aws.secret.access.key",
            "sasl.jaas.config",
            "aws.access.key.id",
            "api.token",
        ] {
            assert!(is_sensitive_key(k), "{k}");
        }
        for k in ["topic", "file", "key.converter", "tasks.max"] {
            assert!(!is_sensitive_key(k), "{k}");
        }
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
