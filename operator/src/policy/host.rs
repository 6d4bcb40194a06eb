//! The host side of the `log`, `secrets` and `http` interfaces: one dispatch point that
//! checks the Policy's grants before anything reaches the cluster or the network, and
//! records every call (never a secret's value) for `sluice policy test` and the logs.
//!
//! Every host call counts against the call's cap and runs within what is left of its
//! deadline: epoch interruption stops guest code only, so a host call that waited past the
//! deadline would hold the call, its thread and its pool slot.

use std::{
    collections::BTreeSet,
    sync::Arc,
    time::{Duration, Instant},
};

use super::bindings::{http, log, secrets, types};
use super::limits::{MAX_HOST_CALLS, MAX_LOG_LINE_BYTES, MAX_LOG_LINES};
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
/// table in tests. Each must answer `within` the time given, what is left of the call.
pub trait HostServices: Send + Sync {
    fn secret(
        &self,
        namespace: &str,
        name: &str,
        key: &str,
        within: Duration,
    ) -> Result<String, secrets::SecretError>;
    fn http_get(
        &self,
        url: &str,
        headers: &[(String, String)],
        within: Duration,
    ) -> Result<http::Response, http::HttpError>;
}

/// Host services that grant nothing: for policies whose Policy grants no capability.
pub struct NoServices;

impl HostServices for NoServices {
    fn secret(
        &self,
        _: &str,
        name: &str,
        _: &str,
        _: Duration,
    ) -> Result<String, secrets::SecretError> {
        Err(secrets::SecretError::Unavailable(format!("no secret source for {name}")))
    }
    fn http_get(
        &self,
        url: &str,
        _: &[(String, String)],
        _: Duration,
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

/// Why a host call ended the policy call (a trap the engine classifies).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum HostTrap {
    #[error("the policy made more than {MAX_HOST_CALLS} host calls")]
    TooManyCalls,
    #[error("the policy's deadline passed during a host call")]
    DeadlinePassed,
}

/// The per-call state of a Store.
pub struct HostState {
    pub(crate) grants: Grants,
    pub(crate) services: Arc<dyn HostServices>,
    pub(crate) calls: Vec<HostCall>,
    /// Host calls made so far, logged or not.
    pub(crate) host_calls: usize,
    /// When the call's timeout runs out.
    pub(crate) deadline: Instant,
    /// The secret values this call has read, masked in whatever the guest logs.
    pub(crate) read: Vec<String>,
    pub(crate) limiter: super::limiter::Limiter,
    pub(crate) policy: String,
    /// Created at the guest's first WASI call, for modules that import WASI.
    pub(crate) wasi: Option<Box<super::wasi::WasiState>>,
}

impl HostState {
    /// Counts a host call, and gives the time left for it; ends the call when the cap or
    /// the deadline is passed.
    fn enter(&mut self) -> wasmtime::Result<Duration> {
        self.host_calls += 1;
        if self.host_calls > MAX_HOST_CALLS {
            return Err(HostTrap::TooManyCalls.into());
        }
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(HostTrap::DeadlinePassed.into());
        }
        Ok(left)
    }
}

impl types::Host for HostState {}

impl log::Host for HostState {
    fn log(&mut self, level: log::Level, message: String) -> wasmtime::Result<()> {
        self.enter()?;
        let logged = self.calls.iter().filter(|c| matches!(c, HostCall::Log { .. })).count();
        if logged >= MAX_LOG_LINES {
            return Ok(());
        }
        // A guest may log what it read; the line is masked before it is kept or logged.
        let masked = crate::redact::Redactor::new(&Default::default(), self.read.iter().cloned())
            .redact(&message);
        let message = crate::text::truncate(&masked, MAX_LOG_LINE_BYTES, "…");
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
        Ok(())
    }
}

impl secrets::Host for HostState {
    fn get(
        &mut self,
        name: String,
        key: String,
    ) -> wasmtime::Result<Result<String, secrets::SecretError>> {
        let within = self.enter()?;
        let granted = self.grants.secrets.contains(&name);
        self.calls.push(HostCall::Secret { name: name.clone(), key: key.clone(), granted });
        if !granted {
            return Ok(Err(secrets::SecretError::NotGranted(format!(
                "Secret {name} is not granted to policy {}: add it to spec.capabilities.secrets.names",
                self.policy
            ))));
        }
        let value = self.services.secret(&self.grants.namespace, &name, &key, within);
        if let Ok(value) = &value {
            self.read.push(value.clone());
        }
        Ok(value)
    }
}

impl http::Host for HostState {
    fn get(
        &mut self,
        url: String,
        headers: Vec<(String, String)>,
    ) -> wasmtime::Result<Result<http::Response, http::HttpError>> {
        let within = self.enter()?;
        Ok(self.http_get(url, headers, within))
    }
}

impl HostState {
    fn http_get(
        &mut self,
        url: String,
        headers: Vec<(String, String)>,
        within: Duration,
    ) -> Result<http::Response, http::HttpError> {
        let allowed = crate::origin::allowed(&url, &self.grants.http_hosts);
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
        if let Some((name, _)) =
            headers.iter().find(|(name, _)| super::egress::refused_header(name))
        {
            self.calls.push(HostCall::Http { url: url.clone(), allowed: false, status: None });
            return Err(http::HttpError::NotAllowed(format!(
                "policy {} may not set the {name} header: the host sets it from the URL and the connection",
                self.policy
            )));
        }
        let result = self.services.http_get(&url, &headers, within);
        let status = result.as_ref().ok().map(|r| r.status);
        self.calls.push(HostCall::Http { url, allowed, status });
        result
    }
}
