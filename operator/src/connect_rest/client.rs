use std::{collections::BTreeMap, time::Duration};

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use url::Url;

use super::error::RestError;
use crate::connect_wire::{
    ConfigInfos, CreateConnector, ErrorBody, ExpandedConnector, InitialState, PluginInfo,
};

/// A client for one Kafka Connect cluster's REST API.
#[derive(Clone)]
pub struct ConnectClient {
    http: reqwest::Client,
    base: Url,
    auth: Option<Auth>,
}

/// Credentials sent with every request.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    Basic { username: String, password: String },
    Bearer(String),
}

// Credentials must never reach a log line through a derived Debug.
impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Auth::Basic { username, .. } => write!(f, "Basic({username}, [hidden])"),
            Auth::Bearer(_) => f.write_str("Bearer([hidden])"),
        }
    }
}

impl std::fmt::Debug for ConnectClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectClient")
            .field("endpoint", &self.endpoint())
            .field("auth", &self.auth)
            .finish()
    }
}

/// Connect's own request timeout is 90 s; Sluice gives up sooner so that one slow worker
/// cannot stall a reconcile for that long.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// The largest answer read: an expanded listing of 10,000 connectors with their configs
/// is a few tens of MiB; more is not a Connect worker Sluice can serve from memory.
const MAX_BODY: u64 = 64 << 20;
/// The largest error body read: Connect's are one JSON object with a message.
const MAX_ERROR_BODY: u64 = 64 << 10;

impl ConnectClient {
    /// A client for the cluster at `endpoint` (for example `http://connect:8083`).
    pub fn new(http: reqwest::Client, endpoint: &str) -> Result<Self, url::ParseError> {
        let mut base = Url::parse(endpoint)?;
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        Ok(Self { http, base, auth: None })
    }

    /// The same client, sending `auth` with every request.
    pub fn with_auth(mut self, auth: Option<Auth>) -> Self {
        self.auth = auth;
        self
    }

    pub fn endpoint(&self) -> &str {
        self.base.as_str().trim_end_matches('/')
    }

    /// `GET /`: the worker's version (`{"version": "4.3.1", ...}`; Confluent Platform's
    /// workers report their platform version, `7.4.0-ce`).
    pub async fn version(&self) -> Result<String, RestError> {
        #[derive(serde::Deserialize)]
        struct Root {
            version: String,
        }
        let root: Root = self.call(Method::GET, "/", "", None).await?.json().await?;
        Ok(root.version)
    }

    /// `GET /connectors?expand=status&expand=info`: every connector of the cluster, in one call.
    pub async fn list_expanded(&self) -> Result<BTreeMap<String, ExpandedConnector>, RestError> {
        self.call(Method::GET, "/connectors", "connectors?expand=status&expand=info", None)
            .await?
            .json()
            .await
    }

    /// `GET /connector-plugins`: the connector classes the workers offer.
    pub async fn connector_plugins(&self) -> Result<Vec<PluginInfo>, RestError> {
        self.call(Method::GET, "/connector-plugins", "connector-plugins", None).await?.json().await
    }

    /// `POST /connectors`, with `initial_state` when given.
    pub async fn create(
        &self,
        name: &str,
        config: &BTreeMap<String, String>,
        initial_state: Option<InitialState>,
    ) -> Result<(), RestError> {
        let body = serde_json::to_value(CreateConnector { name, config, initial_state })
            .expect("a map of strings serialises");
        self.call(Method::POST, "/connectors", "connectors", Some(body)).await?;
        Ok(())
    }

    /// `PUT /connectors/{name}/config`: create or replace the config.
    pub async fn put_config(
        &self,
        name: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<(), RestError> {
        let body = serde_json::to_value(config).expect("a map of strings serialises");
        self.call(
            Method::PUT,
            "/connectors/{name}/config",
            &connector_path(name, "/config"),
            Some(body),
        )
        .await?;
        Ok(())
    }

    pub async fn pause(&self, name: &str) -> Result<(), RestError> {
        self.call(Method::PUT, "/connectors/{name}/pause", &connector_path(name, "/pause"), None)
            .await?;
        Ok(())
    }

    /// `PUT /connectors/{name}/resume`; it also resumes a stopped connector.
    pub async fn resume(&self, name: &str) -> Result<(), RestError> {
        self.call(Method::PUT, "/connectors/{name}/resume", &connector_path(name, "/resume"), None)
            .await?;
        Ok(())
    }

    pub async fn stop(&self, name: &str) -> Result<(), RestError> {
        self.call(Method::PUT, "/connectors/{name}/stop", &connector_path(name, "/stop"), None)
            .await?;
        Ok(())
    }

    /// `POST /connectors/{name}/restart` (KIP-745, Kafka 3.0).
    pub async fn restart(
        &self,
        name: &str,
        include_tasks: bool,
        only_failed: bool,
    ) -> Result<(), RestError> {
        let path = connector_path(
            name,
            &format!("/restart?includeTasks={include_tasks}&onlyFailed={only_failed}"),
        );
        self.call(Method::POST, "/connectors/{name}/restart", &path, None).await?;
        Ok(())
    }

    /// `POST /connectors/{name}/tasks/{id}/restart`.
    pub async fn restart_task(&self, name: &str, task: i32) -> Result<(), RestError> {
        self.call(
            Method::POST,
            "/connectors/{name}/tasks/{id}/restart",
            &connector_path(name, &format!("/tasks/{task}/restart")),
            None,
        )
        .await?;
        Ok(())
    }

    /// `PUT /connector-plugins/{class}/config/validate`. The body must carry
    /// `connector.class` itself: the path does not fill it in.
    pub async fn validate(
        &self,
        class: &str,
        config: &BTreeMap<String, String>,
    ) -> Result<ConfigInfos, RestError> {
        let mut url = Url::parse("http://x/connector-plugins/").expect("static URL");
        url.path_segments_mut()
            .expect("http URL")
            .pop_if_empty()
            .push(class)
            .push("config")
            .push("validate");
        let path = url.path().trim_start_matches('/').to_owned();
        let body = serde_json::to_value(config).expect("a map of strings serialises");
        self.call(Method::PUT, "/connector-plugins/{class}/config/validate", &path, Some(body))
            .await?
            .json()
            .await
    }

    /// `DELETE /connectors/{name}`; a connector that is already gone is not an error.
    pub async fn delete(&self, name: &str) -> Result<(), RestError> {
        match self.call(Method::DELETE, "/connectors/{name}", &connector_path(name, ""), None).await
        {
            Err(e) if e.is_not_found() => Ok(()),
            other => other.map(|_| ()),
        }
    }

    /// One request; `template` is its path with names left out, the metrics' `path` label.
    async fn call(
        &self,
        method: Method,
        template: &'static str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> Result<Response, RestError> {
        let request = format!("{method} /{}", path.split('?').next().unwrap_or(path));
        let url = self.base.join(path).map_err(|e| RestError::Unreachable {
            endpoint: self.endpoint().to_owned(),
            reason: format!("bad path {path}: {e}"),
        })?;
        let mut builder = self.http.request(method.clone(), url).timeout(REQUEST_TIMEOUT);
        if let Some(body) = body {
            builder = builder.json(&body);
        }
        builder = match &self.auth {
            Some(Auth::Basic { username, password }) => {
                builder.basic_auth(username, Some(password))
            }
            Some(Auth::Bearer(token)) => builder.bearer_auth(token),
            None => builder,
        };
        let started = std::time::Instant::now();
        let sent = builder.send().await;
        let code = sent.as_ref().map_or(0, |r| r.status().as_u16());
        crate::metrics::rest_call(method.as_str(), template, code, started.elapsed());
        let response = sent.map_err(|e| RestError::Unreachable {
            endpoint: self.endpoint().to_owned(),
            reason: error_chain(&e),
        })?;
        let status = response.status();
        if status.is_success() {
            return Ok(Response { request, response });
        }
        let text = crate::bounded::body(response, MAX_ERROR_BODY)
            .await
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_default();
        Err(RestError::Status {
            request,
            status: status.as_u16(),
            message: error_message(status, &text),
        })
    }
}

struct Response {
    request: String,
    response: reqwest::Response,
}

impl Response {
    async fn json<T: DeserializeOwned>(self) -> Result<T, RestError> {
        let bytes = crate::bounded::body(self.response, MAX_BODY).await.map_err(|e| {
            RestError::Decode { request: self.request.clone(), reason: e.to_string() }
        })?;
        serde_json::from_slice(&bytes)
            .map_err(|e| RestError::Decode { request: self.request, reason: e.to_string() })
    }
}

/// Connector names may hold any character but `/`-free path segments need escaping.
fn connector_path(name: &str, suffix: &str) -> String {
    let mut url = Url::parse("http://x/connectors/").expect("static URL");
    url.path_segments_mut().expect("http URLs have path segments").pop_if_empty().push(name);
    format!("{}{suffix}", url.path().trim_start_matches('/'))
}

fn error_message(status: StatusCode, body: &str) -> String {
    serde_json::from_str::<ErrorBody>(body)
        .ok()
        .and_then(|b| b.message)
        .unwrap_or_else(|| status.canonical_reason().unwrap_or("no message").to_owned())
}

/// reqwest hides the interesting part (connection refused, TLS) in the source chain.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connector_names_are_escaped_in_paths() {
        assert_eq!(connector_path("a b/c", "/config"), "connectors/a%20b%2Fc/config");
        assert_eq!(connector_path("plain", ""), "connectors/plain");
    }

    #[test]
    fn endpoint_keeps_a_path_prefix() {
        crate::tls::install_crypto_provider();
        let c = ConnectClient::new(reqwest::Client::new(), "http://h:8083/api").unwrap();
        assert_eq!(c.base.join("connectors").unwrap().as_str(), "http://h:8083/api/connectors");
        assert_eq!(c.endpoint(), "http://h:8083/api");
    }

    #[test]
    fn worker_error_bodies_give_their_message() {
        let msg = error_message(
            StatusCode::CONFLICT,
            r#"{"error_code":409,"message":"Connector x already exists"}"#,
        );
        assert_eq!(msg, "Connector x already exists");
        assert_eq!(error_message(StatusCode::BAD_GATEWAY, "<html>"), "Bad Gateway");
    }
}
