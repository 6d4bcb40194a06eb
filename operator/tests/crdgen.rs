//! `crds/` and the chart's CRDs are `sluice crdgen` output, and `docs/crds.md` is `sluice
//! crdgen --reference`; this fails when they drift from the Rust types. Regenerate with
//! `cargo run -p sluice -- crdgen > crds/sluice.dev.yaml` (and copy the file to
//! `charts/sluice/crds/`) and `cargo run -p sluice -- crdgen --reference > docs/crds.md`.

use std::path::Path;

fn yaml() -> String {
    sluice::crd::render_yaml().expect("the CRDs render")
}

fn reference() -> String {
    sluice::crd::reference::render_markdown()
}

fn assert_generated(relative: &str, generated: &str, flags: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(relative);
    let on_disk = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{} cannot be read: {e}", path.display()));
    assert!(
        on_disk == generated,
        "{relative} differs from `sluice crdgen{flags}`: run \
         `cargo run -p sluice -- crdgen{flags} > {relative}`"
    );
}

#[test]
fn crds_directory_is_crdgen_output() {
    assert_generated("crds/sluice.dev.yaml", &yaml(), "");
}

#[test]
fn chart_crds_are_crdgen_output() {
    assert_generated("charts/sluice/crds/sluice.dev.yaml", &yaml(), "");
}

#[test]
fn the_crd_reference_is_crdgen_output() {
    assert_generated("docs/crds.md", &reference(), " --reference");
}

#[test]
fn the_binary_prints_the_same_crds_and_reference() {
    for (args, want) in [(&["crdgen"][..], yaml()), (&["crdgen", "--reference"], reference())] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(args)
            .output()
            .expect("sluice runs");
        assert!(out.status.success(), "{args:?}");
        assert_eq!(String::from_utf8(out.stdout).unwrap(), want, "{args:?}");
    }
}
