//! The installer end to end: a Confluent-Hub-shaped archive of a real connector (Kafka's
//! FileStream connectors, the jars fetched from Maven Central by tests/env/build.sh), served
//! over HTTP; `sluice install-plugins` fills an empty plugin path; a real Connect worker
//! started on that path alone lists the plugin's classes, and a Connector of that class
//! runs on it.
//!
//! The plugin list is written by the test: the operator's resolvers and Connect controller,
//! which will write it for a Connect resource, do not exist yet.

use std::{io::Write, process::Command, time::Duration};

use sha2::{Digest, Sha512};
use sluice_e2e::{Operator, TestEnv, http_get, sluice_binary, wait_for};

/// Stops the worker however the test ends, so later tests and `down` find it stopped.
struct StopWorker<'a>(&'a TestEnv);

impl Drop for StopWorker<'_> {
    fn drop(&mut self) {
        self.0.testenv(&["stop", "connect-plugins"]);
    }
}

struct KillOnDrop(std::process::Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_installed_plugin_is_what_a_fresh_worker_runs() {
    let env = TestEnv::require();
    env.install_crds();
    let plugins_url = std::env::var("SLUICE_TEST_CONNECT_PLUGINS_URL").expect("testenv env");
    let installed = std::path::PathBuf::from(
        std::env::var("SLUICE_TEST_INSTALLED_PLUGIN_DIR").expect("testenv env"),
    );

    // The archive: the connector's jars from Maven Central in Confluent Hub's layout.
    let jars_dir = env.plugin_dir.join("connect-file");
    let jars: Vec<_> = std::fs::read_dir(&jars_dir)
        .unwrap_or_else(|e| panic!("{}: {e}", jars_dir.display()))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "jar"))
        .collect();
    assert!(!jars.is_empty(), "no jars in {}", jars_dir.display());
    let served = tempfile::tempdir().unwrap();
    let archive = served.path().join("apache-connect-file.zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&archive).unwrap());
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("apache-connect-file/manifest.json", options).unwrap();
    zip.write_all(br#"{"name": "connect-file", "owner": {"username": "apache"}}"#).unwrap();
    for jar in &jars {
        let name = jar.file_name().unwrap().to_string_lossy();
        zip.start_file(format!("apache-connect-file/lib/{name}"), options).unwrap();
        zip.write_all(&std::fs::read(jar).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    let sha512 = format!("{:x}", Sha512::digest(std::fs::read(&archive).unwrap()));

    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let _server = KillOnDrop(
        Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1", &port.to_string(), "--directory"])
            .arg(served.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("python3 serves the archive"),
    );
    let url = format!("http://127.0.0.1:{port}/apache-connect-file.zip");
    wait_for("the archive's HTTP server", Duration::from_secs(20), || {
        sluice_e2e::http("GET", &format!("http://127.0.0.1:{port}/"), None).map(|_| ())
    });

    let list = serde_json::json!({"plugins": [{
        "name": "connect-file", "version": "3.9.1", "source": "confluentHub",
        "archiveUrl": url, "sha512": sha512,
    }]});
    let list_file = served.path().join("plugins.json");
    std::fs::write(&list_file, list.to_string()).unwrap();
    let out = Command::new(sluice_binary())
        .args(["install-plugins", "--plugins"])
        .arg(&list_file)
        .arg("--target")
        .arg(&installed)
        .output()
        .expect("sluice install-plugins runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(installed.join("connect-file/manifest.json").is_file());
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(installed.join(".sluice-manifest.json")).unwrap())
            .unwrap();
    let classes = manifest["plugins"][0]["classes"].to_string();
    assert!(classes.contains("org.apache.kafka.connect.file.FileStreamSinkConnector"), "{classes}");
    assert!(
        classes.contains("org.apache.kafka.connect.file.FileStreamSourceConnector"),
        "{classes}"
    );

    // A worker whose plugin.path is the installed directory and nothing else.
    env.testenv(&["start", "connect-plugins"]);
    let _stop = StopWorker(&env);
    let offered = http_get(&format!("{plugins_url}/connector-plugins")).unwrap().to_string();
    assert!(
        offered.contains("org.apache.kafka.connect.file.FileStreamSourceConnector"),
        "{offered}"
    );
    assert!(offered.contains("org.apache.kafka.connect.file.FileStreamSinkConnector"), "{offered}");

    let ns = env.namespace("installed");
    let _operator = Operator::start(&env, &ns, 5);
    let name = format!("{ns}-source");
    let input = env.work_dir.join(format!("{name}.txt"));
    std::fs::create_dir_all(&env.work_dir).unwrap();
    std::fs::write(&input, "one\n").unwrap();
    env.apply(&sluice_e2e::file_source_connector("source", &ns, &name, &input, &plugins_url));
    wait_for("the installed connector RUNNING on the worker", Duration::from_secs(60), || {
        let s = http_get(&format!("{plugins_url}/connectors/{name}/status"))?;
        if s["connector"]["state"] == "RUNNING" && s["tasks"][0]["state"] == "RUNNING" {
            Ok(())
        } else {
            Err(s.to_string())
        }
    });
    env.kubectl_ok(&["delete", "connector", "source", "-n", &ns, "--timeout=30s"]);
}
