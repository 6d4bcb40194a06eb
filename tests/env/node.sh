# The real node of the test environment: containerd + runc, the kubelet, kube-proxy,
# kube-controller-manager, kube-scheduler and CoreDNS, on a pod bridge of our own.
# Sourced by tests/env/testenv; every function here uses its $dir, $cache, spawn, wait_for
# and stop_part.
#
# Host changes, each undone by node_down (also after an unclean stop: node_down reads what
# node_up recorded in $NODE_STATE, and falls back to the fixed names below):
#   - the bridge $NODE_BRIDGE with $NODE_IP, and a route of the Service range to it;
#   - the guard chains SLUICE-GUARD-OUT / SLUICE-GUARD-FWD in mangle, created before anything
#     can forward, so no packet to or from the pod and Service ranges leaves by the uplink;
#   - the KUBE-* and CNI-* chains kube-proxy, the kubelet and the CNI plugins add (IPv4 and IPv6);
#   - the sysctls they change (recorded before start, restored after);
#   - mounts under the node's directory, the kubepods and k8s.io cgroups, /run/containerd
#     and /var/log/containers, which containerd and the kubelet hard-code.

NODE_NAME=sluice-node
NODE_BRIDGE=sluice0
NODE_POD_CIDR=10.244.0.0/24
NODE_IP=10.244.0.1
NODE_SERVICE_CIDR=10.0.0.0/24
# The kubernetes Service's address: the first of the Service range.
NODE_KUBERNETES_SVC_IP=10.0.0.1
NODE_DOMAIN=cluster.local
NODE_STATE=/run/sluice-testenv-node
NODE_PARTS=(containerd controller-manager scheduler coredns kube-proxy kubelet)
# Images are imported from scripts/build-images, never pulled (no registry is reachable).
PAUSE_IMAGE=localhost/sluice/pause:1.0
# What the kubelet (kernel tunables), kube-proxy and the bridge plugin may set.
NODE_SYSCTLS=(net.ipv4.ip_forward net.ipv4.conf.all.route_localnet vm.overcommit_memory
  vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys
  kernel.keys.root_maxbytes net.bridge.bridge-nf-call-iptables net.netfilter.nf_conntrack_max
  net.netfilter.nf_conntrack_tcp_timeout_established net.netfilter.nf_conntrack_tcp_timeout_close_wait)
# Directories containerd, libcni and the kubelet hard-code outside any work directory.
NODE_HARDCODED_DIRS=(/run/containerd /var/lib/cni /var/log/containers /var/log/pods)
NODE_CGROUP_CONTROLLERS=(cpu cpuacct cpuset memory devices freezer blkio pids systemd hugetlb
  net_cls net_prio perf_event rdma misc unified)

node_dir() { echo "$dir/node"; }

uplink() { ip -o route show default 2>/dev/null | awk '{for (i=1;i<NF;i++) if ($i=="dev") {print $(i+1); exit}}'; }

node_check_built() {
  local missing=() t
  for t in containerd containerd-shim-runc-v2 runc iptables conntrack ip ctr; do
    command -v "$t" >/dev/null 2>&1 || missing+=("$t")
  done
  [[ -x /usr/lib/cni/bridge && -x /usr/lib/cni/host-local && -x /usr/lib/cni/loopback ]] ||
    missing+=("CNI plugins in /usr/lib/cni")
  ((${#missing[@]} == 0)) ||
    fail "the node needs ${missing[*]}: run scripts/prerequisites (Debian packages containerd, runc, containernetworking-plugins, iptables, conntrack)"
  [[ $(id -u) -eq 0 ]] || fail "the node needs root (bridge, iptables, mounts, cgroups)"
  [[ -n $(uplink) ]] || fail "no default route: cannot tell the uplink interface the guard must close"
}

# --- host networking: the bridge, the Service route and the guard -------------------------

# Records every sysctl the node may change, once, so node_down restores the machine's values
# even after an unclean stop.
node_record_sysctls() {
  mkdir -p "$NODE_STATE"
  [[ -f $NODE_STATE/sysctls ]] && return 0
  local k
  for k in "${NODE_SYSCTLS[@]}"; do
    [[ -e /proc/sys/${k//./\/} ]] && echo "$k=$(sysctl -n "$k")"
  done >"$NODE_STATE/sysctls.partial"
  mv "$NODE_STATE/sysctls.partial" "$NODE_STATE/sysctls"
  uplink >"$NODE_STATE/uplink"
  echo "$dir" >"$NODE_STATE/owner"
  local d
  for d in "${NODE_HARDCODED_DIRS[@]}"; do if [[ -d $d ]]; then echo "$d"; fi; done >"$NODE_STATE/existing-dirs"
}

node_guard_up() {
  local up
  up=$(cat "$NODE_STATE/uplink")
  # Leftovers of a run whose state was lost (a reboot clears /run): start clean.
  node_flush_chains
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
  # The guard comes first, before the bridge exists and before anything turns on forwarding.
  iptables -t mangle -N SLUICE-GUARD-OUT
  iptables -t mangle -N SLUICE-GUARD-FWD
  local range
  for range in "$NODE_POD_CIDR" "$NODE_SERVICE_CIDR"; do
    iptables -t mangle -A SLUICE-GUARD-OUT -o "$up" -d "$range" -j DROP
    iptables -t mangle -A SLUICE-GUARD-OUT -o "$up" -s "$range" -j DROP
  done
  iptables -t mangle -A SLUICE-GUARD-FWD -i "$up" -j DROP
  iptables -t mangle -A SLUICE-GUARD-FWD -o "$up" -j DROP
  iptables -t mangle -I POSTROUTING 1 -j SLUICE-GUARD-OUT
  iptables -t mangle -I FORWARD 1 -j SLUICE-GUARD-FWD
  ip link add "$NODE_BRIDGE" type bridge
  ip addr add "$NODE_IP/${NODE_POD_CIDR#*/}" dev "$NODE_BRIDGE"
  ip link set "$NODE_BRIDGE" up
  # An unmatched Service IP dies on the bridge instead of following the default route.
  ip route add "$NODE_SERVICE_CIDR" dev "$NODE_BRIDGE"
}

# The packets the guard dropped on the uplink: the suite checks this stays 0. A guard that
# is not there in full (a chain missing, unhooked, or short of its DROP rules) is an error,
# never a count of 0: the count would prove nothing.
node_guard_drops() {
  local chain hook want listing rules
  for chain in SLUICE-GUARD-OUT:POSTROUTING:4 SLUICE-GUARD-FWD:FORWARD:2; do
    IFS=: read -r chain hook want <<<"$chain"
    listing=$(iptables -t mangle -L "$chain" -v -x -n 2>&1) ||
      { echo "the guard's chain $chain is missing: $listing" >&2; return 1; }
    iptables -t mangle -C "$hook" -j "$chain" 2>/dev/null ||
      { echo "the guard's chain $chain is not hooked into mangle $hook" >&2; return 1; }
    rules=$(awk 'NR>2 && $3 == "DROP"' <<<"$listing" | wc -l)
    ((rules >= want)) ||
      { echo "the guard's chain $chain has $rules DROP rules, not $want" >&2; return 1; }
    awk 'NR>2 {s+=$1} END {print s+0}' <<<"$listing"
  done
}

# --- configuration -------------------------------------------------------------------------

# Called by write_config: the apiserver needs its kubelet client certificate to start.
node_certs() {
  local d=$dir/pki
  (
    cd "$d"
    issue() { # name subject extfile
      openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
      openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
        -extfile "$3" -out "$1.crt" 2>/dev/null
    }
    printf 'subjectAltName=DNS:%s,IP:%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$NODE_NAME" "$NODE_IP" >kubelet.ext
    issue kubelet "/O=system:nodes/CN=system:node:$NODE_NAME" kubelet.ext
    issue apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client" client.ext
    issue kcm "/CN=system:kube-controller-manager" client.ext
    issue scheduler "/CN=system:kube-scheduler" client.ext
    issue kube-proxy "/CN=system:kube-proxy" client.ext
  )
}

# A kubeconfig for a node component with its own client certificate.
node_kubeconfig() {
  local name=$1 kc=$dir/node/$1.kubeconfig
  KUBECONFIG=$kc kubectl config set-cluster testenv --server="https://$NODE_IP:$APISERVER_PORT" \
    --certificate-authority="$dir/pki/ca.crt" --embed-certs=true >/dev/null
  KUBECONFIG=$kc kubectl config set-credentials "$name" --client-certificate="$dir/pki/$2.crt" \
    --client-key="$dir/pki/$2.key" --embed-certs=true >/dev/null
  KUBECONFIG=$kc kubectl config set-context default --cluster=testenv --user="$name" >/dev/null
  KUBECONFIG=$kc kubectl config use-context default >/dev/null
}

node_write_config() {
  local n=$dir/node
  mkdir -p "$n"/{containerd,cni/net.d,cni/ipam,kubelet,pod-logs,volumes}
  node_kubeconfig kubelet kubelet
  node_kubeconfig kcm kcm
  node_kubeconfig scheduler scheduler
  node_kubeconfig kube-proxy kube-proxy
  node_kubeconfig coredns admin

  cat >"$n/containerd/config.toml" <<EOF
version = 2
root = "$n/containerd/root"
state = "$n/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.grpc.v1.cri.tracing", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$n/containerd/containerd.sock"
[ttrpc]
  address = "$n/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.internal.v1.opt"]
  path = "$n/containerd/opt"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This VM grants no CAP_SYS_RESOURCE: a sandbox asking for oom_score_adj -998 cannot start.
  restrict_oom_score_adj = true
  netns_mounts_under_state_dir = true
  enable_selinux = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$n/cni/net.d"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
EOF

  # ipMasq off: nothing from a pod is rewritten to the host's address, so the guard sees
  # every pod packet by its pod address.
  cat >"$n/cni/net.d/10-sluice.conflist" <<EOF
{
  "cniVersion": "0.4.0",
  "name": "sluice",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "$NODE_BRIDGE",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "$n/cni/ipam",
        "ranges": [[{"subnet": "$NODE_POD_CIDR", "gateway": "$NODE_IP"}]],
        "routes": [{"dst": "0.0.0.0/0"}]
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF

  # Pods whose dnsPolicy is not ClusterFirst get this file: the cluster DNS only, never the
  # machine's resolver.
  printf 'nameserver %s\n' "$NODE_IP" >"$n/resolv.conf"

  cat >"$n/kubelet/config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
port: $KUBELET_PORT
readOnlyPort: 0
healthzPort: $KUBELET_HEALTHZ_PORT
healthzBindAddress: 127.0.0.1
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $dir/pki/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $dir/pki/kubelet.crt
tlsPrivateKeyFile: $dir/pki/kubelet.key
rotateCertificates: false
serverTLSBootstrap: false
containerRuntimeEndpoint: unix://$n/containerd/containerd.sock
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
oomScoreAdj: 0
clusterDomain: $NODE_DOMAIN
clusterDNS: [$NODE_IP]
resolvConf: $n/resolv.conf
podLogsDir: $n/pod-logs
maxPods: 60
# The disk is shared with the build: evict only when it is really full.
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%", nodefs.inodesFree: "1%"}
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
# The images are imported, never pulled: garbage-collecting them would lose them.
imageMinimumGCAge: 8760h
EOF

  cat >"$n/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: $n/kube-proxy.kubeconfig}
mode: iptables
clusterCIDR: $NODE_POD_CIDR
bindAddress: $NODE_IP
healthzBindAddress: 127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT
metricsBindAddress: 127.0.0.1:$KUBE_PROXY_METRICS_PORT
oomScoreAdj: 0
# 0: leave the machine's conntrack limits and timeouts as they are.
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
hostnameOverride: $NODE_NAME
EOF

  # Only the cluster's names: no forward plugin, so nothing is ever asked of a resolver
  # outside the machine; every other name is answered NXDOMAIN here.
  cat >"$n/Corefile" <<EOF
$NODE_DOMAIN:53 in-addr.arpa:53 ip6.arpa:53 {
    bind $NODE_IP
    errors
    kubernetes $NODE_DOMAIN in-addr.arpa ip6.arpa {
        kubeconfig $n/coredns.kubeconfig default
        pods insecure
        ttl 5
    }
}
.:53 {
    bind $NODE_IP
    template ANY ANY {
        rcode NXDOMAIN
    }
}
EOF
}

# --- the parts -----------------------------------------------------------------------------

start_containerd() {
  # No registry is reachable and none may be tried: every pull goes to a proxy on loopback
  # that refuses, so an image that was not imported fails at once ("connection refused")
  # without a DNS query or a packet leaving the machine. Go never proxies loopback, so
  # localhost/ images would be asked of loopback only.
  spawn containerd env HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9 NO_PROXY= \
    containerd --config "$dir/node/containerd/config.toml"
  wait_for 60 containerd "$dir/logs/containerd.log" \
    ctr --address "$dir/node/containerd/containerd.sock" version
}

ctr_k8s() { ctr --address "$dir/node/containerd/containerd.sock" -n k8s.io "$@"; }

# Imports the OCI archives scripts/build-images made (the pause image among them).
node_import_images() {
  local archive
  for archive in "$@"; do
    ctr_k8s images import --no-unpack=false "$archive" >>"$dir/logs/images.log" 2>&1 ||
      fail "importing $archive into containerd" "$dir/logs/images.log"
  done
}

start_kcm() {
  local p=$dir/pki
  spawn controller-manager "$KUBE_BIN/kube-controller-manager" --kubeconfig="$dir/node/kcm.kubeconfig" \
    --authentication-kubeconfig="$dir/node/kcm.kubeconfig" --authorization-kubeconfig="$dir/node/kcm.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$KCM_PORT" --leader-elect=false \
    --controllers='*,-nodeipam,-cloud-node-lifecycle,-service-lb-controller,-node-route-controller' \
    --use-service-account-credentials --service-account-private-key-file="$p/sa.key" \
    --root-ca-file="$p/ca.crt" --cluster-signing-cert-file="$p/ca.crt" --cluster-signing-key-file="$p/ca.key" \
    --service-cluster-ip-range="$NODE_SERVICE_CIDR" --cert-dir="$dir/work/kcm-certs"
  wait_for 60 controller-manager "$dir/logs/controller-manager.log" \
    curl -fsSk "https://127.0.0.1:$KCM_PORT/healthz"
}

start_scheduler() {
  spawn scheduler "$KUBE_BIN/kube-scheduler" --kubeconfig="$dir/node/scheduler.kubeconfig" \
    --authentication-kubeconfig="$dir/node/scheduler.kubeconfig" --authorization-kubeconfig="$dir/node/scheduler.kubeconfig" \
    --bind-address=127.0.0.1 --secure-port="$SCHEDULER_PORT" --leader-elect=false \
    --cert-dir="$dir/work/scheduler-certs"
  wait_for 60 scheduler "$dir/logs/scheduler.log" curl -fsSk "https://127.0.0.1:$SCHEDULER_PORT/healthz"
}

start_kubelet() {
  spawn kubelet "$KUBE_BIN/kubelet" --config="$dir/node/kubelet/config.yaml" \
    --kubeconfig="$dir/node/kubelet.kubeconfig" --root-dir="$dir/node/kubelet/root" \
    --node-ip="$NODE_IP" --hostname-override="$NODE_NAME" --v=1
  wait_for 120 kubelet "$dir/logs/kubelet.log" node_ready
}

node_ready() {
  [[ $(kubectl --kubeconfig "$dir/kubeconfig" get node "$NODE_NAME" \
    -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}

start_kube_proxy() {
  spawn kube-proxy "$KUBE_BIN/kube-proxy" --config="$dir/node/kube-proxy.yaml"
  wait_for 60 kube-proxy "$dir/logs/kube-proxy.log" curl -fsS "http://127.0.0.1:$KUBE_PROXY_HEALTHZ_PORT/healthz"
}

start_coredns() {
  spawn coredns "$COREDNS" -conf "$dir/node/Corefile"
  wait_for 60 coredns "$dir/logs/coredns.log" dns_answers
}

# The apiserver's own Service resolves through the cluster DNS.
dns_answers() {
  python3 - "$NODE_IP" "kubernetes.default.svc.$NODE_DOMAIN" <<'EOF'
import socket, struct, sys
server, name = sys.argv[1], sys.argv[2]
q = struct.pack(">HHHHHH", 0x5c1e, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(1)
s.sendto(q, (server, 53))
r = s.recv(512)
sys.exit(0 if (r[3] & 0x0F) == 0 and struct.unpack(">H", r[6:8])[0] > 0 else 1)
EOF
}

# Waits until the namespace `default` has its ServiceAccount (the controller-manager made
# it): pods cannot be admitted before.
node_default_service_account() {
  kubectl --kubeconfig "$dir/kubeconfig" -n default get serviceaccount default
}

# --- teardown ------------------------------------------------------------------------------

# Unmounts everything under $1, deepest first.
unmount_under() {
  local root=$1 m
  [[ -n $root ]] || return 0
  awk -v r="$root" '$5 == r || index($5, r "/") == 1 {print $5}' /proc/self/mountinfo | sort -r |
    while read -r m; do umount -l "$m" 2>/dev/null || true; done
}

node_flush_chains() {
  local ipt t chain
  # IPv6 too: the kubelet and kube-proxy add their canary and firewall chains to both.
  for ipt in iptables ip6tables; do
    for t in filter nat mangle; do
      # Jumps first, then the chains themselves.
      { $ipt -t "$t" -S 2>/dev/null | grep -E -- '-j (KUBE|CNI|SLUICE)-' || true; } | sed 's/^-A /-D /' |
        while read -r rule; do eval "$ipt -t $t $rule" 2>/dev/null || true; done
      for chain in $($ipt -t "$t" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(KUBE|CNI|SLUICE)-/ {print $2}'); do
        $ipt -t "$t" -F "$chain" 2>/dev/null || true
      done
      for chain in $($ipt -t "$t" -S 2>/dev/null | awk '$1 == "-N" && $2 ~ /^(KUBE|CNI|SLUICE)-/ {print $2}'); do
        $ipt -t "$t" -X "$chain" 2>/dev/null || true
      done
    done
  done
}

# Containers whose shim died in an unclean stop still run, in the pods' cgroups.
node_kill_orphans() {
  local procs pid
  for procs in $(find /sys/fs/cgroup/pids/kubepods /sys/fs/cgroup/pids/k8s.io -name cgroup.procs 2>/dev/null); do
    while read -r pid; do kill -KILL "$pid" 2>/dev/null || true; done <"$procs"
  done
  sleep 0.5
}

node_remove_cgroups() {
  local c base
  for c in "${NODE_CGROUP_CONTROLLERS[@]}"; do
    for base in /sys/fs/cgroup/$c/kubepods /sys/fs/cgroup/$c/k8s.io; do
      [[ -d $base ]] || continue
      # Children before parents; a cgroup with tasks left cannot go (those were killed above).
      find "$base" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
  done
}

# Undoes every host change of the node, whatever state an earlier run left: safe to call
# twice, and after an `up` that failed half way.
node_down() {
  local n=$dir/node
  if [[ -S $n/containerd/containerd.sock ]] && alive containerd; then
    # Pods first, or their containers keep running after the kubelet stops.
    local ids
    ids=$(ctr_k8s tasks ls -q 2>/dev/null || true)
    for id in $ids; do ctr_k8s tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
  fi
  local p
  for p in kubelet kube-proxy coredns scheduler controller-manager; do stop_part "$p"; done
  if [[ -S $n/containerd/containerd.sock ]] && alive containerd; then
    for id in $(ctr_k8s tasks ls -q 2>/dev/null || true); do
      ctr_k8s tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true
      ctr_k8s tasks delete -f "$id" >/dev/null 2>&1 || true
    done
    for id in $(ctr_k8s containers ls -q 2>/dev/null || true); do
      ctr_k8s containers delete "$id" >/dev/null 2>&1 || true
    done
  fi
  stop_part containerd
  # Shims outlive containerd; theirs are under our state directory.
  pkill -KILL -f "containerd-shim-runc-v2 .*-address $n/" 2>/dev/null || true
  pkill -KILL -f "$KUBE_BIN/kube-proxy" 2>/dev/null || true
  node_kill_orphans
  unmount_under "$n"
  if [[ -x $KUBE_BIN/kube-proxy ]]; then "$KUBE_BIN/kube-proxy" --cleanup >/dev/null 2>&1 || true; fi
  node_flush_chains
  ip route del "$NODE_SERVICE_CIDR" dev "$NODE_BRIDGE" 2>/dev/null || true
  ip link del "$NODE_BRIDGE" 2>/dev/null || true
  node_remove_cgroups
  if [[ -f $NODE_STATE/sysctls ]]; then
    local line
    while read -r line; do sysctl -q -w "$line" >/dev/null 2>&1 || true; done <"$NODE_STATE/sysctls"
  fi
  find /var/log/containers /var/log/pods -maxdepth 1 -lname "$n/*" -delete 2>/dev/null || true
  local d
  for d in "${NODE_HARDCODED_DIRS[@]}"; do
    # Only what the node created: a directory that was there before stays.
    if [[ -f $NODE_STATE/existing-dirs ]] && ! grep -qx "$d" "$NODE_STATE/existing-dirs"; then
      rm -rf "$d"
    fi
  done
  rm -rf "$NODE_STATE"
}

# After node_record_sysctls, node_guard_up, the apiserver and node_write_config.
node_up() {
  start containerd
  node_import_images "${NODE_IMAGES[@]}"
  start controller-manager
  start scheduler
  start coredns
  start kube-proxy
  start kubelet
  wait_for 60 controller-manager "$dir/logs/controller-manager.log" node_default_service_account
}
