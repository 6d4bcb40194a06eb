//! Host bindings, generated from the same WIT files as the guest SDK: nothing of the ABI is
//! written twice.

// The three worlds import the same host interfaces; the later worlds reuse the first's
// generated modules so that one `Host` implementation and one linker serve all three.
pub mod restart {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit",
        world: "restart-policy",
        // Host functions may end the call: past its deadline, or past its host-call cap.
        imports: { default: trappable },
        // serde: `sluice policy test` reads inputs and prints answers as JSON.
        additional_derives: [PartialEq, Eq, serde::Serialize, serde::Deserialize],
    });
}

pub mod transform {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit",
        world: "config-transform",
        with: {
            "sluice:policy/types": super::restart::sluice::policy::types,
            "sluice:policy/log": super::restart::sluice::policy::log,
            "sluice:policy/secrets": super::restart::sluice::policy::secrets,
            "sluice:policy/http": super::restart::sluice::policy::http,
        },
    });
}

pub mod resolver {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit",
        world: "plugin-resolver",
        with: {
            "sluice:policy/types": super::restart::sluice::policy::types,
            "sluice:policy/log": super::restart::sluice::policy::log,
            "sluice:policy/secrets": super::restart::sluice::policy::secrets,
            "sluice:policy/http": super::restart::sluice::policy::http,
        },
    });
}

pub use restart::sluice::policy::{http, log, secrets, types};
