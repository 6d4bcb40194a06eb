//! The CRDs on a real kube-apiserver: the seed examples are accepted unchanged, malformed
//! variants are rejected with a message that names the field, and `kubectl explain` works.

use sluice_e2e::{TestEnv, seed_examples, seed_examples_dir};

fn dry_run(env: &TestEnv, yaml: &str) -> Result<String, String> {
    let out = env.kubectl_with_stdin(&["apply", "--dry-run=server", "-f", "-"], Some(yaml));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if out.status.success() { Ok(stdout) } else { Err(stderr) }
}

fn setup() -> (TestEnv, String) {
    let env = TestEnv::require();
    env.install_crds();
    let ns = env.namespace("crds");
    (env, ns)
}

/// The examples name namespace `confluent`; dry runs go to the test's own namespace instead.
fn in_namespace(yaml: &str, ns: &str) -> String {
    yaml.replace("namespace: confluent", &format!("namespace: {ns}"))
}

#[test]
fn every_seed_example_is_accepted_unchanged() {
    let (env, ns) = setup();
    for file in seed_examples() {
        let yaml = std::fs::read_to_string(&file).unwrap();
        let out = dry_run(&env, &in_namespace(&yaml, &ns))
            .unwrap_or_else(|e| panic!("{} was rejected: {e}", file.display()));
        assert!(out.contains("(server dry run)"), "{}: {out}", file.display());
    }
}

#[test]
fn the_repository_examples_are_accepted() {
    let (env, ns) = setup();
    let dir = sluice_e2e::repo_root().join("examples");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "yaml") {
            let yaml = std::fs::read_to_string(&path).unwrap();
            let yaml = yaml.replace("namespace: sluice-demo", &format!("namespace: {ns}"));
            dry_run(&env, &yaml).unwrap_or_else(|e| panic!("{} was rejected: {e}", path.display()));
            seen += 1;
        }
    }
    assert!(seen > 0, "no examples in {}", dir.display());
}

const CONNECTOR: &str = r#"
apiVersion: sluice.dev/v1alpha1
kind: Connector
metadata:
  name: bad
  namespace: NS
spec:
  class: org.apache.kafka.connect.file.FileStreamSourceConnector
  taskMax: 1
  connectRest:
    endpoint: http://connect:8083
"#;

/// Each malformed Connector and the words the API server's answer must contain: the field
/// and what is wrong with it.
#[test]
fn malformed_connectors_are_rejected_naming_the_field() {
    let (env, ns) = setup();
    let base = CONNECTOR.replace("NS", &ns);
    let cases: &[(&str, String, &[&str])] = &[
        (
            "missing class",
            base.replace("  class: org.apache.kafka.connect.file.FileStreamSourceConnector\n", ""),
            &["spec.class", "Required value"],
        ),
        (
            "taskMax 0",
            base.replace("taskMax: 1", "taskMax: 0"),
            &["spec.taskMax", "should be greater than or equal to 1"],
        ),
        (
            "unknown restart type",
            format!("{base}  restartPolicy:\n    type: Sometimes\n"),
            &[
                "spec.restartPolicy.type",
                "Unsupported value: \"Sometimes\"",
                "\"OnFailure\", \"Never\", \"Policy\"",
            ],
        ),
        (
            "Policy restart without policyRef",
            format!("{base}  restartPolicy:\n    type: Policy\n"),
            &["spec.restartPolicy", "restartPolicy.type Policy needs restartPolicy.policyRef"],
        ),
        (
            "both connectRest and connectClusterRef",
            format!("{base}  connectClusterRef:\n    name: connect\n"),
            &["spec", "set exactly one of spec.connectClusterRef"],
        ),
        (
            "connector.class in configs",
            format!("{base}  configs:\n    connector.class: x\n"),
            &["spec.configs must not set connector.class: set spec.class instead"],
        ),
        (
            "endpoint without scheme",
            base.replace("http://connect:8083", "connect:8083"),
            &["spec.connectRest.endpoint", "must be an http:// or https:// URL"],
        ),
        // Names Connect can never serve under /connectors/<name>.
        (
            "name ..",
            base.replace("  class:", "  name: \"..\"\n  class:"),
            &["spec.name", "must not be . or .."],
        ),
        (
            "name with /",
            base.replace("  class:", "  name: a/b\n  class:"),
            &["spec.name", "must not contain /"],
        ),
        (
            "name with a control character",
            base.replace("  class:", "  name: \"a\\x01b\"\n  class:"),
            &["spec.name", "must not contain control characters"],
        ),
        (
            "name with surrounding whitespace",
            base.replace("  class:", "  name: \" padded\"\n  class:"),
            &["spec.name", "must not begin or end with whitespace"],
        ),
    ];
    for (name, yaml, expected) in cases {
        let err = dry_run(&env, yaml).err().unwrap_or_else(|| panic!("{name}: accepted"));
        for word in *expected {
            assert!(err.contains(word), "{name}: {word:?} not in the error: {err}");
        }
    }
}

#[test]
fn malformed_connects_are_rejected_naming_the_field() {
    let (env, ns) = setup();
    let url = std::fs::read_to_string(seed_examples_dir().join("connect-url.yaml")).unwrap();
    let url = in_namespace(&url, &ns);
    let checksum = "f2e6588d16f0dfff44f306bf4854cdf85fa38cd7f362dfd2c2e50e9e07f5bedaf0c60bd98b2562d09cd868c161ab81511be44732bc2ca83556baf7b61d0d50b0";
    let cases: &[(&str, String, &[&str])] = &[
        (
            "checksum of the wrong length",
            url.replace(checksum, &checksum[..64]),
            &["spec.build.onDemand.plugins.url[0].checksum", "128 hex digits"],
        ),
        (
            "checksum that is not hex",
            url.replace(checksum, &"z".repeat(128)),
            &["spec.build.onDemand.plugins.url[0].checksum", "128 hex digits"],
        ),
        (
            "url plugin without checksum",
            url.replace(&format!("            checksum: {checksum}\n"), ""),
            &["spec.build.onDemand.plugins.url[0].checksum", "Required value"],
        ),
        (
            "locationType without its list",
            url.replace("locationType: url", "locationType: confluentHub"),
            &["spec.build.onDemand.plugins", "locationType confluentHub needs at least one entry"],
        ),
        (
            "unknown locationType",
            url.replace("locationType: url", "locationType: ftp"),
            &["spec.build.onDemand.plugins.locationType", "Unsupported value: \"ftp\""],
        ),
        // Names the rendered Services and StatefulSet cannot take: accepted as a Connect's
        // name by Kubernetes, they would fail at every apply.
        (
            "name starting with a digit",
            url.replace("  name: connect\n", "  name: 1connect\n"),
            &["metadata.name must be at most 52 lowercase letters"],
        ),
        (
            "name with a dot",
            url.replace("  name: connect\n", "  name: my.connect\n"),
            &["metadata.name must be at most 52 lowercase letters"],
        ),
        (
            "name of 53 characters",
            url.replace("  name: connect\n", &format!("  name: c{}\n", "x".repeat(52))),
            &["metadata.name must be at most 52 lowercase letters", "11 characters"],
        ),
    ];
    for (name, yaml, expected) in cases {
        let err = dry_run(&env, yaml).err().unwrap_or_else(|| panic!("{name}: accepted"));
        for word in *expected {
            assert!(err.contains(word), "{name}: {word:?} not in the error: {err}");
        }
    }
    let longest = url.replace("  name: connect\n", &format!("  name: c{}\n", "x".repeat(51)));
    dry_run(&env, &longest).expect("a name of 52 characters is accepted");
}

#[test]
fn malformed_policies_are_rejected_naming_the_field() {
    let (env, ns) = setup();
    let base = format!(
        "apiVersion: sluice.dev/v1alpha1\nkind: Policy\nmetadata:\n  name: p\n  namespace: {ns}\nspec:\n  module:\n"
    );
    let cases: &[(&str, String, &[&str])] = &[
        (
            "url without sha256",
            format!("{base}    url: https://x/p.wasm\n"),
            &["module.url needs module.sha256"],
        ),
        (
            "two sources",
            format!(
                "{base}    file: /p.wasm\n    url: https://x/p.wasm\n    sha256: {}\n",
                "a".repeat(64)
            ),
            &["set exactly one of module.configMapRef, module.url or module.file"],
        ),
        ("no source", format!("{base}    {{}}\n"), &["set exactly one of module.configMapRef"]),
    ];
    for (name, yaml, expected) in cases {
        let err = dry_run(&env, yaml).err().unwrap_or_else(|| panic!("{name}: accepted"));
        for word in *expected {
            assert!(err.contains(word), "{name}: {word:?} not in the error: {err}");
        }
    }
}

#[test]
fn kubectl_explain_shows_the_field_descriptions() {
    let (env, _) = setup();
    let restart = env.kubectl_ok(&["explain", "connector.spec.restartPolicy"]);
    assert!(restart.contains("GROUP:      sluice.dev"), "{restart}");
    assert!(restart.contains("maxRetry"), "{restart}");
    assert!(restart.contains("How many automatic restarts to attempt"), "{restart}");
    let plugins = env.kubectl_ok(&["explain", "connect.spec.build.onDemand.plugins.url.checksum"]);
    assert!(plugins.contains("sha512"), "{plugins}");
    let policy = env.kubectl_ok(&["explain", "policy.spec.failurePolicy"]);
    assert!(policy.contains("Ignore"), "{policy}");
}

#[test]
fn printer_columns_and_short_names_are_served() {
    let (env, ns) = setup();
    let table = env.kubectl_ok(&["get", "kctr", "-n", &ns]);
    // No objects yet: kubectl says so, and the short name resolved.
    assert!(table.is_empty() || table.contains("No resources"), "{table}");
    let resources = env.kubectl_ok(&["api-resources", "--api-group=sluice.dev"]);
    for short in ["kctr", "kc", "spol"] {
        assert!(resources.contains(short), "short name {short} missing: {resources}");
    }
}

/// The repository carries the seed's examples so a clone stands alone; where the project's
/// shared folder lies beside it (as on the developers' machines and CI), the copies must still
/// equal the originals.
#[test]
fn the_repository_copies_of_the_seed_examples_equal_the_originals() {
    let copies = seed_examples();
    let originals = sluice_e2e::repo_root().join("../shared/examples");
    if !originals.is_dir() {
        eprintln!("no {} beside the repository: only the copies are checked", originals.display());
        assert_eq!(copies.len(), 3, "the three seed examples are in examples/cfk");
        return;
    }
    let mut names: Vec<_> = std::fs::read_dir(&originals)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".yaml"))
        .collect();
    names.sort();
    let copied: Vec<_> =
        copies.iter().map(|p| p.file_name().unwrap().to_str().unwrap().to_owned()).collect();
    assert_eq!(copied, names, "examples/cfk holds exactly the seed's examples");
    // Comment lines aside: the copies' own say where they come from in words a reader of
    // the repository can follow.
    let manifest = |path: std::path::PathBuf| {
        let text = std::fs::read_to_string(path).unwrap();
        text.lines().filter(|l| !l.trim_start().starts_with('#')).collect::<Vec<_>>().join("\n")
    };
    for name in names {
        let original = manifest(originals.join(&name));
        let copy = manifest(seed_examples_dir().join(&name));
        assert!(original == copy, "examples/cfk/{name} differs from ../shared/examples/{name}");
    }
}
