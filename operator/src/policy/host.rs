//! The host side of the `log`, `secrets` and `http` interfaces: one dispatch point that
//! checks the Policy's grants before anything reaches the cluster or the network, and
//! records every call (never a secret's value) for `sluice policy test` and the logs.

use std::{collections::BTreeSet, sync::Arc};

use super::bindings::{http, log, secrets, types};
use super::limits::{MAX_LOG_LINE_BYTES, MAX_LOG_LINES};
pub use http::{HttpError, Response};
pub use secrets::SecretError;

/// What a Policy's `capabilities` grant, for one call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// The Connector's namespace: the only one whose Secrets may be read.
    pub namespace: String,
    /// Secret names that may be read.
    pub secrets: BTreeSet<String>,
    /// Where HTTP GETs may go: `https://host[:port]` as in the Policy's `allowedHosts`
    /// (also accepted: `host`, `host:port`, any scheme).
    pub http_hosts: BTreeSet<String>,
}

/// Where granted host calls go: the cluster's Secrets and the network in the operator, a
/// table in tests.
pub trait HostServices: Send + Sync {
    fn secret(
        &self,
        namespace: &str,
        name: &str,
        key: &str,
    ) -> Result<String, secrets::SecretError>;
    fn http_get(
        &self,
        url: &str,
        headers: &[(String, String)],
    ) -> Result<http::Response, http::HttpError>;
}

/// Host services that grant nothing: for policies whose Policy grants no capability.
pub struct NoServices;

impl HostServices for NoServices {
    fn secret(&self, _: &str, name: &str, _: &str) -> Result<String, secrets::SecretError> {
        Err(secrets::SecretError::Unavailable(format!("no secret source for {name}")))
    }
    fn http_get(
        &self,
        url: &str,
        _: &[(String, String)],
    ) -> Result<http::Response, http::HttpError> {
        Err(http::HttpError::Failed(format!("no HTTP client for {url}")))
    }
}

/// One call from the guest to the host, as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "call", rename_all = "camelCase")]
pub enum HostCall {
    Log { level: String, message: String },
    Secret { name: String, key: String, granted: bool },
    Http { url: String, allowed: bool, status: Option<u16> },
}

/// The per-call state of a Store.
pub struct HostState {
    pub(crate) grants: Grants,
    pub(crate) services: Arc<dyn HostServices>,
    pub(crate) calls: Vec<HostCall>,
    pub(crate) limiter: super::engine::Limiter,
    pub(crate) policy: String,
    /// Created at the guest's first WASI call, for modules that import WASI.
    pub(crate) wasi: Option<Box<super::wasi::WasiState>>,
}

impl types::Host for HostState {}

impl log::Host for HostState {
    fn log(&mut self, level: log::Level, message: String) {
        let logged = self.calls.iter().filter(|c| matches!(c, HostCall::Log { .. })).count();
        if logged >= MAX_LOG_LINES {
            return;
        }
        let message = crate::text::truncate(&message, MAX_LOG_LINE_BYTES, "…");
        let level = match level {
            log::Level::Trace => "trace",
            log::Level::Debug => "debug",
            log::Level::Info => "info",
            log::Level::Warn => "warn",
            log::Level::Error => "error",
        }
        .to_owned();
        tracing::info!(policy = %self.policy, guest_level = %level, "policy: {message}");
        self.calls.push(HostCall::Log { level, message });
    }
}

impl secrets::Host for HostState {
    fn get(&mut self, name: String, key: String) -> Result<String, secrets::SecretError> {
        let granted = self.grants.secrets.contains(&name);
        self.calls.push(HostCall::Secret { name: name.clone(), key: key.clone(), granted });
        if !granted {
            return Err(secrets::SecretError::NotGranted(format!(
                "Secret {name} is not granted to policy {}: add it to spec.capabilities.secrets.names",
                self.policy
            )));
        }
        self.services.secret(&self.grants.namespace, &name, &key)
    }
}

impl http::Host for HostState {
    fn get(
        &mut self,
        url: String,
        headers: Vec<(String, String)>,
    ) -> Result<http::Response, http::HttpError> {
        let allowed = origins(&url).iter().any(|o| self.grants.http_hosts.contains(o));
        if !allowed {
            self.calls.push(HostCall::Http { url: url.clone(), allowed, status: None });
            let host = url::Url::parse(&url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_else(|| url.clone());
            return Err(http::HttpError::NotAllowed(format!(
                "{host} is not allowed for policy {}: add it to spec.capabilities.http.allowedHosts",
                self.policy
            )));
        }
        let result = self.services.http_get(&url, &headers);
        let status = result.as_ref().ok().map(|r| r.status);
        self.calls.push(HostCall::Http { url, allowed, status });
        result
    }
}

/// The ways an allow-list entry may name the origin of an http(s) URL: `scheme://host`,
/// `scheme://host:port`, `host`, `host:port` (the port spelled out or the scheme's default).
/// Anything but http(s) has none, so it is never allowed.
fn origins(url: &str) -> Vec<String> {
    let Ok(parsed) = url::Url::parse(url) else { return Vec::new() };
    let (scheme, Some(host)) = (parsed.scheme(), parsed.host_str()) else { return Vec::new() };
    if !matches!(scheme, "http" | "https") {
        return Vec::new();
    }
    let port = parsed.port_or_known_default().unwrap_or_default();
    let mut names = vec![format!("{scheme}://{host}:{port}"), format!("{host}:{port}")];
    if parsed.port().is_none() {
        names.extend([format!("{scheme}://{host}"), host.to_owned()]);
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allow_list_entries_match_the_origin_in_any_usual_spelling() {
        let o = origins("https://repo1.maven.org/maven2/x.zip");
        for entry in ["https://repo1.maven.org", "https://repo1.maven.org:443", "repo1.maven.org"] {
            assert!(o.contains(&entry.to_owned()), "{entry} in {o:?}");
        }
        assert!(!o.contains(&"http://repo1.maven.org".to_owned()), "the scheme counts");
        let o = origins("http://127.0.0.1:8080/");
        assert!(o.contains(&"http://127.0.0.1:8080".to_owned()));
        assert!(
            !o.contains(&"127.0.0.1".to_owned()),
            "an explicit port must be allowed explicitly"
        );
        assert!(origins("file:///etc/passwd").is_empty());
        assert!(origins("not a url").is_empty());
    }
}
