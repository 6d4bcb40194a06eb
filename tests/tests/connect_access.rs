//! Reaching Connect clusters that require credentials: HTTP basic auth, a bearer token and
//! mutual TLS, with credentials from Secrets, against real workers configured for each (the
//! bearer token through a token-checking proxy in front of the real worker: Kafka has no
//! bearer extension of its own). The credentials never show in status, Events or the
//! operator's log.

use std::time::Duration;

use sluice_e2e::{Operator, TestEnv, bearer_proxy::BearerProxy, wait_for};

const SOURCE: &str = "org.apache.kafka.connect.file.FileStreamSourceConnector";

/// A Secret that consents to use as `connectRest` credentials.
fn secret_yaml(name: &str, ns: &str, data: &[(&str, String)]) -> String {
    secret_yaml_with(name, ns, "  annotations:\n    sluice.dev/usable-by: connectRest\n", data)
}

fn secret_yaml_with(name: &str, ns: &str, extra: &str, data: &[(&str, String)]) -> String {
    let mut yaml = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {ns}\n{extra}stringData:\n"
    );
    for (k, v) in data {
        yaml.push_str(&format!("  {k}: |-\n"));
        for line in v.lines() {
            yaml.push_str(&format!("    {line}\n"));
        }
    }
    yaml
}

fn connector_yaml(ns: &str, name: &str, endpoint: &str, access: &str) -> String {
    format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Connector\nmetadata:\n  name: src\n  namespace: {ns}\nspec:\n  name: {name}\n  class: {SOURCE}\n  taskMax: 1\n  configs:\n    file: /dev/null\n    topic: {name}\n    connection.password: not-a-real-password-123\n  connectRest:\n    endpoint: {endpoint}\n{access}"
    )
}

fn wait_running(env: &TestEnv, ns: &str) -> serde_json::Value {
    wait_for("the connector RUNNING in status", Duration::from_secs(45), || {
        let s = env.get_json(&["get", "connector", "src", "-n", ns])["status"].clone();
        if s["connectorState"] == "RUNNING" && s["tasksReady"] == "1/1" {
            Ok(s)
        } else {
            Err(s.to_string())
        }
    })
}

/// Everything a user or log reader can see of a Connector.
fn visible_text(env: &TestEnv, ns: &str, operator: &Operator) -> String {
    let status = env.get_json(&["get", "connector", "src", "-n", ns])["status"].to_string();
    let events = env.events_of(ns, "src").join("\n");
    format!("{status}\n{events}\n{}", operator.log_text())
}

#[test]
fn basic_auth_credentials_come_from_a_secret_and_never_show() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("basic");
    let operator = Operator::start(&env, &ns, 2);
    let password = std::env::var("SLUICE_TEST_CONNECT_BASIC_PASSWORD").expect("from the testenv");
    let url = env.worker_url("basic");
    let name = format!("{ns}-src");

    // First with a wrong password: the status says the worker refused, nothing else happens.
    env.apply(&secret_yaml(
        "creds",
        &ns,
        &[("username", "sluice".into()), ("password", "wrong-password-456".into())],
    ));
    let access = "    authentication:\n      type: basic\n      basic:\n        secretRef: creds\n";
    env.apply(&connector_yaml(&ns, &name, &url, access));
    let refused = wait_for("a 401 in status", Duration::from_secs(30), || {
        let s = env.get_json(&["get", "connector", "src", "-n", &ns])["status"].clone();
        let text = s.to_string();
        if text.contains("401") { Ok(text) } else { Err(text) }
    });
    assert!(!refused.contains("wrong-password-456"), "{refused}");

    // Confluent for Kubernetes' basic.txt form, with the right password.
    env.apply(&secret_yaml(
        "creds-cfk",
        &ns,
        &[("basic.txt", format!("username=sluice\npassword={password}"))],
    ));
    env.apply(&connector_yaml(
        &ns,
        &name,
        &url,
        &access.replace("secretRef: creds", "secretRef: creds-cfk"),
    ));
    let status = wait_running(&env, &ns);
    assert_eq!(status["connectCluster"], url.as_str());

    let seen = visible_text(&env, &ns, &operator);
    for secret in [password.as_str(), "wrong-password-456", "not-a-real-password-123"] {
        assert!(!seen.contains(secret), "{secret} is visible:\n{seen}");
    }
}

#[test]
fn a_bearer_token_from_a_secret_is_sent_as_bearer_and_never_shows() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("bearer");
    let operator = Operator::start(&env, &ns, 2);
    let token = "sluice-bearer-token-4f1d9c2a";
    let proxy = BearerProxy::start(&env.connect_url, token);
    let name = format!("{ns}-src");

    // A wrong token: the worker's side refuses, and the status says so.
    env.apply(&secret_yaml("token", &ns, &[("token", "wrong-token-0b7e6a15".into())]));
    let access =
        "    authentication:\n      type: bearer\n      bearer:\n        secretRef: token\n";
    env.apply(&connector_yaml(&ns, &name, &proxy.url, access));
    let refused = wait_for("a 401 in status", Duration::from_secs(30), || {
        let s = env.get_json(&["get", "connector", "src", "-n", &ns])["status"].clone();
        let text = s.to_string();
        if text.contains("401") { Ok(text) } else { Err(text) }
    });
    assert!(!refused.contains("wrong-token-0b7e6a15"), "{refused}");
    let sent = proxy.seen();
    assert!(!sent.is_empty() && sent.iter().all(|r| r.status == 401), "{sent:?}");
    assert!(
        sent.iter().all(|r| r.authorization.as_deref() == Some("Bearer wrong-token-0b7e6a15")),
        "the Secret's token, as a bearer token, on every call: {sent:?}"
    );

    // Confluent for Kubernetes' bearer.txt key, with the right token: the connector is made
    // on the real worker behind the proxy.
    env.apply(&secret_yaml("token-cfk", &ns, &[("bearer.txt", token.into())]));
    env.apply(&connector_yaml(
        &ns,
        &name,
        &proxy.url,
        &access.replace("secretRef: token", "secretRef: token-cfk"),
    ));
    wait_running(&env, &ns);
    let created = proxy.seen().into_iter().find(|r| r.method == "POST" && r.path == "/connectors");
    let created = created.expect("the create went through the proxy");
    assert_eq!(created.status, 201, "{created:?}");
    assert_eq!(created.authorization, Some(format!("Bearer {token}")));
    let on_worker = sluice_e2e::http_get(&format!("{}/connectors/{name}/status", env.connect_url));
    assert_eq!(on_worker.unwrap()["connector"]["state"], "RUNNING");

    let seen = visible_text(&env, &ns, &operator);
    for secret in [token, "wrong-token-0b7e6a15", "not-a-real-password-123"] {
        assert!(!seen.contains(secret), "{secret} is visible:\n{seen}");
    }
}

#[test]
fn mutual_tls_uses_the_ca_and_client_certificate_from_a_secret() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("mtls");
    let operator = Operator::start(&env, &ns, 2);
    let pki = std::path::PathBuf::from(std::env::var("SLUICE_TEST_PKI").expect("from the testenv"));
    let read = |f: &str| std::fs::read_to_string(pki.join(f)).unwrap();
    let url = env.worker_url("tls");
    let name = format!("{ns}-src");

    env.apply(&secret_yaml(
        "connect-tls",
        &ns,
        &[
            ("cacerts.pem", read("ca.crt")),
            ("fullchain.pem", read("sluice-client.crt")),
            ("privkey.pem", read("sluice-client.key")),
        ],
    ));
    let access = "    authentication:\n      type: mtls\n    tls:\n      secretRef: connect-tls\n";
    env.apply(&connector_yaml(&ns, &name, &url, access));
    wait_running(&env, &ns);

    let key = read("sluice-client.key");
    let key_body = key.lines().nth(1).expect("a PEM body line");
    let seen = visible_text(&env, &ns, &operator);
    assert!(!seen.contains(key_body), "the private key is visible:\n{seen}");
}

#[test]
fn mtls_without_a_client_certificate_names_what_the_secret_lacks() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("mtlsbad");
    let _operator = Operator::start(&env, &ns, 2);
    env.apply(&secret_yaml("ca-only", &ns, &[("cacerts.pem", "not used".into())]));
    let access = "    authentication:\n      type: mtls\n    tls:\n      secretRef: ca-only\n";
    env.apply(&connector_yaml(&ns, "x", &env.worker_url("tls"), access));
    let message = wait_for("InvalidSpec", Duration::from_secs(30), || {
        let s = env.get_json(&["get", "connector", "src", "-n", &ns])["status"].clone();
        let ready = s["conditions"]
            .as_array()
            .and_then(|c| c.iter().find(|c| c["type"] == "Ready").cloned());
        match ready {
            Some(r) if r["reason"] == "InvalidSpec" => {
                Ok(r["message"].as_str().unwrap().to_owned())
            }
            _ => Err(s.to_string()),
        }
    });
    assert!(
        message.contains("Secret ca-only (tls.secretRef) has no fullchain.pem and privkey.pem"),
        "{message}"
    );
    let events = env.events_of(&ns, "src");
    assert!(events.iter().any(|e| e.starts_with("InvalidSpec:")), "{events:?}");
}

/// The message of the Connector `src`'s `Ready` condition once its reason is `InvalidSpec`.
fn invalid_spec(env: &TestEnv, ns: &str, containing: &str) -> String {
    wait_for(&format!("InvalidSpec saying {containing}"), Duration::from_secs(30), || {
        let r = ready_condition(env, ns);
        match r["message"].as_str() {
            Some(m) if r["reason"] == "InvalidSpec" && m.contains(containing) => Ok(m.to_owned()),
            _ => Err(r.to_string()),
        }
    })
}

#[test]
fn a_secret_is_used_for_credentials_only_with_its_consent_never_a_token_nor_from_the_url() {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("consent");
    let operator = Operator::start(&env, &ns, 2);
    let password = std::env::var("SLUICE_TEST_CONNECT_BASIC_PASSWORD").expect("from the testenv");
    let url = env.worker_url("basic");
    let name = format!("{ns}-src");
    let access = "    authentication:\n      type: basic\n      basic:\n        secretRef: creds\n";

    // The right credentials, in a Secret that does not say Sluice may use them.
    env.apply(&secret_yaml_with(
        "creds",
        &ns,
        "",
        &[("username", "sluice".into()), ("password", password.clone())],
    ));
    env.apply(&connector_yaml(&ns, &name, &url, access));
    let message = invalid_spec(&env, &ns, "does not allow use by connectRest");
    assert_eq!(
        message,
        "authentication.basic.secretRef: Secret creds does not allow use by connectRest: whoever owns it can allow it with kubectl annotate secret creds --overwrite sluice.dev/usable-by=connectRest"
    );
    let events = env.events_of(&ns, "src");
    assert!(events.iter().any(|e| e.starts_with("InvalidSpec:")), "{events:?}");

    // A service account's token, even annotated, is never sent anywhere.
    env.kubectl_ok(&["create", "serviceaccount", "probe", "-n", &ns]);
    env.apply(&format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sa-token\n  namespace: {ns}\n  annotations:\n    kubernetes.io/service-account.name: probe\n    sluice.dev/usable-by: connectRest\ntype: kubernetes.io/service-account-token\nstringData:\n  username: sluice\n  password: {password}\n"
    ));
    env.apply(&connector_yaml(
        &ns,
        &name,
        &url,
        &access.replace("secretRef: creds", "secretRef: sa-token"),
    ));
    let message = invalid_spec(&env, &ns, "service account token");
    assert!(
        message.starts_with(
            "authentication.basic.secretRef: Secret sa-token is a service account token"
        ),
        "{message}"
    );

    // Credentials in the endpoint URL are refused before anything is sent.
    let embedded = "embedded-pw-789";
    let with_credentials = url.replacen("://", &format!("://sluice:{embedded}@"), 1);
    env.apply(&connector_yaml(&ns, &name, &with_credentials, ""));
    invalid_spec(
        &env,
        &ns,
        "spec.connectRest.endpoint carries credentials (user:password@): remove them and put them in a Secret",
    );
    let on_worker = basic_get(&format!("{url}/connectors"), &password);
    assert!(!on_worker.contains(&name), "{name} reached the worker: {on_worker}");

    // Its owner consents: the same Connector runs.
    env.kubectl_ok(&["annotate", "secret", "creds", "-n", &ns, "sluice.dev/usable-by=connectRest"]);
    env.apply(&connector_yaml(&ns, &name, &url, access));
    wait_running(&env, &ns);

    let seen = visible_text(&env, &ns, &operator);
    for secret in [password.as_str(), embedded, "not-a-real-password-123"] {
        assert!(!seen.contains(secret), "{secret} is visible:\n{seen}");
    }
}

/// `GET url` with the basic-auth worker's credentials, through curl.
fn basic_get(url: &str, password: &str) -> String {
    let out = std::process::Command::new("curl")
        .args(["-sf", "-u", &format!("sluice:{password}"), url])
        .output()
        .expect("curl runs");
    assert!(out.status.success(), "GET {url}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// A minimal Connect `demo` in `ns`, with `access` (YAML under `connectorAccess:`, or empty).
fn connect_yaml(ns: &str, access: &str) -> String {
    format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Connect\nmetadata:\n  name: demo\n  namespace: {ns}\nspec:\n  replicas: 1\n  dependencies:\n    kafka:\n      bootstrapEndpoint: kafka:9092\n{access}"
    )
}

fn referring_connector(ns: &str, name: &str, cluster: &str, cluster_ns: &str) -> String {
    format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Connector\nmetadata:\n  name: src\n  namespace: {ns}\nspec:\n  name: {name}\n  class: {SOURCE}\n  taskMax: 1\n  configs:\n    file: /dev/null\n    topic: {name}\n  connectClusterRef:\n    name: {cluster}\n    namespace: {cluster_ns}\n"
    )
}

fn ready_condition(env: &TestEnv, ns: &str) -> serde_json::Value {
    let c = env.get_json(&["get", "connector", "src", "-n", ns]);
    c["status"]["conditions"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["type"] == "Ready").cloned())
        .unwrap_or_default()
}

#[test]
fn another_namespaces_connect_is_used_only_with_its_consent() {
    let env = TestEnv::require();
    env.install_crds();
    let owner = env.namespace("tenant-a");
    let other = env.namespace("tenant-b");
    // One operator for both teams, reaching every Connect at the real worker.
    let _operator = Operator::start_with(
        &env,
        &owner,
        &[
            "--watch-namespace",
            &other,
            "--resync-seconds",
            "2",
            "--connect-url-template",
            &env.connect_url,
        ],
    );
    env.apply(&connect_yaml(&owner, ""));
    let name = format!("{other}-src");

    // The owner has not consented: the same refusal as for a Connect that does not exist,
    // and nothing reaches the worker.
    env.apply(&referring_connector(&other, &name, "demo", &owner));
    let refused = wait_for("the reference refused", Duration::from_secs(30), || {
        let c = ready_condition(&env, &other);
        if c["reason"] == "InvalidSpec" { Ok(c) } else { Err(c.to_string()) }
    });
    let message = refused["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        message.contains(&format!(
            "spec.connectClusterRef names Connect {owner}/demo, which does not exist or does not let Connectors of namespace {other} use it"
        )),
        "{message}"
    );
    assert!(message.contains("spec.connectorAccess.namespaces"), "{message}");
    assert!(
        env.events_of(&other, "src").iter().any(|e| e.starts_with("InvalidSpec")),
        "an Event says so: {:?}",
        env.events_of(&other, "src")
    );
    assert_eq!(http_status(&format!("{}/connectors/{name}", env.connect_url)), 404);
    env.apply(&referring_connector(&other, &name, "nonesuch", &owner));
    let missing = wait_for("a missing Connect refused alike", Duration::from_secs(30), || {
        let c = ready_condition(&env, &other);
        let m = c["message"].as_str().unwrap_or_default();
        if m.contains("nonesuch") { Ok(m.to_owned()) } else { Err(c.to_string()) }
    });
    assert_eq!(missing, message.replace("demo", "nonesuch"), "a probe tells nothing apart");

    // With the owner's consent, on the Connect, the connector is created.
    env.apply(&connect_yaml(&owner, &format!("  connectorAccess:\n    namespaces: [{other}]\n")));
    env.apply(&referring_connector(&other, &name, "demo", &owner));
    wait_running(&env, &other);
    env.kubectl_ok(&["delete", "connector", "src", "-n", &other, "--timeout=30s"]);
}

/// The HTTP status of a `GET`.
fn http_status(url: &str) -> u16 {
    let out = std::process::Command::new("curl")
        .args(["-s", "-o", "/dev/null", "-w", "%{http_code}", url])
        .output()
        .expect("curl");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
}
