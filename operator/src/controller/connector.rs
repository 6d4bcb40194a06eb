//! The Connector controller: keeps one connector on a Connect cluster as its resource says.
//! Observe (the cluster's cached listing), plan (pure), act (REST calls, Events, status).

use std::{sync::Arc, time::Duration};

use futures::StreamExt;
use kube::{
    Api, ResourceExt,
    api::{Patch, PatchParams},
    runtime::{
        controller::Action as Requeue,
        events::EventType,
        finalizer::{self, Event as Finalizer},
        reflector::ObjectRef,
        watcher,
    },
};
use tokio_stream::wrappers::UnboundedReceiverStream;
use tracing::{debug, info, warn};

use super::connect_access::{self, AccessError, Target};
use super::error::{Category, Error};
use super::{Context, events, restart_policy, status_write, transforms};
use crate::connect::readable;
use crate::connect_rest::RestError;
use crate::connector::{
    Action, Adoption, DesiredConnector, ObservedConnector, Plan, PlanInput, annotations, plan,
    restart::{self, DEFAULT_MAX_RETRY, Decision},
    status::{self, Outcome, describe_action, next_status},
};
use crate::crd::{ConfigFieldError, Connector, ConnectorStatus, RestartPolicyType};
use crate::redact::Redactor;

const FINALIZER: &str = "sluice.dev/connector";
/// After an action, Connect takes a moment to start tasks; look again soon rather than at
/// the next resync, so status shows the result within seconds.
const SETTLE_INTERVAL: Duration = Duration::from_secs(1);
/// The first retry after Connect failed to answer; later ones wait as long as the outage has
/// lasted, up to the resync interval, so a dead cluster is not polled in a busy loop.
const FIRST_RETRY: Duration = Duration::from_secs(2);
/// How soon to look again when the watch cache held an older Connector than the API server.
const STALE_RETRY: Duration = Duration::from_millis(200);

pub async fn run(ctx: Arc<Context>) {
    let triggers = UnboundedReceiverStream::new(ctx.take_connector_triggers()).map(|t| {
        crate::metrics::queued(CONTROLLER, -1);
        t
    });
    let controller = super::runner::controller(
        CONTROLLER,
        ctx.watch::<Connector>(watcher::Config::default().any_semantic()),
        ctx.health.clone(),
    )
    .reconcile_on(triggers);
    super::runner::run(CONTROLLER, controller, reconcile, ctx).await;
}

/// The `controller` label of this controller's metrics.
pub(super) const CONTROLLER: &str = "connector";

#[tracing::instrument(skip_all, fields(namespace = connector.namespace(), name = connector.name_any()))]
async fn reconcile(connector: Arc<Connector>, ctx: Arc<Context>) -> Result<Requeue, Error> {
    let namespace = connector.namespace().ok_or(Error::NoNamespace("Connector"))?;
    let api: Api<Connector> = Api::namespaced(ctx.client.clone(), &namespace);
    finalizer::finalizer(&api, FINALIZER, connector, |event| async {
        match event {
            Finalizer::Apply(c) => apply(&c, &api, &ctx).await,
            Finalizer::Cleanup(c) => cleanup(&c, &ctx).await,
        }
    })
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)))
}

/// Everything one reconcile of one Connector works with.
struct Run<'a> {
    connector: &'a Connector,
    api: &'a Api<Connector>,
    ctx: &'a Context,
    now: jiff::Timestamp,
    /// The status as this reconcile last wrote it (at first, as it was read). Every write
    /// builds on it, so the claim written before a create is kept by a write after a
    /// failed or timed-out create; built on the status as read, that write dropped the
    /// claim, and the connector the create had made was refused as not Sluice's.
    written: std::sync::Mutex<Option<ConnectorStatus>>,
}

async fn apply(
    connector: &Connector,
    api: &Api<Connector>,
    ctx: &Context,
) -> Result<Requeue, Error> {
    let run = Run {
        connector,
        api,
        ctx,
        now: jiff::Timestamp::now(),
        written: std::sync::Mutex::new(connector.status.clone()),
    };
    let target = match target(connector, ctx).await {
        Ok(t) => t,
        Err(AccessError::Kube(e)) => return Err(e.into()),
        Err(AccessError::Pending(message)) => return Err(Error::Unavailable(message)),
        Err(AccessError::Spec(message)) => {
            run.invalid_spec("", message).await?;
            // The Connect or Secret it names may be created later; look again then.
            return Ok(Requeue::requeue(ctx.settings.resync));
        }
    };
    let mut desired = match DesiredConnector::from_resource(connector) {
        Ok(d) => d,
        Err(e) => return run.invalid_spec(&target.label, e.to_string()).await,
    };
    let mut transform_secrets = Vec::new();
    if !connector.spec.config_transforms.is_empty() {
        let namespace = connector.namespace().unwrap_or_default();
        let transforms = &connector.spec.config_transforms;
        match transforms::apply(ctx, &namespace, &desired.name, transforms, desired.config.clone())
            .await
        {
            Ok(t) => {
                desired.config = t.config;
                transform_secrets = t.secret_values;
                for warning in &t.warnings {
                    run.event(EventType::Warning, "TransformSkipped", "Transform", warning).await;
                }
            }
            Err((message, read)) => {
                let secrets = target.secret_values.iter().cloned().chain(read);
                let message = Redactor::new(&desired.config, secrets).redact(&message);
                run.invalid_spec(&target.label, message).await?;
                // The Policy may load later; look again rather than wait for a spec change.
                return Ok(Requeue::requeue(ctx.settings.resync));
            }
        }
    }
    // After the transforms: what they emit is read by the workers too.
    if let Some(message) = readable::first_refused(&desired.config, &target.readable, &target.label)
    {
        run.invalid_spec(&target.label, message).await?;
        // The fix may be on the Connect (a Secret mounted); look again then.
        return Ok(Requeue::requeue(ctx.settings.resync));
    }
    let redactor = Redactor::new(
        &desired.config,
        target.secret_values.iter().cloned().chain(transform_secrets),
    );

    // While a connector settles (just created, restarted, resumed), its tasks change within
    // seconds: look at a listing at most SETTLE_INTERVAL old rather than waiting for the
    // resync to show RUNNING. A settled connector reads the resync's listing.
    let settling = connector.status.as_ref().is_none_or(|s| {
        crate::conditions::find(&s.conditions, status::PROGRESSING)
            .is_none_or(|c| c.status != "False")
    });
    let max_age = if settling { SETTLE_INTERVAL } else { ctx.settings.resync };
    let listing = match ctx
        .cache
        .listing(
            &target.key,
            &target.client,
            &desired.name,
            ObjectRef::from_obj(connector),
            max_age,
        )
        .await
    {
        Ok(l) => l,
        Err(e) => return run.unavailable(&target, &e.0, &redactor).await,
    };
    let previous_status = connector.status.as_ref();
    let observed = listing
        .get(&desired.name)
        .and_then(ObservedConnector::from_expanded)
        .map(|o| o.redacted(&redactor));
    let previous_name = previous_status.and_then(|s| s.previous_connector_name.as_deref());
    let one_offs = annotations::one_offs(connector.annotations());
    let policy = connector.spec.restart_policy.as_ref();
    let max_retry = policy
        .and_then(|p| p.max_retry)
        .map_or(DEFAULT_MAX_RETRY, |m| u32::try_from(m).unwrap_or(0));
    let history = status::history(previous_status);
    let mut policy_decision = None;
    if let (Some(p), Some(obs)) = (policy, observed.as_ref())
        && p.kind == RestartPolicyType::Policy
        && restart::failure(obs).is_some()
    {
        let policy_name = p.policy_ref.as_ref().map_or("", |r| r.name.as_str());
        let settled = restart::observe_history(obs, history, run.now, &ctx.settings.backoff);
        let namespace = connector.namespace().unwrap_or_default();
        let subject = restart_policy::Subject {
            namespace: &namespace,
            policy_name,
            connector_name: &desired.name,
            observed: obs,
            history: &settled,
            max_retry,
            now: run.now,
        };
        let (asked, warning) = restart_policy::ask(ctx, &subject).await;
        if let Some(warning) = warning {
            run.event(
                EventType::Warning,
                "RestartPolicyFailed",
                "Decide",
                &redactor.redact(&warning),
            )
            .await;
        }
        if let restart_policy::Asked::Decision(d) = asked {
            policy_decision = Some(d);
        }
    }
    let input = PlanInput {
        desired: &desired,
        observed: observed.as_ref(),
        owned: previous_status.and_then(|s| s.connector_name.as_deref()),
        previous: previous_name.map(|n| (n, listing.contains_key(n))),
        adopt: match (annotations::adopt(connector.annotations()), &target.adoption) {
            (false, _) => Adoption::NotAsked,
            (true, Ok(())) => Adoption::Allowed,
            (true, Err(how)) => Adoption::Refused { how },
        },
        one_offs: &one_offs,
        held: status::held(previous_status, connector.metadata.generation),
        restart_policy: policy.map_or(RestartPolicyType::OnFailure, |p| p.kind),
        max_retry,
        history,
        policy_decision,
        backoff: ctx.settings.backoff,
        now: run.now,
        worker_version: ctx.cache.version(&target.key, &target.client).await,
    };
    let mut plan = plan(&input);
    // The controller reconciles the object in its watch cache, which can lag a write Sluice
    // just made (a status hold, cleared annotations); acting on a stale object could undo
    // what the newer one asks (resume a connector a newer status holds paused, or the
    // reverse). Actions are rare, so confirm the object is current before taking one.
    if !plan.actions.is_empty() && !run.is_current().await? {
        debug!("the cached Connector is older than the API server's; waiting for the newer one");
        return Ok(Requeue::requeue(STALE_RETRY));
    }

    if let Some(blocked) = &plan.blocked {
        if !run.condition_is(status::READY, blocked.reason) {
            run.event(EventType::Warning, blocked.reason, "Reconcile", &blocked.message).await;
        }
        // Only a connector that is Sluice's has its state mirrored.
        let ours = blocked.reason != status::CONNECTOR_NOT_OWNED;
        let observed = observed.as_ref().filter(|_| ours);
        let outcome = Outcome::Observed { desired: &desired, observed, plan: &plan };
        run.write_outcome(&target.label, &outcome).await?;
        return Ok(Requeue::requeue(ctx.settings.resync));
    }

    if plan.actions.iter().any(|a| matches!(a, Action::Create { .. } | Action::UpdateConfig))
        && let Some(requeue) = run.validate(&target, &desired, &redactor).await?
    {
        return Ok(requeue);
    }
    // Record the name as Sluice's before creating it, so that a crash between the two
    // cannot leave a connector that Sluice would then refuse as not its own.
    if plan.claim.is_some() && plan.actions.iter().any(|a| matches!(a, Action::Create { .. })) {
        let mut claimed = run.last_written().unwrap_or_default();
        claimed.connector_name = plan.claim.clone();
        claimed.previous_connector_name = plan.previous.clone();
        run.write(claimed).await?;
    }

    let drift = run.is_drift(observed.as_ref());
    // The backoff counts from the restart the worker was asked for, not from the start of
    // this reconcile: the reads before it (Secrets, the listing, the freshness check) can
    // take most of a second on a loaded node, and a next reconcile that reads faster would
    // then restart sooner than the backoff allows.
    let counted_restart = plan.history.last_restart == Some(run.now);
    let mut restarted_at = None;
    for action in &plan.actions {
        if counted_restart && matches!(action, Action::RestartFailed | Action::RestartConnector) {
            restarted_at = Some(jiff::Timestamp::now());
        }
        if let Err(e) = act(&target, &desired, action).await {
            ctx.cache.invalidate(&target.key).await;
            if e.is_retryable() {
                return run.unavailable(&target, &e, &redactor).await;
            }
            let message = redactor.redact(&e.to_string());
            run.event(EventType::Warning, "ConnectRejected", action_name(action), &message).await;
            let outcome = Outcome::Rejected { message };
            run.write_outcome(&target.label, &outcome).await?;
            return Ok(Requeue::requeue(ctx.settings.resync));
        }
        info!(connector = %desired.name, action = action_name(action), "acted on Connect");
        let note = match (action, drift) {
            (Action::Create { .. }, true) => {
                format!(
                    "Re-created connector {} on {}: it was deleted outside Sluice",
                    desired.name, target.label
                )
            }
            (Action::UpdateConfig, true) => {
                format!(
                    "Restored the config of connector {} on {}: it was changed outside Sluice",
                    desired.name, target.label
                )
            }
            _ => format!(
                "{} ({}) on {}",
                capitalised(&describe_action(action)),
                desired.name,
                target.label
            ),
        };
        let reason = if drift && matches!(action, Action::Create { .. } | Action::UpdateConfig) {
            "DriftRestored"
        } else {
            action_name(action)
        };
        run.event(EventType::Normal, reason, action_name(action), &note).await;
    }
    if let Some(at) = restarted_at {
        plan.history.last_restart = Some(at);
    }
    if !plan.actions.is_empty() {
        ctx.cache.invalidate(&target.key).await;
    }
    run.announce_decision(&plan).await;
    for warning in &plan.warnings {
        run.event(EventType::Warning, "BadAnnotation", "Annotation", warning).await;
    }
    run.clear_annotations(&plan.clear_annotations).await?;

    let outcome = Outcome::Observed { desired: &desired, observed: observed.as_ref(), plan: &plan };
    let status = next_status(
        run.last_written().as_ref(),
        connector.metadata.generation,
        &target.label,
        &outcome,
        run.now,
    );
    let settled = plan.actions.is_empty()
        && crate::conditions::find(&status.conditions, status::PROGRESSING)
            .is_some_and(|c| c.status == "False");
    run.write(status).await?;
    Ok(requeue_after(&plan, settled, run.now, ctx.settings.resync))
}

/// When to look again: at a restart's due time, soon while settling, else at the resync.
fn requeue_after(plan: &Plan, settled: bool, now: jiff::Timestamp, resync: Duration) -> Requeue {
    if let Some(Decision::Wait { until, .. }) = &plan.decision {
        let wait = Duration::try_from(until.duration_since(now)).unwrap_or_default();
        return Requeue::requeue(wait.clamp(Duration::from_millis(100), resync));
    }
    Requeue::requeue(if settled { resync } else { SETTLE_INTERVAL.min(resync) })
}

async fn act(
    target: &Target,
    desired: &DesiredConnector,
    action: &Action,
) -> Result<(), RestError> {
    let c = &target.client;
    let name = desired.name.as_str();
    match action {
        // Connect's listing can lag a create by a moment, so a reconcile right after one may
        // try again; "already exists" then means the first create worked.
        Action::Create { initial_state } => {
            match c.create(name, &desired.config, *initial_state).await {
                Err(RestError::Status { status: 409, message, .. })
                    if message.contains("already exists") =>
                {
                    Ok(())
                }
                other => other,
            }
        }
        Action::UpdateConfig => c.put_config(name, &desired.config).await,
        Action::Pause => c.pause(name).await,
        Action::Resume => c.resume(name).await,
        Action::Stop => c.stop(name).await,
        Action::RestartFailed => c.restart(name, true, true).await,
        Action::RestartConnector => c.restart(name, true, false).await,
        Action::RestartTask(id) => c.restart_task(name, *id).await,
        Action::DeletePrevious(previous) => c.delete(previous).await,
    }
}

fn action_name(action: &Action) -> &'static str {
    match action {
        Action::Create { .. } => "CreateConnector",
        Action::UpdateConfig => "UpdateConfig",
        Action::Pause => "PauseConnector",
        Action::Resume => "ResumeConnector",
        Action::Stop => "StopConnector",
        Action::RestartFailed => "RestartFailed",
        Action::RestartConnector => "RestartConnector",
        Action::RestartTask(_) => "RestartTask",
        Action::DeletePrevious(_) => "DeletePreviousName",
    }
}

fn capitalised(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

impl Run<'_> {
    fn generation(&self) -> Option<i64> {
        self.connector.metadata.generation
    }

    /// Whether the object being reconciled is the API server's latest version.
    async fn is_current(&self) -> Result<bool, Error> {
        let latest = self.api.get_metadata(&self.connector.name_any()).await?;
        Ok(latest.metadata.resource_version == self.connector.metadata.resource_version)
    }

    fn condition_is(&self, type_: &str, reason: &str) -> bool {
        self.connector
            .status
            .as_ref()
            .and_then(|s| crate::conditions::find(&s.conditions, type_))
            .is_some_and(|c| c.reason == reason)
    }

    /// A change Sluice did not ask for: the spec is the one already applied, yet Connect's
    /// connector differs from it (or is gone).
    fn is_drift(&self, observed: Option<&ObservedConnector>) -> bool {
        let Some(status) = &self.connector.status else { return false };
        status.observed_generation == self.generation()
            && status.connector_state.is_some()
            && (observed.is_none() || status.config_errors.is_empty())
    }

    async fn invalid_spec(&self, label: &str, message: String) -> Result<Requeue, Error> {
        if !self.condition_is(status::READY, status::INVALID_SPEC)
            || self.connector.status.as_ref().and_then(|s| s.observed_generation)
                != self.generation()
        {
            self.event(EventType::Warning, status::INVALID_SPEC, "Reconcile", &message).await;
        }
        let outcome = Outcome::InvalidSpec { message };
        self.write_outcome(label, &outcome).await?;
        Ok(Requeue::await_change())
    }

    /// Validates the config with Connect before it is applied. `Some` ends the reconcile.
    async fn validate(
        &self,
        target: &Target,
        desired: &DesiredConnector,
        redactor: &Redactor,
    ) -> Result<Option<Requeue>, Error> {
        let class = self.connector.spec.class.as_str();
        let (message, errors) = match target.client.validate(class, &desired.config).await {
            Ok(infos) if infos.error_count == 0 => return Ok(None),
            Ok(infos) => {
                let errors: Vec<ConfigFieldError> = infos
                    .configs
                    .into_iter()
                    .filter(|c| !c.value.errors.is_empty())
                    .map(|c| ConfigFieldError {
                        errors: c.value.errors.iter().map(|e| redactor.redact(e)).collect(),
                        name: c.value.name,
                    })
                    .collect();
                let summary: Vec<String> = errors
                    .iter()
                    .map(|e| format!("spec.configs.{}: {}", e.name, e.errors.join("; ")))
                    .collect();
                (format!("Connect rejected the config: {}", summary.join(", ")), errors)
            }
            // Connect answers 500 for a class it does not have (Kafka 3.9).
            Err(RestError::Status { status: 500, message: ref m, .. })
                if m.contains(class) || m.contains("Failed to find any class") =>
            {
                (
                    format!(
                        "spec.class {class} is not a connector plugin installed on the Connect cluster {}: install its plugin or fix the class name",
                        target.label
                    ),
                    vec![],
                )
            }
            // Kafka 3.4 answers a config its connector refuses outright (a sink without
            // topics) with a 500 carrying the ConfigException, where later workers answer 200
            // with the errors: the user's to fix, not a worker to wait for.
            Err(RestError::Status { status: 500, message: ref m, .. })
                if m.contains("ConfigException") =>
            {
                (redactor.redact(&format!("Connect rejected the config: {m}")), vec![])
            }
            Err(e) if e.is_retryable() => {
                return self.unavailable(target, &e, redactor).await.map(Some);
            }
            Err(e) => (redactor.redact(&format!("Connect rejected the config: {e}")), vec![]),
        };
        let repeated = self.condition_is(status::READY, status::CONFIG_INVALID)
            && self.connector.status.as_ref().is_some_and(|s| {
                s.config_errors == errors && s.observed_generation == self.generation()
            });
        if !repeated {
            self.event(EventType::Warning, status::CONFIG_INVALID, "ValidateConfig", &message)
                .await;
        }
        let outcome = Outcome::ConfigInvalid { message, errors };
        self.write_outcome(&target.label, &outcome).await?;
        Ok(Some(Requeue::requeue(self.ctx.settings.resync)))
    }

    async fn unavailable(
        &self,
        target: &Target,
        error: &RestError,
        redactor: &Redactor,
    ) -> Result<Requeue, Error> {
        let message = match error {
            RestError::Status { status: status @ (401 | 403), .. } => format!(
                "Connect at {} refused Sluice's credentials ({status}): check the Secret named in connectRest.authentication and the worker's users",
                target.label
            ),
            _ => redactor.redact(&error.to_string()),
        };
        warn!(%message, "Connect unavailable; nothing changed");
        let previous = self.last_written();
        let since = previous
            .as_ref()
            .and_then(|s| crate::conditions::find(&s.conditions, status::CONNECT_UNAVAILABLE))
            .filter(|c| c.status == "True")
            .map(|c| c.last_transition_time.0);
        if since.is_none() {
            self.event(EventType::Warning, "ConnectUnavailable", "Observe", &message).await;
        }
        let outcome = Outcome::Unavailable { message };
        self.write_outcome(&target.label, &outcome).await?;
        let outage = since
            .map(|s| Duration::try_from(self.now.duration_since(s)).unwrap_or_default())
            .unwrap_or_default();
        Ok(Requeue::requeue(outage.clamp(FIRST_RETRY, self.ctx.settings.resync.max(FIRST_RETRY))))
    }

    async fn announce_decision(&self, plan: &Plan) {
        let Some(decision) = &plan.decision else { return };
        let last = self.connector.status.as_ref().and_then(|s| s.last_decision.as_ref());
        let new = last.is_none_or(|d| d.action != decision.name());
        match decision {
            Decision::GiveUp { reason } if new => {
                self.event(EventType::Warning, "RetriesExhausted", "RestartPolicy", reason).await
            }
            Decision::Wait { reason, .. } if new => {
                self.event(EventType::Normal, "BackingOff", "RestartPolicy", reason).await
            }
            _ => {}
        }
    }

    async fn clear_annotations(&self, keys: &[&str]) -> Result<(), Error> {
        if keys.is_empty() {
            return Ok(());
        }
        let annotations: serde_json::Map<String, serde_json::Value> =
            keys.iter().map(|k| ((*k).to_owned(), serde_json::Value::Null)).collect();
        let patch = serde_json::json!({ "metadata": { "annotations": annotations } });
        self.api
            .patch(&self.connector.name_any(), &PatchParams::default(), &Patch::Merge(patch))
            .await?;
        Ok(())
    }

    /// Writes the status that `outcome` leads to from the current one; a failure it reports
    /// is counted by category, as a returned error would be.
    async fn write_outcome(&self, label: &str, outcome: &Outcome<'_>) -> Result<(), Error> {
        let category = match outcome {
            Outcome::Observed { .. } => None,
            Outcome::InvalidSpec { .. } => Some(Category::InvalidSpec),
            Outcome::ConfigInvalid { .. } => Some(Category::ConfigInvalid),
            Outcome::Rejected { .. } => Some(Category::ConnectRejected),
            Outcome::Unavailable { .. } => Some(Category::ConnectUnavailable),
        };
        if let Some(category) = category {
            crate::metrics::failure(CONTROLLER, category.as_str());
        }
        self.write(next_status(
            self.last_written().as_ref(),
            self.generation(),
            label,
            outcome,
            self.now,
        ))
        .await
    }

    async fn write(&self, status: ConnectorStatus) -> Result<(), Error> {
        if self.last_written().as_ref() == Some(&status) {
            return Ok(());
        }
        status_write::apply(self.api, self.connector, &status).await?;
        *self.written.lock().expect("written status") = Some(status);
        Ok(())
    }

    fn last_written(&self) -> Option<ConnectorStatus> {
        self.written.lock().expect("written status").clone()
    }

    async fn event(&self, type_: EventType, reason: &str, action: &str, note: &str) {
        events::publish(self.ctx, self.connector, type_, reason, action, note).await;
    }
}

async fn cleanup(connector: &Connector, ctx: &Context) -> Result<Requeue, Error> {
    // Whatever follows, the cluster's poller no longer watches this Connector.
    ctx.cache.release(&kube::runtime::reflector::ObjectRef::from_obj(connector)).await;
    let status = connector.status.as_ref();
    // Only names Sluice created: a connector it never owned is never deleted.
    let names: Vec<&str> = status
        .into_iter()
        .flat_map(|s| [s.connector_name.as_deref(), s.previous_connector_name.as_deref()])
        .flatten()
        .collect();
    if names.is_empty() {
        return Ok(Requeue::await_change());
    }
    let target = match target(connector, ctx).await {
        Ok(t) => t,
        Err(AccessError::Kube(e)) => return Err(e.into()),
        // The Connect is there and its credentials should be: the finalizer waits for them,
        // up to the deadline.
        Err(AccessError::Pending(message)) => {
            return give_up_or_retry(connector, ctx, &names, "Connect", message).await;
        }
        Err(AccessError::Spec(message)) => {
            // Without a way to reach Connect the connector cannot be deleted; keeping the
            // finalizer would block the namespace forever, so let the resource go and say so.
            let note = format!(
                "Could not delete connector(s) {} from Connect: {message}",
                names.join(", ")
            );
            events::publish(
                ctx,
                connector,
                EventType::Warning,
                "DeleteSkipped",
                "DeleteConnector",
                &note,
            )
            .await;
            return Ok(Requeue::await_change());
        }
    };
    for (i, name) in names.iter().enumerate() {
        if let Err(e) = target.client.delete(name).await {
            let message = format!("cannot delete connector {name} from {}: {e}", target.label);
            return give_up_or_retry(connector, ctx, &names[i..], &target.label, message).await;
        }
        let note = format!("Deleted connector {name} from {}", target.label);
        events::publish(
            ctx,
            connector,
            EventType::Normal,
            "DeleteConnector",
            "DeleteConnector",
            &note,
        )
        .await;
    }
    ctx.cache.invalidate(&target.key).await;
    Ok(Requeue::await_change())
}

/// After a failed delete: retry (an error, so the runner backs off), or, past the deadline
/// or with the Connector's say-so, let it go with a Warning naming what was left on Connect.
async fn give_up_or_retry(
    connector: &Connector,
    ctx: &Context,
    left_on_connect: &[&str],
    cluster: &str,
    error: String,
) -> Result<Requeue, Error> {
    use crate::connector::deletion::{AfterFailure, after_failure};
    let requested = connector.metadata.deletion_timestamp.as_ref().map(|t| t.0);
    let decision = after_failure(
        connector.annotations(),
        requested,
        jiff::Timestamp::now(),
        ctx.settings.delete_timeout,
    );
    match decision {
        AfterFailure::Retry { left } => {
            let message = format!(
                "{error}; will retry, and after {}s more let the Connector go (or now, with {}=true)",
                left.as_secs(),
                crate::connector::deletion::ABANDON_ON_DELETE
            );
            events::publish(
                ctx,
                connector,
                EventType::Warning,
                "DeleteFailed",
                "DeleteConnector",
                &message,
            )
            .await;
            Err(Error::DeleteFailed(message))
        }
        AfterFailure::Release(why) => {
            let note = format!(
                "Left connector(s) {} on {cluster}: {why}; the last attempt: {error}. Delete them there by hand if that cluster comes back",
                left_on_connect.join(", ")
            );
            events::publish(
                ctx,
                connector,
                EventType::Warning,
                "DeleteAbandoned",
                "DeleteConnector",
                &note,
            )
            .await;
            Ok(Requeue::await_change())
        }
    }
}

/// The Connect cluster of `connector`, as the operator's settings reach it.
async fn target(
    connector: &Connector,
    ctx: &Context,
) -> Result<connect_access::Target, AccessError> {
    let template = &ctx.settings.connect.rest_url_template;
    connect_access::resolve(connector, &ctx.client, &ctx.clients, template, &ctx.settings.external)
        .await
}
