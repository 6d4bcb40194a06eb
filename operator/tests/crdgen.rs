//! `crds/` and the chart's CRDs are `sluice crdgen` output; this fails when they drift from
//! the Rust types. Regenerate with `cargo run -p sluice -- crdgen > crds/sluice.dev.yaml` and
//! copy the file to `charts/sluice/crds/`.

use std::path::Path;

fn assert_generated(relative: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    let on_disk = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    let generated = sluice::crd::render_yaml().expect("the CRDs render");
    assert!(
        on_disk == generated,
        "{relative} differs from `sluice crdgen`: run `cargo run -p sluice -- crdgen > {relative}`"
    );
}

#[test]
fn crds_directory_is_crdgen_output() {
    assert_generated("crds/sluice.dev.yaml");
}

#[test]
fn chart_crds_are_crdgen_output() {
    assert_generated("charts/sluice/crds/sluice.dev.yaml");
}

#[test]
fn the_binary_prints_the_same_crds() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
        .arg("crdgen")
        .output()
        .expect("sluice runs");
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), sluice::crd::render_yaml().unwrap());
}
