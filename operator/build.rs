//! Records the commit the binary is built from, for `sluice version`: `SLUICE_BUILD_COMMIT`
//! when the build sets it (an image build from an archive has no `.git`), else git's HEAD.

fn main() {
    println!("cargo:rerun-if-env-changed=SLUICE_BUILD_COMMIT");
    println!("cargo:rerun-if-changed=../.git/HEAD");
    println!("cargo:rerun-if-changed=../.git/refs/heads");
    let commit =
        std::env::var("SLUICE_BUILD_COMMIT").ok().filter(|c| !c.is_empty()).or_else(|| {
            let out =
                std::process::Command::new("git").args(["rev-parse", "HEAD"]).output().ok()?;
            out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        });
    println!("cargo:rustc-env=SLUICE_BUILD_COMMIT={}", commit.as_deref().unwrap_or("unknown"));
}
