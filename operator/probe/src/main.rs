//! `sluice-probe`: the Connect workers' readiness probe, run by the kubelet as an `exec` in
//! the worker container (the operator's `connect::probe` says why an exec). It asks the
//! worker in its own pod, on loopback, over TLS and with the basic-auth credentials of the
//! mounted login file, and exits 0 when Connect serves:
//! - `GET /health` (KIP-1017, Kafka 3.9+) 200: the herder has ticked; 503 while it starts
//!   and 500 when its thread is stuck are not ready;
//! - a 404 there is a worker older than 3.9, or one whose REST resources are not registered
//!   yet: then `GET /connectors` 200 is ready.
//!
//! It prints one line saying why not (the kubelet shows it in the pod's events), never a
//! credential.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime, pem::PemObject};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};

/// What the probe was told.
struct Args {
    port: u16,
    ca: String,
    login: String,
    host: String,
    timeout: Duration,
}

fn main() -> ExitCode {
    match parse(std::env::args().skip(1)).and_then(|args| probe(&args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("sluice-probe: {why}");
            ExitCode::FAILURE
        }
    }
}

fn parse(mut words: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut args = Args {
        port: 8083,
        ca: String::new(),
        login: String::new(),
        host: "localhost".into(),
        timeout: Duration::from_secs(4),
    };
    while let Some(flag) = words.next() {
        let value = words.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--port" => args.port = value.parse().map_err(|_| format!("--port {value}"))?,
            "--ca" => args.ca = value,
            "--login" => args.login = value,
            // The name the certificate holds for this pod; the kubelet passes the container's
            // environment to an exec probe.
            "--host-env" => {
                if let Ok(host) = std::env::var(&value)
                    && !host.is_empty()
                {
                    args.host = host;
                }
            }
            "--host" => args.host = value,
            "--timeout-seconds" => {
                let seconds: u64 =
                    value.parse().map_err(|_| format!("--timeout-seconds {value}"))?;
                args.timeout = Duration::from_secs(seconds.max(1));
            }
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    if args.ca.is_empty() || args.login.is_empty() {
        return Err("usage: sluice-probe --ca CA.pem --login LOGIN.properties [--port P] [--host-env VAR | --host NAME] [--timeout-seconds S]".into());
    }
    Ok(args)
}

fn probe(args: &Args) -> Result<(), String> {
    // One deadline for everything, within the kubelet's timeout.
    let deadline = Instant::now() + args.timeout;
    let authorization = authorization(&read(&args.login)?)?;
    let tls = tls_config(&read(&args.ca)?)?;
    let ask = |path: &str| get(args, deadline, &tls, &authorization, path);
    match verdict(ask("/health")?, || ask("/connectors")) {
        Verdict::Ready => Ok(()),
        Verdict::NotReady(why) => Err(why),
    }
}

/// An answer: the status code and the start of the body.
type Answer = (u16, String);

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Ready,
    NotReady(String),
}

/// Ready or not from `/health`'s answer, asking `/connectors` only when `/health` is 404.
fn verdict(health: Answer, connectors: impl FnOnce() -> Result<Answer, String>) -> Verdict {
    match health {
        (200, _) => Verdict::Ready,
        (404, _) => match connectors() {
            Ok((200, _)) => Verdict::Ready,
            Ok((code, body)) => Verdict::NotReady(format!(
                "GET /health answered 404 and GET /connectors {code}: Connect's REST resources are not there yet {body}"
            )),
            Err(why) => Verdict::NotReady(why),
        },
        (code, body) => Verdict::NotReady(format!("GET /health answered {code} {body}")),
    }
}

fn read(path: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("reading {path}: {e}"))
}

/// `Basic ...` for the first `user=password` line of the login file
/// (`PropertyFileLoginModule`'s format).
fn authorization(login: &[u8]) -> Result<String, String> {
    let text = std::str::from_utf8(login).map_err(|_| "the login file is not UTF-8".to_owned())?;
    let (user, password) = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .find_map(|l| l.split_once(['=', ':']))
        .ok_or_else(|| "the login file holds no user=password line".to_owned())?;
    let pair = format!("{}:{}", user.trim(), password.trim());
    Ok(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair)))
}

fn tls_config(ca: &[u8]) -> Result<Arc<rustls::ClientConfig>, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca) {
        let cert = cert.map_err(|e| format!("the CA bundle: {e}"))?;
        roots.add(cert).map_err(|e| format!("the CA bundle: {e}"))?;
    }
    if roots.is_empty() {
        return Err("the CA bundle holds no certificate".into());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| e.to_string())?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(ChainOnly(chain)))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Checks the listener's chain against the Connect's CAs, but not the name: a certificate
/// of the user's own (`spec.tls.secretRef`) may name only the Services, and the workers'
/// own client pins trust the same way. The probe talks to its own pod on loopback, so the
/// CA is what tells the worker's listener from anything else.
#[derive(Debug)]
struct ChainOnly(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for ChainOnly {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        match self.0.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

/// One `GET path` to the worker on loopback, by `args.host` (the SNI name and `Host`),
/// answered before `deadline`.
fn get(
    args: &Args,
    deadline: Instant,
    tls: &Arc<rustls::ClientConfig>,
    authorization: &str,
    path: &str,
) -> Result<Answer, String> {
    let left = || {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() { Err(format!("GET {path}: no answer in time")) } else { Ok(left) }
    };
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    let tcp = TcpStream::connect_timeout(&address, left()?)
        .map_err(|e| format!("connecting to {address}: {e}"))?;
    tcp.set_write_timeout(Some(left()?)).map_err(|e| e.to_string())?;
    let name = ServerName::try_from(args.host.clone())
        .map_err(|_| format!("{} is no server name", args.host))?;
    let connection = rustls::ClientConnection::new(tls.clone(), name).map_err(|e| e.to_string())?;
    let mut stream = rustls::StreamOwned::new(connection, tcp);
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {}:{}\r\nAuthorization: {authorization}\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
        args.host, args.port
    );
    stream.write_all(request.as_bytes()).map_err(|e| format!("GET {path}: {e}"))?;
    // The status line and a little of the body are all the probe needs.
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while head.len() < 4096 {
        stream.sock.set_read_timeout(Some(left()?)).map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => head.extend_from_slice(&buf[..n]),
            // The worker may close without TLS close_notify once it has answered.
            Err(_) if !head.is_empty() => break,
            Err(e) => return Err(format!("GET {path}: {e}")),
        }
    }
    parse_answer(&head).ok_or_else(|| format!("GET {path}: no HTTP answer"))
}

fn parse_answer(head: &[u8]) -> Option<Answer> {
    let text = String::from_utf8_lossy(head);
    let status = text.lines().next()?;
    let code = status.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let body: String = body.chars().filter(|c| !c.is_control()).take(200).collect();
    Some((code, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_decides_and_connectors_answers_only_for_a_404() {
        let never = || -> Result<Answer, String> { panic!("asked /connectors") };
        assert_eq!(verdict((200, String::new()), never), Verdict::Ready);
        let starting = verdict((503, r#"{"status":"starting"}"#.into()), never);
        assert_eq!(
            starting,
            Verdict::NotReady(r#"GET /health answered 503 {"status":"starting"}"#.into())
        );
        let stuck = verdict((500, "unhealthy".into()), never);
        assert!(matches!(stuck, Verdict::NotReady(why) if why.contains("500")));
        assert_eq!(verdict((404, String::new()), || Ok((200, "[]".into()))), Verdict::Ready);
        let not_yet = verdict((404, String::new()), || Ok((404, String::new())));
        assert!(matches!(not_yet, Verdict::NotReady(why) if why.contains("/connectors 404")));
        let auth = verdict((401, String::new()), never);
        assert!(matches!(auth, Verdict::NotReady(why) if why.contains("401")));
    }

    #[test]
    fn the_login_file_gives_a_basic_header_and_the_answer_its_code() {
        let header = authorization(b"# users\nsluice=s3cret\n").unwrap();
        assert_eq!(
            header,
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("sluice:s3cret"))
        );
        assert!(authorization(b"\n").is_err());
        let answer = parse_answer(
            b"HTTP/1.1 503 Service Unavailable\r\nA: b\r\n\r\n{\"status\":\"starting\"}",
        );
        assert_eq!(answer, Some((503, "{\"status\":\"starting\"}".into())));
        assert_eq!(parse_answer(b"garbage"), None);
    }
}
