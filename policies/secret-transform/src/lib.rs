//! Secrets in connector configs without secrets in the Connector resource.
//!
//! A config value may hold `${secret:<secret-name>:<key>}` placeholders. By default each
//! becomes a reference for Kafka's `DirectoryConfigProvider` (KIP-632), which the worker
//! resolves from the Secret mounted at `<mountPath>/<secret-name>` (a Connect's
//! `mountedSecrets`): `${dir:/mnt/secrets/db-creds:password}`. The secret value never leaves
//! the worker's filesystem.
//!
//! With the setting `resolve: inline`, the value is read through the host's `secrets`
//! capability and written into the config instead; the Policy must grant the Secret, and
//! the operator masks such values in status, Events and logs.
//!
//! Settings: `mountPath` (default `/mnt/secrets`), `provider` (the worker's name for the
//! DirectoryConfigProvider, default `dir`), `resolve` (`reference` or `inline`).

use sluice_plugin_sdk::config_transform::Guest;
use sluice_plugin_sdk::host;
use sluice_plugin_sdk::property;
use sluice_plugin_sdk::types::TransformInput;

pub struct SecretTransform;

impl Guest for SecretTransform {
    fn transform(input: TransformInput) -> Result<Vec<(String, String)>, String> {
        transform(&input)
    }
}

#[cfg(target_arch = "wasm32")]
sluice_plugin_sdk::config_transform::export_config_transform!(SecretTransform);

const OPEN: &str = "${secret:";

/// The config with every placeholder rewritten, or the first malformed one.
pub fn transform(input: &TransformInput) -> Result<Vec<(String, String)>, String> {
    let mount =
        property(&input.settings, "mountPath").unwrap_or("/mnt/secrets").trim_end_matches('/');
    let provider = property(&input.settings, "provider").unwrap_or("dir");
    let inline = match property(&input.settings, "resolve").unwrap_or("reference") {
        "reference" => false,
        "inline" => true,
        other => {
            return Err(format!(
                "settings.resolve is {other:?}: use \"reference\" (the default) or \"inline\""
            ));
        }
    };
    input
        .config
        .iter()
        .map(|(key, value)| {
            let rewritten = rewrite(value, |name, secret_key| {
                if inline {
                    host::secret(name, secret_key).map_err(|e| e.message().to_owned())
                } else {
                    Ok(format!("${{{provider}:{mount}/{name}:{secret_key}}}"))
                }
            })
            .map_err(|e| format!("config {key}: {e}"))?;
            Ok((key.clone(), rewritten))
        })
        .collect()
}

/// `value` with each `${secret:name:key}` replaced by `resolve(name, key)`.
pub fn rewrite(
    value: &str,
    mut resolve: impl FnMut(&str, &str) -> Result<String, String>,
) -> Result<String, String> {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let body = &rest[start + OPEN.len()..];
        let end = body.find('}').ok_or_else(|| {
            "an unclosed placeholder: write ${secret:<secret-name>:<key>}".to_string()
        })?;
        let (name, key) = body[..end].split_once(':').ok_or_else(|| {
            format!(
                "${{secret:{}}} names no key: write ${{secret:<secret-name>:<key>}}",
                &body[..end]
            )
        })?;
        if !is_dns_label(name) {
            return Err(format!(
                "{name:?} is not a Secret name (lowercase letters, digits and '-')"
            ));
        }
        if key.is_empty() || key.contains(['/', '}']) {
            return Err(format!("{key:?} is not a key of Secret {name}"));
        }
        out.push_str(&resolve(name, key)?);
        rest = &body[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn is_dns_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 253
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && !s.starts_with(['-', '.'])
        && !s.ends_with(['-', '.'])
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::TestHost;

    fn input(config: &[(&str, &str)], settings: &[(&str, &str)]) -> TransformInput {
        let pairs =
            |p: &[(&str, &str)]| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        TransformInput {
            connector_name: "orders".into(),
            namespace: "team-a".into(),
            config: pairs(config),
            settings: pairs(settings),
            extensions: vec![],
        }
    }

    #[test]
    fn placeholders_become_directory_provider_references() {
        let out = transform(&input(
            &[("connection.password", "${secret:db-creds:password}"), ("topic", "orders")],
            &[],
        ))
        .unwrap();
        assert_eq!(
            out,
            [
                (
                    "connection.password".to_string(),
                    "${dir:/mnt/secrets/db-creds:password}".to_string()
                ),
                ("topic".to_string(), "orders".to_string()),
            ]
        );
    }

    #[test]
    fn several_placeholders_in_one_value_and_custom_settings() {
        let out = transform(&input(
            &[("url", "jdbc:pg://${secret:db:user}:${secret:db:pass}@h/db")],
            &[("mountPath", "/etc/s/"), ("provider", "secrets")],
        ))
        .unwrap();
        assert_eq!(out[0].1, "jdbc:pg://${secrets:/etc/s/db:user}:${secrets:/etc/s/db:pass}@h/db");
    }

    #[test]
    fn inline_resolution_reads_granted_secrets_only() {
        TestHost::install(TestHost::default().with_secret("db", "password", "s3cret"));
        let out =
            transform(&input(&[("p", "${secret:db:password}")], &[("resolve", "inline")])).unwrap();
        assert_eq!(out[0].1, "s3cret");
        let err = transform(&input(&[("p", "${secret:other:password}")], &[("resolve", "inline")]))
            .unwrap_err();
        assert!(err.starts_with("config p: secret other/password is not granted"), "{err}");
        assert!(!err.contains("s3cret"));
    }

    #[test]
    fn malformed_placeholders_name_the_key_and_the_fix() {
        let err = |v: &str| transform(&input(&[("k", v)], &[])).unwrap_err();
        assert_eq!(
            err("${secret:db"),
            "config k: an unclosed placeholder: write ${secret:<secret-name>:<key>}"
        );
        assert_eq!(
            err("${secret:db}"),
            "config k: ${secret:db} names no key: write ${secret:<secret-name>:<key>}"
        );
        assert!(err("${secret:DB:x}").contains("is not a Secret name"));
        let bad = transform(&input(&[("k", "v")], &[("resolve", "eager")])).unwrap_err();
        assert!(bad.starts_with("settings.resolve is \"eager\""), "{bad}");
    }
}
