//! The Connect controller: resolves the plugins, renders the cluster (`connect::render`),
//! applies it with server-side apply under the Connect's ownership, and reports what the
//! StatefulSet, the pods' installers and the workers' REST API say in the Connect's status.
//!
//! Nothing is applied while a plugin cannot be resolved or a mounted Secret is missing: the
//! workers keep running what they run, and the status says which plugin or Secret and why.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use k8s_openapi::ByteString;
use k8s_openapi::api::{
    apps::v1::StatefulSet,
    core::v1::{ConfigMap, Pod, Secret, Service},
    networking::v1::NetworkPolicy,
    policy::v1::PodDisruptionBudget,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::{
    Api, Resource, ResourceExt,
    api::{ListParams, Patch, PatchParams},
    runtime::{WatchStreamExt, controller::Action as Requeue, events::EventType, watcher},
};
use serde::Serialize;
use tracing::info;

use super::error::Error;
use super::{Context, FIELD_MANAGER, connect_access, events};
use crate::connect::{kafka_client, render, rest_security, status};
use crate::connect_endpoint;
use crate::crd::Connect;

/// How long the status waits for the workers' `GET /connector-plugins`.
const PLUGINS_TIMEOUT: Duration = Duration::from_secs(5);

pub async fn run(ctx: Arc<Context>) {
    let connects = ctx.watch::<Connect>(watcher::Config::default().any_semantic());
    let managed = watcher::Config::default().labels("app.kubernetes.io/managed-by=sluice");
    let sets = ctx.watch::<StatefulSet>(managed).touched_objects();
    let controller = super::runner::controller("connect", connects, ctx.health.clone())
        // A worker becoming ready (or not) shows in the status without waiting for a resync.
        .owns_stream(sets);
    super::runner::run("connect", controller, reconcile, ctx).await;
}

#[tracing::instrument(skip_all, fields(namespace = connect.namespace(), name = connect.name_any()))]
async fn reconcile(connect: Arc<Connect>, ctx: Arc<Context>) -> Result<Requeue, Error> {
    if connect.metadata.deletion_timestamp.is_some() {
        // Owner references hand the rendered objects to the garbage collector.
        return Ok(Requeue::await_change());
    }
    let namespace = connect.namespace().unwrap_or_default();
    let name = connect.name_any();

    // Observe what the apply needs, and apply when nothing blocks it.
    let resolved = ctx.resolvers.resolve(&ctx, &connect, &namespace).await;
    let owner = connect.controller_owner_ref(&()).expect("a Connect from the API server has a uid");
    // The Secrets the Connect owns join the mounted ones in the roll hash; what keeps one
    // from being written blocks the apply like a missing Secret or a taken name.
    let owned = [
        rest_secret(&ctx, &connect, &owner).await?.map(Some),
        kafka_secret(&ctx, &connect, &owner).await?,
    ];
    let mut taken = None;
    let mut secret_versions = secret_versions(&ctx, &connect, &namespace).await?;
    for result in owned {
        match (result, &mut secret_versions) {
            (Ok(Some((name, version))), Ok(versions)) => {
                versions.insert(name, version);
            }
            (Ok(_), _) => {}
            (Err(SecretProblem::Taken(object)), _) => taken = taken.or(Some(object)),
            (Err(SecretProblem::Invalid(why)), Err(missing)) => missing.push(why),
            (Err(SecretProblem::Invalid(why)), versions) => *versions = Err(vec![why]),
        }
    }
    // Read once: the roll check compares with it, and the status reads the applied one.
    let sets: Api<StatefulSet> = Api::namespaced(ctx.client.clone(), &namespace);
    let mut stateful_set = sets.get_opt(&name).await?;
    let mut refused = None;
    let mut spec_invalid = Vec::new();
    if let (Ok(plugins), Ok(versions), None) = (&resolved, &secret_versions, &taken) {
        let inputs = render::Inputs {
            plugins,
            operator_image: &ctx.settings.connect.operator_image,
            secret_versions: versions,
            operator_pods: ctx.settings.connect.operator_pods.as_ref(),
        };
        match render::render(&connect, &name, &namespace, &inputs) {
            Ok(rendered) => {
                match apply_all(&ctx, &connect, &namespace, &rendered, stateful_set.as_ref())
                    .await?
                {
                    Ok(applied) => stateful_set = Some(applied),
                    Err(NotApplied::Refused(why)) => refused = Some(why),
                    Err(NotApplied::Taken(object)) => taken = Some(object),
                }
            }
            Err(why) => spec_invalid = why,
        }
    }

    // Observe the workers.
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), &namespace);
    let selector =
        format!("app.kubernetes.io/instance={name},app.kubernetes.io/name=kafka-connect");
    let pods = pods.list(&ListParams::default().labels(&selector)).await?.items;
    // Workers that do not answer leave the last list in place: it changes only when the
    // plugins do, and those roll the workers, who then answer again. The bound keeps an
    // unreachable Service from holding up the reconcile.
    let mut offered = None;
    if let Ok(target) = connect_access::for_connect(
        &connect,
        &ctx.client,
        &ctx.clients,
        &ctx.settings.connect.rest_url_template,
    )
    .await
        && let Ok(Ok(plugins)) =
            tokio::time::timeout(PLUGINS_TIMEOUT, target.client.connector_plugins()).await
    {
        offered = Some(plugins);
    }

    // Decide the status and what to tell, then write them.
    let seen = status::Seen {
        spec: &connect.spec,
        generation: connect.metadata.generation,
        rest_endpoint: connect_endpoint::url(
            &ctx.settings.connect.rest_url_template,
            &name,
            &namespace,
        ),
        resolution: resolved
            .as_deref()
            .map_err(|failures| failures.iter().map(ToString::to_string).collect()),
        missing_secrets: secret_versions.err().unwrap_or_default(),
        refused,
        spec_invalid,
        taken,
        stateful_set: stateful_set.as_ref().and_then(|s| s.status.as_ref()),
        pods: &pods,
        offered: offered.as_deref(),
    };
    let now = jiff::Timestamp::now();
    let next = status::next_status(connect.status.as_ref(), &seen, now);
    let before = connect.status.as_ref().map(|s| s.conditions.as_slice()).unwrap_or_default();
    for (reason, message) in status::announcements(before, &next.conditions) {
        events::publish(&ctx, connect.as_ref(), EventType::Warning, &reason, "Reconcile", &message)
            .await;
    }
    if connect.status.as_ref() != Some(&next) {
        let api: Api<Connect> = Api::namespaced(ctx.client.clone(), &namespace);
        super::status_write::apply(&api, connect.as_ref(), &next).await?;
    }
    Ok(Requeue::requeue(status::requeue(&next, now, ctx.settings.resync)))
}

/// Why a Secret the Connect owns (its REST listener's, its Kafka clients') was not written.
enum SecretProblem {
    /// An object holds its name and is not this Connect's: `Kind name`.
    Taken(String),
    /// A user's Secret it is built from cannot be used: the field, why and the fix.
    Invalid(String),
}

/// The Connect's Kafka client Secret, built from the user's Secrets that
/// `dependencies.kafka` names (each read only with its `kafka` consent): its name and
/// `resourceVersion` for the roll hash, `None` when the workers need none, or why it could
/// not be written. A Secret of its name that is not this Connect's is never taken over.
async fn kafka_secret(
    ctx: &Context,
    connect: &Connect,
    owner: &OwnerReference,
) -> Result<Result<Option<(String, String)>, SecretProblem>, Error> {
    let namespace = connect.namespace().unwrap_or_default();
    let name = kafka_client::secret_name(&connect.name_any());
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    if kafka_client::secret_keys(&connect.spec).is_empty() {
        // No longer needed: the credentials a copy holds do not outlive the spec that asked
        // for them (emptied, since the operator has no right to delete Secrets; a merge
        // patch, as the keys were set by a create that server-side apply does not own).
        if let Some(copy) = api.get_opt(&name).await?
            && owned_by(copy.meta(), owner)
            && copy.data.as_ref().is_some_and(|d| !d.is_empty())
        {
            let empty = Patch::Merge(serde_json::json!({"data": null}));
            api.patch(&name, &PatchParams::default(), &empty).await?;
        }
        return Ok(Ok(None));
    }
    let found = api.get_opt(&name).await?;
    if let Some(secret) = &found
        && !owned_by(secret.meta(), owner)
    {
        return Ok(Err(SecretProblem::Taken(format!("Secret {name}"))));
    }
    let mut read = BTreeMap::new();
    for (field, user) in kafka_client::user_secrets(&connect.spec) {
        match consented(&api, user, field, crate::secret_use::Use::Kafka).await? {
            Ok(secret) => {
                read.insert(user.to_owned(), secret_bytes(Some(&secret)));
            }
            Err(why) => return Ok(Err(SecretProblem::Invalid(why))),
        }
    }
    let data = match kafka_client::secret_data(&connect.spec, &read) {
        Ok(data) => data,
        Err(why) => return Ok(Err(SecretProblem::Invalid(why))),
    };
    if let Some(secret) = &found
        && secret_bytes(Some(secret)) == data
    {
        return Ok(Ok(Some((name, secret.resource_version().unwrap_or_default()))));
    }
    let exists = found.is_some();
    let written =
        apply_owned_secret(&api, connect, owner, &name, exists, BTreeMap::new(), data).await?;
    let note = format!("Wrote the Kafka clients' credentials and stores to Secret {name}");
    info!("{note}");
    events::publish(ctx, connect, EventType::Normal, "KafkaSecretWritten", "Apply", &note).await;
    Ok(Ok(Some((name, written.resource_version().unwrap_or_default()))))
}

/// The user's Secret `name` if it exists and consents to `use_`; otherwise why not, naming
/// `field` and the fix.
async fn consented(
    api: &Api<Secret>,
    name: &str,
    field: &str,
    use_: crate::secret_use::Use<'_>,
) -> Result<Result<Secret, String>, kube::Error> {
    let Some(secret) = api.get_opt(name).await? else {
        return Ok(Err(format!(
            "{field}: Secret {name} does not exist in the Connect's namespace: create it"
        )));
    };
    let annotations = secret.metadata.annotations.as_ref();
    Ok(match crate::secret_use::check(name, secret.type_.as_deref(), annotations, use_) {
        Ok(()) => Ok(secret),
        Err(why) => Err(format!("{field}: {why}")),
    })
}

/// Writes a Secret the Connect owns, with the Connect's labels: created when `exists` is
/// false, so that one someone made under that name since it was read makes the create fail
/// (409) rather than have a forced apply merge into it and take it over; applied
/// server-side over the Connect's own otherwise.
async fn apply_owned_secret(
    api: &Api<Secret>,
    connect: &Connect,
    owner: &OwnerReference,
    name: &str,
    exists: bool,
    annotations: BTreeMap<String, String>,
    data: BTreeMap<String, Vec<u8>>,
) -> Result<Secret, kube::Error> {
    let secret = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some(name.to_owned()),
            namespace: connect.namespace(),
            labels: Some(render::labels(&connect.name_any())),
            annotations: Some(annotations),
            owner_references: Some(vec![owner.clone()]),
            ..Default::default()
        },
        data: Some(data.into_iter().map(|(k, v)| (k, ByteString(v))).collect()),
        type_: Some("Opaque".into()),
        ..Secret::default()
    };
    if !exists {
        let params = kube::api::PostParams {
            field_manager: Some(FIELD_MANAGER.into()),
            ..Default::default()
        };
        return api.create(&params, &secret).await;
    }
    let params = PatchParams::apply(FIELD_MANAGER).force();
    api.patch(name, &params, &Patch::Apply(&secret)).await
}

/// The Secret of the workers' REST listener, issued, renewed or converted from the user's
/// certificate as `rest_security::plan` says: its name and `resourceVersion` for the roll
/// hash, or why it could not be written. A Secret of its name that is not this Connect's is
/// never taken over.
async fn rest_secret(
    ctx: &Context,
    connect: &Connect,
    owner: &OwnerReference,
) -> Result<Result<(String, String), SecretProblem>, Error> {
    let namespace = connect.namespace().unwrap_or_default();
    let name = rest_security::secret_name(&connect.name_any());
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    let found = api.get_opt(&name).await?;
    if let Some(secret) = &found
        && !owned_by(secret.meta(), owner)
    {
        return Ok(Err(SecretProblem::Taken(format!("Secret {name}"))));
    }
    let data = secret_bytes(found.as_ref());
    let annotation = |key: &str| found.as_ref().and_then(|s| s.annotations().get(key).cloned());
    let has = |keys: &[&str]| keys.iter().all(|k| data.get(*k).is_some_and(|v| !v.is_empty()));
    let existing = found.as_ref().map(|_| rest_security::Existing {
        has_password: has(&[rest_security::PASSWORD_KEY, rest_security::LOGIN_FILE]),
        has_certificate: has(&[
            rest_security::KEYSTORE,
            rest_security::TRUSTSTORE,
            rest_security::STORE_PASSWORD,
            rest_security::CACERTS,
        ]),
        not_after: annotation(rest_security::NOT_AFTER_ANNOTATION).and_then(|t| t.parse().ok()),
        source: annotation(rest_security::SOURCE_ANNOTATION),
    });
    // The user's certificate, read only with its consent like any Secret used on a user's
    // behalf: the operator reads its key to convert it.
    let user = match rest_security::user_certificate(&connect.spec) {
        None => None,
        Some(user) => {
            let use_ = crate::secret_use::Use::ConnectRest;
            match consented(&api, user, "spec.tls.secretRef", use_).await? {
                Err(why) => return Ok(Err(SecretProblem::Invalid(why))),
                Ok(secret) => {
                    let version = secret.resource_version().unwrap_or_default();
                    let source = rest_security::user_source(user, &version);
                    Some((user, source, secret_bytes(Some(&secret))))
                }
            }
        }
    };
    let source = user.as_ref().map_or(rest_security::ISSUED, |(_, source, _)| source.as_str());
    let now = jiff::Timestamp::now();
    let plan = rest_security::plan(existing.as_ref(), source, now);
    if let (rest_security::Plan::Keep, Some(secret)) = (plan, &found) {
        return Ok(Ok((name, secret.resource_version().unwrap_or_default())));
    }
    let from = match &user {
        Some((user, _, data)) => crate::rest_pki::CertificateFrom::User { name: user, data },
        None => crate::rest_pki::CertificateFrom::Issued {
            dns_names: rest_security::dns_names(&connect.name_any(), &namespace),
        },
    };
    let (data, not_after) = match crate::rest_pki::issue(&data, plan, from, now) {
        Ok(issued) => issued,
        Err(crate::rest_pki::IssueError::UserSecret(why)) => {
            return Ok(Err(SecretProblem::Invalid(why)));
        }
        Err(e) => return Err(Error::Internal(e.to_string())),
    };
    let certificate = matches!(plan, rest_security::Plan::Issue { certificate: true, .. });
    let (not_after, source) = if certificate {
        (not_after.map(|t| t.to_string()), Some(source.to_owned()))
    } else {
        (
            annotation(rest_security::NOT_AFTER_ANNOTATION),
            annotation(rest_security::SOURCE_ANNOTATION),
        )
    };
    let mut annotations = BTreeMap::new();
    annotations.extend(not_after.map(|t| (rest_security::NOT_AFTER_ANNOTATION.to_owned(), t)));
    annotations.extend(source.map(|s| (rest_security::SOURCE_ANNOTATION.to_owned(), s)));
    let exists = found.is_some();
    let written =
        apply_owned_secret(&api, connect, owner, &name, exists, annotations, data).await?;
    let what = match (found.is_some(), certificate, &user) {
        (_, true, Some((user, _, _))) => {
            format!("Took the REST listener's certificate from Secret {user} into")
        }
        (true, true, None) => "Renewed the REST listener's certificate in".to_owned(),
        (true, false, _) => "Generated the operator's REST credentials again in".to_owned(),
        (false, _, _) => "Issued the REST listener's credentials and certificate in".to_owned(),
    };
    let note = format!("{what} Secret {name}");
    info!("{note}");
    events::publish(ctx, connect, EventType::Normal, "RestSecretIssued", "Issue", &note).await;
    Ok(Ok((name, written.resource_version().unwrap_or_default())))
}

/// A Secret's data as bytes (empty when there is none).
fn secret_bytes(secret: Option<&Secret>) -> BTreeMap<String, Vec<u8>> {
    secret.map(kafka_client::secret_data_of).unwrap_or_default()
}

/// The `resourceVersion` of every mounted Secret, so that a changed Secret rolls the workers,
/// or a line per Secret that does not exist.
async fn secret_versions(
    ctx: &Context,
    connect: &Connect,
    namespace: &str,
) -> Result<Result<BTreeMap<String, String>, Vec<String>>, kube::Error> {
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), namespace);
    let mut versions = BTreeMap::new();
    let mut missing = Vec::new();
    let fields = [
        ("mountedSecrets", &connect.spec.mounted_secrets),
        ("connectorTLSCerts", &connect.spec.connector_tls_certs),
    ];
    for (field, refs) in fields {
        for (i, r) in refs.iter().enumerate() {
            // Metadata only: the operator has no reason to hold the values.
            match api.get_metadata_opt(&r.secret_ref).await? {
                // A Connect's own credentials (its REST password, its Kafka login) are the
                // operator's to use, not any Connect's to mount.
                Some(meta)
                    if meta.owner_references().iter().any(|o| {
                        o.kind == "Connect" && o.api_version.starts_with("sluice.dev/")
                    }) =>
                {
                    missing.push(format!(
                        "spec.{field}[{i}]: Secret {} holds a Connect's own credentials, which Sluice keeps to itself: mount a Secret of your own",
                        r.secret_ref
                    ));
                }
                Some(meta) => {
                    versions.insert(r.secret_ref.clone(), meta.resource_version().unwrap_or_default());
                }
                None => missing.push(format!(
                    "spec.{field}[{i}]: Secret {} does not exist in {namespace}: create it, or remove it from spec.{field}",
                    r.secret_ref
                )),
            }
        }
    }
    Ok(if missing.is_empty() { Ok(versions) } else { Err(missing) })
}

/// Why the rendered set was not applied.
enum NotApplied {
    /// The API server refused an object: `Kind name: why`.
    Refused(String),
    /// An object has a rendered object's name and is not the Connect's: `Kind name`.
    Taken(String),
}

/// Applies every rendered object, the StatefulSet last so that what its pods mount exists;
/// returns the StatefulSet as the API server has it now. `before` is the one it had.
///
/// An object that already has a rendered object's name but no owner reference to this
/// Connect (a Service or ConfigMap someone made, or another Connect's) is never taken over:
/// a forced apply would rewrite it, so nothing is applied and the status names it.
///
/// The whole set is first applied as a dry run: an object the API server refuses (a 400,
/// 403 or 422: a worker config over a ConfigMap's 1 MiB, a name too long for a Service,
/// rights the operator lacks) comes back as `Err` naming it and why, with nothing of the set
/// applied, so the workers never get a new config without the StatefulSet that rolls them.
async fn apply_all(
    ctx: &Context,
    connect: &Connect,
    namespace: &str,
    rendered: &render::Rendered,
    before: Option<&StatefulSet>,
) -> Result<Result<StatefulSet, NotApplied>, kube::Error> {
    let owner = connect.controller_owner_ref(&()).expect("a Connect from the API server has a uid");
    if let Some(taken) = taken(ctx, namespace, &owner, rendered, before).await? {
        return Ok(Err(NotApplied::Taken(taken)));
    }
    match apply_set(ctx, namespace, &owner, rendered, Apply::DryRun).await {
        Ok(_) => {}
        Err(Refusal { object, error: kube::Error::Api(status) })
            if matches!(status.code, 400 | 403 | 422) =>
        {
            return Ok(Err(NotApplied::Refused(format!("{object}: {}", status.message))));
        }
        Err(refusal) => return Err(refusal.error),
    }
    let applied = apply_set(ctx, namespace, &owner, rendered, Apply::Write)
        .await
        .map_err(|refusal| refusal.error)?;

    let name = rendered.stateful_set.name_any();
    let before_set = before;
    let before = before.and_then(hash_of);
    let after = hash_of(&rendered.stateful_set);
    // A change that rolls nothing (a Log4j2 level the workers re-read) is told too.
    let files = |set: Option<&StatefulSet>| {
        set.and_then(|s| s.metadata.annotations.as_ref())
            .and_then(|a| a.get(render::FILES_HASH_ANNOTATION).cloned())
    };
    let files_changed = files(before_set) != files(Some(&rendered.stateful_set));
    if before != after || files_changed {
        for warning in &rendered.warnings {
            events::publish(ctx, connect, EventType::Warning, "SpecAdjusted", "Render", warning)
                .await;
        }
    }
    if before != after {
        let note = match before {
            None => format!("Created StatefulSet {name} with {} worker(s)", connect.spec.replicas),
            Some(_) => format!(
                "The worker config, plugin list or a mounted Secret changed: rolling the workers of StatefulSet {name}"
            ),
        };
        info!("{note}");
        events::publish(ctx, connect, EventType::Normal, "Applied", "Apply", &note).await;
    }
    Ok(Ok(applied))
}

/// The first rendered object whose name is taken by an object `owner` does not own, as
/// `Kind name`. `stateful_set` is the StatefulSet already read.
async fn taken(
    ctx: &Context,
    namespace: &str,
    owner: &OwnerReference,
    rendered: &render::Rendered,
    stateful_set: Option<&StatefulSet>,
) -> Result<Option<String>, kube::Error> {
    if let Some(set) = stateful_set
        && !owned_by(set.meta(), owner)
    {
        return Ok(Some(format!("StatefulSet {}", set.name_any())));
    }
    let found = [
        existing(ctx, namespace, &rendered.worker_config).await?,
        existing(ctx, namespace, &rendered.plugin_list).await?,
        existing(ctx, namespace, &rendered.headless).await?,
        existing(ctx, namespace, &rendered.client).await?,
        existing(ctx, namespace, &rendered.pdb).await?,
        match &rendered.network_policy {
            Some(policy) => existing(ctx, namespace, policy).await?,
            None => None,
        },
    ];
    Ok(found.into_iter().flatten().find(|(_, meta)| !owned_by(meta, owner)).map(|(o, _)| o))
}

/// The metadata of the object named like `object`, if one exists, with its `Kind name`.
async fn existing<K>(
    ctx: &Context,
    namespace: &str,
    object: &K,
) -> Result<Option<(String, kube::api::ObjectMeta)>, kube::Error>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let api: Api<K> = Api::namespaced(ctx.client.clone(), namespace);
    let name = object.name_any();
    let found = api.get_metadata_opt(&name).await?;
    Ok(found.map(|m| (format!("{} {name}", K::kind(&())), m.metadata)))
}

/// Whether `meta` names `owner` (by uid) among its owners.
fn owned_by(meta: &kube::api::ObjectMeta, owner: &OwnerReference) -> bool {
    meta.owner_references.iter().flatten().any(|r| r.uid == owner.uid)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Apply {
    DryRun,
    Write,
}

/// A failed apply and the object it was for (`Kind name`).
struct Refusal {
    object: String,
    error: kube::Error,
}

/// One pass over the rendered set, in the order pods need it; the StatefulSet it applied.
async fn apply_set(
    ctx: &Context,
    namespace: &str,
    owner: &OwnerReference,
    rendered: &render::Rendered,
    mode: Apply,
) -> Result<StatefulSet, Refusal> {
    apply::<ConfigMap>(ctx, namespace, owner, &rendered.worker_config, mode).await?;
    apply::<ConfigMap>(ctx, namespace, owner, &rendered.plugin_list, mode).await?;
    apply::<Service>(ctx, namespace, owner, &rendered.headless, mode).await?;
    apply::<Service>(ctx, namespace, owner, &rendered.client, mode).await?;
    apply::<PodDisruptionBudget>(ctx, namespace, owner, &rendered.pdb, mode).await?;
    if let Some(policy) = &rendered.network_policy {
        apply::<NetworkPolicy>(ctx, namespace, owner, policy, mode).await?;
    }
    apply::<StatefulSet>(ctx, namespace, owner, &rendered.stateful_set, mode).await
}

fn hash_of(set: &StatefulSet) -> Option<String> {
    set.spec
        .as_ref()?
        .template
        .metadata
        .as_ref()?
        .annotations
        .as_ref()?
        .get(render::HASH_ANNOTATION)
        .cloned()
}

async fn apply<K>(
    ctx: &Context,
    namespace: &str,
    owner: &OwnerReference,
    object: &K,
    mode: Apply,
) -> Result<K, Refusal>
where
    K: Resource<DynamicType = (), Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + Serialize
        + serde::de::DeserializeOwned
        + std::fmt::Debug,
{
    let mut object = object.clone();
    object.meta_mut().owner_references = Some(vec![owner.clone()]);
    let api: Api<K> = Api::namespaced(ctx.client.clone(), namespace);
    let mut params = PatchParams::apply(FIELD_MANAGER).force();
    params.dry_run = mode == Apply::DryRun;
    api.patch(&object.name_any(), &params, &Patch::Apply(&object)).await.map_err(|error| Refusal {
        object: format!("{} {}", K::kind(&()), object.name_any()),
        error,
    })
}
