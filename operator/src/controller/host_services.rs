//! The policy host's `secrets` and `http` calls, served for real: Secrets read one by one
//! from the API server (never listed or cached), HTTP GETs with a time and size bound. The
//! host has already checked the Policy's grants before a call gets here.
//!
//! Policy calls run on blocking threads, so these block on the operator's runtime.

use std::{sync::Mutex, time::Duration};

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use tokio::runtime::Handle;

use crate::policy::HostServices;
use crate::policy::host::{HttpError, Response, SecretError};

/// The longest time a host call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest HTTP body handed to a policy.
const MAX_BODY_BYTES: usize = 1 << 20;

pub struct ClusterServices {
    client: kube::Client,
    http: reqwest::Client,
    runtime: Handle,
    /// Every secret value handed out, so the caller can mask them wherever they might show.
    read: Mutex<Vec<String>>,
}

/// The client of policies' `http` calls. Building one loads the TLS roots, which costs more
/// than a policy call: the operator builds it once and every call shares it.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(CALL_TIMEOUT)
        // A redirect could leave the allowed host; the policy must ask for the target.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client with static settings builds")
}

impl ClusterServices {
    /// Services for one policy call; call from within the operator's runtime.
    pub fn new(ctx: &super::Context) -> Self {
        Self {
            client: ctx.client.clone(),
            http: ctx.policy_http.clone(),
            runtime: Handle::current(),
            read: Mutex::default(),
        }
    }

    /// The secret values read so far.
    pub fn secret_values(&self) -> Vec<String> {
        self.read.lock().expect("secret values").clone()
    }
}

impl HostServices for ClusterServices {
    fn secret(&self, namespace: &str, name: &str, key: &str) -> Result<String, SecretError> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let found = self
            .runtime
            .block_on(async { tokio::time::timeout(CALL_TIMEOUT, api.get_opt(name)).await })
            .map_err(|_| SecretError::Unavailable(format!("reading Secret {name} timed out")))?
            .map_err(|e| SecretError::Unavailable(format!("reading Secret {name}: {e}")))?
            .ok_or_else(|| {
                SecretError::NotFound(format!("Secret {name} does not exist in {namespace}"))
            })?;
        let bytes = found
            .data
            .as_ref()
            .and_then(|d| d.get(key))
            .ok_or_else(|| SecretError::NotFound(format!("Secret {name} has no key {key}")))?;
        let value = String::from_utf8(bytes.0.clone()).map_err(|_| {
            SecretError::NotFound(format!("Secret {name} key {key} is not UTF-8 text"))
        })?;
        self.read.lock().expect("secret values").push(value.clone());
        Ok(value)
    }

    fn http_get(&self, url: &str, headers: &[(String, String)]) -> Result<Response, HttpError> {
        self.runtime.block_on(async {
            let mut request = self.http.get(url);
            for (k, v) in headers {
                request = request.header(k, v);
            }
            let mut response = request.send().await.map_err(|e| {
                if e.is_timeout() {
                    HttpError::Timeout
                } else {
                    HttpError::Failed(e.without_url().to_string())
                }
            })?;
            let status = response.status().as_u16();
            let headers = response
                .headers()
                .iter()
                .filter_map(|(k, v)| Some((k.as_str().to_owned(), v.to_str().ok()?.to_owned())))
                .collect();
            let mut body = Vec::new();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| HttpError::Failed(e.without_url().to_string()))?
            {
                if body.len() + chunk.len() > MAX_BODY_BYTES {
                    return Err(HttpError::TooLarge(MAX_BODY_BYTES as u64));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(Response { status, headers, body })
        })
    }
}
