//! Installer throughput on a 200 MB archive beside `sha512sum` plus `unzip` of the same file
//! in the same run, and wall time for 10 plugins installed in parallel vs one after another.
//! The archives are served over loopback by `python3 -m http.server`, so the installer's
//! figure includes the download; the baseline reads a local file.
//!
//! `cargo bench -p sluice --bench installer` (`SLUICE_BENCH_ARCHIVE_MB` changes the size).

use std::{
    collections::BTreeMap,
    io::Write,
    path::Path,
    process::{Child, Command},
    time::{Duration, Instant},
};

use sha2::{Digest, Sha512};
use sluice::installer::{self, Options, PluginArchive, PluginList};
use sluice_e2e::http_server::{Reply, Server};

/// A zip of `files` files of `mb_each` MiB of incompressible bytes (like jars inside a
/// plugin archive, which deflate cannot shrink further).
fn write_zip(path: &Path, files: usize, mb_each: usize, seed: u64) {
    let mut w = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(false);
    let mut state = seed | 1;
    let mut chunk = vec![0u8; 1 << 20];
    for f in 0..files {
        w.start_file(format!("lib/part-{f}.jar"), options).unwrap();
        for _ in 0..mb_each {
            for b in chunk.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            w.write_all(&chunk).unwrap();
        }
    }
    w.finish().unwrap();
}

fn sha512_of(path: &Path) -> String {
    let mut hasher = Sha512::new();
    std::io::copy(&mut std::fs::File::open(path).unwrap(), &mut hasher).unwrap();
    format!("{:x}", hasher.finalize())
}

struct HttpServer(Child, u16);

impl HttpServer {
    fn start(dir: &Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
            .arg(dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 serves the archives");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "python3 -m http.server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        HttpServer(child, port)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn plugin(name: &str, url: String, archive: &Path) -> PluginArchive {
    PluginArchive {
        name: name.into(),
        version: None,
        source: "url".into(),
        archive_url: url,
        sha512: sha512_of(archive),
        headers: BTreeMap::new(),
    }
}

fn timed_install(list: &PluginList, target: &Path, parallelism: usize) -> Duration {
    let options = Options {
        target: target.into(),
        parallelism,
        timeout: Duration::from_secs(600),
        retries: 0,
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let report = runtime.block_on(installer::install(list, &options)).unwrap();
    let elapsed = started.elapsed();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    elapsed
}

fn main() {
    let mb: usize =
        std::env::var("SLUICE_BENCH_ARCHIVE_MB").ok().and_then(|n| n.parse().ok()).unwrap_or(200);
    let work = tempfile::tempdir().unwrap();
    let served = work.path().join("served");
    std::fs::create_dir_all(&served).unwrap();
    let big = served.join("big.zip");
    write_zip(&big, 20, mb / 20, 7);
    let size_mb = std::fs::metadata(&big).unwrap().len() as f64 / (1 << 20) as f64;
    let server = HttpServer::start(&served);
    let url = |name: &str| format!("http://127.0.0.1:{}/{name}", server.1);

    // Baseline: sha512sum and unzip of the same file.
    let out = work.path().join("unzipped");
    let started = Instant::now();
    let sum = Command::new("sha512sum").arg(&big).output().expect("sha512sum");
    assert!(sum.status.success());
    let unzip = Command::new("unzip")
        .args(["-q", "-o"])
        .arg(&big)
        .arg("-d")
        .arg(&out)
        .status()
        .expect("unzip");
    assert!(unzip.success());
    let baseline = started.elapsed();

    let list = PluginList {
        plugins: vec![plugin("big", url("big.zip"), &big)],
        storage_limit_bytes: None,
    };
    let ours = timed_install(&list, &work.path().join("target-big"), 4);
    let mbps = |d: Duration| size_mb / d.as_secs_f64();
    println!("archive                               {size_mb:.0} MiB, 20 incompressible files");
    println!(
        "sha512sum + unzip (local file)        {:.2} s  ({:.0} MiB/s)",
        baseline.as_secs_f64(),
        mbps(baseline)
    );
    println!(
        "sluice install-plugins (over loopback) {:.2} s  ({:.0} MiB/s)",
        ours.as_secs_f64(),
        mbps(ours)
    );
    println!(
        "throughput ratio (ours / baseline)    {:.2} (target >= 0.9)",
        baseline.as_secs_f64() / ours.as_secs_f64()
    );

    // Ten plugins, in parallel and one after another, from an in-process server: Python's
    // http.server serialises concurrent transfers on its interpreter lock (measured 3x
    // slower in parallel than one after another), which is the server, not the installer.
    let server10 = Server::start();
    let mut plugins = Vec::new();
    for i in 0..10 {
        let path = served.join(format!("p{i}.zip"));
        write_zip(&path, 2, mb / 40, 100 + i as u64);
        let bytes = std::fs::read(&path).unwrap();
        let url = server10.route(&format!("/p{i}.zip"), Reply::Bytes(bytes));
        plugins.push(plugin(&format!("p{i}"), url, &path));
    }
    let list = PluginList { plugins, storage_limit_bytes: None };
    // Alternating runs, best of three each, so neither order nor a warm cache favours one.
    let (mut parallel, mut serial) = (Duration::MAX, Duration::MAX);
    for round in 0..3 {
        let dir = |kind: &str| work.path().join(format!("target-{kind}-{round}"));
        parallel = parallel.min(timed_install(&list, &dir("parallel"), 10));
        serial = serial.min(timed_install(&list, &dir("serial"), 1));
    }
    println!("10 plugins of {} MiB, in parallel     {:.2} s", mb / 20, parallel.as_secs_f64());
    println!("10 plugins, one after another         {:.2} s", serial.as_secs_f64());
    println!(
        "speed-up                              {:.2}x",
        serial.as_secs_f64() / parallel.as_secs_f64()
    );
}
