//! What a worker may read through its config providers, and where the Secrets it may read
//! are mounted. A connector's code and config come from whoever may write a Connector for
//! the cluster, so `${file:...}` and `${dir:...}` must not reach the worker's own files
//! (its properties, the service account token if mounted, the image's files) and `${env:...}`
//! not the worker's environment. The workers enforce it themselves where their Kafka can
//! (KIP-993 `allowed.paths`, KIP-887 `allowlist.pattern`); the Connector controller checks
//! the same paths before it writes a config, so a refused path is a condition rather than a
//! connector that silently gets the literal `${file:...}` text.

use crate::crd::ConnectSpec;

use super::worker_version::KafkaVersion;

/// Where `mountedSecrets` are mounted, one directory per Secret.
pub const SECRETS_DIR: &str = "/mnt/secrets";
/// Where `connectorTLSCerts` are mounted, one directory per Secret.
pub const CERTS_DIR: &str = "/mnt/sslcerts";
/// The providers whose paths are limited.
pub const PATH_PROVIDERS: [&str; 2] = ["file", "dir"];
/// What `allowed.paths` lists when nothing is mounted. Kafka reads an empty list as "no
/// limit" and refuses a path that does not exist, so it needs an existing path that holds
/// nothing: `/dev/null` reads as an empty file and an empty directory.
const NOTHING: &str = "/dev/null";
/// The environment variables `${env:...}` may read unless `configOverrides.server` widens
/// `config.providers.env.param.allowlist.pattern`: what Sluice sets that is no secret. The
/// rest (`KAFKA_OPTS` may hold store passwords, the image's own variables) stays hidden.
pub const ENV_ALLOWLIST: &str = "^(POD_IP|HOSTNAME)$";
/// The first Kafka whose file and dir providers take `allowed.paths` (KIP-993); older ones
/// ignore the parameter.
pub const ALLOWED_PATHS_SINCE: KafkaVersion = KafkaVersion { major: 3, minor: 8 };

/// A Secret mounted into the workers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretMount {
    /// The pod's volume name.
    pub volume: String,
    pub secret: String,
    /// The directory in the worker.
    pub path: String,
}

/// The Secrets a Connect mounts into its workers: `mountedSecrets`, then
/// `connectorTLSCerts`.
pub fn secret_mounts(spec: &ConnectSpec) -> Vec<SecretMount> {
    let secrets = spec.mounted_secrets.iter().map(|s| ("secret", SECRETS_DIR, s));
    let certs = spec.connector_tls_certs.iter().map(|s| ("tls", CERTS_DIR, s));
    secrets
        .chain(certs)
        .map(|(prefix, dir, s)| SecretMount {
            volume: volume_name(prefix, &s.secret_ref),
            secret: s.secret_ref.clone(),
            path: format!("{dir}/{}", s.secret_ref),
        })
        .collect()
}

/// `<prefix>-<secret>` where that is a volume name (a DNS-1123 label of at most 63); else,
/// for a Secret whose name holds dots or is long, which Kubernetes allows and a volume name
/// does not, `<prefix>-` and a digest of the name, so every Secret can be mounted.
fn volume_name(prefix: &str, secret: &str) -> String {
    let readable = format!("{prefix}-{secret}");
    let label = readable.len() <= 63
        && readable.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !readable.ends_with('-');
    if label {
        return readable;
    }
    use sha2::Digest;
    let digest = sha2::Sha256::digest(secret.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("{prefix}-{hex}")
}

/// The worker property lines that limit the providers. The parameter is rendered for every
/// Kafka (older ones ignore it, see [`unenforced`]) so the Connector controller reads one
/// answer from the properties, whatever the version.
pub fn provider_limits(spec: &ConnectSpec, providers: &[&str]) -> Vec<String> {
    let mounts = secret_mounts(spec);
    let paths = if mounts.is_empty() {
        NOTHING.to_owned()
    } else {
        mounts.iter().map(|m| m.path.as_str()).collect::<Vec<_>>().join(",")
    };
    let mut lines = Vec::new();
    for p in PATH_PROVIDERS.into_iter().filter(|p| providers.contains(p)) {
        lines.push(format!("config.providers.{p}.param.allowed.paths={paths}"));
    }
    if providers.contains(&"env") {
        lines.push(format!("config.providers.env.param.allowlist.pattern={ENV_ALLOWLIST}"));
    }
    lines
}

/// A warning when the workers' Kafka is known to be older than `allowed.paths`.
pub fn unenforced(version: Option<KafkaVersion>) -> Option<String> {
    let version = version.filter(|v| *v < ALLOWED_PATHS_SINCE)?;
    Some(format!(
        "the workers run Kafka {version}, whose file and dir config providers cannot be limited to the mounted Secrets (allowed.paths needs Kafka {ALLOWED_PATHS_SINCE}): Sluice checks the paths of Connectors, but a connector created on the workers by other means can read any file the worker can; use an image of Kafka {ALLOWED_PATHS_SINCE} or later"
    ))
}

/// The paths each limited provider may read, as the worker properties say (the last line
/// of a key wins, as in a properties file). A provider that is not limited is absent.
pub fn allowed_paths(properties: &str) -> Vec<(String, Vec<String>)> {
    PATH_PROVIDERS
        .into_iter()
        .filter_map(|p| {
            let key = format!("config.providers.{p}.param.allowed.paths");
            let value = last_value(properties, &key)?;
            let paths: Vec<String> = value
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect();
            // An empty list is Kafka's "no limit".
            (!paths.is_empty()).then(|| (p.to_owned(), paths))
        })
        .collect()
}

fn last_value<'a>(properties: &'a str, key: &str) -> Option<&'a str> {
    properties.lines().rev().find_map(|line| {
        let line = line.trim_start();
        let (k, v) = line.split_once(['=', ':'])?;
        (k.trim_end() == key).then(|| v.trim())
    })
}

/// A config provider reference in a config value, as Kafka's `ConfigTransformer` reads
/// `${provider:path:key}` (the path is optional).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference<'a> {
    pub provider: &'a str,
    pub path: Option<&'a str>,
    pub key: &'a str,
}

/// Every reference in `value`, matched as Kafka's pattern
/// `\$\{([^}]*?):(([^}]*?):)?([^}]*?)\}` does: from each `${` to the next `}`, split at
/// the first and second colons; a match resumes after its `}`.
pub fn references(value: &str) -> Vec<Reference<'_>> {
    let mut found = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        let body = &rest[start + 2..];
        let Some(end) = body.find('}') else { break };
        let inner = &body[..end];
        match inner.split_once(':') {
            Some((provider, tail)) => {
                let (path, key) = match tail.split_once(':') {
                    Some((path, key)) => (Some(path), key),
                    None => (None, tail),
                };
                found.push(Reference { provider, path, key });
                rest = &body[end + 1..];
            }
            // No colon up to this `}`: the pattern fails here and tries the next `${`.
            None => rest = body,
        }
    }
    found
}

/// Whether `path` lies below one of `allowed`, as Kafka's `AllowedPaths` decides: the path
/// normalised (`.` and `..` resolved by name, not on disk) and compared by components.
pub fn is_allowed(path: &str, allowed: &[String]) -> bool {
    let Some(path) = normalised(path) else { return false };
    allowed.iter().filter_map(|a| normalised(a)).any(|a| path.starts_with(&a))
}

/// The components of an absolute path after `.` and `..`; `None` for a relative path, which
/// Kafka never allows against absolute allowed paths.
fn normalised(path: &str) -> Option<Vec<&str>> {
    let rest = path.strip_prefix('/')?;
    let mut parts = Vec::new();
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    Some(parts)
}

/// The first config whose value reads a path its provider may not, as the status says it.
pub fn first_refused<'a>(
    configs: impl IntoIterator<Item = (&'a String, &'a String)>,
    limits: &[(String, Vec<String>)],
    cluster: &str,
) -> Option<String> {
    for (key, value) in configs {
        for r in references(value) {
            let Some((_, allowed)) = limits.iter().find(|(p, _)| p == r.provider) else {
                continue;
            };
            let Some(path) = r.path else { continue };
            if !is_allowed(path, allowed) {
                return Some(format!(
                    "spec.configs.{key} reads {path} through the {} config provider, but the workers of Connect {cluster} may read only {}: mount the Secret on that Connect (spec.mountedSecrets or spec.connectorTLSCerts) and refer to its directory, for example ${{file:{SECRETS_DIR}/<secret>/<file>:<key>}}",
                    r.provider,
                    allowed.join(", ")
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_secret_name_gets_a_volume_name_kubernetes_takes() {
        // (the Secret, the volume): readable where it can be, a digest of the name otherwise.
        let long = "x".repeat(60);
        let table = [
            ("aws-credential", "secret-aws-credential"),
            ("db.credentials", "secret-4427b04c630c665a"),
            (long.as_str(), "a digest"),
        ];
        for (secret, volume) in table {
            let got = super::volume_name("secret", secret);
            assert!(got.len() <= 63 && !got.contains('.'), "{got}");
            if secret != long {
                assert_eq!(got, volume, "{secret}");
            } else {
                assert!(got.starts_with("secret-") && got.len() == 23, "{got}");
            }
        }
    }

    use super::*;

    #[test]
    fn references_are_split_as_kafkas_pattern_splits_them() {
        let r = |provider, path, key| Reference { provider, path, key };
        let cases: &[(&str, Vec<Reference<'_>>)] = &[
            (
                "${file:/mnt/secrets/a/f.properties:pw}",
                vec![r("file", Some("/mnt/secrets/a/f.properties"), "pw")],
            ),
            ("${env:HOME}", vec![r("env", None, "HOME")]),
            (
                "jdbc:${dir:/d:user}@${file:/etc/x:y:z}",
                vec![r("dir", Some("/d"), "user"), r("file", Some("/etc/x"), "y:z")],
            ),
            ("${nocolon} then ${file:/p:k}", vec![r("file", Some("/p"), "k")]),
            ("${a${file:/etc/passwd:root}", vec![r("a${file", Some("/etc/passwd"), "root")]),
            ("plain", vec![]),
            ("${file:/unterminated", vec![]),
        ];
        for (value, want) in cases {
            assert_eq!(&references(value), want, "{value}");
        }
    }

    #[test]
    fn paths_are_allowed_by_component_after_dots_are_resolved() {
        let allowed = vec!["/mnt/secrets/a".to_owned(), "/mnt/sslcerts/tls".to_owned()];
        let cases = [
            ("/mnt/secrets/a/creds.properties", true),
            ("/mnt/secrets/a", true),
            ("/mnt/secrets/./a//x", true),
            ("/mnt/secrets/ab/x", false),
            ("/mnt/secrets/a/../b/x", false),
            ("/mnt/secrets/a/../../../etc/passwd", false),
            ("/etc/passwd", false),
            ("mnt/secrets/a/x", false),
            ("/mnt/sslcerts/tls/tls.crt", true),
        ];
        for (path, want) in cases {
            assert_eq!(is_allowed(path, &allowed), want, "{path}");
        }
    }

    #[test]
    fn the_last_line_of_a_key_is_the_limit_and_an_empty_one_lifts_it() {
        let rendered = "config.providers.file.param.allowed.paths=/mnt/secrets/a\nconfig.providers.dir.param.allowed.paths=/mnt/secrets/a\n";
        assert_eq!(
            allowed_paths(rendered),
            [
                ("file".to_owned(), vec!["/mnt/secrets/a".to_owned()]),
                ("dir".to_owned(), vec!["/mnt/secrets/a".to_owned()])
            ]
        );
        let widened = format!(
            "{rendered}config.providers.file.param.allowed.paths = /mnt/secrets/a, /opt/data\n"
        );
        assert_eq!(allowed_paths(&widened)[0].1, ["/mnt/secrets/a", "/opt/data"]);
        let lifted = format!("{rendered}config.providers.dir.param.allowed.paths=\n");
        assert_eq!(allowed_paths(&lifted).len(), 1, "dir is no longer limited");
    }

    #[test]
    fn a_refused_path_names_the_config_the_path_and_what_is_readable() {
        let limits = vec![("file".to_owned(), vec!["/mnt/secrets/a".to_owned()])];
        let configs = [
            ("ok".to_owned(), "${file:/mnt/secrets/a/f:k}".to_owned()),
            ("topic".to_owned(), "${env:POD_IP}".to_owned()),
            ("file".to_owned(), "x-${file:/etc/passwd:root}".to_owned()),
        ];
        let message =
            first_refused(configs.iter().map(|(k, v)| (k, v)), &limits, "ns/demo").unwrap();
        assert!(
            message.starts_with(
                "spec.configs.file reads /etc/passwd through the file config provider"
            ),
            "{message}"
        );
        assert!(message.contains("may read only /mnt/secrets/a"), "{message}");
        assert!(message.contains("spec.mountedSecrets"), "{message}");
        // A provider that is not limited (dir here) is not checked.
        let dir = [("x".to_owned(), "${dir:/etc:passwd}".to_owned())];
        assert_eq!(first_refused(dir.iter().map(|(k, v)| (k, v)), &limits, "ns/demo"), None);
    }

    #[test]
    fn nothing_mounted_limits_the_providers_to_an_empty_path() {
        let spec: ConnectSpec = serde_json::from_value(serde_json::json!({
            "replicas": 1,
            "dependencies": {"kafka": {"bootstrapEndpoint": "kafka:9092"}}
        }))
        .unwrap();
        assert_eq!(
            provider_limits(&spec, &["file", "dir", "env"]),
            [
                "config.providers.file.param.allowed.paths=/dev/null",
                "config.providers.dir.param.allowed.paths=/dev/null",
                "config.providers.env.param.allowlist.pattern=^(POD_IP|HOSTNAME)$",
            ]
        );
        assert_eq!(provider_limits(&spec, &["file"]).len(), 1);
    }

    #[test]
    fn only_a_kafka_known_to_predate_allowed_paths_is_warned_about() {
        let v = |major, minor| Some(KafkaVersion { major, minor });
        assert!(unenforced(v(3, 7)).is_some_and(|w| w.contains("Kafka 3.7")));
        assert_eq!(unenforced(v(3, 8)), None);
        assert_eq!(unenforced(v(4, 0)), None);
        // An unknown version gets the warning that it is unknown instead.
        assert_eq!(unenforced(None), None);
    }
}
