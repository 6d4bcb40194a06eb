//! The operator's own HTTP endpoint: `/metrics` (Prometheus text), `/healthz` (liveness),
//! `/readyz` (readiness), and with test hooks on, `POST /debug/stop/{controller}`, which
//! aborts a controller's task as a fault would. Plain HTTP: it carries no secret, and the
//! chart exposes it only inside the cluster.

use std::net::SocketAddr;
use std::sync::Arc;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tracing::{info, warn};

use crate::controller::health::Health;

/// What the endpoint answers from.
pub struct Endpoint {
    pub health: Arc<Health>,
    /// Whether `/debug/stop/{controller}` works (`--enable-test-hooks`).
    pub test_hooks: bool,
}

/// Binds the endpoint's address; a taken port fails the start rather than leaving the
/// operator without probes.
pub async fn bind(addr: SocketAddr) -> std::io::Result<tokio::net::TcpListener> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    info!(addr = %listener.local_addr()?, "serving /metrics, /healthz and /readyz");
    Ok(listener)
}

/// Serves `endpoint` on `listener` for as long as the process runs: probes keep answering
/// through a graceful shutdown, and the runtime's end stops the task.
pub async fn serve(listener: tokio::net::TcpListener, endpoint: Endpoint) {
    let endpoint = Arc::new(endpoint);
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                warn!(error = %e, "accepting a connection failed");
                continue;
            }
        };
        let endpoint = endpoint.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req| {
                let endpoint = endpoint.clone();
                async move { Ok::<_, std::convert::Infallible>(answer(&endpoint, &req)) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn answer<B>(endpoint: &Endpoint, req: &Request<B>) -> Response<Full<Bytes>> {
    let path = req.uri().path();
    match (req.method(), path) {
        (&Method::GET, "/metrics") => match crate::metrics::render() {
            Some(text) => reply(
                StatusCode::OK,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
                text,
            ),
            None => text(StatusCode::NOT_FOUND, "metrics are off\n".into()),
        },
        (&Method::GET, "/healthz") => probe(endpoint.health.liveness(std::time::Instant::now())),
        (&Method::GET, "/readyz") => probe(endpoint.health.readiness()),
        (&Method::POST, p) if endpoint.test_hooks && p.starts_with("/debug/stop/") => {
            let name = &p["/debug/stop/".len()..];
            if endpoint.health.stop(name) {
                warn!(controller = name, "test hook: controller stopped");
                text(StatusCode::OK, format!("stopped {name}\n"))
            } else {
                text(StatusCode::NOT_FOUND, format!("no controller {name}\n"))
            }
        }
        _ => text(StatusCode::NOT_FOUND, "not found: /metrics, /healthz, /readyz\n".into()),
    }
}

fn probe(result: Result<(), String>) -> Response<Full<Bytes>> {
    match result {
        Ok(()) => text(StatusCode::OK, "ok\n".into()),
        Err(why) => text(StatusCode::SERVICE_UNAVAILABLE, format!("{why}\n")),
    }
}

fn text(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    reply(status, "text/plain; charset=utf-8", body)
}

fn reply(status: StatusCode, content_type: &str, body: String) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    if let Ok(v) = hyper::header::HeaderValue::from_str(content_type) {
        response.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    response
}
