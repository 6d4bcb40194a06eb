//! Which Apache Kafka a worker image runs, as far as its name tells, and what that version
//! lets the rendered worker config use. A worker that names a config provider class its
//! Kafka does not have fails at start (`ConfigException` for the class), so rendering only
//! names the providers the image is known to have.

/// An Apache Kafka release line, `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct KafkaVersion {
    pub major: u32,
    pub minor: u32,
}

impl std::fmt::Display for KafkaVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

const fn v(major: u32, minor: u32) -> KafkaVersion {
    KafkaVersion { major, minor }
}

/// A Kafka config provider the rendered worker may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigProvider {
    /// The name in `${name:...}` references.
    pub name: &'static str,
    pub class: &'static str,
    /// The first Kafka release that ships the class.
    pub since: KafkaVersion,
}

/// `file` since KIP-297 (2.0), `dir` since KIP-632 (2.7), `env` since KIP-887 (3.5).
pub const CONFIG_PROVIDERS: [ConfigProvider; 3] = [
    ConfigProvider {
        name: "file",
        class: "org.apache.kafka.common.config.provider.FileConfigProvider",
        since: v(2, 0),
    },
    ConfigProvider {
        name: "dir",
        class: "org.apache.kafka.common.config.provider.DirectoryConfigProvider",
        since: v(2, 7),
    },
    ConfigProvider {
        name: "env",
        class: "org.apache.kafka.common.config.provider.EnvVarConfigProvider",
        since: v(3, 5),
    },
];

/// The providers a worker of `version` has; `file` alone when the version is unknown, the
/// one every Kafka that Sluice can run ships.
pub fn config_providers(version: Option<KafkaVersion>) -> Vec<ConfigProvider> {
    match version {
        Some(version) => CONFIG_PROVIDERS.into_iter().filter(|p| p.since <= version).collect(),
        None => vec![CONFIG_PROVIDERS[0]],
    }
}

/// The Kafka version of a worker image, from its tag:
/// - Confluent Platform images (`confluentinc/cp-*`) by their platform version (7.5 ships
///   Kafka 3.5; 6.1 ships 2.7);
/// - images tagged with a Kafka version (`apache/kafka:3.9.1`, Sluice's own worker image),
///   or with `kafka-<version>` in the tag (Strimzi's `0.45.0-kafka-3.9.0`).
///
/// `None` for tags that say nothing (`latest`, dates, digests only).
pub fn of_image(image: &str) -> Option<KafkaVersion> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let (repository, tag) = match without_digest.rsplit_once(':') {
        // A colon before the last slash belongs to a registry port, not a tag.
        Some((repo, tag)) if !tag.contains('/') => (repo, tag),
        _ => return None,
    };
    let name = repository.rsplit('/').next().unwrap_or(repository);
    if name.starts_with("cp-") {
        return confluent_platform(leading_version(tag)?);
    }
    let kafka = match tag.split_once("kafka-") {
        Some((_, kafka)) => leading_version(kafka),
        None => leading_version(tag),
    };
    // Kafka's majors are single digits; `2024.05` is a date, not a release.
    kafka.filter(|k| k.major < 10)
}

/// The Kafka version of the `version` a worker's `GET /` reports: Apache Kafka's own
/// (`4.3.1`), or Confluent Platform's (`7.4.0-ce`, which ships Kafka 3.4).
pub fn of_worker(version: &str) -> Option<KafkaVersion> {
    let reported = leading_version(version)?;
    if reported.major >= 5 { confluent_platform(reported) } else { Some(reported) }
}

/// `major.minor` at the start of `text` (`3.9.1-rc1` is 3.9).
fn leading_version(text: &str) -> Option<KafkaVersion> {
    let mut parts = text.split(|c: char| !c.is_ascii_digit());
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    Some(v(major, minor))
}

/// The Apache Kafka release of a Confluent Platform release.
fn confluent_platform(cp: KafkaVersion) -> Option<KafkaVersion> {
    match (cp.major, cp.minor) {
        (5, m @ 0..=5) => Some(v(2, m)),
        (6, m @ 0..=2) => Some(v(2, 6 + m)),
        (7, m) => Some(v(3, m)),
        (8, m) => Some(v(4, m)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_workers_reported_version_names_its_kafka() {
        assert_eq!(of_worker("4.3.1"), Some(v(4, 3)));
        assert_eq!(of_worker("3.9.1"), Some(v(3, 9)));
        assert_eq!(of_worker("7.4.0-ce"), Some(v(3, 4)));
        assert_eq!(of_worker("8.0.1-ccs"), Some(v(4, 0)));
        assert_eq!(of_worker("trunk"), None);
    }

    #[test]
    fn image_tags_name_their_kafka_version() {
        let cases = [
            ("apache/kafka:3.9.1", Some(v(3, 9))),
            ("docker.io/apache/kafka:4.0.0", Some(v(4, 0))),
            ("confluentinc/cp-server-connect:7.0.1", Some(v(3, 0))),
            ("confluentinc/cp-kafka-connect:7.5.3", Some(v(3, 5))),
            ("confluentinc/cp-kafka-connect:6.1.0", Some(v(2, 7))),
            ("confluentinc/cp-kafka-connect:8.0.0", Some(v(4, 0))),
            ("quay.io/strimzi/kafka:0.45.0-kafka-3.9.0", Some(v(3, 9))),
            ("registry.local:5000/sluice/kafka-connect:3.9.1", Some(v(3, 9))),
            ("registry.local:5000/sluice/kafka-connect", None),
            ("apache/kafka:latest", None),
            ("apache/kafka", None),
            ("apache/kafka@sha256:0123", None),
            ("mycorp/connect:2024.05-custom", None),
        ];
        for (image, want) in cases {
            assert_eq!(of_image(image), want, "{image}");
        }
    }

    #[test]
    fn providers_are_those_the_version_ships() {
        let names = |v| config_providers(v).iter().map(|p| p.name).collect::<Vec<_>>();
        assert_eq!(names(Some(v(3, 0))), ["file", "dir"]);
        assert_eq!(names(Some(v(3, 5))), ["file", "dir", "env"]);
        assert_eq!(names(Some(v(2, 6))), ["file"]);
        assert_eq!(names(None), ["file"]);
    }
}
