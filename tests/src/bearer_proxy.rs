//! A reverse proxy that lets through only requests with one bearer token, in front of a
//! real Connect worker: what a worker behind an API gateway or an OAuth-checking REST
//! extension looks like to Sluice. Kafka ships no bearer-token extension, so the check sits
//! in front; everything behind it is the real worker's.

use std::{
    io::{BufReader, Read, Write},
    net::{TcpListener, TcpStream},
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    thread,
};

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The request's `Authorization` header.
    pub authorization: Option<String>,
    /// The status the client got: 401 from the proxy, or the worker's.
    pub status: u16,
}

/// A running proxy on 127.0.0.1; stops when dropped.
pub struct BearerProxy {
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
}

impl BearerProxy {
    /// Forwards to `upstream` (`http://host:port`) what carries `Authorization: Bearer
    /// <token>`; answers anything else 401, as the basic-auth extension does.
    pub fn start(upstream: &str, token: &str) -> Self {
        let upstream = upstream.trim_start_matches("http://").trim_end_matches('/').to_owned();
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("a free port");
        let addr = listener.local_addr().expect("bound");
        let proxy = Self {
            url: format!("http://{addr}"),
            seen: Arc::default(),
            stop: Arc::default(),
            addr,
        };
        let (seen, stop) = (proxy.seen.clone(), proxy.stop.clone());
        let expected = format!("Bearer {token}");
        thread::spawn(move || {
            for client in listener.incoming() {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let Ok(client) = client else { continue };
                let (seen, upstream, expected) = (seen.clone(), upstream.clone(), expected.clone());
                thread::spawn(move || {
                    let _ = serve(client, &upstream, &expected, &seen);
                });
            }
        });
        proxy
    }

    /// Every request so far.
    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().expect("seen lock").clone()
    }
}

impl Drop for BearerProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Serves one client connection, request by request.
fn serve(
    client: TcpStream,
    upstream: &str,
    expected: &str,
    seen: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(client.try_clone()?);
    let mut client = client;
    loop {
        let Some(request) = crate::http_wire::read_request(&mut reader) else { return Ok(()) };
        let (method, path) = (request.method.clone(), request.target.clone());
        let authorization = request.header("authorization").map(str::to_owned);
        // The rest go to the worker as they came, but for the connection's own headers.
        let headers: Vec<String> = request
            .headers
            .iter()
            .filter(|(k, _)| {
                !k.eq_ignore_ascii_case("connection") && !k.eq_ignore_ascii_case("keep-alive")
            })
            .map(|(k, v)| format!("{k}: {v}"))
            .collect();
        let body = &request.body;
        let record = |status| {
            seen.lock().expect("seen lock").push(Seen {
                method: method.clone(),
                path: path.clone(),
                authorization: authorization.clone(),
                status,
            });
        };
        if authorization.as_deref() != Some(expected) {
            record(401);
            let text = "User cannot access the resource.";
            write!(
                client,
                "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
                text.len()
            )?;
            continue;
        }
        // One upstream connection per request, closed by the worker after its answer, which
        // is passed on byte for byte (its own `Connection: close` tells the client too).
        let mut worker = TcpStream::connect(upstream)?;
        let mut request = format!("{method} {path} HTTP/1.1\r\n");
        for header in &headers {
            request.push_str(header);
            request.push_str("\r\n");
        }
        request.push_str("Connection: close\r\n\r\n");
        worker.write_all(request.as_bytes())?;
        worker.write_all(body)?;
        let mut answer = Vec::new();
        worker.read_to_end(&mut answer)?;
        let status = String::from_utf8_lossy(&answer)
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        record(status);
        client.write_all(&answer)?;
        // The worker closed its side; the client will not reuse this connection either.
        return Ok(());
    }
}
