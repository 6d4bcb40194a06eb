//! WASI for policies whose toolchain imports it (componentize-py, componentize-js): linked
//! only for such modules, created only when the guest first calls it, and granting nothing.
//! No files, environment, arguments, sockets or stdin; stdout and stderr go nowhere; the
//! clocks stand still at the Unix epoch and random numbers repeat, so a decision still
//! depends on its input alone and replays.
//!
//! Nothing in it blocks. wasmtime-wasi's clock subscriptions wait on real time and its
//! `poll` blocks the calling thread, where epoch interruption cannot reach (it fires in
//! guest code only): a guest that sleeps a million seconds would hold its thread and its
//! pool slot that long. Here a clock subscription is ready at once, as it is on a clock
//! that stands still; a guest waiting for time to pass loops in its own code, where fuel
//! and the deadline stop it. No other pollable can wait: there are no files or sockets,
//! stdin is empty and stdout and stderr discard.

use std::time::Duration;

use wasmtime::component::{Linker, Resource, ResourceTable};
use wasmtime_wasi::p2::{DynPollable, Pollable};
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

/// The monotonic clock interface of the WASI this host links (wasmtime-wasi's own WIT);
/// guests importing any 0.2.x reach it through the linker's semver matching.
const MONOTONIC_CLOCK: &str = "wasi:clocks/monotonic-clock@0.2.12";

/// Adds WASI to `linker`, with clock subscriptions that never wait.
pub fn add_to_linker(linker: &mut Linker<HostState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    linker.allow_shadowing(true);
    let mut clock = linker.instance(MONOTONIC_CLOCK)?;
    clock.func_wrap("subscribe-duration", |mut store, (_,): (u64,)| {
        Ok((elapsed(store.data_mut().ctx().table)?,))
    })?;
    clock.func_wrap("subscribe-instant", |mut store, (_,): (u64,)| {
        Ok((elapsed(store.data_mut().ctx().table)?,))
    })?;
    linker.allow_shadowing(false);
    Ok(())
}

/// A clock subscription that is ready at once.
fn elapsed(table: &mut ResourceTable) -> wasmtime::Result<Resource<DynPollable>> {
    let ready = table.push(Elapsed)?;
    wasmtime_wasi::p2::subscribe(table, ready)
}

struct Elapsed;

#[async_trait::async_trait]
impl Pollable for Elapsed {
    async fn ready(&mut self) {}
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
