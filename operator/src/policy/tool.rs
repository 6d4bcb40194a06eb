//! `sluice policy inspect|test`: what policy authors run on their laptop before a Policy
//! goes near a cluster. Inputs and answers are the ABI types as JSON (field names as in the
//! WIT, with `_` for `-`).

use std::{collections::BTreeMap, path::Path, sync::Arc, time::Duration};

use serde::Deserialize;
use serde_json::{Value, json};

use super::host::{HttpError, Response, SecretError};
use super::{EngineLimits, Grants, HostServices, LoadedPolicy, PolicyEngine, World};

/// What `sluice policy inspect` prints: the world, the ABI version and the host interfaces
/// the module imports.
pub fn inspect(module: &Path) -> anyhow::Result<Value> {
    let (policy, _) = load(module)?;
    Ok(describe(&policy))
}

fn describe(policy: &LoadedPolicy) -> Value {
    json!({
        "world": policy.signature.world.name(),
        "abi": format!("sluice:policy@{}", policy.signature.abi),
        "imports": policy.signature.imports,
        // WASI is linked granting nothing; shown so an author sees why a module is larger.
        "wasi": policy.signature.wasi,
        "compileMillis": policy.load_time.as_secs_f64() * 1e3,
    })
}

/// Secrets and HTTP answers for `sluice policy test`, from files: a Secret listed is granted,
/// a URL listed is allowed.
#[derive(Default, Deserialize)]
pub struct Fixtures {
    /// Secret name → key → value.
    #[serde(default)]
    pub secrets: BTreeMap<String, BTreeMap<String, String>>,
    /// URL → answer.
    #[serde(default)]
    pub http: BTreeMap<String, HttpFixture>,
}

#[derive(Deserialize, Clone)]
pub struct HttpFixture {
    #[serde(default = "ok")]
    pub status: u16,
    #[serde(default)]
    pub body: String,
}

fn ok() -> u16 {
    200
}

impl HostServices for Fixtures {
    fn secret(&self, _: &str, name: &str, key: &str, _: Duration) -> Result<String, SecretError> {
        self.secrets
            .get(name)
            .and_then(|keys| keys.get(key))
            .cloned()
            .ok_or_else(|| SecretError::NotFound(format!("Secret {name} has no key {key}")))
    }

    fn http_get(
        &self,
        url: &str,
        _: &[(String, String)],
        _: Duration,
    ) -> Result<Response, HttpError> {
        let f =
            self.http.get(url).ok_or_else(|| HttpError::Failed(format!("no fixture for {url}")))?;
        Ok(Response { status: f.status, headers: vec![], body: f.body.clone().into_bytes() })
    }
}

/// What `sluice policy test` prints: the answer, the fuel and time used, every host call.
/// The call goes through the engine's queue as in the operator: on a blocking thread, and
/// awaited no longer than its timeout.
pub async fn test(
    module: &Path,
    input: &Path,
    settings: Option<&Path>,
    fixtures: Option<&Path>,
) -> anyhow::Result<Value> {
    let (policy, engine) = load(module)?;
    let input_path = input;
    let mut input: Value = read_json(input)?;
    if let Some(path) = settings {
        let settings: BTreeMap<String, String> =
            serde_json::from_value(read_json(path)?).map_err(|e| {
                anyhow::anyhow!("{}: settings are an object of strings: {e}", path.display())
            })?;
        input["settings"] = json!(settings.into_iter().collect::<Vec<_>>());
    }
    let fixtures: Fixtures = match fixtures {
        Some(path) => serde_json::from_value(read_json(path)?)
            .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        None => Fixtures::default(),
    };
    let grants = Grants {
        namespace: input["namespace"].as_str().unwrap_or("default").to_owned(),
        secrets: fixtures.secrets.keys().cloned().collect(),
        http_hosts: fixtures
            .http
            .keys()
            .filter_map(|u| url::Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization())
            .collect(),
    };
    let services: Arc<dyn HostServices> = Arc::new(fixtures);
    let bad_input = |e: serde_json::Error| {
        let world = policy.signature.world;
        anyhow::anyhow!(
            "{}: not a {} (the {world} world's input): {e}",
            input_path.display(),
            input_name(world)
        )
    };
    let called = policy.clone();
    let (answer, report) = match policy.signature.world {
        World::RestartPolicy => {
            let input = serde_json::from_value(input).map_err(bad_input)?;
            let call = move |e: &PolicyEngine| e.decide(&called, &input, &grants, services);
            let (d, r) = engine.queued(&policy, call).await?;
            (json!({ "decision": d }), r)
        }
        World::ConfigTransform => {
            let input = serde_json::from_value(input).map_err(bad_input)?;
            let call = move |e: &PolicyEngine| e.transform(&called, &input, &grants, services);
            let (c, r) = engine.queued(&policy, call).await?;
            (json!({ "config": c.into_iter().collect::<BTreeMap<_, _>>() }), r)
        }
        World::PluginResolver => {
            let input = serde_json::from_value(input).map_err(bad_input)?;
            let call = move |e: &PolicyEngine| e.resolve(&called, &input, &grants, services);
            let (a, r) = engine.queued(&policy, call).await?;
            (json!({ "archive": a }), r)
        }
    };
    let mut out = describe(&policy);
    out["answer"] = answer;
    out["fuelUsed"] = json!(report.fuel_used);
    out["callMicros"] = json!(report.elapsed.as_micros() as u64);
    out["hostCalls"] = json!(report.host_calls);
    Ok(out)
}

fn input_name(world: World) -> &'static str {
    match world {
        World::RestartPolicy => "restart-input",
        World::ConfigTransform => "transform-input",
        World::PluginResolver => "plugin-reference",
    }
}

fn load(module: &Path) -> anyhow::Result<(LoadedPolicy, PolicyEngine)> {
    let bytes = std::fs::read(module).map_err(|e| anyhow::anyhow!("{}: {e}", module.display()))?;
    let engine = PolicyEngine::new(EngineLimits::default(), None)?;
    let name = module.file_stem().and_then(|s| s.to_str()).unwrap_or("policy");
    let policy = engine.load(name, &bytes, None)?;
    Ok((policy, engine))
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}
