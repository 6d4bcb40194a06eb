#!/usr/bin/env bash
# Builds the operator of the previous release (PREVIOUS_RELEASE in versions.env) for the
# upgrade test: its tree (chart, CRDs) in target/previous/src and its binary at
# target/previous/sluice. It shares this workspace's target directory, so only the sluice
# crate is compiled again (the dependencies are the same). Its package and binary are
# renamed sluice-previous in the extracted tree first: cargo names a workspace member's
# artifacts by its package, not its path, so under its own name the previous release's
# library and binary would overwrite this tree's (target/debug/deps/libsluice-<same hash>,
# target/debug/sluice) and leave this tree's build fresh on the wrong files.
#
# Usage: tests/env/previous-release.sh   (from anywhere; needs the repository's history)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/env/versions.env
source "$here/versions.env"
out=$repo/target/previous
log() { printf '[previous-release] %s\n' "$*" >&2; }
die() { printf '[previous-release] FAILED: %s\n' "$*" >&2; exit 1; }

cd "$repo"
git cat-file -e "$PREVIOUS_RELEASE^{commit}" 2>/dev/null ||
  die "commit $PREVIOUS_RELEASE is not in this clone: the upgrade test needs the repository's history (git fetch --unshallow)"
if [[ -x $out/sluice && $(cat "$out/release" 2>/dev/null) == "$PREVIOUS_RELEASE" ]]; then
  log "target/previous holds $PREVIOUS_RELEASE"
  exit 0
fi
rm -rf "$out"; mkdir -p "$out/src"
git archive "$PREVIOUS_RELEASE" | tar -x -C "$out/src"
# A release does not change: its binary is kept in the cache, and a clean clone copies it
# rather than compiling the crate again (minutes of a CI run).
cache=${SLUICE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-testenv}
kept=$cache/sluice-previous-$PREVIOUS_RELEASE
if [[ -x $kept ]] && "$kept" --help >/dev/null 2>&1; then
  cp "$kept" "$out/sluice"
  echo "$PREVIOUS_RELEASE" >"$out/release"
  log "target/previous/sluice copied from $kept"
  exit 0
fi
manifest=$out/src/operator/Cargo.toml
# The package and the binary; the library keeps its crate name (`[lib] name`), which its
# own code uses.
sed -i -e '/^\[package\]/,/^\[/ s/^name = "sluice"$/name = "sluice-previous"/' \
  -e '/^\[\[bin\]\]/,/^\[/ s/^name = "sluice"$/name = "sluice-previous"/' "$manifest"
[[ $(grep -c '^name = "sluice-previous"$' "$manifest") == 2 ]] ||
  die "renaming the previous release's package and binary in $manifest"
log "building the operator of $PREVIOUS_RELEASE"
# Not --locked: the rename changes its lock file's entry for the package, nothing else.
# The workspace's target directory as cargo names it (tests/run may point it into the
# cache): through another path, the shared dependencies would be built again over it.
target_dir=${CARGO_TARGET_DIR:-$repo/target}
cargo build -q -p sluice-previous --bin sluice-previous --manifest-path "$out/src/Cargo.toml" \
  --target-dir "$target_dir" || die "building the previous release's operator"
cp "$target_dir/debug/sluice-previous" "$out/sluice"
"$out/sluice" --help >/dev/null || die "the previous release's binary does not run"
mkdir -p "$cache"
cp "$out/sluice" "$kept.tmp" && mv "$kept.tmp" "$kept"
echo "$PREVIOUS_RELEASE" >"$out/release"
log "target/previous/sluice built from $PREVIOUS_RELEASE"
