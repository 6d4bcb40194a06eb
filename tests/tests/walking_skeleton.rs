//! The thin slice end to end: `kubectl apply` of a Connector makes the connector exist on the
//! real Kafka Connect worker and `kubectl get` shows it RUNNING; `kubectl delete` removes it.

use std::time::Duration;

use sluice_e2e::{Operator, TestEnv, wait_for};

#[test]
fn applied_connector_runs_on_the_worker_and_delete_removes_it() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("skeleton");
    let _operator = Operator::start(&env, &ns, 5);
    let name = format!("{ns}-file-source");
    let input = env.work_dir.join(format!("{name}.txt"));
    std::fs::create_dir_all(&env.work_dir).unwrap();
    std::fs::write(&input, "one\ntwo\n").unwrap();

    env.apply(&sluice_e2e::file_source_connector(
        "file-source",
        &ns,
        &name,
        &input,
        &env.connect_url,
    ));

    let config = wait_for("the connector on the worker", Duration::from_secs(30), || {
        env.connect_get(&format!("/connectors/{name}/config"))
    });
    assert_eq!(
        config["connector.class"],
        "org.apache.kafka.connect.file.FileStreamSourceConnector"
    );
    assert_eq!(config["tasks.max"], "1");
    assert_eq!(config["topic"], name.as_str());
    assert_eq!(config["file"], input.to_str().unwrap());

    let row =
        wait_for("kubectl get connector to show RUNNING 1/1", Duration::from_secs(30), || {
            let out =
                env.kubectl_ok(&["get", "connector", "file-source", "-n", &ns, "--no-headers"]);
            let cols: Vec<&str> = out.split_whitespace().collect();
            if cols.get(1) == Some(&"RUNNING") && cols.get(2) == Some(&"1/1") {
                Ok(out)
            } else {
                Err(out)
            }
        });
    assert!(row.contains(&env.connect_url), "CONNECT column: {row}");

    let status = env.get_json(&["get", "connector", "file-source", "-n", &ns]);
    assert_eq!(status["status"]["tasks"][0]["state"], "RUNNING");
    assert_eq!(status["status"]["observedGeneration"], status["metadata"]["generation"]);
    let worker_status = env.connect_get(&format!("/connectors/{name}/status")).unwrap();
    assert_eq!(status["status"]["workerId"], worker_status["connector"]["worker_id"]);

    let events = env.kubectl_ok(&[
        "get",
        "events",
        "-n",
        &ns,
        "--field-selector",
        "involvedObject.name=file-source",
    ]);
    assert!(events.contains("CreateConnector"), "{events}");

    env.kubectl_ok(&["delete", "connector", "file-source", "-n", &ns, "--timeout=30s"]);
    let names = env.connect_get("/connectors").unwrap();
    assert!(
        !names.as_array().unwrap().iter().any(|n| n == name.as_str()),
        "{name} still on the worker after kubectl delete: {names}"
    );
}
