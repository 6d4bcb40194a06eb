//! The plugin installer against a local HTTP server and archives built in the test: real
//! downloads, real files, and every kind of bad input, each ending with a message naming the
//! plugin and nothing half-installed left behind.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    time::Duration,
};

use sha2::{Digest, Sha512};
use sluice::installer::{self, Options, PluginArchive, PluginList, Report};
use sluice_e2e::archives::{incompressible, zip_of};
use sluice_e2e::http_server::{Reply, Server};

// ---- archives ---------------------------------------------------------------------------

/// A jar declaring `class` as a Connect plugin of `service`.
fn connector_jar(service: &str, class: &str) -> Vec<u8> {
    zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        (&format!("META-INF/services/{service}"), format!("# a comment\n{class}\n").as_bytes()),
        (&format!("{}.class", class.replace('.', "/")), b"\xca\xfe\xba\xbe"),
    ])
}

const SINK: &str = "org.apache.kafka.connect.sink.SinkConnector";
const SOURCE: &str = "org.apache.kafka.connect.source.SourceConnector";

/// A tar.gz built entry by entry; `raw_name` writes names the tar crate would refuse.
struct TarGz(tar::Builder<flate2::write::GzEncoder<Vec<u8>>>);

impl TarGz {
    fn new() -> Self {
        TarGz(tar::Builder::new(flate2::write::GzEncoder::new(
            Vec::new(),
            flate2::Compression::default(),
        )))
    }

    fn header(name: &str, kind: tar::EntryType, size: u64) -> tar::Header {
        let mut h = tar::Header::new_gnu();
        let bytes = name.as_bytes();
        h.as_old_mut().name[..bytes.len()].copy_from_slice(bytes);
        h.set_entry_type(kind);
        h.set_size(size);
        h.set_mode(0o644);
        h
    }

    fn file(mut self, name: &str, data: &[u8]) -> Self {
        let mut h = Self::header(name, tar::EntryType::Regular, data.len() as u64);
        h.set_cksum();
        self.0.append(&h, data).unwrap();
        self
    }

    fn link(mut self, name: &str, kind: tar::EntryType, target: &str) -> Self {
        let mut h = Self::header(name, kind, 0);
        let t = target.as_bytes();
        h.as_old_mut().linkname[..t.len()].copy_from_slice(t);
        h.set_cksum();
        self.0.append(&h, &[][..]).unwrap();
        self
    }

    fn device(mut self, name: &str) -> Self {
        let mut h = Self::header(name, tar::EntryType::Char, 0);
        h.set_cksum();
        self.0.append(&h, &[][..]).unwrap();
        self
    }

    fn bytes(self) -> Vec<u8> {
        self.0.into_inner().unwrap().finish().unwrap()
    }
}

fn sha512(bytes: &[u8]) -> String {
    format!("{:x}", Sha512::digest(bytes))
}

fn plugin(name: &str, url: &str, bytes: &[u8]) -> PluginArchive {
    PluginArchive {
        name: name.into(),
        version: Some("1.0.0".into()),
        source: "url".into(),
        archive_url: url.into(),
        sha512: sha512(bytes),
        headers: BTreeMap::new(),
    }
}

fn opts(target: &Path) -> Options {
    Options {
        target: target.to_path_buf(),
        parallelism: 4,
        timeout: Duration::from_secs(5),
        retries: 1,
    }
}

fn run(list: &PluginList, target: &Path) -> Report {
    tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(installer::install(list, &opts(target)))
        .unwrap()
}

/// Every file under `dir` with its contents, for comparing two runs.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap_or_default(),
                );
            }
        }
    }
    out
}

/// Nothing but whole plugins and the manifest: no temporary area, no partial directory.
fn assert_clean(target: &Path, expected_plugins: &[&str]) {
    let mut names: Vec<String> = std::fs::read_dir(target)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut expected: Vec<String> = expected_plugins.iter().map(|s| s.to_string()).collect();
    expected.push(".sluice-manifest.json".into());
    expected.sort();
    assert_eq!(names, expected, "the plugin path holds only whole plugins and the manifest");
}

/// Installs one bad plugin and returns its error line, checking nothing stays behind.
fn failure(server: &Server, name: &str, path: &str, reply: Reply, sha_of: &[u8]) -> String {
    failure_within(server, name, path, reply, sha_of, None)
}

/// [`failure`] on a volume with `storage_limit` bytes.
fn failure_within(
    server: &Server,
    name: &str,
    path: &str,
    reply: Reply,
    sha_of: &[u8],
    storage_limit: Option<u64>,
) -> String {
    let url = server.route(path, reply);
    let dir = tempfile::tempdir().unwrap();
    let list = PluginList {
        plugins: vec![plugin(name, &url, sha_of)],
        storage_limit_bytes: storage_limit,
    };
    let report = run(&list, dir.path());
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_clean(dir.path(), &[]);
    report.failed[0].to_string()
}

// ---- tests ------------------------------------------------------------------------------

fn good_plugins(server: &Server) -> PluginList {
    let hub = zip_of(&[
        ("acme-jdbc-1.0/manifest.json", br#"{"name": "jdbc", "version": "1.0"}"#),
        ("acme-jdbc-1.0/lib/jdbc-connector.jar", &connector_jar(SINK, "com.acme.JdbcSink")),
        ("acme-jdbc-1.0/lib/driver.jar", &zip_of(&[("org/Driver.class", b"x")])),
    ]);
    let tgz = TarGz::new()
        .file("lib/source.jar", &connector_jar(SOURCE, "com.acme.FileSource"))
        .link("lib/current.jar", tar::EntryType::Symlink, "source.jar")
        .bytes();
    let jar = connector_jar(SINK, "com.acme.BareSink");
    PluginList {
        plugins: vec![
            plugin("jdbc", &server.route("/hub/jdbc.zip", Reply::Bytes(hub.clone())), &hub),
            plugin("files", &server.route("/files.tar.gz", Reply::Bytes(tgz.clone())), &tgz),
            plugin("bare", &server.route("/maven/bare-1.0.jar", Reply::Bytes(jar.clone())), &jar),
        ],
        storage_limit_bytes: Some(10 << 20),
    }
}

#[test]
fn zip_tar_gz_and_bare_jar_plugins_install_with_their_classes() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let report = run(&good_plugins(&server), dir.path());
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_clean(dir.path(), &["bare", "files", "jdbc"]);
    // Confluent Hub layout: the top directory is stripped, manifest.json and lib/ at the top.
    assert!(dir.path().join("jdbc/manifest.json").is_file());
    assert!(dir.path().join("jdbc/lib/jdbc-connector.jar").is_file());
    assert!(dir.path().join("files/lib/current.jar").is_symlink());
    assert!(dir.path().join("bare/bare-1.0.jar").is_file());

    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join(".sluice-manifest.json")).unwrap())
            .unwrap();
    let classes = |name: &str| {
        manifest["plugins"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["classes"].clone()
    };
    assert_eq!(
        classes("jdbc"),
        serde_json::json!([{"class": "com.acme.JdbcSink", "kind": "sink"}])
    );
    assert_eq!(
        classes("files"),
        serde_json::json!([{"class": "com.acme.FileSource", "kind": "source"}])
    );
    assert_eq!(
        classes("bare"),
        serde_json::json!([{"class": "com.acme.BareSink", "kind": "sink"}])
    );
}

#[test]
fn a_second_run_skips_what_is_installed_and_ends_identical() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let list = good_plugins(&server);
    run(&list, dir.path());
    let first = tree(dir.path());
    let again = run(&list, dir.path());
    assert_eq!(again.skipped.len(), 3, "{again:?}");
    assert!(again.installed.is_empty());
    assert_eq!(tree(dir.path()), first);
}

#[test]
fn a_run_after_an_interruption_ends_as_an_uninterrupted_one() {
    let server = Server::start();
    let list = good_plugins(&server);
    let clean = tempfile::tempdir().unwrap();
    run(&list, clean.path());

    let interrupted = tempfile::tempdir().unwrap();
    // What a run killed mid-way leaves: a half-unpacked plugin in the temporary area and a
    // half-written manifest.
    let half = interrupted.path().join(".sluice-tmp/jdbc-41-0/unpacked/lib");
    std::fs::create_dir_all(&half).unwrap();
    std::fs::write(half.join("half.jar"), b"PK\x03\x04 cut").unwrap();
    std::fs::write(interrupted.path().join(".sluice-manifest.tmp"), b"{\"plug").unwrap();
    run(&list, interrupted.path());
    assert_eq!(tree(interrupted.path()), tree(clean.path()));
}

#[test]
fn a_new_version_replaces_the_old_and_unlisted_plugins_go_but_foreign_files_stay() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    run(&good_plugins(&server), dir.path());
    std::fs::create_dir_all(dir.path().join("hand-installed")).unwrap();

    let v2 = connector_jar(SINK, "com.acme.BareSinkV2");
    let list = PluginList {
        plugins: vec![plugin(
            "bare",
            &server.route("/maven/bare-2.0.jar", Reply::Bytes(v2.clone())),
            &v2,
        )],
        storage_limit_bytes: None,
    };
    let report = run(&list, dir.path());
    assert_eq!(report.installed, ["bare"]);
    assert_eq!(report.removed, ["files", "jdbc"]);
    assert!(dir.path().join("bare/bare-2.0.jar").is_file());
    assert!(!dir.path().join("bare/bare-1.0.jar").exists(), "the old version's files are gone");
    assert!(dir.path().join("hand-installed").is_dir(), "a directory Sluice did not install stays");
}

#[test]
fn one_failing_plugin_does_not_stop_the_others() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let mut list = good_plugins(&server);
    list.plugins.push(plugin("missing", &format!("{}/missing.zip", server.base), b"whatever"));
    let report = run(&list, dir.path());
    assert_eq!(report.installed.len(), 3);
    assert_eq!(report.failed.len(), 1);
    assert_clean(dir.path(), &["bare", "files", "jdbc"]);
}

#[test]
fn a_wrong_checksum_is_refused_before_anything_is_unpacked() {
    let server = Server::start();
    let good = zip_of(&[("lib/a.jar", b"a")]);
    let e = failure(&server, "jdbc", "/jdbc.zip", Reply::Bytes(good), b"other bytes");
    assert!(e.starts_with("plugin \"jdbc\": sha512 mismatch for http://127.0.0.1:"), "{e}");
    assert!(e.ends_with("(check the plugin's checksum)"), "{e}");
}

#[test]
fn a_404_names_the_url() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let list = PluginList {
        plugins: vec![plugin("jdbc", &format!("{}/nothing-here.zip", server.base), b"x")],
        storage_limit_bytes: None,
    };
    let report = run(&list, dir.path());
    assert_eq!(
        report.failed[0].to_string(),
        format!("plugin \"jdbc\": HTTP 404 from {}/nothing-here.zip", server.base)
    );
    assert_clean(dir.path(), &[]);
}

#[test]
fn a_truncated_download_is_retried_then_reported() {
    let server = Server::start();
    let bytes = zip_of(&[("lib/a.jar", b"a")]);
    let reply = Reply::Truncated { bytes: bytes[..10].to_vec(), claimed: bytes.len() };
    let e = failure(&server, "jdbc", "/cut.zip", reply, &bytes);
    assert!(e.contains("(after 2 attempts)"), "{e}");
    assert!(e.contains("truncated") || e.contains("broke off"), "{e}");
}

#[test]
fn a_hanging_server_times_out() {
    let server = Server::start();
    let url = server.route("/slow.zip", Reply::Hang);
    let dir = tempfile::tempdir().unwrap();
    let list = PluginList { plugins: vec![plugin("slow", &url, b"x")], storage_limit_bytes: None };
    let options = Options { timeout: Duration::from_secs(1), retries: 0, ..opts(dir.path()) };
    let report = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(installer::install(&list, &options))
        .unwrap();
    assert_eq!(
        report.failed[0].to_string(),
        format!("plugin \"slow\": downloading {url} timed out after 1s (after 1 attempts)")
    );
    assert_clean(dir.path(), &[]);
}

#[test]
fn zip_slip_is_refused_and_nothing_lands_outside() {
    let server = Server::start();
    let evil = zip_of(&[("lib/ok.jar", b"ok"), ("../../evil.txt", b"pwned")]);
    let e = failure(&server, "slip", "/slip.zip", Reply::Bytes(evil.clone()), &evil);
    assert_eq!(e, "plugin \"slip\": archive entry \"../../evil.txt\" leaves the plugin directory");
    let abs = zip_of(&[("/etc/evil", b"pwned")]);
    let e = failure(&server, "abs", "/abs.zip", Reply::Bytes(abs.clone()), &abs);
    assert_eq!(e, "plugin \"abs\": archive entry \"/etc/evil\" is an absolute path");
}

#[test]
fn links_out_of_the_plugin_directory_are_refused() {
    let server = Server::start();
    let sym = TarGz::new()
        .link("lib/etc", tar::EntryType::Symlink, "/etc")
        .file("lib/etc/passwd", b"x")
        .bytes();
    let e = failure(&server, "sym", "/sym.tar.gz", Reply::Bytes(sym.clone()), &sym);
    assert_eq!(
        e,
        "plugin \"sym\": archive entry \"lib/etc\" is a symbolic link to \"/etc\", outside the plugin directory (links may only go up their own directories, then down)"
    );
    let up = TarGz::new().link("lib/up", tar::EntryType::Symlink, "../../..").bytes();
    let e = failure(&server, "up", "/up.tar.gz", Reply::Bytes(up.clone()), &up);
    assert!(e.contains("is a symbolic link to \"../../..\", outside"), "{e}");
    let hard = TarGz::new().link("lib/passwd", tar::EntryType::Link, "../../etc/passwd").bytes();
    let e = failure(&server, "hard", "/hard.tar.gz", Reply::Bytes(hard.clone()), &hard);
    assert_eq!(
        e,
        "plugin \"hard\": archive entry \"lib/passwd\" is a hard link leaving the plugin directory"
    );
}

#[test]
fn device_files_are_refused() {
    let server = Server::start();
    let dev = TarGz::new().device("lib/console").bytes();
    let e = failure(&server, "dev", "/dev.tar.gz", Reply::Bytes(dev.clone()), &dev);
    assert_eq!(
        e,
        "plugin \"dev\": archive entry \"lib/console\" is a character device: only files, directories and links are installed"
    );
}

#[test]
fn archives_over_the_storage_limit_are_refused_before_they_are_downloaded() {
    let server = Server::start();
    let big = zip_of(&[("lib/big.jar", &incompressible(200_000))]);
    // Less room than the archive itself takes.
    let limit = big.len() as u64 / 2;
    let e =
        failure_within(&server, "big", "/big.zip", Reply::Bytes(big.clone()), &big, Some(limit));
    assert_eq!(
        e,
        format!(
            "plugin \"big\": {}/big.zip is {} bytes, more than the {limit} left: the plugins pass storageLimit ({limit} bytes): raise it or install fewer plugins",
            server.base,
            big.len()
        )
    );
}

#[test]
fn the_archive_counts_against_the_storage_limit_while_it_is_unpacked() {
    let server = Server::start();
    let big = zip_of(&[("lib/big.jar", &incompressible(200_000))]);
    // Room for the archive or for what it unpacks to, not for both at once on the volume.
    let limit = 200_000 + big.len() as u64 / 2;
    let e =
        failure_within(&server, "big", "/big.zip", Reply::Bytes(big.clone()), &big, Some(limit));
    assert_eq!(
        e,
        format!(
            "plugin \"big\": the plugins pass storageLimit ({limit} bytes): raise it or install fewer plugins"
        )
    );
    let url = format!("{}/big.zip", server.base);
    // With room for both it installs, and a second plugin still has the archive's bytes back.
    let small = zip_of(&[("lib/small.jar", &incompressible(50_000))]);
    let small_url = server.route("/small.zip", Reply::Bytes(small.clone()));
    // One at a time: the first archive's bytes are back before the second downloads.
    let roomy = 200_000 + big.len() as u64 + 50_000 + small.len() as u64;
    let list = PluginList {
        plugins: vec![plugin("big", &url, &big), plugin("small", &small_url, &small)],
        storage_limit_bytes: Some(roomy),
    };
    let dir = tempfile::tempdir().unwrap();
    let options = Options { parallelism: 1, ..opts(dir.path()) };
    let report = tokio::runtime::Runtime::new()
        .unwrap()
        .block_on(installer::install(&list, &options))
        .unwrap();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    assert_clean(dir.path(), &["big", "small"]);
}

#[test]
fn a_decompression_bomb_is_refused() {
    let server = Server::start();
    let bomb = zip_of(&[("lib/zeros.jar", &vec![0u8; 50 << 20])]);
    assert!(bomb.len() < 1 << 20, "the bomb compresses: {} bytes", bomb.len());
    let e = failure(&server, "bomb", "/bomb.zip", Reply::Bytes(bomb.clone()), &bomb);
    assert_eq!(
        e,
        "plugin \"bomb\": the archive unpacks to more than 100 times its size: refusing a likely decompression bomb"
    );
}

/// Runs `sluice install-plugins` on `list` into `target`, as the init container does.
fn install_with_binary(list: &PluginList, target: &Path) -> std::process::Output {
    let list_file = target.with_extension("json");
    std::fs::write(&list_file, serde_json::to_string(list).unwrap()).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["install-plugins", "--plugins", list_file.to_str().unwrap()])
        .args(["--target", target.to_str().unwrap(), "--retries", "0"])
        .env("RUST_LOG", "off")
        .output()
        .unwrap()
}

/// The binary's error lines (one per failed plugin), sorted: plugins install in parallel.
fn failed_lines(out: &std::process::Output) -> Vec<String> {
    let mut lines: Vec<String> =
        String::from_utf8_lossy(&out.stderr).lines().map(str::to_owned).collect();
    lines.sort();
    lines
}

/// Serves each `(name, archive)`, installs them all with the binary into a fresh volume's
/// `plugins` directory, and returns the volume and the error lines of the failed run.
fn refused_by_binary(
    server: &Server,
    archives: &[(&str, &[u8])],
) -> (tempfile::TempDir, Vec<String>) {
    let plugins = archives
        .iter()
        .map(|(name, bytes)| {
            let url = server.route(&format!("/{name}.tar.gz"), Reply::Bytes(bytes.to_vec()));
            plugin(name, &url, bytes)
        })
        .collect();
    let volume = tempfile::tempdir().unwrap();
    let out = install_with_binary(
        &PluginList { plugins, storage_limit_bytes: None },
        &volume.path().join("plugins"),
    );
    assert_eq!(out.status.code(), Some(1), "the run fails");
    (volume, failed_lines(&out))
}

/// Every path under `dir`, links included and not followed.
fn all_paths(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            }
            out.push(e.path().strip_prefix(dir).unwrap().to_path_buf());
        }
    }
    out.sort();
    out
}

#[test]
fn a_chain_of_links_cannot_carry_a_file_out_of_the_plugin_directory() {
    // Each link alone points inside by name; together `p/q/r/s/t` would be the volume's
    // parent, and the file would land beside the other plugins (or above them).
    let server = Server::start();
    let chain = TarGz::new()
        .link("p/q/r/s", tar::EntryType::Symlink, "../../..")
        .link("p/q/r/s/t", tar::EntryType::Symlink, "../../../..")
        .file("p/q/r/s/t/escaped.txt", b"out")
        .bytes();
    // The same through a link's target instead of its path: `up -> p/q/r/s/..`.
    let via_target = TarGz::new()
        .link("p/q/r/s", tar::EntryType::Symlink, "../../..")
        .link("up", tar::EntryType::Symlink, "p/q/r/s/..")
        .file("up/escaped.txt", b"out")
        .bytes();
    let (volume, lines) =
        refused_by_binary(&server, &[("chain", chain.as_slice()), ("target", &via_target)]);
    assert_eq!(
        lines,
        [
            "plugin \"chain\": archive entry \"p/q/r/s/t\" goes through the symbolic link \"p/q/r/s\" the archive made: the installer writes nothing through links",
            "plugin \"target\": archive entry \"up\" is a symbolic link to \"p/q/r/s/..\", outside the plugin directory (links may only go up their own directories, then down)",
        ]
    );
    let everywhere = all_paths(volume.path());
    assert!(
        everywhere.iter().all(|p| !p.ends_with("escaped.txt")),
        "nothing written through the links: {everywhere:?}"
    );
    assert_clean(&volume.path().join("plugins"), &[]);
}

#[test]
fn an_archive_of_a_few_hundred_thousand_empty_entries_is_refused() {
    let server = Server::start();
    let mut bomb = TarGz::new();
    for i in 0..200_000 {
        bomb = bomb.file(&format!("e/{i}"), b"");
    }
    let bomb = bomb.bytes();
    let (volume, lines) = refused_by_binary(&server, &[("inodes", bomb.as_slice())]);
    assert_eq!(
        lines,
        [
            "plugin \"inodes\": the archive holds more than 20000 entries: refusing a likely inode bomb"
        ]
    );
    assert_clean(&volume.path().join("plugins"), &[]);
    let left = all_paths(volume.path()).len();
    assert!(left < 10, "the refused entries were removed, {left} paths remain");
}

#[test]
fn a_second_installer_on_the_same_volume_waits_for_the_first() {
    use std::io::BufRead;
    let server = Server::start();
    let volume = tempfile::tempdir().unwrap();
    let target = volume.path().join("plugins");
    std::fs::create_dir_all(&target).unwrap();
    // The lock a first installer holds.
    let held = std::fs::File::open(&target).unwrap();
    held.lock().unwrap();
    let list = good_plugins(&server);
    let list_file = volume.path().join("plugins.json");
    std::fs::write(&list_file, serde_json::to_string(&list).unwrap()).unwrap();
    let mut second = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["install-plugins", "--plugins", list_file.to_str().unwrap()])
        .args(["--target", target.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(second.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("another installer holds the plugin directory") {
        line.clear();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the installer ended without waiting");
    }
    assert_eq!(all_paths(&target), Vec::<PathBuf>::new(), "nothing done while it waits");
    held.unlock().unwrap();
    std::io::copy(&mut stderr, &mut std::io::sink()).unwrap();
    assert!(second.wait().unwrap().success());
    assert_clean(&target, &["bare", "files", "jdbc"]);
}

#[test]
fn the_binary_prints_one_line_per_failed_plugin_and_exits_non_zero() {
    let server = Server::start();
    let dir = tempfile::tempdir().unwrap();
    let mut list = good_plugins(&server);
    list.plugins.push(plugin("missing", &format!("{}/missing.zip", server.base), b"x"));
    let evil = zip_of(&[("../evil", b"x")]);
    list.plugins.push(plugin(
        "slip",
        &server.route("/slip.zip", Reply::Bytes(evil.clone())),
        &evil,
    ));
    let target = dir.path().join("plugins");
    let out = install_with_binary(&list, &target);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        failed_lines(&out),
        [
            format!("plugin \"missing\": HTTP 404 from {}/missing.zip", server.base).as_str(),
            "plugin \"slip\": archive entry \"../evil\" leaves the plugin directory",
        ]
    );
    assert_clean(&target, &["bare", "files", "jdbc"]);
}

#[test]
fn a_bad_plugin_list_names_the_plugin_and_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let list_file = dir.path().join("plugins.json");
    std::fs::write(
        &list_file,
        r#"{"plugins": [{"name": "jdbc", "source": "url", "archiveUrl": "http://h/x.zip", "sha512": "abc"}]}"#,
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args([
            "install-plugins",
            "--plugins",
            list_file.to_str().unwrap(),
            "--target",
            dir.path().join("p").to_str().unwrap(),
        ])
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("plugin \"jdbc\": sha512 must be 128 lowercase hex digits"),
        "{stderr}"
    );
}
