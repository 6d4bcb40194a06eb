//! WASI for policies whose toolchain imports it (componentize-py, componentize-js): linked
//! only for such modules, created only when the guest first calls it, and granting nothing.
//! No files, environment, arguments, sockets or stdin; stdout and stderr go nowhere; the
//! clocks stand still at the Unix epoch and random numbers repeat, so a decision still
//! depends on its input alone and replays.

use std::time::Duration;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{
    Deterministic, HostMonotonicClock, HostWallClock, WasiCtx, WasiCtxBuilder, WasiCtxView,
    WasiView,
};

use super::host::HostState;

/// The WASI interfaces' state for one call.
pub struct WasiState {
    ctx: WasiCtx,
    table: ResourceTable,
}

impl WasiState {
    fn new() -> Self {
        let mut builder = WasiCtxBuilder::new();
        builder
            .wall_clock(Frozen)
            .monotonic_clock(Frozen)
            .secure_random(Deterministic::new(SEED.to_vec()))
            .insecure_random(Deterministic::new(SEED.to_vec()))
            .insecure_random_seed(0)
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false);
        Self { ctx: builder.build(), table: ResourceTable::new() }
    }
}

/// Not a secret: guests must not use WASI randomness for anything that needs one.
const SEED: [u8; 8] = *b"sluice\x00\x01";

struct Frozen;

impl HostWallClock for Frozen {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }

    fn now(&self) -> Duration {
        Duration::ZERO
    }
}

impl HostMonotonicClock for Frozen {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }

    fn now(&self) -> u64 {
        0
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let state = self.wasi.get_or_insert_with(|| Box::new(WasiState::new()));
        WasiCtxView { ctx: &mut state.ctx, table: &mut state.table }
    }
}

/// Whether `import` is a WASI 0.2 interface this host can link.
pub fn is_wasi_import(import: &str) -> bool {
    import
        .strip_prefix("wasi:")
        .and_then(|rest| rest.split_once('@'))
        .is_some_and(|(_, version)| version.starts_with("0.2."))
}

#[cfg(test)]
mod tests {
    #[test]
    fn only_wasi_0_2_interfaces_are_linked() {
        assert!(super::is_wasi_import("wasi:io/poll@0.2.9"));
        assert!(super::is_wasi_import("wasi:cli/environment@0.2.0"));
        assert!(!super::is_wasi_import("wasi:io/poll@0.3.0"));
        assert!(!super::is_wasi_import("wasi_snapshot_preview1"));
        assert!(!super::is_wasi_import("acme:evil/net@0.2.0"));
    }
}
