//! The Policy controller: reads each Policy's module (ConfigMap, URL with sha256, or a file
//! of the operator's), compiles it off the async runtime, keeps it in the registry the
//! Connector controller asks, and reports the outcome in the Policy's status. A module that
//! cannot load is never handed to a connector: the registry holds its error instead.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use futures::StreamExt;

use k8s_openapi::api::core::v1::ConfigMap;
use kube::{
    Api, ResourceExt,
    runtime::{controller::Action as Requeue, events::EventType, watcher},
};
use sha2::{Digest, Sha256};

use super::error::Error;
use super::{Context, events};
use crate::crd::{Policy, PolicyModule};
use crate::policy::{CallLimits, Grants, LoadedPolicy, PolicyEngine};

/// The key a ConfigMap module is read from when `configMapRef.key` is not given.
const DEFAULT_KEY: &str = "policy.wasm";
/// The largest module Sluice downloads or reads.
const MAX_MODULE_BYTES: usize = 64 << 20;

/// A Policy as the Connector controller may use it.
#[derive(Clone)]
pub struct Registered {
    pub generation: Option<i64>,
    /// Where the module was read from, as the spec said then.
    pub source: PolicyModule,
    pub digest: String,
    /// The loaded module, or why it did not load.
    pub module: Result<LoadedPolicy, String>,
    pub grants: Grants,
    /// The Policy's `settings`, as the ABI's key/value pairs.
    pub settings: Vec<(String, String)>,
    pub fail_closed: bool,
    /// `capabilities.secrets.inline`: a transform may put secret values into a config.
    pub inline_secrets: bool,
}

/// Every Policy's loaded module, by namespace and name.
pub struct PolicyRegistry {
    pub engine: PolicyEngine,
    policies: Mutex<HashMap<(String, String), Arc<Registered>>>,
    /// The Policies a relist has named so far, between its start and its end.
    relisted: Mutex<Option<HashSet<(String, String)>>>,
}

fn key(policy: &Policy) -> (String, String) {
    (policy.namespace().unwrap_or_default(), policy.name_any())
}

impl PolicyRegistry {
    pub fn new(engine: PolicyEngine) -> Self {
        Self { engine, policies: Mutex::default(), relisted: Mutex::default() }
    }

    /// Follows the Policy watch so that a deleted Policy stops at once: the controller is
    /// never called for an object that is gone, so without this its module would go on
    /// deciding for connectors until the operator restarts. A relist drops the Policies it
    /// no longer names.
    pub fn observe(&self, event: &watcher::Event<Policy>) {
        let mut policies = self.policies.lock().expect("policy registry");
        let mut relisted = self.relisted.lock().expect("policy relist");
        match event {
            watcher::Event::Delete(p) => {
                policies.remove(&key(p));
            }
            watcher::Event::Init => *relisted = Some(HashSet::new()),
            watcher::Event::InitApply(p) => {
                relisted.get_or_insert_with(HashSet::new).insert(key(p));
            }
            watcher::Event::InitDone => {
                let named = relisted.take().unwrap_or_default();
                policies.retain(|k, _| named.contains(k));
            }
            watcher::Event::Apply(_) => {}
        }
    }

    /// The Policy `name` of `namespace`, if the controller has seen it.
    pub fn get(&self, namespace: &str, name: &str) -> Option<Arc<Registered>> {
        self.policies
            .lock()
            .expect("policy registry")
            .get(&(namespace.into(), name.into()))
            .cloned()
    }

    fn put(&self, namespace: &str, name: &str, registered: Registered) {
        self.policies
            .lock()
            .expect("policy registry")
            .insert((namespace.into(), name.into()), Arc::new(registered));
    }
}

pub async fn run(ctx: Arc<Context>) {
    let registry = ctx.clone();
    let events =
        ctx.watch::<Policy>(watcher::Config::default().any_semantic()).inspect(move |event| {
            if let Ok(event) = event {
                registry.policies.observe(event);
            }
        });
    let controller = super::runner::controller("policy", events, ctx.health.clone());
    super::runner::run("policy", controller, reconcile, ctx).await;
}

#[tracing::instrument(skip_all, fields(namespace = policy.namespace(), name = policy.name_any()))]
async fn reconcile(policy: Arc<Policy>, ctx: Arc<Context>) -> Result<Requeue, Error> {
    let namespace = policy.namespace().unwrap_or_default();
    let name = policy.name_any();
    let registry = &ctx.policies;
    let spec = &policy.spec.module;
    let previous = registry.get(&namespace, &name);
    let kept = previous.as_deref().and_then(|p| kept_module(p, spec));
    // A URL module is pinned by its sha256: what was loaded for the pin is what the URL
    // would serve, so it is not fetched again at every resync.
    let bytes = match kept {
        Some((_, digest)) if spec.url.is_some() => Ok(Read::Pinned(digest.to_owned())),
        _ => read_module(spec, &namespace, &ctx).await.map(Read::Bytes),
    };
    let digest = match &bytes {
        Ok(Read::Pinned(digest)) => digest.clone(),
        Ok(Read::Bytes(b)) => format!("{:x}", Sha256::digest(b)),
        Err(_) => kept.map(|(_, d)| d.to_owned()).unwrap_or_default(),
    };
    let unchanged = previous.as_ref().is_some_and(|p| {
        p.generation == policy.metadata.generation && p.digest == digest && !digest.is_empty()
    });
    if let (Err(e), Some(_)) = (&bytes, kept) {
        // The source failed this time (a download, a ConfigMap read): the module last
        // loaded from it goes on serving, and the failure is told.
        let note = format!(
            "{e}; still running the module last loaded from it (sha256 {digest}) until it can be read again"
        );
        events::publish(
            &ctx,
            policy.as_ref(),
            EventType::Warning,
            "PolicyRefreshFailed",
            "Load",
            &note,
        )
        .await;
    }
    if !unchanged {
        let limits = limits(&policy, registry.engine.limits().default);
        let module = match (bytes, kept) {
            (Ok(Read::Bytes(bytes)), _) => {
                let label = format!("{namespace}/{name}");
                registry
                    .engine
                    .queued_load(label, bytes, Some(limits))
                    .await
                    .map_err(|e| e.to_string())
            }
            // Only the Policy's other fields changed: the same module, with its limits.
            (_, Some((module, _))) => Ok(registry.engine.with_limits(module, limits)),
            (Ok(Read::Pinned(_)), None) => unreachable!("a pin is only kept with its module"),
            (Err(e), None) => Err(e),
        };
        let settings = settings(policy.spec.settings.as_ref());
        let module = settings_fit(&settings).and(module);
        let registered = Registered {
            generation: policy.metadata.generation,
            source: spec.clone(),
            digest: digest.clone(),
            module,
            grants: grants(&policy, &namespace),
            settings,
            inline_secrets: policy
                .spec
                .capabilities
                .as_ref()
                .and_then(|c| c.secrets.as_ref())
                .is_some_and(|s| s.inline),
            fail_closed: !matches!(
                policy.spec.failure_policy,
                Some(crate::crd::FailurePolicy::Ignore)
            ),
        };
        match &registered.module {
            Ok(m) => {
                let note = format!(
                    "Loaded the {} module (ABI {}) in {} ms{}",
                    m.signature.world,
                    m.signature.abi,
                    m.load_time.as_millis(),
                    if m.from_cache { ", from the compile cache" } else { "" }
                );
                events::publish(
                    &ctx,
                    policy.as_ref(),
                    EventType::Normal,
                    "PolicyLoaded",
                    "Load",
                    &note,
                )
                .await;
            }
            Err(e) => {
                events::publish(
                    &ctx,
                    policy.as_ref(),
                    EventType::Warning,
                    "PolicyInvalid",
                    "Load",
                    e,
                )
                .await;
            }
        }
        registry.put(&namespace, &name, registered);
    }
    let registered = registry.get(&namespace, &name).expect("just registered");
    write_status(&policy, &namespace, &registered, &ctx).await?;
    // ConfigMap and URL contents can change without the Policy changing; look again then.
    Ok(Requeue::requeue(ctx.settings.resync))
}

/// A module read for a reconcile.
enum Read {
    Bytes(Vec<u8>),
    /// Not fetched: the module loaded for this sha256 pin, whose digest this is.
    Pinned(String),
}

/// The module loaded before and its digest, if it loaded and came from the source the spec
/// names now: a source the user changed is read again, and a failure then is not masked
/// by the module it replaced.
fn kept_module<'a>(
    previous: &'a Registered,
    spec: &PolicyModule,
) -> Option<(&'a LoadedPolicy, &'a str)> {
    let module = previous.module.as_ref().ok()?;
    (previous.source == *spec).then_some((module, previous.digest.as_str()))
}

/// The module's bytes, or a message naming the field and the fix.
async fn read_module(
    module: &PolicyModule,
    namespace: &str,
    ctx: &Context,
) -> Result<Vec<u8>, String> {
    if let Some(reference) = &module.config_map_ref {
        let key = reference.key.as_deref().unwrap_or(DEFAULT_KEY);
        let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), namespace);
        let cm = match api.get_opt(&reference.name).await {
            Ok(Some(cm)) => cm,
            Ok(None) => {
                return Err(format!(
                    "spec.module.configMapRef: ConfigMap {} does not exist in namespace {namespace}",
                    reference.name
                ));
            }
            Err(e) => {
                return Err(format!(
                    "spec.module.configMapRef: reading ConfigMap {}: {e}",
                    reference.name
                ));
            }
        };
        return match (
            cm.binary_data.as_ref().and_then(|d| d.get(key)),
            cm.data.as_ref().and_then(|d| d.get(key)),
        ) {
            (Some(bytes), _) => Ok(bytes.0.clone()),
            (None, Some(text)) => Ok(text.clone().into_bytes()),
            (None, None) => Err(format!(
                "spec.module.configMapRef: ConfigMap {} has no key {key}: create it with kubectl create configmap {} --from-file={key}=<module.wasm>",
                reference.name, reference.name
            )),
        };
    }
    if let Some(path) = &module.file {
        let Some(dir) = ctx.settings.policy_module_dir.clone() else {
            return Err(format!(
                "spec.module.file: {path}: this operator reads no module files (it was started without --policy-module-dir): use configMapRef or url"
            ));
        };
        let path = path.clone();
        // Opening and reading a file may block (a FIFO, a slow disk): off the async runtime.
        return tokio::task::spawn_blocking(move || read_module_file(&dir, &path))
            .await
            .map_err(|e| format!("spec.module.file: {e}"))?;
    }
    if let Some(url) = &module.url {
        if crate::text::has_credentials(url) {
            return Err("spec.module.url carries credentials (user:password@), which would show in the status and logs: serve the module from a URL that needs none, or put it in a ConfigMap (configMapRef)".into());
        }
        if !url.starts_with("https://") && !module.allow_http {
            return Err(format!(
                "spec.module.url: {} is not https: use an https URL, or set spec.module.allowHttp: true where the sha256 pin is protection enough",
                crate::text::redacted_url(url)
            ));
        }
        let expected = module.sha256.as_deref().unwrap_or_default().to_ascii_lowercase();
        let bytes = download(url).await.map_err(|e| format!("spec.module.url: {e}"))?;
        let actual = format!("{:x}", Sha256::digest(&bytes));
        if actual != expected {
            return Err(format!(
                "spec.module.sha256: the module at {url} has sha256 {actual}, not {expected}: fix sha256 or the URL"
            ));
        }
        return Ok(bytes);
    }
    Err("spec.module: set one of configMapRef, url or file".into())
}

/// A module file, only if it is a regular file below `dir` once every symlink is resolved,
/// and no larger than [`MAX_MODULE_BYTES`] (read with that bound, in case it grows).
fn read_module_file(dir: &std::path::Path, path: &str) -> Result<Vec<u8>, String> {
    let field = format!("spec.module.file: {path}");
    let below = format!(
        "{field} is not a file below {}, the only directory this operator reads modules from: put the module there, or use configMapRef or url",
        dir.display()
    );
    let dir = dir.canonicalize().map_err(|e| format!("{field}: the module directory: {e}"))?;
    let real = dir.join(path).canonicalize().map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => format!("{field}: no such file"),
        _ => below.clone(),
    })?;
    if !real.starts_with(&dir) {
        return Err(below);
    }
    let file = std::fs::File::open(&real).map_err(|e| format!("{field}: {e}"))?;
    let meta = file.metadata().map_err(|e| format!("{field}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{field} is not a regular file"));
    }
    if meta.len() > MAX_MODULE_BYTES as u64 {
        return Err(format!("{field} is {} bytes; the limit is {MAX_MODULE_BYTES}", meta.len()));
    }
    crate::bounded::read_all(file, MAX_MODULE_BYTES as u64).map_err(|e| match e {
        crate::bounded::ReadError::TooLarge { .. } => {
            format!("{field} grew past the limit of {MAX_MODULE_BYTES} bytes")
        }
        crate::bounded::ReadError::Io(e) => format!("{field}: {e}"),
    })
}

async fn download(url: &str) -> Result<Vec<u8>, String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| e.to_string())?;
    let response = client.get(url).send().await.map_err(|e| format!("{url}: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("{url} answered HTTP {}", response.status().as_u16()));
    }
    // Refused on its Content-Length, or as soon as it passes the limit: never held whole.
    crate::bounded::body(response, MAX_MODULE_BYTES as u64).await.map_err(|e| match e {
        crate::bounded::ReadError::TooLarge { .. } => {
            format!("{url}: the module is larger than the limit of {MAX_MODULE_BYTES} bytes")
        }
        crate::bounded::ReadError::Io(e) => format!("{url}: {e}"),
    })
}

fn limits(policy: &Policy, default: CallLimits) -> CallLimits {
    let Some(l) = &policy.spec.limits else { return default };
    CallLimits {
        memory_bytes: l
            .memory
            .as_ref()
            .and_then(crate::crd::quantity_bytes)
            .unwrap_or(default.memory_bytes),
        fuel: l.fuel.and_then(|f| u64::try_from(f).ok()).unwrap_or(default.fuel),
        timeout: l
            .timeout_ms
            .and_then(|t| u64::try_from(t).ok())
            .map(Duration::from_millis)
            .unwrap_or(default.timeout),
    }
}

/// Top-level settings as key/value pairs: strings as they are, anything else as JSON, so a
/// module sees `"baseSeconds": 5` and `"baseSeconds": "5"` alike.
pub fn settings(settings: Option<&serde_json::Value>) -> Vec<(String, String)> {
    let Some(serde_json::Value::Object(map)) = settings else { return Vec::new() };
    map.iter()
        .map(|(k, v)| match v {
            serde_json::Value::String(s) => (k.clone(), s.clone()),
            other => (k.clone(), other.to_string()),
        })
        .collect()
}

/// The most settings a module receives per call, keys and values together: they are
/// copied into every call.
const MAX_SETTINGS_BYTES: usize = 64 << 10;

/// Whether the settings, as the module receives them, fit [`MAX_SETTINGS_BYTES`].
fn settings_fit(settings: &[(String, String)]) -> Result<(), String> {
    let size: usize = settings.iter().map(|(k, v)| k.len() + v.len()).sum();
    if size > MAX_SETTINGS_BYTES {
        return Err(format!(
            "spec.settings is {size} bytes as the module receives them; the limit is {MAX_SETTINGS_BYTES}: keep settings to parameters, and put data the module needs in the module or a Secret it reads"
        ));
    }
    Ok(())
}

fn grants(policy: &Policy, namespace: &str) -> Grants {
    let caps = policy.spec.capabilities.clone().unwrap_or_default();
    Grants {
        namespace: namespace.to_owned(),
        secrets: caps.secrets.map(|s| s.names.into_iter().collect()).unwrap_or_default(),
        http_hosts: caps.http.map(|h| h.allowed_hosts.into_iter().collect()).unwrap_or_default(),
    }
}

async fn write_status(
    policy: &Policy,
    namespace: &str,
    registered: &Registered,
    ctx: &Context,
) -> Result<(), kube::Error> {
    let load = registered.module.as_ref().map(|m| crate::policy_status::Load {
        abi: m.signature.abi.to_string(),
        world: m.signature.world.name().to_owned(),
        compile_time: m.load_time,
    });
    let status = crate::policy_status::next_status(
        policy.status.as_ref(),
        policy.metadata.generation,
        &registered.digest,
        load.as_ref().map_err(|e| e.as_str()),
        jiff::Timestamp::now(),
    );
    if policy.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let api: Api<Policy> = Api::namespaced(ctx.client.clone(), namespace);
    super::status_write::apply(&api, policy, &status).await
}

#[cfg(test)]
mod tests {
    use super::read_module_file;

    #[test]
    fn a_deleted_policy_leaves_the_registry_at_once_and_a_relist_drops_the_vanished() {
        use super::*;
        let engine = PolicyEngine::new(Default::default(), None).expect("the engine starts");
        let registry = PolicyRegistry::new(engine);
        let policy = |ns: &str, name: &str| {
            let mut p: Policy = serde_json::from_value(serde_json::json!({
                "apiVersion": "sluice.dev/v1alpha1", "kind": "Policy",
                "metadata": {"name": name, "namespace": ns},
                "spec": {"module": {"file": "/p.wasm"}},
            }))
            .unwrap();
            p.metadata.generation = Some(1);
            p
        };
        let registered = || Registered {
            generation: Some(1),
            source: policy("ns", "x").spec.module,
            digest: "d".into(),
            module: Err("not loaded in this test".into()),
            grants: Grants::default(),
            settings: Vec::new(),
            fail_closed: true,
            inline_secrets: false,
        };
        for name in ["a", "b", "c"] {
            registry.put("ns", name, registered());
        }
        registry.observe(&watcher::Event::Delete(policy("ns", "a")));
        assert!(registry.get("ns", "a").is_none(), "deleted: gone at once");
        assert!(registry.get("ns", "b").is_some());
        // A relist that names b only (c was deleted while the watch was down).
        registry.observe(&watcher::Event::Init);
        registry.observe(&watcher::Event::InitApply(policy("ns", "b")));
        assert!(registry.get("ns", "c").is_some(), "kept until the relist is complete");
        registry.observe(&watcher::Event::InitDone);
        assert!(registry.get("ns", "b").is_some());
        assert!(registry.get("ns", "c").is_none(), "not named by the relist: gone");
    }

    #[test]
    fn only_a_loaded_module_from_the_source_the_spec_still_names_is_kept() {
        use super::*;
        let engine = PolicyEngine::new(Default::default(), None).expect("the engine starts");
        let module = |url: &str| PolicyModule {
            config_map_ref: None,
            url: Some(url.into()),
            sha256: Some("ab".repeat(32)),
            allow_http: false,
            file: None,
        };
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../target/policies/backoff.wasm");
        let bytes = std::fs::read(path)
            .unwrap_or_else(|e| panic!("{path}: {e}: run scripts/build-policies first"));
        let loaded = engine.load("backoff", &bytes, None).expect("the backoff policy loads");
        let registered = |module_spec: PolicyModule, module| Registered {
            generation: Some(1),
            source: module_spec,
            digest: "ab".repeat(32),
            module,
            grants: Grants::default(),
            settings: Vec::new(),
            fail_closed: true,
            inline_secrets: false,
        };
        let source = module("https://example.test/p.wasm");
        let good = registered(source.clone(), Ok(loaded));
        assert!(kept_module(&good, &source).is_some(), "same source, loaded: kept");
        let moved = module("https://example.test/other.wasm");
        assert!(kept_module(&good, &moved).is_none(), "another source: read again");
        let failed = registered(source.clone(), Err("did not load".into()));
        assert!(kept_module(&failed, &source).is_none(), "nothing good to keep");
    }

    #[test]
    fn settings_past_64_kib_are_refused_naming_the_field() {
        use super::*;
        let small = settings(Some(&serde_json::json!({ "mode": "loop", "n": 3 })));
        assert_eq!(small, [("mode".into(), "loop".into()), ("n".into(), "3".into())]);
        assert!(settings_fit(&small).is_ok());
        let large = settings(Some(&serde_json::json!({ "blob": "x".repeat(65 << 10) })));
        let e = settings_fit(&large).unwrap_err();
        assert!(e.starts_with("spec.settings is 66564 bytes"), "{e}");
    }

    #[test]
    fn module_files_are_read_only_below_the_directory_and_only_if_regular() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("modules");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("ok.wasm"), b"\0asm").unwrap();
        std::fs::write(root.path().join("secret"), b"root:x:0:0").unwrap();
        std::os::unix::fs::symlink(root.path().join("secret"), dir.join("escape.wasm")).unwrap();
        std::fs::create_dir(dir.join("sub")).unwrap();

        assert_eq!(read_module_file(&dir, "ok.wasm").unwrap(), b"\0asm");
        let inside = dir.join("ok.wasm");
        assert_eq!(read_module_file(&dir, inside.to_str().unwrap()).unwrap(), b"\0asm");
        for outside in ["/etc/shadow", "/etc/passwd", "../secret", "escape.wasm", "/dev/zero"] {
            let e = read_module_file(&dir, outside).unwrap_err();
            assert!(
                e.contains("is not a file below") || e.ends_with("no such file"),
                "{outside}: {e}"
            );
            assert!(!e.contains("root:x"), "{e}");
        }
        assert!(read_module_file(&dir, "sub").unwrap_err().ends_with("is not a regular file"));
        assert!(read_module_file(&dir, "missing.wasm").unwrap_err().ends_with("no such file"));
    }
}
