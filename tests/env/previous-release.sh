#!/usr/bin/env bash
# Builds the operator of the previous release (PREVIOUS_RELEASE in versions.env) for the
# upgrade test: its tree (chart, CRDs) in target/previous/src and its binary at
# target/previous/sluice. It shares this workspace's target directory, so only the sluice
# crate is compiled again (the dependencies are the same); that build replaces
# target/debug/sluice, so this tree's binary is built again afterwards and checked to be
# back, byte for byte.
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
current=target/debug/sluice
cargo build --locked -q -p sluice
before=$(sha256sum "$current" | cut -d' ' -f1)
rm -rf "$out"; mkdir -p "$out/src"
git archive "$PREVIOUS_RELEASE" | tar -x -C "$out/src"
log "building the operator of $PREVIOUS_RELEASE"
cargo build --locked -q -p sluice --manifest-path "$out/src/Cargo.toml" --target-dir "$repo/target"
cp "$current" "$out/sluice"
cargo build --locked -q -p sluice
[[ $(sha256sum "$current" | cut -d' ' -f1) == "$before" ]] ||
  die "target/debug/sluice is not this tree's binary again after building the previous release"
echo "$PREVIOUS_RELEASE" >"$out/release"
log "target/previous/sluice built from $PREVIOUS_RELEASE"
