use thiserror::Error;

/// What can go wrong talking to a Connect worker.
#[derive(Error, Debug)]
pub enum RestError {
    /// No answer: connection refused, DNS, TLS or timeout.
    #[error("Connect REST API at {endpoint} is unreachable: {reason}")]
    Unreachable { endpoint: String, reason: String },
    /// The worker answered with an error status.
    #[error("Connect answered {status} to {request}: {message}")]
    Status { request: String, status: u16, message: String },
    /// The worker answered 2xx with a body Sluice cannot read.
    #[error("Connect answered {request} with a body Sluice cannot read: {reason}")]
    Decode { request: String, reason: String },
}

impl RestError {
    /// 409 (rebalance or stale config) and 5xx are transient; retry with backoff.
    pub fn is_retryable(&self) -> bool {
        match self {
            RestError::Unreachable { .. } => true,
            RestError::Status { status, .. } => *status == 409 || *status >= 500,
            RestError::Decode { .. } => false,
        }
    }

    pub fn is_not_found(&self) -> bool {
        matches!(self, RestError::Status { status: 404, .. })
    }
}
