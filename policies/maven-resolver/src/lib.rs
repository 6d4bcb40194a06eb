//! Connect plugins from a Maven repository: coordinates in, archive URL and sha512 out.
//!
//! The plugin entry's settings name the artifact: `groupId`, `artifactId`, `version`, and
//! optionally `extension` (default `zip`) and `classifier`. The Policy's settings may set
//! `repository` (default Maven Central) and a `tokenSecret` (a Secret with key `token`,
//! sent as a bearer token to a private repository). The sha512 is the one the repository
//! publishes next to the artifact (`<artifact>.sha512`), fetched through the host's `http`
//! capability, so the Policy must allow the repository's host.

use sluice_plugin_sdk::host::{self, HttpError};
use sluice_plugin_sdk::plugin_resolver::Guest;
use sluice_plugin_sdk::property;
use sluice_plugin_sdk::types::{PluginArchive, PluginReference};

pub struct MavenResolver;

impl Guest for MavenResolver {
    fn resolve(input: PluginReference) -> Result<PluginArchive, String> {
        resolve(&input)
    }
}

#[cfg(target_arch = "wasm32")]
sluice_plugin_sdk::plugin_resolver::export_plugin_resolver!(MavenResolver);

const CENTRAL: &str = "https://repo1.maven.org/maven2";

/// The archive for `input`'s coordinates.
pub fn resolve(input: &PluginReference) -> Result<PluginArchive, String> {
    let setting = |key: &str| {
        property(&input.plugin_settings, key).filter(|v| !v.trim().is_empty()).ok_or_else(|| {
            format!("plugin {}: settings.{key} is missing: give the Maven {key}", input.name)
        })
    };
    let group = setting("groupId")?;
    let artifact = setting("artifactId")?;
    let version = setting("version")?;
    let extension = property(&input.plugin_settings, "extension").unwrap_or("zip");
    let classifier = property(&input.plugin_settings, "classifier");
    let repository =
        property(&input.settings, "repository").unwrap_or(CENTRAL).trim_end_matches('/');
    let url = artifact_url(repository, group, artifact, version, classifier, extension);

    let mut headers = Vec::new();
    if let Some(secret) = property(&input.settings, "tokenSecret") {
        let token = host::secret(secret, "token")
            .map_err(|e| format!("plugin {}: {}", input.name, e.message()))?;
        headers.push(("Authorization".to_string(), format!("Bearer {token}")));
    }
    let checksum_url = format!("{url}.sha512");
    let response = host::http_get(&checksum_url, &headers).map_err(|e| match e {
        HttpError::NotAllowed(why) => format!("plugin {}: {why}", input.name),
        other => format!("plugin {}: fetching {checksum_url}: {}", input.name, other.message()),
    })?;
    if response.status != 200 {
        return Err(format!(
            "plugin {}: {checksum_url} answered HTTP {}: the repository publishes no sha512 for {group}:{artifact}:{version} ({extension}); use a url plugin with its checksum instead",
            input.name, response.status
        ));
    }
    let sha512 = parse_checksum(&response.body)
        .ok_or_else(|| format!("plugin {}: {checksum_url} does not hold a sha512", input.name))?;
    Ok(PluginArchive { url, sha512, version: Some(version.to_owned()), headers })
}

/// The artifact's URL in the Maven repository layout.
pub fn artifact_url(
    repository: &str,
    group: &str,
    artifact: &str,
    version: &str,
    classifier: Option<&str>,
    extension: &str,
) -> String {
    let classifier = classifier.map(|c| format!("-{c}")).unwrap_or_default();
    format!(
        "{repository}/{}/{artifact}/{version}/{artifact}-{version}{classifier}.{extension}",
        group.replace('.', "/")
    )
}

/// The first word of a `.sha512` file (some repositories append the file name).
pub fn parse_checksum(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let word = text.split_whitespace().next()?.to_ascii_lowercase();
    (word.len() == 128 && word.bytes().all(|b| b.is_ascii_hexdigit())).then_some(word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_plugin_sdk::testing::TestHost;

    fn reference(plugin: &[(&str, &str)], settings: &[(&str, &str)]) -> PluginReference {
        let pairs =
            |p: &[(&str, &str)]| p.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        PluginReference {
            name: "jdbc".into(),
            plugin_settings: pairs(plugin),
            settings: pairs(settings),
            extensions: vec![],
        }
    }

    const COORDS: [(&str, &str); 3] =
        [("groupId", "io.example.kafka"), ("artifactId", "jdbc-connector"), ("version", "1.2.3")];

    #[test]
    fn coordinates_become_the_repository_url_and_its_published_sha512() {
        let url = "https://repo1.maven.org/maven2/io/example/kafka/jdbc-connector/1.2.3/jdbc-connector-1.2.3.zip";
        let sum = "ab".repeat(64);
        TestHost::install(TestHost::default().with_http(
            &format!("{url}.sha512"),
            200,
            format!("{sum}  jdbc-connector-1.2.3.zip\n").as_bytes(),
        ));
        let archive = resolve(&reference(&COORDS, &[])).unwrap();
        assert_eq!(archive.url, url);
        assert_eq!(archive.sha512, sum);
        assert_eq!(archive.version.as_deref(), Some("1.2.3"));
    }

    #[test]
    fn a_missing_coordinate_names_the_setting() {
        let err = resolve(&reference(&COORDS[..2], &[])).unwrap_err();
        assert_eq!(err, "plugin jdbc: settings.version is missing: give the Maven version");
    }

    #[test]
    fn a_repository_without_a_checksum_says_what_to_do() {
        let url = "https://repo.example/m2/io/example/kafka/jdbc-connector/1.2.3/jdbc-connector-1.2.3.tar.gz.sha512";
        TestHost::install(TestHost::default().with_http(url, 404, b""));
        let mut plugin = COORDS.to_vec();
        plugin.push(("extension", "tar.gz"));
        let err = resolve(&reference(&plugin, &[("repository", "https://repo.example/m2/")]))
            .unwrap_err();
        assert!(err.contains("answered HTTP 404") && err.contains("use a url plugin"), "{err}");
    }

    #[test]
    fn a_host_not_allowed_is_reported_as_the_host_said() {
        TestHost::install(TestHost::default());
        let err = resolve(&reference(&COORDS, &[])).unwrap_err();
        assert!(err.starts_with("plugin jdbc: ") && err.contains("allowedHosts"), "{err}");
    }

    #[test]
    fn checksum_files_are_parsed_leniently_but_checked() {
        assert_eq!(
            parse_checksum(format!("{}\n", "AB".repeat(64)).as_bytes()),
            Some("ab".repeat(64))
        );
        assert_eq!(parse_checksum(b"not a checksum"), None);
    }
}
