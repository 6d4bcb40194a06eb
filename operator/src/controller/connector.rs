//! The Connector controller: keeps one connector on a Connect cluster as its resource says.

use std::{sync::Arc, time::Duration};

use futures::StreamExt;
use kube::{
    Api, Resource, ResourceExt,
    api::{Patch, PatchParams},
    runtime::{
        Controller,
        controller::Action as Requeue,
        events::{Event, EventType},
        finalizer::{self, Event as Finalizer},
        watcher,
    },
};
use thiserror::Error;
use tracing::{info, warn};

use super::{Context, FIELD_MANAGER};
use crate::connect_rest::{ConnectClient, RestError};
use crate::connector::{
    Action, DesiredConnector, ObservedConnector, plan,
    status::{Outcome, next_status},
};
use crate::crd::{Connector, ConnectorStatus};

const FINALIZER: &str = "sluice.dev/connector";
/// After an action, Connect takes a moment to start tasks; look again soon rather than at
/// the next resync, so status shows the result within seconds.
const SETTLE_INTERVAL: Duration = Duration::from_secs(2);
/// Connect unreachable: retry, but not in a busy loop.
const UNAVAILABLE_RETRY: Duration = Duration::from_secs(10);

#[derive(Error, Debug)]
pub enum Error {
    #[error("Kubernetes API: {0}")]
    Kube(#[from] kube::Error),
    #[error("finalizer: {0}")]
    Finalizer(#[source] Box<finalizer::Error<Error>>),
    #[error("the Connector has no namespace")]
    NoNamespace,
    /// The finalizer stays until the connector is gone from Connect.
    #[error("{0}")]
    DeleteFailed(String),
}

pub async fn run(ctx: Context) {
    let api: Api<Connector> = ctx.watched();
    let ctx = Arc::new(ctx);
    Controller::new(api, watcher::Config::default().any_semantic())
        .shutdown_on_signal()
        .run(reconcile, error_policy, ctx)
        .for_each(|result| async move {
            if let Err(e) = result {
                warn!(error = %e, "connector reconcile failed");
            }
        })
        .await;
}

#[tracing::instrument(skip_all, fields(namespace = connector.namespace(), name = connector.name_any()))]
async fn reconcile(connector: Arc<Connector>, ctx: Arc<Context>) -> Result<Requeue, Error> {
    let namespace = connector.namespace().ok_or(Error::NoNamespace)?;
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

fn error_policy(_: Arc<Connector>, error: &Error, ctx: Arc<Context>) -> Requeue {
    warn!(%error, "will retry");
    Requeue::requeue(ctx.settings.resync.min(UNAVAILABLE_RETRY))
}

/// The Connect cluster a Connector runs on: its REST client and how status names it.
fn connect_target(connector: &Connector, ctx: &Context) -> Result<(ConnectClient, String), String> {
    let (endpoint, label) =
        match (&connector.spec.connect_rest, &connector.spec.connect_cluster_ref) {
            (Some(rest), _) => (rest.endpoint.clone(), rest.endpoint.clone()),
            (None, Some(cluster)) => {
                let namespace =
                    cluster.namespace.clone().or_else(|| connector.namespace()).unwrap_or_default();
                (
                    crate::connect_endpoint::in_cluster_url(&cluster.name, &namespace),
                    format!("{namespace}/{}", cluster.name),
                )
            }
            (None, None) => {
                return Err("set spec.connectClusterRef or spec.connectRest.endpoint".into());
            }
        };
    ConnectClient::new(ctx.http.clone(), &endpoint)
        .map(|client| (client, label))
        .map_err(|e| format!("spec.connectRest.endpoint {endpoint:?} is not a URL: {e}"))
}

async fn apply(
    connector: &Connector,
    api: &Api<Connector>,
    ctx: &Context,
) -> Result<Requeue, Error> {
    let generation = connector.metadata.generation;
    let previous = connector.status.as_ref();
    let now = jiff::Timestamp::now();
    let (client, cluster) = match connect_target(connector, ctx) {
        Ok(target) => target,
        Err(message) => {
            let outcome = Outcome::InvalidSpec { message: message.clone() };
            let status = next_status(previous, generation, "", &outcome, now);
            warn_event(ctx, connector, "InvalidSpec", "Reconcile", &message).await;
            write_status(api, connector, status).await?;
            return Ok(Requeue::await_change());
        }
    };
    let desired = match DesiredConnector::from_resource(connector) {
        Ok(d) => d,
        Err(e) => {
            let outcome = Outcome::InvalidSpec { message: e.to_string() };
            let status = next_status(previous, generation, &cluster, &outcome, now);
            warn_event(ctx, connector, "InvalidSpec", "Reconcile", &e.to_string()).await;
            write_status(api, connector, status).await?;
            return Ok(Requeue::await_change());
        }
    };

    let observed = match client.list_expanded().await {
        Ok(mut all) => {
            all.remove(&desired.name).and_then(|entry| ObservedConnector::from_expanded(&entry))
        }
        Err(e) => return unavailable(connector, api, ctx, previous, &cluster, &e).await,
    };
    let actions = plan(&desired, observed.as_ref());
    for action in &actions {
        if let Err(e) = act(&client, &desired, action).await {
            if e.is_retryable() {
                return unavailable(connector, api, ctx, previous, &cluster, &e).await;
            }
            let message = e.to_string();
            warn_event(ctx, connector, "ConnectRejected", action_name(action), &message).await;
            let outcome = Outcome::Rejected { message };
            write_status(
                api,
                connector,
                next_status(previous, generation, &cluster, &outcome, now),
            )
            .await?;
            return Ok(Requeue::requeue(ctx.settings.resync));
        }
        info!(connector = %desired.name, action = action_name(action), "acted on Connect");
        let note =
            format!("{} connector {} on {}", action_past(action), desired.name, client.endpoint());
        event(ctx, connector, EventType::Normal, action_name(action), action_name(action), &note)
            .await;
    }
    let outcome =
        Outcome::Observed { desired: &desired, observed: observed.as_ref(), actions: &actions };
    let status = next_status(previous, generation, &cluster, &outcome, now);
    let settled = actions.is_empty()
        && crate::conditions::find(&status.conditions, crate::connector::status::PROGRESSING)
            .is_some_and(|c| c.status == "False")
        && crate::conditions::find(&status.conditions, crate::connector::status::READY)
            .is_some_and(|c| c.status == "True");
    write_status(api, connector, status).await?;
    Ok(if settled {
        Requeue::requeue(ctx.settings.resync)
    } else {
        Requeue::requeue(SETTLE_INTERVAL.min(ctx.settings.resync))
    })
}

async fn act(
    client: &ConnectClient,
    desired: &DesiredConnector,
    action: &Action,
) -> Result<(), RestError> {
    match action {
        Action::Create { initial_state } => {
            client.create(&desired.name, &desired.config, *initial_state).await
        }
        Action::UpdateConfig => client.put_config(&desired.name, &desired.config).await,
        Action::Pause => client.pause(&desired.name).await,
        Action::Resume => client.resume(&desired.name).await,
        Action::Stop => client.stop(&desired.name).await,
    }
}

fn action_name(action: &Action) -> &'static str {
    match action {
        Action::Create { .. } => "CreateConnector",
        Action::UpdateConfig => "UpdateConfig",
        Action::Pause => "PauseConnector",
        Action::Resume => "ResumeConnector",
        Action::Stop => "StopConnector",
    }
}

fn action_past(action: &Action) -> &'static str {
    match action {
        Action::Create { .. } => "Created",
        Action::UpdateConfig => "Updated the config of",
        Action::Pause => "Paused",
        Action::Resume => "Resumed",
        Action::Stop => "Stopped",
    }
}

async fn unavailable(
    connector: &Connector,
    api: &Api<Connector>,
    ctx: &Context,
    previous: Option<&ConnectorStatus>,
    cluster: &str,
    error: &RestError,
) -> Result<Requeue, Error> {
    let message = error.to_string();
    warn!(%message, "Connect unavailable; nothing changed");
    let outcome = Outcome::Unavailable { message: message.clone() };
    let status = next_status(
        previous,
        connector.metadata.generation,
        cluster,
        &outcome,
        jiff::Timestamp::now(),
    );
    let changed = previous != Some(&status);
    if changed {
        warn_event(ctx, connector, "ConnectUnavailable", "Observe", &message).await;
    }
    write_status(api, connector, status).await?;
    Ok(Requeue::requeue(UNAVAILABLE_RETRY.min(ctx.settings.resync)))
}

async fn cleanup(connector: &Connector, ctx: &Context) -> Result<Requeue, Error> {
    let name = connector
        .status
        .as_ref()
        .and_then(|s| s.connector_name.clone())
        .or_else(|| DesiredConnector::from_resource(connector).ok().map(|d| d.name));
    let (Some(name), Ok((client, _))) = (name, connect_target(connector, ctx)) else {
        return Ok(Requeue::await_change());
    };
    match client.delete(&name).await {
        Ok(()) => {
            let note = format!("Deleted connector {name} from {}", client.endpoint());
            event(ctx, connector, EventType::Normal, "DeleteConnector", "DeleteConnector", &note)
                .await;
            Ok(Requeue::await_change())
        }
        Err(e) => {
            // Keep the finalizer: deleting the resource while the connector still runs would
            // orphan it on the Connect cluster.
            let message = format!("cannot delete connector {name}: {e}");
            warn_event(ctx, connector, "DeleteFailed", "DeleteConnector", &message).await;
            Err(Error::DeleteFailed(message))
        }
    }
}

async fn write_status(
    api: &Api<Connector>,
    connector: &Connector,
    status: ConnectorStatus,
) -> Result<(), Error> {
    if connector.status.as_ref() == Some(&status) {
        return Ok(());
    }
    let patch = serde_json::json!({
        "apiVersion": Connector::api_version(&()),
        "kind": Connector::kind(&()),
        "status": status,
    });
    api.patch_status(
        &connector.name_any(),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(patch),
    )
    .await?;
    Ok(())
}

async fn warn_event(ctx: &Context, connector: &Connector, reason: &str, action: &str, note: &str) {
    event(ctx, connector, EventType::Warning, reason, action, note).await;
}

async fn event(
    ctx: &Context,
    connector: &Connector,
    type_: EventType,
    reason: &str,
    action: &str,
    note: &str,
) {
    let ev = Event {
        type_,
        reason: reason.into(),
        note: Some(note.into()),
        action: action.into(),
        secondary: None,
    };
    if let Err(e) = ctx.recorder.publish(&ev, &connector.object_ref(&())).await {
        warn!(error = %e, "cannot record event");
    }
}
