#!/usr/bin/env bash
# Builds or downloads every real component of the test environment, once per version, into
# a cache directory keyed by version:
#   $SLUICE_CACHE/kubernetes-<v>/bin/kube-{apiserver,controller-manager,scheduler,proxy}, kubelet
#                                                  from the Go module proxy, in one build
#   $SLUICE_CACHE/coredns-<v>/bin/coredns         from the Go module proxy (the cluster DNS)
#   $SLUICE_CACHE/etcd-<v>/bin/etcd               from the Go module proxy
#   $SLUICE_CACHE/helm-<v>/bin/helm               from the Go module proxy
#   $SLUICE_CACHE/kafka-<v>/{lib,plugins}         from Maven Central: the default (4.x), the
#                                                  legacy lane (3.9) and the oldest line the
#                                                  conformance suite checks (3.4)
#   $SLUICE_CACHE/kubectl-<v>/bin/kubectl         only where the machine has no kubectl
# A component counts as cached only once its directory holds a `.complete` marker, so an
# interrupted build is redone rather than trusted.
#
# Usage: tests/env/build.sh [kube|etcd|helm|kafka|kafka-legacy|kafka-oldest|kubectl ...]   (default: all but kubectl)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/env/versions.env
source "$here/versions.env"
cache=${SLUICE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-testenv}
mkdir -p "$cache"

log() { printf '[testenv build] %s\n' "$*" >&2; }
die() { printf '[testenv build] FAILED: %s\n' "$*" >&2; exit 1; }

# Runs "$@" to fill a fresh staging directory and moves it to $cache/$1 when it succeeds.
cached() {
  local name=$1; shift
  local dest=$cache/$name
  if [[ -f $dest/.complete ]]; then return 0; fi
  local stage=$cache/.$name.partial
  rm -rf "$stage"; mkdir -p "$stage"
  log "building $name (cold; cached afterwards in $dest)"
  local start=$SECONDS
  if ! "$@" "$stage" >"$cache/$name.build.log" 2>&1; then
    tail -n 30 "$cache/$name.build.log" >&2
    die "$name: see $cache/$name.build.log"
  fi
  touch "$stage/.complete"
  rm -rf "$dest"; mv "$stage" "$dest"
  log "built $name in $((SECONDS - start)) s"
}

# k/k's go.mod replaces its staging modules with ./staging/...; Go ignores a dependency's
# replace directives, so a module of our own pins each staging module to its published v0.x.
KUBE_STAGING=(api apiextensions-apiserver apimachinery apiserver cli-runtime client-go
  cloud-provider cluster-bootstrap code-generator component-base component-helpers
  controller-manager cri-api cri-client csi-translation-lib dynamic-resource-allocation
  endpointslice externaljwt kms kube-aggregator kube-controller-manager kube-proxy
  kube-scheduler kubectl kubelet metrics mount-utils pod-security-admission sample-apiserver
  sample-cli-plugin sample-controller)

# The control plane and the node: one build of one module, so the five commands share
# every compiled package (about 8 minutes cold on 2 cores, most of it the kubelet).
KUBE_COMMANDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

build_kube() {
  build_kube_commands "$1" "${KUBE_COMMANDS[@]}"
}

# kubectl comes with the machine; this builds one of the tested version where it does not.
build_kubectl() {
  build_kube_commands "$1" kubectl
}

build_kube_commands() {
  local out=$1 mod=$1/src; shift
  local cmds=("$@") pkgs=() cmd
  local staging_minor="0.${KUBE_VERSION#1.}"
  mkdir -p "$mod"
  {
    echo "module sluice.dev/testenv/kube"
    echo
    echo "go 1.24.0"
    echo
    echo "godebug default=go1.24"
    echo
    echo "require k8s.io/kubernetes v$KUBE_VERSION"
    echo
    for m in "${KUBE_STAGING[@]}"; do echo "replace k8s.io/$m => k8s.io/$m v$staging_minor"; done
  } >"$mod/go.mod"
  {
    sed -n '/^\/\/go:build/,/^package/p' "$here/go/kube/tools.go"
    echo
    for cmd in "${cmds[@]}"; do
      echo "import _ \"k8s.io/kubernetes/cmd/$cmd\""
      pkgs+=("k8s.io/kubernetes/cmd/$cmd")
    done
  } >"$mod/tools.go"
  local pkg=k8s.io/component-base/version pkg2=k8s.io/client-go/pkg/version
  local ldflags="-s -w -X $pkg.gitVersion=v$KUBE_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=${KUBE_VERSION#1.}"
  ldflags+=" -X $pkg2.gitVersion=v$KUBE_VERSION"
  (cd "$mod" && go mod tidy && CGO_ENABLED=0 go build -trimpath -tags selinux,notest \
    -ldflags "$ldflags" -o "$out/bin/" "${pkgs[@]}")
  rm -rf "$mod"
}

# CoreDNS with its kubernetes plugin (compiled in by default) serves cluster.local to pods
# and to an operator running in the cluster. Its root package is the main package.
build_coredns() {
  local out=$1 mod=$1/src
  mkdir -p "$mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/coredns/coredns"\n' >"$mod/tools.go"
  printf 'module sluice.dev/testenv/coredns\n\ngo 1.24.0\n\nrequire github.com/coredns/coredns v%s\n' "$COREDNS_VERSION" >"$mod/go.mod"
  (cd "$mod" && go mod tidy && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/bin/coredns" github.com/coredns/coredns)
  rm -rf "$mod"
}

build_etcd() {
  local out=$1 mod=$1/src
  mkdir -p "$mod"
  cp "$here/go/etcd/main.go" "$mod/"
  printf 'module sluice.dev/testenv/etcd\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$ETCD_VERSION" >"$mod/go.mod"
  (cd "$mod" && go mod tidy && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/bin/etcd" .)
  rm -rf "$mod"
}

build_helm() {
  local out=$1
  mkdir -p "$out/bin"
  GOBIN=$out/bin CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION"
}

# Kafka of version $2 into $1: 4.x logs through Log4j2, 3.x through log4j 1 (reload4j).
build_kafka() {
  local out=$1 version=$2 logging=reload4j
  [[ $version == 3.* ]] || logging=log4j2
  # `cached` runs this inside an `if`, where `set -e` does not stop it: each step says.
  mvn -B -q -f "$here/kafka/pom.xml" -Dkafka.version="$version" -Dkafka.logging=$logging \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$out/lib" || return 1
  # The FileStream connectors left the worker's classpath in 3.2: they are a real plugin to
  # install under plugin.path, which is what the tests need.
  mvn -B -q -f "$here/kafka/pom.xml" -Dkafka.logging=$logging dependency:copy \
    -Dartifact="org.apache.kafka:connect-file:$version" -DoutputDirectory="$out/plugins/connect-file" || return 1
  echo "$logging" >"$out/logging"
}
build_kafka_default() { build_kafka "$1" "$KAFKA_VERSION"; }
build_kafka_legacy() { build_kafka "$1" "$KAFKA_LEGACY_VERSION"; }
build_kafka_oldest() { build_kafka "$1" "$KAFKA_OLDEST_VERSION"; }

components=("$@")
[[ ${#components[@]} -gt 0 ]] || components=(kafka kafka-legacy kafka-oldest etcd helm kube coredns)
for c in "${components[@]}"; do
  case $c in
    kube) cached "kubernetes-$KUBE_VERSION" build_kube ;;
    kubectl) cached "kubectl-$KUBE_VERSION" build_kubectl ;;
    etcd) cached "etcd-$ETCD_VERSION" build_etcd ;;
    helm) cached "helm-$HELM_VERSION" build_helm ;;
    kafka) cached "kafka-$KAFKA_VERSION" build_kafka_default ;;
    kafka-legacy) cached "kafka-$KAFKA_LEGACY_VERSION" build_kafka_legacy ;;
    kafka-oldest) cached "kafka-$KAFKA_OLDEST_VERSION" build_kafka_oldest ;;
    coredns) cached "coredns-$COREDNS_VERSION" build_coredns ;;
    *) die "unknown component '$c' (expected kube, etcd, helm, kafka, kafka-legacy, kafka-oldest, coredns or kubectl)" ;;
  esac
done
