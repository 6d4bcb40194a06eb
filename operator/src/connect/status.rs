//! What a Connect's status says, decided from what the controller observed: the conditions,
//! the resolved plugins, the mounts and the classes the workers offer ([`next_status`]), the
//! Warning Events a change of them calls for ([`announcements`]), and when to look again
//! ([`requeue`]); the rest is how those read what was seen.

use k8s_openapi::api::{apps::v1::StatefulSetStatus, core::v1::Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition;

use crate::conditions::ConditionUpdate;
use crate::connect::render::INSTALLER_CONTAINER;
use crate::connect_wire::PluginInfo;
use crate::crd::{
    ConnectSpec, ConnectStatus, InstalledConnectorClass, MountedSecretStatus, ResolvedPlugin,
};
use crate::plugin_list::PluginArchive;

pub use crate::conditions::READY;
pub const PLUGINS_RESOLVED: &str = "PluginsResolved";
pub const PLUGINS_INSTALLED: &str = "PluginsInstalled";
/// Ready's reason when the API server refused a rendered object (a 400, 403 or 422).
pub const APPLY_REFUSED: &str = "ApplyRefused";
/// Ready's reason when a rendered object's name is taken by an object the Connect does not own.
pub const OBJECT_NOT_OWNED: &str = "ObjectNotOwned";
/// Ready's reason when a field cannot be rendered for the workers' Kafka (a log4j line
/// without a Log4j2 translation): nothing was applied.
pub const SPEC_INVALID: &str = "SpecInvalid";
// The other reasons, by the condition that carries them.
pub const RESOLVED: &str = "Resolved";
pub const PLUGIN_UNRESOLVABLE: &str = "PluginUnresolvable";
pub const SECRET_MISSING: &str = "SecretMissing";
pub const INSTALLED: &str = "Installed";
pub const INSTALL_FAILED: &str = "InstallFailed";
pub const IMAGE_PULL_FAILED: &str = "ImagePullFailed";
pub const WORKERS_READY: &str = "WorkersReady";
pub const WORKERS_NOT_READY: &str = "WorkersNotReady";

/// Everything one reconcile read, and what its apply did, that the status is decided from.
#[derive(Clone)]
pub struct Seen<'a> {
    pub spec: &'a ConnectSpec,
    pub generation: Option<i64>,
    /// Where the cluster's REST API is reachable.
    pub rest_endpoint: String,
    /// The plugins resolved, or a line per plugin that was not.
    pub resolution: Result<&'a [PluginArchive], Vec<String>>,
    /// A line per mounted Secret that does not exist.
    pub missing_secrets: Vec<String>,
    /// The object of the rendered set the API server refused; nothing was applied.
    pub refused: Option<String>,
    /// A line per field that cannot be rendered, naming it and the fix; nothing was applied.
    pub spec_invalid: Vec<String>,
    /// An object (`Kind name`) that has a rendered object's name but is not the Connect's;
    /// nothing was applied.
    pub taken: Option<String>,
    /// The StatefulSet's status as the API server has it after the apply, if it exists.
    pub stateful_set: Option<&'a StatefulSetStatus>,
    /// The workers' pods.
    pub pods: &'a [Pod],
    /// The workers' `GET /connector-plugins`, when they answered.
    pub offered: Option<&'a [PluginInfo]>,
}

/// The status `seen` calls for, from the `previous` one: what was not seen this time (the
/// resolved plugins while resolution fails, the classes while the workers do not answer)
/// stays as it was, since it changes only when the plugins do.
pub fn next_status(
    previous: Option<&ConnectStatus>,
    seen: &Seen<'_>,
    now: jiff::Timestamp,
) -> ConnectStatus {
    let mut next = previous.cloned().unwrap_or_default();
    next.observed_generation = seen.generation;
    next.rest_endpoint = Some(seen.rest_endpoint.clone());
    next.mounts = mounts(seen.spec);
    let ready_replicas = seen.stateful_set.and_then(|s| s.ready_replicas).unwrap_or(0);
    if let Some(set) = seen.stateful_set {
        next.replicas = Some(set.replicas);
        next.ready_replicas = Some(ready_replicas);
    }
    if let (Ok(plugins), true) = (&seen.resolution, seen.missing_secrets.is_empty()) {
        next.plugins = resolved(plugins);
    }
    if let Some(offered) = seen.offered {
        next.installed_connector_classes = classes(offered);
    }
    let observed = Observed {
        resolution: seen.resolution.as_ref().map(|p| p.len()).map_err(Clone::clone),
        missing_secrets: seen.missing_secrets.clone(),
        desired_replicas: seen.spec.replicas,
        ready_replicas,
        install_failures: install_failures(seen.pods),
        installed_somewhere: installer_finished(seen.pods) || ready_replicas > 0,
        image_failures: image_failures(seen.pods),
        refused: seen.refused.clone(),
        spec_invalid: seen.spec_invalid.clone(),
        taken: seen.taken.clone(),
    };
    apply(&mut next.conditions, &observed, seen.generation, now);
    next
}

/// A Warning Event to publish: `(reason, message)`.
pub type Announcement = (String, String);

/// The Warning Events going from conditions `before` to `next` calls for: one for each
/// condition that turned bad or changed its message while bad, and for `Ready` when what
/// blocks it is the user's to fix (a missing Secret, a refused object), so each change is
/// told once and not at every resync.
pub fn announcements(before: &[Condition], next: &[Condition]) -> Vec<Announcement> {
    let changed = |c: &Condition| {
        !crate::conditions::find(before, &c.type_)
            .is_some_and(|b| b.status == c.status && b.message == c.message)
    };
    let told_on_ready = [SECRET_MISSING, APPLY_REFUSED, OBJECT_NOT_OWNED, SPEC_INVALID];
    next.iter()
        .filter(|c| c.status == "False")
        .filter(|c| c.type_ != READY || told_on_ready.contains(&c.reason.as_str()))
        .filter(|c| changed(c))
        .map(|c| (c.reason.clone(), c.message.clone()))
        .collect()
}

/// The shortest wait before looking again at workers that are coming up.
pub const SETTLE_FIRST: std::time::Duration = std::time::Duration::from_secs(2);

/// When to look at the cluster again after a reconcile that ended in `status`.
///
/// A ready cluster, or one that waits on its user (a plugin that does not resolve, a missing
/// Secret, a refused object, an image that cannot be pulled, a failing installer), is looked
/// at every `resync`: a fix to the Connect, and any change of the StatefulSet's readiness,
/// start a reconcile at once. Workers coming up are looked at sooner, since a pod's progress
/// (its installer finishing, a worker starting to answer) does not always change the
/// StatefulSet; the wait grows with how long they have been coming up, a quarter of it, so a
/// cluster that stays unready (no node fits its pods) is not polled in a busy loop.
/// Ready workers whose connector classes were not read yet (their Service not yet routing
/// to them) are asked again on the same growing wait, so the status shows the classes
/// seconds after the workers are ready, not a resync later.
pub fn requeue(
    status: &ConnectStatus,
    now: jiff::Timestamp,
    resync: std::time::Duration,
) -> std::time::Duration {
    let Some(ready) = crate::conditions::find(&status.conditions, READY) else {
        return SETTLE_FIRST.min(resync);
    };
    let since = now.duration_since(ready.last_transition_time.0);
    let since = std::time::Duration::try_from(since).unwrap_or_default();
    let settling = (since / 4).clamp(SETTLE_FIRST, resync.max(SETTLE_FIRST)).min(resync);
    if ready.status == "True" {
        // Ready workers always offer Connect's built-in connectors: none seen means none
        // answered yet.
        return if status.installed_connector_classes.is_empty() { settling } else { resync };
    }
    if ready.reason != WORKERS_NOT_READY {
        return resync;
    }
    settling
}

/// What one reconcile saw, as the conditions need it.
#[derive(Debug)]
struct Observed {
    /// The number of plugins resolved, or a line per plugin that was not.
    pub resolution: Result<usize, Vec<String>>,
    /// A line per mounted Secret that does not exist.
    pub missing_secrets: Vec<String>,
    pub desired_replicas: i32,
    pub ready_replicas: i32,
    /// A line per distinct installer failure in the workers' pods.
    pub install_failures: Vec<String>,
    /// Whether any pod's installer finished, or any worker is ready.
    pub installed_somewhere: bool,
    /// A line per image the kubelet cannot pull (or may not pull), naming it and why.
    pub image_failures: Vec<String>,
    /// The object of the rendered set the API server refused and why; nothing was applied.
    pub refused: Option<String>,
    /// A line per field that cannot be rendered; nothing was applied.
    pub spec_invalid: Vec<String>,
    /// An object with a rendered object's name that the Connect does not own.
    pub taken: Option<String>,
}

impl Default for Observed {
    fn default() -> Self {
        Self {
            resolution: Ok(0),
            missing_secrets: Vec::new(),
            desired_replicas: 0,
            ready_replicas: 0,
            install_failures: Vec::new(),
            installed_somewhere: false,
            image_failures: Vec::new(),
            refused: None,
            spec_invalid: Vec::new(),
            taken: None,
        }
    }
}

/// The conditions `observed` calls for. `PluginsInstalled` is left out while nothing is
/// known about it (no pod has run its installer yet).
fn conditions(observed: &Observed) -> Vec<ConditionUpdate> {
    let mut out = Vec::new();
    let blocked = match &observed.resolution {
        Ok(n) => {
            out.push(ConditionUpdate::new(
                PLUGINS_RESOLVED,
                true,
                RESOLVED,
                format!("{n} plugin(s) resolved to archives with a sha512"),
            ));
            None
        }
        Err(lines) => {
            let message = format!(
                "{}; the workers keep their previous plugins until this is fixed",
                lines.join("; ")
            );
            out.push(ConditionUpdate::new(PLUGINS_RESOLVED, false, PLUGIN_UNRESOLVABLE, message));
            Some((
                PLUGIN_UNRESOLVABLE,
                "a plugin cannot be resolved (see PluginsResolved)".to_owned(),
            ))
        }
    };
    let blocked = blocked.or_else(|| {
        (!observed.missing_secrets.is_empty()).then(|| {
            (
                SECRET_MISSING,
                format!(
                    "{}; the cluster is left as it was until the Secret exists",
                    observed.missing_secrets.join("; ")
                ),
            )
        })
    });
    let blocked = blocked.or_else(|| {
        observed.taken.as_ref().map(|taken| {
            (
                OBJECT_NOT_OWNED,
                format!(
                    "{taken} already exists and is not this Connect's (it has no owner reference to it), so Sluice leaves it untouched and applied nothing: rename or remove that object, or give the Connect another name"
                ),
            )
        })
    });
    let blocked = blocked.or_else(|| {
        (!observed.spec_invalid.is_empty()).then(|| {
            (
                SPEC_INVALID,
                format!(
                    "{}; nothing was applied and the workers run what was applied last",
                    observed.spec_invalid.join("; ")
                ),
            )
        })
    });
    let blocked = blocked.or_else(|| {
        observed.refused.as_ref().map(|refused| {
            (
                APPLY_REFUSED,
                format!(
                    "the API server refused {refused}; nothing was applied and the workers run what was applied last: fix the Connect field that renders it"
                ),
            )
        })
    });
    if !observed.install_failures.is_empty() {
        out.push(ConditionUpdate::new(
            PLUGINS_INSTALLED,
            false,
            INSTALL_FAILED,
            observed.install_failures.join("; "),
        ));
    } else if observed.installed_somewhere {
        out.push(ConditionUpdate::new(
            PLUGINS_INSTALLED,
            true,
            INSTALLED,
            "the plugin installer finished in the workers' pods",
        ));
    }
    let ready = match blocked {
        Some((reason, message)) => ConditionUpdate::new(READY, false, reason, message),
        None if !observed.image_failures.is_empty() => ConditionUpdate::new(
            READY,
            false,
            IMAGE_PULL_FAILED,
            format!(
                "{}: set image.application or image.init to an image the nodes can pull",
                observed.image_failures.join("; ")
            ),
        ),
        None if !observed.install_failures.is_empty() => ConditionUpdate::new(
            READY,
            false,
            INSTALL_FAILED,
            "the plugin installer failed (see PluginsInstalled)",
        ),
        None if observed.ready_replicas >= observed.desired_replicas => ConditionUpdate::new(
            READY,
            true,
            WORKERS_READY,
            format!("{} of {} workers ready", observed.ready_replicas, observed.desired_replicas),
        ),
        None => ConditionUpdate::new(
            READY,
            false,
            WORKERS_NOT_READY,
            format!("{} of {} workers ready", observed.ready_replicas, observed.desired_replicas),
        ),
    };
    out.push(ready);
    out
}

/// Sets the conditions `observed` calls for in `conditions`, and drops `PluginsInstalled`
/// while nothing is known of it (after a fix, before a new pod's installer has finished), so
/// an old failure does not linger.
fn apply(
    conditions: &mut Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition>,
    observed: &Observed,
    generation: Option<i64>,
    now: jiff::Timestamp,
) {
    let updates = self::conditions(observed);
    if updates.iter().all(|u| u.type_ != PLUGINS_INSTALLED) {
        conditions.retain(|c| c.type_ != PLUGINS_INSTALLED);
    }
    for update in updates {
        crate::conditions::set(conditions, update, generation, now);
    }
}

/// Where each mounted Secret and certificate Secret is in the workers.
fn mounts(spec: &ConnectSpec) -> Vec<MountedSecretStatus> {
    super::readable::secret_mounts(spec)
        .into_iter()
        .map(|m| MountedSecretStatus { secret_ref: m.secret, path: m.path })
        .collect()
}

/// The resolved plugins as status shows them (never with download headers).
fn resolved(plugins: &[PluginArchive]) -> Vec<ResolvedPlugin> {
    plugins
        .iter()
        .map(|p| ResolvedPlugin {
            name: p.name.clone(),
            version: p.version.clone(),
            source: p.source.clone(),
            archive_url: crate::text::redacted_url(&p.archive_url),
            sha512: Some(p.sha512.clone()),
        })
        .collect()
}

/// The connector classes of `GET /connector-plugins` (transforms and converters left out).
fn classes(plugins: &[PluginInfo]) -> Vec<InstalledConnectorClass> {
    let mut out: Vec<InstalledConnectorClass> = plugins
        .iter()
        .filter(|p| matches!(p.kind.as_str(), "source" | "sink"))
        .map(|p| InstalledConnectorClass {
            class: p.class.clone(),
            kind: p.kind.clone(),
            version: p.version.clone(),
        })
        .collect();
    out.sort_by(|a, b| a.class.cmp(&b.class));
    out
}

/// The installer failures the pods' init containers report, one line per distinct message,
/// naming the pods. The kubelet keeps the message of the last failed run while the
/// container is in back-off, so a crash-looping installer still shows why.
fn install_failures(pods: &[Pod]) -> Vec<String> {
    let mut lines = Vec::new();
    for pod in pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let statuses = pod.status.as_ref().and_then(|s| s.init_container_statuses.as_ref());
        let init = |c: &&k8s_openapi::api::core::v1::ContainerStatus| {
            c.name == INSTALLER_CONTAINER || c.name == crate::connect::probe::COPY_CONTAINER
        };
        for c in statuses.into_iter().flatten().filter(init) {
            let terminated = [c.state.as_ref(), c.last_state.as_ref()]
                .into_iter()
                .flatten()
                .filter_map(|s| s.terminated.as_ref())
                .find(|t| t.exit_code != 0);
            let Some(t) = terminated else { continue };
            let message = t
                .message
                .as_deref()
                .map(str::trim)
                .filter(|m| !m.is_empty())
                .map(|m| m.lines().collect::<Vec<_>>().join("; "))
                .unwrap_or_else(|| format!("exit code {}", t.exit_code));
            lines.push((name.clone(), message));
        }
    }
    by_line(lines, 2000)
}

/// `(pod, line)` pairs as one `pod a, b: line` per distinct line, in first-seen order, each
/// at most `max` bytes.
fn by_line(pairs: Vec<(String, String)>, max: usize) -> Vec<String> {
    let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
    for (pod, line) in pairs {
        match grouped.iter_mut().find(|(l, _)| *l == line) {
            Some((_, pods)) => pods.push(pod),
            None => grouped.push((line, vec![pod])),
        }
    }
    grouped
        .into_iter()
        .map(|(line, pods)| {
            crate::text::truncate(&format!("pod {}: {line}", pods.join(", ")), max, "…")
        })
        .collect()
}

/// The kubelet's waiting reasons that mean an image will not come by waiting.
const IMAGE_FAILURES: [&str; 4] =
    ["ErrImagePull", "ImagePullBackOff", "ErrImageNeverPull", "InvalidImageName"];

/// The images the pods' containers (installer and worker) cannot get, one line per image
/// and reason, naming the pods and the kubelet's message.
fn image_failures(pods: &[Pod]) -> Vec<String> {
    let mut lines = Vec::new();
    for pod in pods {
        let name = pod.metadata.name.clone().unwrap_or_default();
        let Some(status) = pod.status.as_ref() else { continue };
        let containers = status.init_container_statuses.iter().chain(&status.container_statuses);
        for c in containers.flatten() {
            let Some(waiting) = c.state.as_ref().and_then(|s| s.waiting.as_ref()) else {
                continue;
            };
            let reason = waiting.reason.as_deref().unwrap_or_default();
            if !IMAGE_FAILURES.contains(&reason) {
                continue;
            }
            let why = waiting.message.as_deref().map(str::trim).unwrap_or_default();
            let line = format!(
                "image {} of container {} cannot be pulled ({reason}: {why})",
                c.image, c.name
            );
            lines.push((name.clone(), line));
        }
    }
    by_line(lines, 1000)
}

/// Whether any pod's installer has finished successfully.
fn installer_finished(pods: &[Pod]) -> bool {
    pods.iter().any(|pod| {
        let statuses = pod.status.as_ref().and_then(|s| s.init_container_statuses.as_ref());
        statuses.into_iter().flatten().any(|c| {
            c.name == INSTALLER_CONTAINER
                && c.state
                    .as_ref()
                    .and_then(|s| s.terminated.as_ref())
                    .is_some_and(|t| t.exit_code == 0)
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(replicas: i32) -> ConnectSpec {
        serde_json::from_value(serde_json::json!({
            "replicas": replicas,
            "mountedSecrets": [{"secretRef": "creds"}],
            "dependencies": {"kafka": {"bootstrapEndpoint": "kafka:9092"}},
        }))
        .unwrap()
    }

    fn archive(name: &str) -> PluginArchive {
        serde_json::from_value(serde_json::json!({
            "name": name, "source": "url",
            "archiveUrl": format!("https://u:p@h/{name}.zip?token=t"), "sha512": "ab",
        }))
        .unwrap()
    }

    fn set(replicas: i32, ready: i32) -> StatefulSetStatus {
        StatefulSetStatus { replicas, ready_replicas: Some(ready), ..StatefulSetStatus::default() }
    }

    fn offered(class: &str) -> PluginInfo {
        serde_json::from_value(
            serde_json::json!({"class": class, "type": "source", "version": "1"}),
        )
        .unwrap()
    }

    fn ready_of(status: &ConnectStatus) -> (String, String) {
        let r = crate::conditions::find(&status.conditions, READY).unwrap();
        (r.status.clone(), r.reason.clone())
    }

    #[test]
    fn next_status_decides_from_what_was_seen_and_keeps_what_was_not() {
        let now = jiff::Timestamp::UNIX_EPOCH;
        let spec = spec(2);
        let plugins = [archive("s3")];
        let classes = [offered("org.example.S3Source")];
        let healthy = Seen {
            spec: &spec,
            generation: Some(4),
            rest_endpoint: "http://c.ns.svc:8083".into(),
            resolution: Ok(&plugins),
            missing_secrets: Vec::new(),
            refused: None,
            spec_invalid: Vec::new(),
            taken: None,
            stateful_set: None,
            pods: &[],
            offered: Some(&classes),
        };
        let two_ready = set(2, 2);
        let one_ready = set(2, 1);
        let unresolved =
            || Err(vec!["plugin s3 (spec.build.onDemand.plugins.url[0]): HTTP 404".into()]);
        // (case, seen, Ready status and reason, plugins shown, classes shown)
        let table = [
            (
                "all workers ready",
                Seen { stateful_set: Some(&two_ready), ..healthy.clone() },
                ("True", "WorkersReady"),
                1,
                1,
            ),
            (
                "one of two ready",
                Seen { stateful_set: Some(&one_ready), ..healthy.clone() },
                ("False", "WorkersNotReady"),
                1,
                1,
            ),
            (
                "a plugin unresolvable: the last plugins stay",
                Seen { resolution: unresolved(), ..healthy.clone() },
                ("False", "PluginUnresolvable"),
                1,
                1,
            ),
            (
                "a Secret missing",
                Seen {
                    missing_secrets: vec![
                        "spec.mountedSecrets[0]: Secret creds does not exist".into(),
                    ],
                    ..healthy.clone()
                },
                ("False", "SecretMissing"),
                1,
                1,
            ),
            (
                "an object refused",
                Seen {
                    refused: Some("ConfigMap c-config: too long".into()),
                    stateful_set: Some(&two_ready),
                    ..healthy.clone()
                },
                ("False", APPLY_REFUSED),
                1,
                1,
            ),
            (
                "workers not answering: the last classes stay",
                Seen { offered: None, stateful_set: Some(&two_ready), ..healthy.clone() },
                ("True", "WorkersReady"),
                1,
                1,
            ),
        ];
        let previous =
            next_status(None, &Seen { stateful_set: Some(&two_ready), ..healthy.clone() }, now);
        for (case, seen, (status, reason), plugins, classes) in table {
            let next = next_status(Some(&previous), &seen, now);
            assert_eq!(ready_of(&next), (status.to_owned(), reason.to_owned()), "{case}");
            assert_eq!(next.plugins.len(), plugins, "{case}");
            assert_eq!(next.installed_connector_classes.len(), classes, "{case}");
            assert_eq!(next.observed_generation, Some(4), "{case}");
            assert_eq!(next.mounts[0].path, "/mnt/secrets/creds", "{case}");
            assert_eq!(next.rest_endpoint.as_deref(), Some("http://c.ns.svc:8083"), "{case}");
            // The status never shows a URL's credentials.
            assert_eq!(next.plugins[0].archive_url, "https://h/s3.zip", "{case}");
        }
        // Nothing known yet: no worker counts, and an unresolved first try shows no plugins.
        let first = next_status(None, &Seen { resolution: unresolved(), ..healthy.clone() }, now);
        assert_eq!((first.replicas, first.plugins.len()), (None, 0));
    }

    #[test]
    fn a_change_is_announced_once_and_only_what_the_user_can_fix_on_ready() {
        let c = |type_: &str, status: &str, reason: &str, message: &str| Condition {
            type_: type_.into(),
            status: status.into(),
            reason: reason.into(),
            message: message.into(),
            last_transition_time: k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(
                jiff::Timestamp::UNIX_EPOCH,
            ),
            observed_generation: None,
        };
        let unresolved = c(PLUGINS_RESOLVED, "False", "PluginUnresolvable", "plugin s3: 404");
        let missing = c(READY, "False", "SecretMissing", "Secret creds does not exist");
        let not_ready = c(READY, "False", "WorkersNotReady", "0 of 2 workers ready");
        let refused = c(READY, "False", APPLY_REFUSED, "the API server refused ConfigMap c-config");
        // (case, conditions before, conditions next, the reasons told)
        type Case<'a> = (&'a str, Vec<Condition>, Vec<Condition>, &'a [&'a str]);
        let table: [Case<'_>; 7] = [
            ("a condition turns bad", vec![], vec![unresolved.clone()], &["PluginUnresolvable"]),
            ("still bad, same message", vec![unresolved.clone()], vec![unresolved.clone()], &[]),
            (
                "still bad, new message",
                vec![unresolved.clone()],
                vec![c(PLUGINS_RESOLVED, "False", "PluginUnresolvable", "plugin s3: 500")],
                &["PluginUnresolvable"],
            ),
            ("workers starting is no news", vec![], vec![not_ready.clone()], &[]),
            (
                "a missing Secret is",
                vec![not_ready.clone()],
                vec![missing.clone()],
                &["SecretMissing"],
            ),
            ("a refused object is", vec![not_ready], vec![refused.clone()], &[APPLY_REFUSED]),
            ("and only once", vec![refused.clone()], vec![refused], &[]),
        ];
        for (case, before, next, want) in table {
            let told: Vec<String> =
                announcements(&before, &next).into_iter().map(|(r, _)| r).collect();
            assert_eq!(told, want, "{case}");
        }
    }

    fn pod(name: &str, state: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {"name": name},
            "status": {"initContainerStatuses": [{
                "name": "install-plugins", "image": "i", "imageID": "", "ready": false,
                "restartCount": 1, "state": state,
            }]}
        }))
        .unwrap()
    }

    #[test]
    fn unresolvable_plugins_block_readiness_and_name_the_plugin() {
        let observed = Observed {
            resolution: Err(vec!["plugin s3 (spec.build.onDemand.plugins.confluentHub[0]): Confluent Hub has no plugin".into()]),
            desired_replicas: 2,
            ..Observed::default()
        };
        let c = conditions(&observed);
        assert_eq!(c[0].type_, PLUGINS_RESOLVED);
        assert!(!c[0].status);
        assert!(
            c[0].message.starts_with("plugin s3 (spec.build.onDemand.plugins.confluentHub[0])")
        );
        assert!(
            c[0].message.ends_with("the workers keep their previous plugins until this is fixed")
        );
        let ready = c.iter().find(|c| c.type_ == READY).unwrap();
        assert_eq!((ready.status, ready.reason), (false, "PluginUnresolvable"));
    }

    #[test]
    fn an_object_the_connect_does_not_own_blocks_readiness_and_is_named() {
        let observed = Observed {
            resolution: Ok(1),
            desired_replicas: 1,
            ready_replicas: 1,
            taken: Some("Service c".into()),
            ..Observed::default()
        };
        let ready = conditions(&observed).into_iter().find(|c| c.type_ == READY).unwrap();
        assert_eq!((ready.status, ready.reason), (false, OBJECT_NOT_OWNED));
        assert!(ready.message.starts_with("Service c already exists and is not this Connect's"));
        assert!(ready.message.contains("applied nothing"), "{}", ready.message);
        let before = [];
        let mut next = Vec::new();
        apply(&mut next, &observed, Some(1), jiff::Timestamp::UNIX_EPOCH);
        let told = announcements(&before, &next);
        assert!(told.iter().any(|(reason, _)| reason == OBJECT_NOT_OWNED), "{told:?}");
    }

    #[test]
    fn a_field_that_cannot_be_rendered_blocks_readiness_and_is_told() {
        let observed = Observed {
            resolution: Ok(1),
            desired_replicas: 1,
            ready_replicas: 1,
            spec_invalid: vec!["spec.configOverrides.log4j[0] \"x\" is no key=value line".into()],
            ..Observed::default()
        };
        let mut next = Vec::new();
        apply(&mut next, &observed, Some(1), jiff::Timestamp::UNIX_EPOCH);
        let ready = crate::conditions::find(&next, READY).unwrap();
        assert_eq!((ready.status.as_str(), ready.reason.as_str()), ("False", SPEC_INVALID));
        assert!(ready.message.starts_with("spec.configOverrides.log4j[0]"), "{}", ready.message);
        let told = announcements(&[], &next);
        assert!(told.iter().any(|(reason, _)| reason == SPEC_INVALID), "{told:?}");
    }

    #[test]
    fn a_refused_object_blocks_readiness_and_says_nothing_was_applied() {
        let observed = Observed {
            resolution: Ok(1),
            desired_replicas: 1,
            ready_replicas: 1,
            refused: Some("StatefulSet c: spec.template.spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1".into()),
            ..Observed::default()
        };
        let ready = conditions(&observed).into_iter().find(|c| c.type_ == READY).unwrap();
        assert_eq!((ready.status, ready.reason), (false, APPLY_REFUSED));
        assert!(ready.message.starts_with("the API server refused StatefulSet c: spec.template.spec.containers[0].resources.requests"), "{}", ready.message);
        assert!(ready.message.contains("nothing was applied"), "{}", ready.message);
        // A missing Secret is reported first: nothing was rendered for the API server to refuse.
        let both = Observed {
            missing_secrets: vec!["spec.mountedSecrets[0]: Secret s does not exist".into()],
            ..observed
        };
        let ready = conditions(&both).into_iter().find(|c| c.type_ == READY).unwrap();
        assert_eq!(ready.reason, "SecretMissing");
    }

    #[test]
    fn readiness_counts_workers_and_install_failures_win() {
        let mut observed = Observed {
            resolution: Ok(1),
            desired_replicas: 2,
            ready_replicas: 1,
            ..Observed::default()
        };
        let ready = |o: &Observed| conditions(o).into_iter().find(|c| c.type_ == READY).unwrap();
        assert_eq!(
            (ready(&observed).reason, ready(&observed).message.as_str()),
            ("WorkersNotReady", "1 of 2 workers ready")
        );
        observed.ready_replicas = 2;
        assert!(ready(&observed).status);
        assert!(conditions(&observed).iter().all(|c| c.type_ != PLUGINS_INSTALLED));
        observed.install_failures = vec!["pod c-1: plugin x: sha512 mismatch".into()];
        assert_eq!(ready(&observed).reason, "InstallFailed");
        let installed =
            conditions(&observed).into_iter().find(|c| c.type_ == PLUGINS_INSTALLED).unwrap();
        assert_eq!(installed.message, "pod c-1: plugin x: sha512 mismatch");
    }

    #[test]
    fn an_old_install_failure_does_not_linger_once_no_pod_reports_it() {
        let mut conditions = Vec::new();
        let now = jiff::Timestamp::UNIX_EPOCH;
        let failing = Observed {
            install_failures: vec!["pod c-0: plugin x: HTTP 404".into()],
            desired_replicas: 1,
            ..Observed::default()
        };
        apply(&mut conditions, &failing, Some(1), now);
        assert!(conditions.iter().any(|c| c.type_ == PLUGINS_INSTALLED && c.status == "False"));
        let fixed = Observed { desired_replicas: 1, ..Observed::default() };
        apply(&mut conditions, &fixed, Some(2), now);
        assert!(conditions.iter().all(|c| c.type_ != PLUGINS_INSTALLED), "{conditions:?}");
        let ready = conditions.iter().find(|c| c.type_ == READY).unwrap();
        assert_eq!(ready.reason, "WorkersNotReady");
    }

    #[test]
    fn install_failures_come_from_the_current_or_last_run_and_are_grouped() {
        let failed = serde_json::json!({"terminated": {"exitCode": 1, "message": "plugin s3: HTTP 404 from https://h/s3.zip\n"}});
        let waiting = serde_json::json!({"waiting": {"reason": "CrashLoopBackOff"}});
        let mut backing_off = pod("c-1", waiting);
        backing_off.status.as_mut().unwrap().init_container_statuses.as_mut().unwrap()[0]
            .last_state = Some(serde_json::from_value(failed.clone()).unwrap());
        let pods = [
            pod("c-0", failed),
            backing_off,
            pod("c-2", serde_json::json!({"terminated": {"exitCode": 0}})),
        ];
        assert_eq!(
            install_failures(&pods),
            ["pod c-0, c-1: plugin s3: HTTP 404 from https://h/s3.zip"]
        );
        assert!(installer_finished(&pods));
    }

    #[test]
    fn an_image_that_cannot_be_pulled_is_named_with_the_kubelets_reason() {
        let mut p = pod("connect-0", serde_json::json!({}));
        let status = p.status.as_mut().unwrap();
        status.container_statuses = Some(vec![
            serde_json::from_value(serde_json::json!({
                "name": "connect", "image": "confluentinc/cp-server-connect:7.0.1", "imageID": "",
                "ready": false, "restartCount": 0,
                "state": {"waiting": {"reason": "ErrImagePull", "message": "failed to pull: connection refused"}}
            }))
            .unwrap(),
        ]);
        let mut q = p.clone();
        q.metadata.name = Some("connect-1".into());
        let lines = image_failures(&[p, q]);
        assert_eq!(
            lines,
            [
                "pod connect-0, connect-1: image confluentinc/cp-server-connect:7.0.1 of container connect cannot be pulled (ErrImagePull: failed to pull: connection refused)"
            ]
        );
        let observed =
            Observed { desired_replicas: 2, image_failures: lines, ..Observed::default() };
        let ready = conditions(&observed).into_iter().find(|c| c.type_ == READY).unwrap();
        assert_eq!(ready.reason, "ImagePullFailed");
        assert!(ready.message.contains("cp-server-connect:7.0.1"), "{}", ready.message);
        // A container merely starting is not a failure.
        let starting =
            pod("connect-2", serde_json::json!({"waiting": {"reason": "PodInitializing"}}));
        assert!(image_failures(&[starting]).is_empty());
    }

    #[test]
    fn a_cluster_is_looked_at_sooner_only_while_its_workers_come_up() {
        let resync = std::time::Duration::from_secs(60);
        let now = jiff::Timestamp::from_second(10_000).unwrap();
        let with_ready = |status: bool, reason: &str, since_s: i64| {
            let mut s = ConnectStatus::default();
            crate::conditions::set(
                &mut s.conditions,
                ConditionUpdate::new(READY, status, "x", ""),
                Some(1),
                now - jiff::SignedDuration::from_secs(since_s),
            );
            s.conditions[0].reason = reason.to_owned();
            s
        };
        let secs = std::time::Duration::from_secs;
        let with_classes = |mut s: ConnectStatus| {
            s.installed_connector_classes = vec![InstalledConnectorClass {
                class: "org.apache.kafka.connect.mirror.MirrorSourceConnector".into(),
                kind: "source".into(),
                version: None,
            }];
            s
        };
        // (case, status, the wait)
        let table = [
            ("never reconciled", ConnectStatus::default(), SETTLE_FIRST),
            ("ready", with_classes(with_ready(true, WORKERS_READY, 5)), resync),
            ("ready, classes not read yet", with_ready(true, WORKERS_READY, 5), SETTLE_FIRST),
            ("ready 40 s, classes not read yet", with_ready(true, WORKERS_READY, 40), secs(10)),
            ("ready an hour, never answering", with_ready(true, WORKERS_READY, 3600), resync),
            ("just rolled", with_ready(false, WORKERS_NOT_READY, 1), SETTLE_FIRST),
            ("coming up 40 s", with_ready(false, WORKERS_NOT_READY, 40), secs(10)),
            ("unready for an hour", with_ready(false, WORKERS_NOT_READY, 3600), resync),
            ("a missing Secret", with_ready(false, SECRET_MISSING, 1), resync),
            ("a plugin that does not resolve", with_ready(false, PLUGIN_UNRESOLVABLE, 1), resync),
            ("a refused object", with_ready(false, APPLY_REFUSED, 1), resync),
            ("an image that cannot be pulled", with_ready(false, IMAGE_PULL_FAILED, 1), resync),
            ("a failing installer", with_ready(false, INSTALL_FAILED, 1), resync),
        ];
        for (case, status, want) in table {
            assert_eq!(requeue(&status, now, resync), want, "{case}");
        }
        let short = secs(1);
        let status = with_ready(false, WORKERS_NOT_READY, 100);
        assert_eq!(requeue(&status, now, short), short, "never later than the resync");
    }

    #[test]
    fn only_connector_classes_are_listed_sorted() {
        let infos: Vec<PluginInfo> = serde_json::from_value(serde_json::json!([
            {"class": "b.Sink", "type": "sink", "version": "1"},
            {"class": "x.Transform", "type": "transformation"},
            {"class": "a.Source", "type": "source", "version": "1"},
        ]))
        .unwrap();
        let names: Vec<_> = classes(&infos).into_iter().map(|c| c.class).collect();
        assert_eq!(names, ["a.Source", "b.Sink"]);
    }
}
