//! The installer's input: the plugins the operator resolved for a Connect cluster, each an
//! archive URL with its sha512, written by the operator into a ConfigMap that the init
//! container mounts. Plain data, shared by the pure core (which renders it) and the
//! installer (which reads it), so neither imports the other.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// What to install.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct PluginList {
    pub plugins: Vec<PluginArchive>,
    /// The most the unpacked plugins may take together (the plugin volume's `storageLimit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_limit_bytes: Option<u64>,
}

/// One plugin, resolved to an archive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PluginArchive {
    /// The plugin's name: its directory under the plugin path.
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Where it was resolved from: `confluentHub`, `url`, `maven` or `custom`.
    pub source: String,
    pub archive_url: String,
    /// 128 lowercase hex digits.
    pub sha512: String,
    /// Request headers for the download. Their values are never logged.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
}

impl PluginList {
    /// Parses and checks a list; the error names the plugin and the field.
    pub fn parse(json: &str) -> Result<Self, String> {
        let list: PluginList =
            serde_json::from_str(json).map_err(|e| format!("the plugin list is not valid: {e}"))?;
        let mut names = std::collections::BTreeSet::new();
        for p in &list.plugins {
            if !is_plugin_name(&p.name) {
                return Err(format!(
                    "plugin {:?}: the name must be lowercase letters, digits, '-', '_' or '.', and not start with '.'",
                    p.name
                ));
            }
            if !names.insert(p.name.as_str()) {
                return Err(format!("plugin {:?} is listed twice", p.name));
            }
            if !is_sha512_hex(&p.sha512) {
                return Err(format!(
                    "plugin {:?}: sha512 must be 128 lowercase hex digits (sha512sum <archive>)",
                    p.name
                ));
            }
            let scheme_ok = url::Url::parse(&p.archive_url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !scheme_ok {
                return Err(format!("plugin {:?}: archiveUrl must be an http(s) URL", p.name));
            }
        }
        Ok(list)
    }
}

/// 128 lowercase hex digits, as `sha512sum` prints them.
pub fn is_sha512_hex(text: &str) -> bool {
    text.len() == 128 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// A plugin name the installer accepts as a directory under the plugin path.
pub fn is_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && !name.starts_with('.')
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'_' | b'.')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(name: &str, sha: &str, url: &str) -> String {
        serde_json::json!({"plugins": [{"name": name, "source": "url", "archiveUrl": url, "sha512": sha}]})
            .to_string()
    }

    #[test]
    fn a_good_list_parses() {
        let l = PluginList::parse(&list("jdbc", &"a".repeat(128), "https://h/x.zip")).unwrap();
        assert_eq!(l.plugins[0].name, "jdbc");
    }

    #[test]
    fn bad_entries_name_the_plugin_and_the_field() {
        let e = PluginList::parse(&list("../etc", &"a".repeat(128), "https://h/x")).unwrap_err();
        assert!(e.starts_with("plugin \"../etc\": the name"), "{e}");
        let e = PluginList::parse(&list("jdbc", "abc", "https://h/x")).unwrap_err();
        assert_eq!(
            e,
            "plugin \"jdbc\": sha512 must be 128 lowercase hex digits (sha512sum <archive>)"
        );
        let e =
            PluginList::parse(&list("jdbc", &"a".repeat(128), "file:///etc/passwd")).unwrap_err();
        assert_eq!(e, "plugin \"jdbc\": archiveUrl must be an http(s) URL");
    }
}
