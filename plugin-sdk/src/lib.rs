//! Write [Sluice](https://github.com/sluice-dev/sluice) policies in Rust.
//!
//! A policy is a WebAssembly component that implements one world of the `sluice:policy` ABI
//! (the WIT files in this crate's `wit/` folder, which the operator generates its side
//! from too):
//!
//! | world | you implement | the operator calls it |
//! |---|---|---|
//! | `restart-policy` | [`restart_policy::Guest::decide`] | when a connector or task failed |
//! | `config-transform` | [`config_transform::Guest::transform`] | before each config is applied |
//! | `plugin-resolver` | [`plugin_resolver::Guest::resolve`] | for a `custom` Connect plugin |
//!
//! Implement the world's `Guest` trait, then export the type with the world's macro
//! (`restart_policy::export_restart_policy!`, `config_transform::export_config_transform!`,
//! `plugin_resolver::export_plugin_resolver!`).
//!
//! Every world may use the [`host`] functions: logging, reading a granted Secret and HTTP
//! GET to allowed hosts. Built natively (for `cargo test`), the host functions talk to a
//! [`testing::TestHost`] instead, so a policy is unit-tested with the same types it runs with.
//!
//! # A restart policy, complete
//!
//! ```
//! use sluice_plugin_sdk::restart_policy::Guest;
//! use sluice_plugin_sdk::types::{RestartDecision, RestartInput, RunState};
//!
//! struct RestartOnce;
//!
//! impl Guest for RestartOnce {
//!     fn decide(input: RestartInput) -> RestartDecision {
//!         let failed = input.connector.state == RunState::Failed
//!             || input.connector.tasks.iter().any(|t| t.state == RunState::Failed);
//!         match (failed, input.history.count) {
//!             (false, _) => RestartDecision::Nothing("nothing failed".into()),
//!             (true, 0) => RestartDecision::RestartFailedTasks("first failure".into()),
//!             (true, n) => RestartDecision::GiveUp(format!("still failing after {n} restart")),
//!         }
//!     }
//! }
//!
//! // In the policy crate (crate-type = ["cdylib"], built for wasm32-wasip2):
//! // sluice_plugin_sdk::restart_policy::export_restart_policy!(RestartOnce);
//! # let input = sluice_plugin_sdk::testing::restart_input("demo", RunState::Failed, 0, 0);
//! # assert!(matches!(RestartOnce::decide(input), RestartDecision::RestartFailedTasks(_)));
//! ```
//!
//! The ABI version is [`ABI_VERSION`]; `sluice policy inspect` prints the one a module targets.

pub mod arena;
pub mod host;
pub mod testing;

/// The `sluice:policy` ABI version these bindings implement (the WIT package version).
pub const ABI_VERSION: &str = "0.1.0";

#[doc(hidden)]
pub mod wit {
    // The host interfaces and shared types, generated once; the worlds below reuse them so a
    // policy sees one `RestartInput`, not one per world.
    wit_bindgen::generate!({
        world: "host",
        path: "wit",
        generate_unused_types: true,
        // Decisions and inputs are compared in policies' tests.
        additional_derives: [PartialEq, Eq],
    });
}

/// The types of the ABI: inputs, decisions and errors, shared by every world.
pub mod types {
    pub use crate::wit::sluice::policy::types::*;
}

/// The `restart-policy` world: decide whether and when to restart a failed connector.
pub mod restart_policy {
    // The generated export glue passes flattened records as many arguments.
    #![allow(clippy::too_many_arguments)]
    wit_bindgen::generate!({
        world: "restart-policy",
        path: "wit",
        with: {
            "sluice:policy/types@0.1.0": crate::wit::sluice::policy::types,
            "sluice:policy/log@0.1.0": crate::wit::sluice::policy::log,
            "sluice:policy/secrets@0.1.0": crate::wit::sluice::policy::secrets,
            "sluice:policy/http@0.1.0": crate::wit::sluice::policy::http,
        },
        pub_export_macro: true,
        export_macro_name: "export_restart_policy",
        default_bindings_module: "sluice_plugin_sdk::restart_policy",
    });

    /// The trait a policy of this world implements.
    pub use self::exports::sluice::policy::restart::Guest;
}

/// The `config-transform` world: rewrite a connector's config before it is applied.
pub mod config_transform {
    // The generated export glue passes flattened records as many arguments.
    #![allow(clippy::too_many_arguments)]
    wit_bindgen::generate!({
        world: "config-transform",
        path: "wit",
        with: {
            "sluice:policy/types@0.1.0": crate::wit::sluice::policy::types,
            "sluice:policy/log@0.1.0": crate::wit::sluice::policy::log,
            "sluice:policy/secrets@0.1.0": crate::wit::sluice::policy::secrets,
            "sluice:policy/http@0.1.0": crate::wit::sluice::policy::http,
        },
        pub_export_macro: true,
        export_macro_name: "export_config_transform",
        default_bindings_module: "sluice_plugin_sdk::config_transform",
    });

    /// The trait a policy of this world implements.
    pub use self::exports::sluice::policy::transform::Guest;
}

/// The `plugin-resolver` world: turn a `custom` plugin reference into an archive URL and its
/// sha512.
pub mod plugin_resolver {
    // The generated export glue passes flattened records as many arguments.
    #![allow(clippy::too_many_arguments)]
    wit_bindgen::generate!({
        world: "plugin-resolver",
        path: "wit",
        with: {
            "sluice:policy/types@0.1.0": crate::wit::sluice::policy::types,
            "sluice:policy/log@0.1.0": crate::wit::sluice::policy::log,
            "sluice:policy/secrets@0.1.0": crate::wit::sluice::policy::secrets,
            "sluice:policy/http@0.1.0": crate::wit::sluice::policy::http,
        },
        pub_export_macro: true,
        export_macro_name: "export_plugin_resolver",
        default_bindings_module: "sluice_plugin_sdk::plugin_resolver",
    });

    /// The trait a policy of this world implements.
    pub use self::exports::sluice::policy::resolver::Guest;
}

/// The value of `key` in `properties` (configs, settings, headers), if present.
pub fn property<'a>(properties: &'a [(String, String)], key: &str) -> Option<&'a str> {
    properties.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
}
