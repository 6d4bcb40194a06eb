//! The engine: compiles components, keeps them ready to instantiate, and runs each call in a
//! fresh Store under its limits.
//!
//! Per-call cost is what matters (one call per failed connector per resync, per config
//! apply): the pooling allocator reuses instance slots instead of mapping memory per call,
//! the linker is built once, no WASI context is created, and `InstancePre` has already
//! resolved every import.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use wasmtime::{
    Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap,
    component::{Component, HasSelf, Linker},
};

use super::abi::{self, Signature, World};
use super::bindings::{resolver, restart, transform, types};
use super::cache::CompileCache;
use super::error::PolicyError;
use super::host::{Grants, HostCall, HostServices, HostState, HostTrap};
use super::limiter::{Limiter, MAX_CORE_INSTANCES, MAX_MEMORIES, MAX_TABLES};
use super::limits::{
    CallLimits, EngineLimits, MAX_CONFIG_BYTES, MAX_HOST_CALL_BYTES, MAX_HOST_CALLS, MAX_TEXT_BYTES,
};
use super::queue::Queue;

/// How often the epoch advances; a call's timeout is counted in these ticks.
const EPOCH_TICK: Duration = Duration::from_millis(5);
/// How long past its timeout a queued call is awaited before its caller goes on without
/// it: the call itself is stopped by its deadline, this only covers a host that hangs.
const OUTER_GRACE: Duration = Duration::from_millis(500);

/// The wasmtime engine with Sluice's settings, shared by every policy.
#[derive(Clone)]
pub struct PolicyEngine {
    engine: Engine,
    linker: Arc<Linker<HostState>>,
    /// The same imports plus a WASI that grants nothing, for modules that import WASI.
    wasi_linker: Arc<Linker<HostState>>,
    cache: Option<CompileCache>,
    limits: EngineLimits,
    queue: Arc<Queue>,
}

/// A compiled policy, ready for calls.
#[derive(Clone)]
pub struct LoadedPolicy {
    pub name: String,
    pub signature: Signature,
    /// How long compiling (or loading from the cache) took.
    pub load_time: Duration,
    pub from_cache: bool,
    pre: Prepared,
    limits: CallLimits,
}

/// The world's typed pre-instance: imports resolved and exports looked up once, at load.
#[derive(Clone)]
enum Prepared {
    Restart(restart::RestartPolicyPre<HostState>),
    Transform(transform::ConfigTransformPre<HostState>),
    Resolver(resolver::PluginResolverPre<HostState>),
}

/// What a call cost, and what it asked of the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallReport {
    pub fuel_used: u64,
    pub elapsed: Duration,
    pub host_calls: Vec<HostCall>,
}

impl PolicyEngine {
    /// An engine with `limits`; compiled components are cached in `cache` when given.
    pub fn new(limits: EngineLimits, cache: Option<CompileCache>) -> Result<Self, PolicyError> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.consume_fuel(true);
        config.epoch_interruption(true);
        // Threads would run guest code outside the call's Store and deadline, and a shared
        // memory outlives the call: neither is offered (wasmtime is built without its
        // `threads` feature, so the proposal is off, and shared memories are refused).
        config.shared_memory(false);
        let mut pool = PoolingAllocationConfig::default();
        // Every call the queue admits finds its slots: the pool holds what the limiter lets
        // one call create, times the calls that may run at once.
        let calls = limits.concurrent_calls;
        pool.total_component_instances(calls);
        pool.total_core_instances(calls * MAX_CORE_INSTANCES as u32);
        pool.total_memories(calls * MAX_MEMORIES as u32);
        pool.total_tables(calls * MAX_TABLES as u32);
        pool.max_core_instances_per_component(MAX_CORE_INSTANCES as u32);
        pool.max_memories_per_component(MAX_MEMORIES as u32);
        pool.max_tables_per_component(MAX_TABLES as u32);
        pool.max_memory_size(limits.max.memory_bytes as usize);
        // A policy call touches a few dozen pages. Returning them to the kernel after every
        // call and faulting them in again on the next costs more than the call itself (page
        // faults are slow under virtualisation). With PAGEMAP_SCAN (Linux 6.7+) wasmtime finds
        // the pages a call dirtied and restores just those, keeping them resident; elsewhere
        // it falls back to decommitting, batched to amortise the madvise calls.
        pool.pagemap_scan(wasmtime::Enabled::Auto);
        pool.linear_memory_keep_resident(2 << 20);
        pool.table_keep_resident(64 << 10);
        pool.decommit_batch_size(32);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&config).map_err(|e| PolicyError::Host(format!("{e:#}")))?;
        start_epoch_ticker(&engine);

        let host = |e: wasmtime::Error| PolicyError::Host(format!("{e:#}"));
        let mut linker = Linker::new(&engine);
        restart::RestartPolicy::add_to_linker::<HostState, HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(host)?;
        let mut wasi_linker = linker.clone();
        super::wasi::add_to_linker(&mut wasi_linker).map_err(host)?;
        Ok(Self {
            engine,
            linker: Arc::new(linker),
            wasi_linker: Arc::new(wasi_linker),
            cache,
            limits,
            queue: Arc::new(Queue::new(&limits)),
        })
    }

    /// Loads `module` as [`load`](Self::load) does, off the async runtime and with at most
    /// a few compiles at once: a compile takes tens of milliseconds to seconds of CPU, and a
    /// burst of new Policies must not take every core from the reconcilers.
    pub async fn queued_load(
        &self,
        name: String,
        module: Vec<u8>,
        limits: Option<CallLimits>,
    ) -> Result<LoadedPolicy, PolicyError> {
        let permit = self.queue.compile().await;
        let engine = self.clone();
        tokio::task::spawn_blocking(move || {
            let _held = permit;
            engine.load(&name, &module, limits)
        })
        .await
        .unwrap_or_else(|e| Err(PolicyError::Host(e.to_string())))
    }

    /// Runs `call` (one of [`decide`](Self::decide), [`transform`](Self::transform),
    /// [`resolve`](Self::resolve)) for `policy` once the queue admits it: a call slot and
    /// its memory under the operator-wide budget, waited for at most the call's timeout. It
    /// runs on a blocking thread, and is awaited at most a little past its timeout whatever
    /// the guest or a host call does.
    pub async fn queued<R: Send + 'static>(
        &self,
        policy: &LoadedPolicy,
        call: impl FnOnce(&PolicyEngine) -> Result<R, PolicyError> + Send + 'static,
    ) -> Result<R, PolicyError> {
        let limits = policy.limits;
        let admitted = self.queue.admit(limits).await?;
        let engine = self.clone();
        // The admission moves into the thread, so a call the caller stopped waiting for
        // still holds its slot and memory until it has really ended.
        let task = tokio::task::spawn_blocking(move || {
            let _held = admitted;
            call(&engine)
        });
        match tokio::time::timeout(limits.timeout + OUTER_GRACE, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(PolicyError::Host(e.to_string())),
            Err(_) => Err(PolicyError::Timeout(limits.timeout)),
        }
    }

    pub fn limits(&self) -> &EngineLimits {
        &self.limits
    }

    /// Compiles (or loads from the cache) `module`, checks its ABI, and prepares it for
    /// calls with `limits` (held within the operator's maxima).
    pub fn load(
        &self,
        name: &str,
        module: &[u8],
        limits: Option<CallLimits>,
    ) -> Result<LoadedPolicy, PolicyError> {
        let started = Instant::now();
        let cached = self.cache.as_ref().and_then(|c| c.load(&self.engine, module));
        let from_cache = cached.is_some();
        let component = match cached {
            Some(c) => c,
            None => {
                let c = Component::new(&self.engine, module)
                    .map_err(|e| PolicyError::Invalid { detail: first_line(&e) })?;
                if let Some(cache) = &self.cache {
                    cache.store(&self.engine, module, &c);
                }
                c
            }
        };
        let signature = self.signature(&component)?;
        let linker = if signature.wasi { &self.wasi_linker } else { &self.linker };
        let pre = linker.instantiate_pre(&component).map_err(|e| PolicyError::NotAPolicy {
            detail: format!("its imports do not match the sluice:policy ABI: {e:#}"),
        })?;
        // Check the export's types now, not at the first failing connector.
        let pre = match signature.world {
            World::RestartPolicy => restart::RestartPolicyPre::new(pre).map(Prepared::Restart),
            World::ConfigTransform => {
                transform::ConfigTransformPre::new(pre).map(Prepared::Transform)
            }
            World::PluginResolver => resolver::PluginResolverPre::new(pre).map(Prepared::Resolver),
        }
        .map_err(|e| PolicyError::NotAPolicy {
            detail: format!("its {} export does not match the ABI: {e:#}", signature.world),
        })?;
        Ok(LoadedPolicy {
            name: name.to_owned(),
            signature,
            load_time: started.elapsed(),
            from_cache,
            pre,
            limits: limits.unwrap_or(self.limits.default).within(&self.limits.max),
        })
    }

    /// `policy` with other limits (held within the operator's maxima), without loading it
    /// again.
    pub fn with_limits(&self, policy: &LoadedPolicy, limits: CallLimits) -> LoadedPolicy {
        LoadedPolicy { limits: limits.within(&self.limits.max), ..policy.clone() }
    }

    fn signature(&self, component: &Component) -> Result<Signature, PolicyError> {
        let ty = component.component_type();
        let exports: Vec<String> = ty.exports(&self.engine).map(|(n, _)| n.to_owned()).collect();
        let imports: Vec<String> = ty.imports(&self.engine).map(|(n, _)| n.to_owned()).collect();
        abi::signature(exports.iter().map(String::as_str), imports.iter().map(String::as_str))
    }

    /// Asks a restart policy for a decision.
    pub fn decide(
        &self,
        policy: &LoadedPolicy,
        input: &types::RestartInput,
        grants: &Grants,
        services: Arc<dyn HostServices>,
    ) -> Result<(types::RestartDecision, CallReport), PolicyError> {
        let Prepared::Restart(pre) = &policy.pre else {
            return Err(policy.wrong_world(World::RestartPolicy));
        };
        let (decision, report) = self.call(policy, grants, services, |store| {
            let instance = pre.instantiate(&mut *store)?;
            instance.sluice_policy_restart().call_decide(&mut *store, input)
        })?;
        check_decision(&decision)?;
        Ok((decision, report))
    }

    /// Runs a config transform.
    pub fn transform(
        &self,
        policy: &LoadedPolicy,
        input: &types::TransformInput,
        grants: &Grants,
        services: Arc<dyn HostServices>,
    ) -> Result<(Vec<(String, String)>, CallReport), PolicyError> {
        let Prepared::Transform(pre) = &policy.pre else {
            return Err(policy.wrong_world(World::ConfigTransform));
        };
        let (result, report) = self.call(policy, grants, services, |store| {
            let instance = pre.instantiate(&mut *store)?;
            instance.sluice_policy_transform().call_transform(&mut *store, input)
        })?;
        let config = result.map_err(|e| PolicyError::Rejected(text(e)))?;
        let size: usize = config.iter().map(|(k, v)| k.len() + v.len()).sum();
        if size > MAX_CONFIG_BYTES {
            return Err(PolicyError::BadOutput {
                detail: format!("the config is {size} bytes; the limit is {MAX_CONFIG_BYTES}"),
            });
        }
        Ok((config, report))
    }

    /// Resolves a `custom` plugin reference.
    pub fn resolve(
        &self,
        policy: &LoadedPolicy,
        input: &types::PluginReference,
        grants: &Grants,
        services: Arc<dyn HostServices>,
    ) -> Result<(types::PluginArchive, CallReport), PolicyError> {
        let Prepared::Resolver(pre) = &policy.pre else {
            return Err(policy.wrong_world(World::PluginResolver));
        };
        let (result, report) = self.call(policy, grants, services, |store| {
            let instance = pre.instantiate(&mut *store)?;
            instance.sluice_policy_resolver().call_resolve(&mut *store, input)
        })?;
        let archive = result.map_err(|e| PolicyError::Rejected(text(e)))?;
        if !crate::plugin_list::is_sha512_hex(&archive.sha512) {
            return Err(PolicyError::BadOutput {
                detail: "sha512 must be 128 lowercase hex digits".into(),
            });
        }
        if url::Url::parse(&archive.url).is_err() {
            return Err(PolicyError::BadOutput {
                detail: format!("{:?} is not a URL", text(archive.url)),
            });
        }
        Ok((archive, report))
    }

    /// One call in a fresh Store: limits set, the outcome classified.
    fn call<R>(
        &self,
        policy: &LoadedPolicy,
        grants: &Grants,
        services: Arc<dyn HostServices>,
        run: impl FnOnce(&mut Store<HostState>) -> wasmtime::Result<R>,
    ) -> Result<(R, CallReport), PolicyError> {
        let limits = policy.limits;
        let started = Instant::now();
        let state = HostState {
            grants: grants.clone(),
            services,
            calls: Vec::new(),
            host_calls: 0,
            deadline: started + limits.timeout,
            read: Vec::new(),
            limiter: Limiter::new(limits.memory_bytes),
            policy: policy.name.clone(),
            wasi: None,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_fuel(limits.fuel).map_err(|e| PolicyError::Host(format!("{e:#}")))?;
        // Counted by wasmtime before a host call's arguments are copied out of the guest.
        store.set_hostcall_fuel(MAX_HOST_CALL_BYTES);

        let ticks = limits.timeout.as_nanos().div_ceil(EPOCH_TICK.as_nanos()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();

        let outcome = run(&mut store);
        let elapsed = started.elapsed();
        let fuel_used = limits.fuel - store.get_fuel().unwrap_or(0);
        let state = store.into_data();
        let report = CallReport { fuel_used, elapsed, host_calls: state.calls };
        let result = match outcome {
            Ok(value) => Ok((value, report)),
            Err(e) => Err(classify(&e, &limits, state.limiter.refused())),
        };
        let usage = crate::metrics::PolicyUse {
            took: elapsed,
            fuel: fuel_used,
            memory: state.limiter.peak(),
        };
        let outcome = match &result {
            Ok(_) => "ok",
            Err(PolicyError::OutOfFuel { .. }) => "out-of-fuel",
            Err(PolicyError::MemoryLimit { .. }) => "memory-limit",
            Err(PolicyError::Timeout(_)) => "timeout",
            Err(PolicyError::TooManyHostCalls(_) | PolicyError::HostCallTooLarge(_)) => {
                "host-call-limit"
            }
            // What classify() leaves: the guest trapped (a panic, unreachable, a bad access).
            Err(_) => "trap",
        };
        crate::metrics::policy_call(&policy.name, policy.signature.world.name(), outcome, usage);
        result
    }
}

impl LoadedPolicy {
    fn wrong_world(&self, expected: World) -> PolicyError {
        PolicyError::WrongWorld { expected, actual: self.signature.world }
    }

    pub fn limits(&self) -> CallLimits {
        self.limits
    }
}

fn classify(e: &wasmtime::Error, limits: &CallLimits, refused: Option<u64>) -> PolicyError {
    if let Some(requested) = refused {
        return PolicyError::MemoryLimit { requested, limit: limits.memory_bytes };
    }
    match e.downcast_ref::<HostTrap>() {
        Some(HostTrap::TooManyCalls) => return PolicyError::TooManyHostCalls(MAX_HOST_CALLS),
        Some(HostTrap::DeadlinePassed) => return PolicyError::Timeout(limits.timeout),
        None => {}
    }
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => PolicyError::OutOfFuel { fuel: limits.fuel },
        Some(Trap::Interrupt) => PolicyError::Timeout(limits.timeout),
        // wasmtime's own error type for it is private; its message is what it exposes.
        _ if format!("{e:#}").contains("fuel allocated for hostcalls has been exhausted") => {
            PolicyError::HostCallTooLarge(MAX_HOST_CALL_BYTES)
        }
        _ => PolicyError::Trap { detail: first_line(e) },
    }
}

/// A decision whose texts fit in a status.
fn check_decision(decision: &types::RestartDecision) -> Result<(), PolicyError> {
    use types::RestartDecision as D;
    let reason = match decision {
        D::Nothing(r) | D::RestartConnector(r) | D::RestartFailedTasks(r) | D::GiveUp(r) => r,
        D::WaitUntil(w) => &w.reason,
    };
    if reason.len() > MAX_TEXT_BYTES {
        return Err(PolicyError::BadOutput {
            detail: format!("the reason is {} bytes; the limit is {MAX_TEXT_BYTES}", reason.len()),
        });
    }
    Ok(())
}

/// A guest's text, cut to the length a status can hold.
fn text(s: String) -> String {
    crate::text::truncate(&s, MAX_TEXT_BYTES, "…")
}

fn first_line(e: &wasmtime::Error) -> String {
    let full = format!("{e:#}");
    text(full.lines().next().unwrap_or_default().to_owned())
}

/// One ticker per engine advances the epoch that call deadlines count; it stops once the
/// engine is dropped.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("policy-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the policy epoch ticker");
}
