//! Writing a resource's status the one way Sluice does: server-side apply on the status
//! subresource, as field manager `sluice`, forced (the status is Sluice's alone).

use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
};
use serde::{Serialize, de::DeserializeOwned};

use super::FIELD_MANAGER;
use crate::conditions::RECONCILED;

/// Applies `status` to `object` through `api`.
///
/// The `Reconciled` condition is left out: the runner applies it as its own field manager,
/// and a controller that carried it over from the status it read would take ownership of it
/// and, once it stopped carrying it, remove it.
pub async fn apply<K, S>(api: &Api<K>, object: &K, status: &S) -> Result<(), kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
    S: Serialize,
{
    let mut status = serde_json::to_value(status).map_err(kube::Error::SerdeError)?;
    if let Some(list) = status.get_mut("conditions").and_then(|c| c.as_array_mut()) {
        list.retain(|c| c["type"] != RECONCILED);
    }
    let patch = serde_json::json!({
        "apiVersion": K::api_version(&()),
        "kind": K::kind(&()),
        "status": status,
    });
    api.patch_status(
        &object.name_any(),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(patch),
    )
    .await?;
    Ok(())
}
