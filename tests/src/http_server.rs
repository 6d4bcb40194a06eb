//! A small HTTP/1.1 server for tests: fixed answers by path, including the broken ones a
//! download must survive (truncated bodies, servers that never answer), and a count of the
//! requests each path received.

use std::{
    collections::BTreeMap,
    io::{BufRead, BufReader, Write},
    net::{TcpListener, TcpStream},
    sync::{Arc, Mutex},
    time::Duration,
};

/// What the server answers on a path.
#[derive(Clone, Debug)]
pub enum Reply {
    /// 200 with this body.
    Bytes(Vec<u8>),
    /// This status with an empty body.
    Status(u16),
    /// Claims `claimed` bytes, sends `bytes`, closes.
    Truncated { bytes: Vec<u8>, claimed: usize },
    /// Accepts and never answers.
    Hang,
}

#[derive(Clone, Default)]
pub struct Server {
    routes: Arc<Mutex<BTreeMap<String, Reply>>>,
    hits: Arc<Mutex<BTreeMap<String, usize>>>,
    /// `http://<ip>:<port>`.
    pub base: String,
}

impl Server {
    /// A server on a free loopback port, answering 404 until routes are added.
    pub fn start() -> Self {
        Self::start_on("127.0.0.1")
    }

    /// A server on a free port of `ip` (the real node's bridge address, which its pods reach).
    pub fn start_on(ip: &str) -> Self {
        let listener = TcpListener::bind((ip, 0)).expect("binding a free port");
        let base = format!("http://{}", listener.local_addr().expect("a bound address"));
        let server = Server { base, ..Server::default() };
        let (routes, hits) = (server.routes.clone(), server.hits.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (routes, hits) = (routes.clone(), hits.clone());
                std::thread::spawn(move || serve(stream, &routes, &hits));
            }
        });
        server
    }

    /// Answers `path` with `reply` from now on; returns the path's URL.
    pub fn route(&self, path: &str, reply: Reply) -> String {
        self.routes.lock().unwrap().insert(path.to_owned(), reply);
        format!("{}{path}", self.base)
    }

    /// How many requests `path` received.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn serve(
    mut stream: TcpStream,
    routes: &Mutex<BTreeMap<String, Reply>>,
    hits: &Mutex<BTreeMap<String, usize>>,
) {
    let Ok(clone) = stream.try_clone() else { return };
    let mut reader = BufReader::new(clone);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap_or(0) == 0 || header == "\r\n" {
            break;
        }
    }
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let reply = routes.lock().unwrap().get(&path).cloned().unwrap_or(Reply::Status(404));
    let head = |status: &str, length: usize| {
        format!("HTTP/1.1 {status}\r\ncontent-length: {length}\r\nconnection: close\r\n\r\n")
    };
    let _ = match reply {
        Reply::Status(code) => stream.write_all(head(&format!("{code} Status"), 0).as_bytes()),
        Reply::Bytes(b) => {
            stream.write_all(head("200 OK", b.len()).as_bytes()).and_then(|()| stream.write_all(&b))
        }
        Reply::Truncated { bytes, claimed } => stream
            .write_all(head("200 OK", claimed).as_bytes())
            .and_then(|()| stream.write_all(&bytes)),
        Reply::Hang => {
            std::thread::sleep(Duration::from_secs(30));
            Ok(())
        }
    };
}
