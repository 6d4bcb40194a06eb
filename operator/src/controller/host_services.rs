//! The policy host's `secrets` and `http` calls, served for real: Secrets read one by one
//! from the API server (never listed or cached), HTTP GETs with a time and size bound. The
//! host has already checked the Policy's grants before a call gets here.
//!
//! Policy calls run on blocking threads, so these block on the operator's runtime.

use std::{sync::Mutex, time::Duration};

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use tokio::runtime::Handle;

use crate::policy::host::{HttpError, Response, SecretError};
use crate::policy::{HostServices, egress};

/// The longest time a host call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest HTTP body handed to a policy.
const MAX_BODY_BYTES: usize = 1 << 20;

pub struct ClusterServices {
    /// The Policy making the calls: a Secret must name it to be read.
    policy: String,
    client: kube::Client,
    http: PolicyHttp,
    runtime: Handle,
    /// Every secret value handed out, so the caller can mask them wherever they might show.
    read: Mutex<Vec<String>>,
}

/// The client of policies' `http` calls. Building one loads the TLS roots, which costs more
/// than a policy call: the operator builds it once and every call shares it.
pub fn http_client(allow_private: bool) -> PolicyHttp {
    let client = reqwest::Client::builder()
        .timeout(CALL_TIMEOUT)
        // A redirect could leave the allowed host; the policy must ask for the target.
        .redirect(reqwest::redirect::Policy::none())
        // A proxy would be the address connected to, and it would not be checked.
        .no_proxy()
        // Every name is resolved here, and only addresses a policy may reach are handed to
        // the connector: what is checked is what is connected to (no DNS rebinding between
        // a check and the connect).
        .dns_resolver(GuardedResolver { allow_private })
        .build()
        .expect("an HTTP client with static settings builds");
    PolicyHttp { client, allow_private }
}

/// The policies' HTTP client and the address rule it was built with (IP literals in a URL
/// are not resolved, so they are checked against the same rule before the request).
#[derive(Clone)]
pub struct PolicyHttp {
    client: reqwest::Client,
    allow_private: bool,
}

struct GuardedResolver {
    allow_private: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow_private = self.allow_private;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let (allowed, refused): (Vec<_>, Vec<_>) =
                all.into_iter().partition(|a| egress::refusal(a.ip(), allow_private).is_none());
            match (allowed.is_empty(), refused.first()) {
                (false, _) => Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs),
                (true, Some(a)) => Err(format!(
                    "{host} resolves to {}, {}, which policies may not reach",
                    a.ip(),
                    egress::refusal(a.ip(), allow_private).unwrap_or_default()
                )
                .into()),
                (true, None) => Err(format!("{host} has no address").into()),
            }
        })
    }
}

/// The message of a request error with its causes (the refusal above is one), without the
/// URL, which may carry a query the policy built from a secret.
fn described(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        let shown = cause.to_string();
        if !text.contains(&shown) {
            text = format!("{text}: {shown}");
        }
        source = cause.source();
    }
    text
}

impl ClusterServices {
    /// Services for one call of `policy`; call from within the operator's runtime.
    pub fn new(ctx: &super::Context, policy: &str) -> Self {
        Self {
            policy: policy.to_owned(),
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
    fn secret(
        &self,
        namespace: &str,
        name: &str,
        key: &str,
        within: Duration,
    ) -> Result<String, SecretError> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), namespace);
        let within = within.min(CALL_TIMEOUT);
        let found = self
            .runtime
            .block_on(async { tokio::time::timeout(within, api.get_opt(name)).await })
            .map_err(|_| SecretError::Unavailable(format!("reading Secret {name} timed out")))?
            .map_err(|e| SecretError::Unavailable(format!("reading Secret {name}: {e}")))?
            .ok_or_else(|| {
                SecretError::NotFound(format!("Secret {name} does not exist in {namespace}"))
            })?;
        crate::secret_use::check(
            name,
            found.type_.as_deref(),
            found.metadata.annotations.as_ref(),
            crate::secret_use::Use::Policy(&self.policy),
        )
        .map_err(SecretError::NotGranted)?;
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

    fn http_get(
        &self,
        url: &str,
        headers: &[(String, String)],
        within: Duration,
    ) -> Result<Response, HttpError> {
        let literal = url::Url::parse(url).ok().and_then(|u| match u.host() {
            Some(url::Host::Ipv4(ip)) => Some(std::net::IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(std::net::IpAddr::V6(ip)),
            _ => None,
        });
        if let Some(ip) = literal
            && let Some(why) = egress::refusal(ip, self.http.allow_private)
        {
            return Err(HttpError::NotAllowed(format!(
                "{ip} is {why}, which policies may not reach"
            )));
        }
        // The whole exchange, body included, within what is left of the call.
        let exchange = async {
            let mut request = self.http.client.get(url).timeout(within.min(CALL_TIMEOUT));
            for (k, v) in headers {
                request = request.header(k, v);
            }
            let mut response = request.send().await.map_err(|e| {
                if e.is_timeout() { HttpError::Timeout } else { HttpError::Failed(described(e)) }
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
        };
        self.runtime.block_on(async {
            tokio::time::timeout(within.min(CALL_TIMEOUT), exchange)
                .await
                .unwrap_or(Err(HttpError::Timeout))
        })
    }
}
