//! Connector plugins for the tests: Kafka's FileStream connectors (real jars from Maven
//! Central, in the environment's plugin directory), packed as the archives the resolvers and
//! the installer take, and a local server speaking the Confluent Hub API.

use std::path::Path;

use sha1::Sha1;
use sha2::{Digest, Sha512};

use crate::{
    archives::zip_of,
    http_server::{Reply, Server},
};

pub fn sha512(bytes: &[u8]) -> String {
    format!("{:x}", Sha512::digest(bytes))
}

pub fn sha1(bytes: &[u8]) -> String {
    format!("{:x}", Sha1::digest(bytes))
}

/// The FileStream connectors' jars under `plugin_dir/connect-file`: `(file name, bytes)`.
pub fn connect_file_jars(plugin_dir: &Path) -> Vec<(String, Vec<u8>)> {
    let dir = plugin_dir.join("connect-file");
    let jars: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jar"))
        .map(|p| {
            (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap())
        })
        .collect();
    assert!(!jars.is_empty(), "no jars in {}", dir.display());
    jars
}

/// A zip in Confluent Hub's layout: `<dir>/manifest.json` and `<dir>/lib/<jar>`.
pub fn hub_archive(dir: &str, jars: &[(String, Vec<u8>)]) -> Vec<u8> {
    let manifest = format!(r#"{{"name": "{dir}"}}"#);
    let names: Vec<String> = jars.iter().map(|(name, _)| format!("{dir}/lib/{name}")).collect();
    let mut files = vec![(format!("{dir}/manifest.json"), manifest.as_bytes())];
    files.extend(names.into_iter().zip(jars.iter().map(|(_, bytes)| bytes.as_slice())));
    let entries: Vec<(&str, &[u8])> = files.iter().map(|(n, b)| (n.as_str(), *b)).collect();
    zip_of(&entries)
}

/// Serves `archive` as plugin `owner/name` `version` in the Hub API's shape; returns the
/// archive's path on the server.
pub fn publish_on_hub(
    hub: &Server,
    owner: &str,
    name: &str,
    version: &str,
    archive: &[u8],
    published_sha1: &str,
) -> String {
    let file = format!("{owner}-{name}-{version}.zip");
    let archive_path = format!("/api/plugins/{owner}/{name}/versions/{version}/{file}");
    let archive_url = hub.route(&archive_path, Reply::Bytes(archive.to_vec()));
    let manifest = serde_json::json!({
        "name": name, "version": version, "owner": {"username": owner},
        "title": name, "archive": {"name": file, "url": archive_url, "md5": "", "sha1": published_sha1},
    });
    hub.route(
        &format!("/api/plugins/{owner}/{name}/versions/{version}"),
        Reply::Bytes(manifest.to_string().into_bytes()),
    );
    archive_path
}
