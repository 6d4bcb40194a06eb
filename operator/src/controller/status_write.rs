//! Writing a resource's status the one way Sluice does: server-side apply on the status
//! subresource, as field manager `sluice`, forced (the status is Sluice's alone).

use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
};
use serde::{Serialize, de::DeserializeOwned};

use super::FIELD_MANAGER;

/// Applies `status` to `object` through `api`.
pub async fn apply<K, S>(api: &Api<K>, object: &K, status: &S) -> Result<(), kube::Error>
where
    K: Resource<DynamicType = ()> + Clone + DeserializeOwned + std::fmt::Debug,
    S: Serialize,
{
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
