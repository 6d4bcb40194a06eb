//! The pure half of plugin resolution: which plugins a Connect lists (each with the spec
//! field that names it), the URLs a resolver asks, and what it makes of the answers. The
//! HTTP calls and policy calls are in `controller::resolvers`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::crd::{
    ConfluentHubPlugin, Connect, CustomPlugin, MavenPlugin, PluginLocationType, UrlPlugin,
};
use crate::plugin_list::{is_plugin_name, is_sha512_hex};
use crate::text::has_credentials;

/// Where Confluent Hub's API is when the operator is not told otherwise.
pub const DEFAULT_HUB_URL: &str = "https://api.hub.confluent.io";
/// The Maven repository when neither the plugin nor the operator names one.
pub const DEFAULT_MAVEN_REPOSITORY: &str = "https://repo1.maven.org/maven2";

/// One plugin the spec lists.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Reference<'a> {
    /// The spec field, for example `spec.build.onDemand.plugins.maven[1]`.
    pub index: usize,
    pub source: Source<'a>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Source<'a> {
    Hub(&'a ConfluentHubPlugin),
    Url(&'a UrlPlugin),
    Maven(&'a MavenPlugin),
    Custom(&'a CustomPlugin),
}

impl Reference<'_> {
    pub fn name(&self) -> &str {
        match self.source {
            Source::Hub(p) => &p.name,
            Source::Url(p) => &p.name,
            Source::Maven(p) => &p.name,
            Source::Custom(p) => &p.name,
        }
    }

    /// The source as the status and the plugin list name it.
    pub fn kind(&self) -> &'static str {
        match self.source {
            Source::Hub(_) => "confluentHub",
            Source::Url(_) => "url",
            Source::Maven(_) => "maven",
            Source::Custom(_) => "custom",
        }
    }

    pub fn field(&self) -> String {
        format!("spec.build.onDemand.plugins.{}[{}]", self.kind(), self.index)
    }

    /// A failure of this plugin.
    pub fn fail(&self, reason: impl Into<String>) -> Failure {
        Failure { plugin: self.name().to_owned(), field: self.field(), reason: reason.into() }
    }
}

/// Why one plugin could not be resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub plugin: String,
    pub field: String,
    pub reason: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "plugin {} ({}): {}", self.plugin, self.field, self.reason)
    }
}

/// The plugins of `connect`, in the order the installer gets them: the `locationType` list
/// first, then the others. Names must be usable as directories and unique across lists.
pub fn references(connect: &Connect) -> Result<Vec<Reference<'_>>, Vec<Failure>> {
    let Some(set) = connect.spec.build.as_ref().and_then(|b| b.on_demand.as_ref()) else {
        return Ok(Vec::new());
    };
    let set = &set.plugins;
    let hub = set.confluent_hub.iter().enumerate().map(|(i, p)| (i, Source::Hub(p)));
    let url = set.url.iter().enumerate().map(|(i, p)| (i, Source::Url(p)));
    let maven = set.maven.iter().enumerate().map(|(i, p)| (i, Source::Maven(p)));
    let custom = set.custom.iter().enumerate().map(|(i, p)| (i, Source::Custom(p)));
    let mut all: Vec<Reference<'_>> = hub
        .chain(url)
        .chain(maven)
        .chain(custom)
        .map(|(index, source)| Reference { index, source })
        .collect();
    let first = |r: &Reference<'_>| {
        let kind = match set.location_type {
            PluginLocationType::ConfluentHub => "confluentHub",
            PluginLocationType::Url => "url",
            PluginLocationType::Maven => "maven",
            PluginLocationType::Custom => "custom",
        };
        r.kind() != kind
    };
    all.sort_by_key(first);

    let mut failures = Vec::new();
    let mut seen: BTreeMap<&str, String> = BTreeMap::new();
    for r in &all {
        let url = match r.source {
            Source::Url(p) => Some(("archivePath", p.archive_path.as_str())),
            Source::Maven(p) => p.repository.as_deref().map(|u| ("repository", u)),
            Source::Hub(_) | Source::Custom(_) => None,
        };
        if let Some((field, url)) = url
            && has_credentials(url)
        {
            failures.push(r.fail(credentials_refused(field)));
        }
        if !is_plugin_name(r.name()) {
            failures.push(r.fail(
                "the name must be lowercase letters, digits, '-', '_' or '.' (it names the plugin's directory): rename it",
            ));
        } else if let Some(other) = seen.insert(r.name(), r.field()) {
            failures.push(r.fail(format!(
                "{other} has the same name; each plugin needs its own directory: rename one"
            )));
        }
    }
    if failures.is_empty() { Ok(all) } else { Err(failures) }
}

/// Why a URL with credentials in `field` is refused: it would be written into the plugin
/// list ConfigMap the installer reads, where anyone who may read ConfigMaps sees it.
pub fn credentials_refused(field: &str) -> String {
    format!(
        "{field} carries credentials (user:password@), which Sluice would have to write into the plugin-list ConfigMap: remove them and serve the archive from a location that needs none (download credentials from a Secret are not supported yet)"
    )
}

/// The Hub API resource describing one version of a plugin (`latest` asks for the newest).
pub fn hub_manifest_url(
    base: &str,
    owner: &str,
    name: &str,
    version: &str,
) -> Result<String, String> {
    let mut url = url::Url::parse(base)
        .map_err(|e| format!("the Confluent Hub URL {base:?} is not a URL: {e}"))?;
    {
        let mut path = url
            .path_segments_mut()
            .map_err(|()| format!("the Confluent Hub URL {base:?} cannot have a path"))?;
        path.pop_if_empty().extend(["api", "plugins", owner, name]);
        if version != "latest" {
            path.extend(["versions", version]);
        }
    }
    Ok(url.into())
}

/// The part of the Hub's plugin manifest Sluice reads.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HubManifest {
    pub version: String,
    pub archive: HubArchive,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct HubArchive {
    pub url: String,
    /// The Hub publishes sha1 (and md5), not sha512; Sluice checks sha1 while it computes
    /// the sha512 the installer pins.
    #[serde(default)]
    pub sha1: Option<String>,
}

/// Reads a Hub manifest, checking what the installer depends on.
pub fn parse_hub_manifest(body: &[u8]) -> Result<HubManifest, String> {
    let manifest: HubManifest = serde_json::from_slice(body).map_err(|e| {
        format!("the Confluent Hub answer is not a plugin manifest (version, archive.url): {e}")
    })?;
    let scheme_ok = url::Url::parse(&manifest.archive.url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
    if !scheme_ok {
        return Err(format!(
            "the Confluent Hub gave archive URL {:?}, not an http(s) URL",
            manifest.archive.url
        ));
    }
    Ok(manifest)
}

/// An artifact's URL in a Maven repository layout.
pub fn maven_artifact_url(repository: &str, p: &MavenPlugin) -> String {
    let extension = p.extension.as_deref().unwrap_or("jar");
    format!(
        "{}/{}/{}/{}/{}-{}.{extension}",
        repository.trim_end_matches('/'),
        p.group_id.replace('.', "/"),
        p.artifact_id,
        p.version,
        p.artifact_id,
        p.version,
    )
}

/// The digest in a checksum file (`<hex>` or `<hex>  <file>`), if it is `hex_len` hex digits.
pub fn checksum_file_digest(text: &str, hex_len: usize) -> Option<String> {
    let digest = text.split_whitespace().next()?.to_ascii_lowercase();
    (digest.len() == hex_len && digest.bytes().all(|b| b.is_ascii_hexdigit())).then_some(digest)
}

/// A sha512 as the plugin list wants it (lowercase), if `text` is one.
pub fn sha512(text: &str) -> Option<String> {
    let lower = text.trim().to_ascii_lowercase();
    is_sha512_hex(&lower).then_some(lower)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crd::{ConnectBuild, ConnectBuildType, ConnectSpec, OnDemandBuild, PluginSet};

    fn connect(set: PluginSet) -> Connect {
        let spec: ConnectSpec = serde_json::from_value(serde_json::json!({
            "replicas": 1, "dependencies": {"kafka": {"bootstrapEndpoint": "kafka:9092"}}
        }))
        .unwrap();
        let mut c = Connect::new("c", spec);
        c.spec.build = Some(ConnectBuild {
            kind: ConnectBuildType::OnDemand,
            on_demand: Some(OnDemandBuild { plugins: set, storage_limit: None }),
        });
        c
    }

    fn set(json: serde_json::Value) -> PluginSet {
        serde_json::from_value(json).unwrap()
    }

    const SHA: &str = "f2e6588d16f0dfff44f306bf4854cdf85fa38cd7f362dfd2c2e50e9e07f5bedaf0c60bd98b2562d09cd868c161ab81511be44732bc2ca83556baf7b61d0d50b0";

    #[test]
    fn the_location_type_list_comes_first_and_fields_are_named() {
        let c = connect(set(serde_json::json!({
            "locationType": "maven",
            "url": [{"name": "u", "archivePath": "https://x/u.zip", "checksum": SHA}],
            "maven": [{"name": "m0", "groupId": "g", "artifactId": "a", "version": "1"},
                      {"name": "m1", "groupId": "g", "artifactId": "b", "version": "1"}],
        })));
        let refs = references(&c).unwrap();
        let fields: Vec<String> = refs.iter().map(Reference::field).collect();
        assert_eq!(
            fields,
            [
                "spec.build.onDemand.plugins.maven[0]",
                "spec.build.onDemand.plugins.maven[1]",
                "spec.build.onDemand.plugins.url[0]"
            ]
        );
    }

    #[test]
    fn duplicate_and_unusable_names_name_both_fields() {
        let c = connect(set(serde_json::json!({
            "locationType": "url",
            "url": [{"name": "same", "archivePath": "https://x/u.zip", "checksum": SHA},
                    {"name": "Bad/Name", "archivePath": "https://x/v.zip", "checksum": SHA}],
            "maven": [{"name": "same", "groupId": "g", "artifactId": "a", "version": "1"}],
        })));
        let failures = references(&c).unwrap_err();
        let text: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(
            text[0].starts_with(
                "plugin Bad/Name (spec.build.onDemand.plugins.url[1]): the name must be lowercase"
            ),
            "{text:?}"
        );
        assert_eq!(
            text[1],
            "plugin same (spec.build.onDemand.plugins.maven[0]): spec.build.onDemand.plugins.url[0] has the same name; each plugin needs its own directory: rename one"
        );
    }

    #[test]
    fn urls_with_credentials_are_refused_naming_the_field_and_never_the_secret() {
        let c = connect(set(serde_json::json!({
            "locationType": "url",
            "url": [{"name": "a", "archivePath": "https://u:hunter2@files.example/a.zip", "checksum": "0".repeat(128)}],
            "maven": [
                {"name": "b", "groupId": "g", "artifactId": "b", "version": "1", "repository": "https://deploy:tok3n@repo.example/maven2"},
                {"name": "c", "groupId": "g", "artifactId": "c", "version": "1", "repository": "https://repo.example/maven2"}
            ]
        })));
        let failures = references(&c).unwrap_err();
        let shown: Vec<String> = failures.iter().map(ToString::to_string).collect();
        assert_eq!(failures.len(), 2, "{shown:?}");
        assert_eq!(failures[0].field, "spec.build.onDemand.plugins.url[0]");
        assert_eq!(failures[1].field, "spec.build.onDemand.plugins.maven[0]");
        for text in &shown {
            assert!(text.contains("carries credentials") && text.contains("remove them"), "{text}");
            assert!(!text.contains("hunter2") && !text.contains("tok3n"), "{text}");
        }
    }

    #[test]
    fn hub_urls_follow_the_api_layout_and_escape_segments() {
        assert_eq!(
            hub_manifest_url(
                "https://api.hub.confluent.io",
                "confluentinc",
                "kafka-connect-s3-source",
                "2.0.1"
            )
            .unwrap(),
            "https://api.hub.confluent.io/api/plugins/confluentinc/kafka-connect-s3-source/versions/2.0.1"
        );
        assert_eq!(
            hub_manifest_url("http://127.0.0.1:9/hub/", "o", "n", "latest").unwrap(),
            "http://127.0.0.1:9/hub/api/plugins/o/n"
        );
        assert_eq!(
            hub_manifest_url("http://h", "o", "../x", "1").unwrap(),
            "http://h/api/plugins/o/..%2Fx/versions/1"
        );
    }

    #[test]
    fn hub_manifests_need_an_http_archive_url() {
        let m = parse_hub_manifest(br#"{"name": "n", "version": "2.0.1", "owner": {"username": "o"},
            "archive": {"name": "o-n-2.0.1.zip", "url": "https://d/o-n-2.0.1.zip", "md5": "x", "sha1": "ab"}}"#)
        .unwrap();
        assert_eq!(m.version, "2.0.1");
        assert_eq!(m.archive.sha1.as_deref(), Some("ab"));
        let err =
            parse_hub_manifest(br#"{"version": "1", "archive": {"url": "file:///etc/passwd"}}"#)
                .unwrap_err();
        assert!(err.contains("not an http(s) URL"), "{err}");
        let err = parse_hub_manifest(b"<html>").unwrap_err();
        assert!(err.contains("not a plugin manifest"), "{err}");
    }

    #[test]
    fn maven_urls_use_the_repository_layout() {
        let p: MavenPlugin = serde_json::from_value(serde_json::json!({
            "name": "file", "groupId": "org.apache.kafka", "artifactId": "connect-file", "version": "3.9.1"
        }))
        .unwrap();
        assert_eq!(
            maven_artifact_url("https://repo1.maven.org/maven2/", &p),
            "https://repo1.maven.org/maven2/org/apache/kafka/connect-file/3.9.1/connect-file-3.9.1.jar"
        );
    }

    #[test]
    fn checksum_files_may_name_the_file() {
        let hex = "A".repeat(40);
        assert_eq!(checksum_file_digest(&format!("{hex}  x.jar\n"), 40), Some("a".repeat(40)));
        assert_eq!(checksum_file_digest("abc", 40), None);
        assert_eq!(sha512(&SHA.to_uppercase()).as_deref(), Some(SHA));
        assert_eq!(sha512("nope"), None);
    }
}
