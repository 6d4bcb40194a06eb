//! The suite's secret sweep, run by `tests/run` after every test: each value any test wrote
//! into a Secret, looked for in everything the operator or the cluster wrote where someone
//! who may not read that Secret could see it. The API servers' audit logs hold both sides
//! (`tests/env/testenv` records Secret writes and every write of a status, Event,
//! ConfigMap, Service or StatefulSet); the operators' own logs are files. Values are found by
//! reading the Secrets the suite really wrote, so a new test needs no list of its own.

use std::collections::BTreeSet;

use serde_json::Value;

/// Shorter values cannot be searched for without matching ordinary words (a Secret holding
/// `x` or `admin`); the suite's secret values are longer.
pub const MIN_LEN: usize = 12;

/// What one sweep looks at.
#[derive(Debug, Default)]
pub struct Sweep {
    /// The values to look for.
    pub secrets: BTreeSet<String>,
    /// Where each text comes from, and the text.
    pub outputs: Vec<(String, String)>,
}

/// A secret value found where it must not be.
#[derive(Debug, PartialEq, Eq)]
pub struct Leak {
    pub value: String,
    pub place: String,
}

impl Sweep {
    /// Reads one API server audit log (JSON lines).
    pub fn read_audit(&mut self, source: &str, log: &str) -> Result<(), String> {
        for (n, line) in log.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let event: Value = serde_json::from_str(line)
                .map_err(|e| format!("{source} line {}: not an audit event: {e}", n + 1))?;
            let target = &event["objectRef"];
            let Some(body) = event.get("requestObject") else { continue };
            if target["resource"] == "secrets" && target["subresource"].is_null() {
                // Only what the tests and the operators wrote: the cluster's own
                // controllers fill token Secrets with the namespace's name and the
                // cluster's CA, which show everywhere and are no test's secret. The
                // in-cluster operators' service accounts (in sluice-system) write the
                // Connects' REST credentials.
                // Helm's release records hold the chart, not secrets.
                let user = event["user"]["username"].as_str().unwrap_or_default();
                let ours = !user.starts_with("system:")
                    || user.starts_with("system:serviceaccount:sluice-system:");
                if ours && body["type"] != "helm.sh/release.v1" {
                    self.secrets.extend(secret_values(body));
                }
                continue;
            }
            let place = format!(
                "{source}: {} {}{} {}/{} by {}",
                event["verb"].as_str().unwrap_or_default(),
                target["resource"].as_str().unwrap_or_default(),
                target["subresource"].as_str().map(|s| format!("/{s}")).unwrap_or_default(),
                target["namespace"].as_str().unwrap_or_default(),
                target["name"].as_str().unwrap_or_default(),
                event["user"]["username"].as_str().unwrap_or_default(),
            );
            let mut texts = Vec::new();
            strings(body, &mut texts);
            self.outputs.push((place, texts.join("\n")));
        }
        Ok(())
    }

    /// Adds a log file's text.
    pub fn read_log(&mut self, source: &str, text: &str) {
        self.outputs.push((source.to_owned(), text.to_owned()));
    }

    /// Every secret value in every output, each once per place.
    pub fn leaks(&self) -> Vec<Leak> {
        let mut found = Vec::new();
        for value in &self.secrets {
            for (place, text) in &self.outputs {
                if text.contains(value.as_str()) {
                    found.push(Leak { value: value.clone(), place: place.clone() });
                }
            }
        }
        found
    }
}

/// The values of a Secret as written (an object or a patch): `stringData` as is, `data`
/// decoded, each whole and, for a multi-line value such as a properties file, line by line.
pub fn secret_values(body: &Value) -> Vec<String> {
    let plain = body["stringData"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_str().map(String::from));
    let encoded = body["data"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(_, v)| v.as_str().and_then(decode_base64))
        .filter_map(|bytes| String::from_utf8(bytes).ok());
    let mut values = Vec::new();
    for value in plain.chain(encoded) {
        let lines = secret_lines(&value);
        let whole_is_secret = !value.contains(CERTIFICATE.0) || !lines.is_empty();
        if lines.len() > 1 {
            values.extend(lines);
        }
        if whole_is_secret {
            values.push(value);
        }
    }
    values.retain(|v| v.chars().count() >= MIN_LEN);
    values
}

/// Where a PEM certificate starts and ends: a certificate is public (the cluster's CA is in
/// every namespace's `kube-root-ca.crt` ConfigMap), so its lines are not looked for.
const CERTIFICATE: (&str, &str) = ("-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----");

/// The lines of a value outside its certificates, trimmed.
fn secret_lines(value: &str) -> Vec<String> {
    let mut in_certificate = false;
    let mut lines = Vec::new();
    for line in value.lines().map(str::trim) {
        if line == CERTIFICATE.0 {
            in_certificate = true;
        } else if line == CERTIFICATE.1 {
            in_certificate = false;
        } else if !in_certificate && !line.is_empty() {
            lines.push(line.to_owned());
        }
    }
    lines
}

fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(fields) => fields.iter().for_each(|(k, v)| {
            out.push(k.clone());
            strings(v, out);
        }),
        _ => {}
    }
}

/// Standard base64 with padding, as the API server encodes Secret data.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let digits: Vec<u8> = text
        .trim_end_matches('=')
        .bytes()
        .map(|b| ALPHABET.iter().position(|&a| a == b).map(|p| p as u8))
        .collect::<Option<_>>()?;
    let mut out = Vec::with_capacity(digits.len() * 3 / 4);
    for chunk in digits.chunks(4) {
        let n = chunk.iter().enumerate().fold(0u32, |n, (i, &d)| n | u32::from(d) << (18 - 6 * i));
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[1..chunk.len()]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn base64_decodes_every_padding() {
        for (encoded, plain) in [
            ("", ""),
            ("YQ==", "a"),
            ("YWI=", "ab"),
            ("YWJj", "abc"),
            ("c2VjcmV0LXZhbHVlLTEyMw==", "secret-value-123"),
        ] {
            assert_eq!(decode_base64(encoded).unwrap(), plain.as_bytes(), "{encoded}");
        }
        assert_eq!(decode_base64("not base64!"), None);
    }

    #[test]
    fn secret_values_come_from_string_data_and_decoded_data_line_by_line() {
        let body = json!({
            "stringData": {"target.properties": "path=/tmp/sink-1234.txt\nuser=someone-long-enough", "short": "x"},
            "data": {"password": "c2VjcmV0LXZhbHVlLTEyMw=="}
        });
        let values: BTreeSet<String> = secret_values(&body).into_iter().collect();
        let want: BTreeSet<String> = [
            "path=/tmp/sink-1234.txt\nuser=someone-long-enough",
            "path=/tmp/sink-1234.txt",
            "user=someone-long-enough",
            "secret-value-123",
        ]
        .into_iter()
        .map(String::from)
        .collect();
        assert_eq!(values, want);
    }

    #[test]
    fn certificates_are_public_and_their_keys_are_not() {
        let cert = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ2x1c3Rlcg\n-----END CERTIFICATE-----\n";
        assert_eq!(secret_values(&json!({"stringData": {"ca.crt": cert}})), Vec::<String>::new());
        let key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n-----END PRIVATE KEY-----";
        let both = format!("{cert}{key}");
        let values = secret_values(&json!({"stringData": {"tls.pem": both}}));
        assert!(values.contains(&"MIGHAgEAMBMGByqGSM49AgEGCCqGSM49".to_owned()), "{values:?}");
        assert!(
            !values.iter().any(|v| v.contains("Q2x1c3Rlcg") && !v.contains("PRIVATE")),
            "{values:?}"
        );
    }

    #[test]
    fn a_value_in_a_status_event_or_log_is_a_leak_and_the_secret_itself_is_not() {
        let audit = [
            json!({"verb": "create", "objectRef": {"resource": "secrets", "namespace": "a", "name": "db"},
                   "requestObject": {"stringData": {"password": "hunter2-but-longer"}}}),
            json!({"verb": "patch", "objectRef": {"resource": "connectors", "subresource": "status", "namespace": "a", "name": "c"},
                   "user": {"username": "sluice"},
                   "requestObject": {"status": {"conditions": [{"message": "login failed for hunter2-but-longer"}]}}}),
            json!({"verb": "create", "objectRef": {"resource": "events", "namespace": "a", "name": "e"},
                   "requestObject": {"note": "nothing to see in namespace-of-a-test"}}),
            json!({"verb": "create", "objectRef": {"resource": "secrets", "namespace": "a", "name": "token"},
                   "user": {"username": "system:serviceaccount:kube-system:tokens"},
                   "requestObject": {"stringData": {"namespace": "namespace-of-a-test"}}}),
        ];
        let log: String = audit.iter().map(|e| e.to_string() + "\n").collect();
        let mut sweep = Sweep::default();
        sweep.read_audit("audit.log", &log).unwrap();
        sweep.read_log("operator.log", "INFO reconciled\nERROR hunter2-but-longer rejected");
        let leaks = sweep.leaks();
        assert_eq!(
            leaks.iter().map(|l| l.place.as_str()).collect::<Vec<_>>(),
            ["audit.log: patch connectors/status a/c by sluice", "operator.log"]
        );
        assert!(sweep.read_audit("broken.log", "{not json").is_err());
    }
}
