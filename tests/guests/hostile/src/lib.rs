//! A restart policy that does what its `mode` setting says, so each way a guest can misbehave
//! is one test of the host: `loop`, `memory`, `trap`, `huge-output`, `secret`, `http`,
//! `log-flood`, `log-secret`, `host-call-flood`, `huge-host-argument`; anything else answers `restart-failed-tasks("ok")`.

use sluice_plugin_sdk::host::{self, Level};
use sluice_plugin_sdk::property;
use sluice_plugin_sdk::restart_policy::Guest;
use sluice_plugin_sdk::types::{RestartDecision, RestartInput};

pub struct Hostile;

impl Guest for Hostile {
    fn decide(input: RestartInput) -> RestartDecision {
        match property(&input.settings, "mode").unwrap_or("") {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "memory" => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
                }
            }
            "trap" => panic!("the hostile policy panics on purpose"),
            "huge-output" => RestartDecision::Nothing("x".repeat(1 << 20)),
            "secret" => match host::secret("db", "password") {
                Ok(_) => RestartDecision::Nothing("read the secret".into()),
                Err(e) => RestartDecision::Nothing(e.message().to_string()),
            },
            "http" => match host::http_get("http://metadata.google.internal/", &[]) {
                Ok(r) => RestartDecision::Nothing(format!("status {}", r.status)),
                Err(e) => RestartDecision::Nothing(e.message().to_string()),
            },
            "log-secret" => match host::secret("db", "password") {
                Ok(value) => {
                    host::log(Level::Warn, &format!("connecting with password {value} now"));
                    RestartDecision::Nothing("logged the secret".into())
                }
                Err(e) => RestartDecision::Nothing(format!("{e:?}")),
            },
            "log-flood" => {
                // Under the host-call cap (1000), far over the 100 lines a call keeps.
                for i in 0..900 {
                    host::log(Level::Info, &format!("line {i} {}", "y".repeat(5000)));
                }
                RestartDecision::Nothing("logged".into())
            }
            "host-call-flood" => loop {
                host::log(Level::Trace, "again");
            },
            "huge-host-argument" => {
                host::log(Level::Info, &"z".repeat(2 << 20));
                RestartDecision::Nothing("logged two megabytes".into())
            }
            _ => RestartDecision::RestartFailedTasks("ok".into()),
        }
    }
}

#[cfg(target_arch = "wasm32")]
sluice_plugin_sdk::restart_policy::export_restart_policy!(Hostile);
