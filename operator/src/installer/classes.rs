//! Which Connect classes an installed plugin provides, read from the service files in its
//! jars (`META-INF/services/<interface>`), the way Connect's own plugin scanner finds them.

use std::{fs::File, io::Read, path::Path};

use serde::{Deserialize, Serialize};

/// The service interfaces Connect scans for, and what Sluice calls each kind.
const SERVICES: [(&str, &str); 7] = [
    ("org.apache.kafka.connect.source.SourceConnector", "source"),
    ("org.apache.kafka.connect.sink.SinkConnector", "sink"),
    ("org.apache.kafka.connect.storage.Converter", "converter"),
    ("org.apache.kafka.connect.storage.HeaderConverter", "header-converter"),
    ("org.apache.kafka.connect.transforms.Transformation", "transformation"),
    ("org.apache.kafka.connect.transforms.predicates.Predicate", "predicate"),
    ("org.apache.kafka.common.config.provider.ConfigProvider", "config-provider"),
];

/// One class a plugin provides.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PluginClass {
    pub class: String,
    pub kind: String,
}

/// Every class the jars under `dir` declare, sorted. Unreadable jars are skipped: Connect
/// would skip them too, and the worker's own listing is the final word.
pub fn scan(dir: &Path) -> Vec<PluginClass> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else { continue };
            if kind.is_dir() {
                stack.push(path);
            } else if kind.is_file() && path.extension().is_some_and(|e| e == "jar") {
                found.extend(classes_in_jar(&path));
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

fn classes_in_jar(jar: &Path) -> Vec<PluginClass> {
    let Ok(file) = File::open(jar) else { return Vec::new() };
    let Ok(mut zip) = zip::ZipArchive::new(file) else { return Vec::new() };
    let mut found = Vec::new();
    for (service, kind) in SERVICES {
        let Ok(mut entry) = zip.by_name(&format!("META-INF/services/{service}")) else {
            continue;
        };
        let mut text = String::new();
        // Service files are a few lines; a huge one is not a service file.
        if entry.size() > 1 << 20 || entry.read_to_string(&mut text).is_err() {
            continue;
        }
        found.extend(
            parse_service_file(&text).map(|class| PluginClass { class, kind: kind.into() }),
        );
    }
    found
}

/// The class names of a `META-INF/services` file: one per line, `#` starts a comment.
pub fn parse_service_file(text: &str) -> impl Iterator<Item = String> + '_ {
    text.lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_files_are_read_like_the_jdk_does() {
        let text = "# providers\norg.example.A\n\n  org.example.B  # the other one\n";
        assert_eq!(
            parse_service_file(text).collect::<Vec<_>>(),
            ["org.example.A", "org.example.B"]
        );
    }
}
