//! Unit-testing a policy natively: a stand-in for the operator's host functions, and
//! builders for inputs.
//!
//! ```
//! use sluice_plugin_sdk::{host, testing::TestHost};
//!
//! TestHost::install(TestHost::default().with_secret("db", "password", "s3cret"));
//! assert_eq!(host::secret("db", "password").unwrap(), "s3cret");
//! assert!(host::secret("db", "user").is_err());
//! ```

use std::{cell::RefCell, collections::BTreeMap};

use crate::host::{HttpError, Level, Response, SecretError};
use crate::types::{ConnectorStatus, RestartHistory, RestartInput, RunState, TaskStatus};

/// What the host functions answer in a native build, and what the policy logged.
#[derive(Default, Debug)]
pub struct TestHost {
    /// Granted secrets: (name, key) → value. Anything else is `not-granted`.
    pub secrets: BTreeMap<(String, String), String>,
    /// Allowed URLs and their responses. Anything else is `not-allowed`.
    pub http: BTreeMap<String, Response>,
    /// Every log line, in order.
    pub logs: Vec<(Level, String)>,
    /// Every URL requested, in order.
    pub requests: Vec<String>,
}

thread_local! {
    static HOST: RefCell<TestHost> = RefCell::new(TestHost::default());
}

impl TestHost {
    /// Makes `host` answer this thread's host calls (each test runs on its own thread).
    pub fn install(host: TestHost) {
        HOST.with(|h| *h.borrow_mut() = host);
    }

    /// Takes this thread's host back, with what the policy logged and requested.
    pub fn take() -> TestHost {
        HOST.with(|h| std::mem::take(&mut *h.borrow_mut()))
    }

    pub fn with_secret(mut self, name: &str, key: &str, value: &str) -> Self {
        self.secrets.insert((name.into(), key.into()), value.into());
        self
    }

    pub fn with_http(mut self, url: &str, status: u16, body: &[u8]) -> Self {
        self.http.insert(url.into(), Response { status, headers: Vec::new(), body: body.to_vec() });
        self
    }

    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn secret(&self, name: &str, key: &str) -> Result<String, SecretError> {
        self.secrets.get(&(name.to_owned(), key.to_owned())).cloned().ok_or_else(|| {
            SecretError::NotGranted(format!(
                "secret {name}/{key} is not granted: add {name} to capabilities.secrets.names"
            ))
        })
    }

    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    pub(crate) fn http_get(
        &mut self,
        url: &str,
        _headers: &[(String, String)],
    ) -> Result<Response, HttpError> {
        self.requests.push(url.to_owned());
        self.http.get(url).cloned().ok_or_else(|| {
            HttpError::NotAllowed(format!("{url} is not allowed: add its host to allowedHosts"))
        })
    }
}

// Only native builds route host calls here; a WebAssembly build calls the real host.
#[cfg_attr(target_arch = "wasm32", allow(dead_code))]
pub(crate) fn with_host<T>(f: impl FnOnce(&mut TestHost) -> T) -> T {
    HOST.with(|h| f(&mut h.borrow_mut()))
}

/// A restart-policy input for a connector named `name` in `state` with one task in the same
/// state, `count` restarts so far and the clock at `now_ms`.
pub fn restart_input(name: &str, state: RunState, count: u32, now_ms: u64) -> RestartInput {
    RestartInput {
        connector: ConnectorStatus {
            name: name.into(),
            namespace: "default".into(),
            state,
            worker_id: "worker:8083".into(),
            trace: None,
            tasks: vec![TaskStatus { id: 0, state, worker_id: "worker:8083".into(), trace: None }],
        },
        history: RestartHistory {
            count,
            last_restart_ms: None,
            healthy_since_ms: None,
            max_retry: 10,
        },
        settings: Vec::new(),
        now_ms,
        extensions: Vec::new(),
    }
}
