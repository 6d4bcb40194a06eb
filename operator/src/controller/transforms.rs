//! `configTransforms`: each Policy named, in order, rewrites the connector's config before it
//! is compared with Connect and applied. What Connect receives is the last transform's
//! output; secret values a transform read are masked wherever the Connector shows anything.

use std::{collections::BTreeMap, sync::Arc};

use super::{Context, host_services::ClusterServices};
use crate::crd::ConfigTransform;
use crate::policy::{self, HostServices, World};

/// The transformed config, and the secret values the transforms read.
pub struct Transformed {
    pub config: BTreeMap<String, String>,
    pub secret_values: Vec<String>,
    /// Transforms skipped under `failurePolicy: Ignore`, with why.
    pub warnings: Vec<String>,
}

/// Runs `transforms` over `config`. `Err` names the transform and says why (with the secret
/// values read so far, to mask in it); the connector must then be left as it is on Connect.
pub async fn apply(
    ctx: &Context,
    namespace: &str,
    connector_name: &str,
    transforms: &[ConfigTransform],
    mut config: BTreeMap<String, String>,
) -> Result<Transformed, (String, Vec<String>)> {
    let mut secret_values = Vec::new();
    let mut warnings = Vec::new();
    for (i, transform) in transforms.iter().enumerate() {
        let name = &transform.policy_ref.name;
        let field = format!("spec.configTransforms[{i}] (Policy {name})");
        let Some(registered) = ctx.policies.get(namespace, name) else {
            let why = format!("{field}: the Policy does not exist or is not loaded yet");
            return Err((why, secret_values));
        };
        let outcome = match &registered.module {
            Err(e) => Err(e.clone()),
            Ok(m) if m.signature.world != World::ConfigTransform => {
                Err(format!("the module is a {} policy, not a config-transform", m.signature.world))
            }
            Ok(module) => {
                let input = policy::TransformInput {
                    connector_name: connector_name.to_owned(),
                    namespace: namespace.to_owned(),
                    config: config.clone().into_iter().collect(),
                    settings: registered.settings.clone(),
                    extensions: Vec::new(),
                };
                let services = Arc::new(ClusterServices::new(ctx, name));
                let (called, grants, call_services) = (
                    module.clone(),
                    registered.grants.clone(),
                    services.clone() as Arc<dyn HostServices>,
                );
                let result = ctx
                    .policies
                    .engine
                    .queued(module, move |engine| {
                        engine.transform(&called, &input, &grants, call_services)
                    })
                    .await
                    .map_err(|e| e.to_string());
                let read = services.secret_values();
                let checked = result.and_then(|(out, _)| {
                    let out: BTreeMap<String, String> = out.into_iter().collect();
                    inline_check(&out, &read, registered.inline_secrets).map(|()| out)
                });
                secret_values.extend(read);
                checked
            }
        };
        match outcome {
            Ok(out) => config = out,
            Err(e) if registered.fail_closed => {
                return Err((format!("{field}: {e}"), secret_values));
            }
            Err(e) => warnings.push(format!("{field}: {e}; failurePolicy Ignore: skipped")),
        }
    }
    Ok(Transformed { config, secret_values, warnings })
}

/// Without `capabilities.secrets.inline`, a transform may read Secrets (to check them, say)
/// but not put their values into the config, where Connect would store them in clear.
fn inline_check(
    config: &BTreeMap<String, String>,
    read: &[String],
    inline_allowed: bool,
) -> Result<(), String> {
    if inline_allowed {
        return Ok(());
    }
    for (key, value) in config {
        if read.iter().any(|secret| !secret.is_empty() && value.contains(secret.as_str())) {
            return Err(format!(
                "the transform put a Secret's value into config {key}, but the Policy does not allow that: set capabilities.secrets.inline: true, or emit a reference such as ${{dir:/mnt/secrets/<name>:<key>}}"
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_values_stay_out_of_the_config_unless_inline_is_allowed() {
        let config: BTreeMap<String, String> =
            [("password".to_string(), "s3cret".to_string())].into();
        let read = vec!["s3cret".to_string()];
        let err = inline_check(&config, &read, false).unwrap_err();
        assert!(err.contains("config password") && !err.contains("s3cret"), "{err}");
        assert!(inline_check(&config, &read, true).is_ok());
        assert!(inline_check(&config, &[], false).is_ok());
    }
}
