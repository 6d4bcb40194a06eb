//! What a policy may ask of the operator. In a WebAssembly build these call the host; in a
//! native build (unit tests) they call the thread's [`crate::testing::TestHost`].

pub use crate::wit::sluice::policy::http::{HttpError, Response};
pub use crate::wit::sluice::policy::log::Level;
pub use crate::wit::sluice::policy::secrets::SecretError;

/// A log line, tagged by the host with the Policy and the Connector it runs for.
pub fn log(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::wit::sluice::policy::log::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with_host(|h| h.logs.push((level, message.to_owned())));
}

/// The value of `key` in Secret `name` of the Connector's namespace, if the Policy grants it.
pub fn secret(name: &str, key: &str) -> Result<String, SecretError> {
    #[cfg(target_arch = "wasm32")]
    return crate::wit::sluice::policy::secrets::get(name, key);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with_host(|h| h.secret(name, key))
}

/// HTTP GET of `url`, if the Policy allows its host.
pub fn http_get(url: &str, headers: &[(String, String)]) -> Result<Response, HttpError> {
    #[cfg(target_arch = "wasm32")]
    return crate::wit::sluice::policy::http::get(url, headers);
    #[cfg(not(target_arch = "wasm32"))]
    crate::testing::with_host(|h| h.http_get(url, headers))
}

impl SecretError {
    /// The host's explanation, for an error message of the policy's own.
    pub fn message(&self) -> &str {
        match self {
            SecretError::NotGranted(m) | SecretError::NotFound(m) | SecretError::Unavailable(m) => {
                m
            }
        }
    }
}

impl HttpError {
    /// The host's explanation, for an error message of the policy's own.
    pub fn message(&self) -> String {
        match self {
            HttpError::NotAllowed(m) | HttpError::Failed(m) => m.clone(),
            HttpError::Timeout => "timed out".into(),
            HttpError::TooLarge(limit) => format!("the response passed the limit of {limit} bytes"),
        }
    }
}
