#!/usr/bin/env bash
# up.sh builds (cached) and starts a real Kubernetes v1.36.1 control plane on
# 127.0.0.1: etcd 3.6, kube-apiserver (RBAC), kube-controller-manager,
# kube-scheduler and kwok with fake nodes (pods get scheduled, Running and
# Ready without a kubelet). It writes an admin kubeconfig (O=system:masters)
# to $state/kubeconfig and prints its path. If the cluster is already up it
# only prints the path. Stop it with down.sh.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/env.sh"
mkdir -p "$state" "$logs" "$pids" "$pki"
# One up.sh at a time (test packages run in parallel and all call it).
exec 9>"$state/up.lock"
flock 9

server="https://127.0.0.1:$apiserver_port"

alive() {
  local st
  [[ -f "$pids/$1.pid" ]] && st="$(ps -o stat= -p "$(cat "$pids/$1.pid")" 2>/dev/null)" && [[ "$st" != Z* ]]
}
ready() {
  [[ -f "$pki/admin.crt" ]] && curl -fsS --max-time 2 --cacert "$pki/ca.crt" \
    --cert "$pki/admin.crt" --key "$pki/admin.key" "$server/readyz" >/dev/null 2>&1
}

if alive etcd && alive kube-apiserver && alive kube-controller-manager && \
   alive kube-scheduler && alive kwok && ready; then
  echo "$kubeconfig"
  exit 0
fi
# Half up (a crash, a killed shell): start clean.
bash "$here/down.sh" >/dev/null

bash "$here/build.sh" "$bin" >&2

# --- certificates (kept between runs) ---
if [[ ! -f "$pki/admin.crt" ]]; then
  ( cd "$pki"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=tempest-local-ca" \
      -keyout ca.key -out ca.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
      -keyout apiserver.key -out apiserver.csr 2>/dev/null
    printf 'subjectAltName=DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,IP:127.0.0.1,IP:10.96.0.1\nextendedKeyUsage=serverAuth\n' > apiserver.ext
    openssl x509 -req -in apiserver.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile apiserver.ext -out apiserver.crt 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj "/O=system:masters/CN=tempest-admin" \
      -keyout admin.key -out admin.csr 2>/dev/null
    printf 'extendedKeyUsage=clientAuth\n' > client.ext
    openssl x509 -req -in admin.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 \
      -extfile client.ext -out admin.crt 2>/dev/null
    openssl genrsa -out sa.key 2048 2>/dev/null
    openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
    rm -f ./*.csr ./*.ext )
fi

b64() { base64 -w0 < "$1"; }
cat > "$kubeconfig.tmp" <<KC
apiVersion: v1
kind: Config
clusters:
- name: tempest-local
  cluster:
    server: $server
    certificate-authority-data: $(b64 "$pki/ca.crt")
users:
- name: tempest-admin
  user:
    client-certificate-data: $(b64 "$pki/admin.crt")
    client-key-data: $(b64 "$pki/admin.key")
contexts:
- name: tempest-local
  context: {cluster: tempest-local, user: tempest-admin}
current-context: tempest-local
KC
mv "$kubeconfig.tmp" "$kubeconfig"

# start NAME ARGS...: runs a component in its own session, logs to $logs.
start() {
  local name="$1"; shift
  # etcd reads every ETCD_* variable as a flag: never pass any on.
  local unset_etcd=()
  for v in $(compgen -e | grep '^ETCD_' || true); do unset_etcd+=(-u "$v"); done
  setsid env "${unset_etcd[@]}" "$bin/$name" "$@" >"$logs/$name.log" 2>&1 </dev/null 9>&- &
  echo $! > "$pids/$name.pid"
}
wait_for() { # wait_for WHAT SECONDS COMMAND...
  local what="$1" secs="$2"; shift 2
  for _ in $(seq $((secs * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "local cluster: $what not ready after ${secs}s; logs in $logs" >&2
  exit 1
}

started=$(date +%s.%N)
rm -rf "$state/etcd-data"
start etcd --name local --data-dir "$state/etcd-data" \
  --listen-client-urls "http://127.0.0.1:$etcd_client_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_client_port" \
  --listen-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer_port" \
  --initial-cluster "local=http://127.0.0.1:$etcd_peer_port" \
  --unsafe-no-fsync --log-level warn
wait_for etcd 30 curl -fsS "http://127.0.0.1:$etcd_client_port/health"

start kube-apiserver \
  --etcd-servers "http://127.0.0.1:$etcd_client_port" \
  --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$apiserver_port" \
  --endpoint-reconciler-type none \
  --authorization-mode RBAC \
  --client-ca-file "$pki/ca.crt" \
  --tls-cert-file "$pki/apiserver.crt" --tls-private-key-file "$pki/apiserver.key" \
  --service-account-issuer https://kubernetes.default.svc \
  --service-account-key-file "$pki/sa.pub" \
  --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 \
  --allow-privileged=true \
  --enable-priority-and-fairness=false \
  --cert-dir "$state/serving-certs"
wait_for kube-apiserver 60 ready

start kube-controller-manager --kubeconfig "$kubeconfig" \
  --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$controller_manager_port" --cert-dir "$state/serving-certs" \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" \
  --leader-elect=false --controllers '*' \
  --kube-api-qps 200 --kube-api-burst 400 --concurrent-replicaset-syncs 10
start kube-scheduler --kubeconfig "$kubeconfig" \
  --authentication-kubeconfig "$kubeconfig" --authorization-kubeconfig "$kubeconfig" \
  --bind-address 127.0.0.1 --secure-port "$scheduler_port" --cert-dir "$state/serving-certs" \
  --leader-elect=false --kube-api-qps 200 --kube-api-burst 400

# kwok's Stage objects, as kwokctl writes them, from kwok's module source.
kwok_src="$(go env GOMODCACHE)/sigs.k8s.io/kwok@v0.8.0/kustomize/stage"
{
  echo "apiVersion: config.kwok.x-k8s.io/v1alpha1"
  echo "kind: KwokConfiguration"
  # Written out: kwok does not default the options of a config file.
  echo "options:"
  echo "  cidr: 10.244.0.0/16"
  echo "  nodeIP: 10.0.0.1"
  echo "  manageAllNodes: true"
  echo "  nodeLeaseDurationSeconds: 40"
  echo "  podPlayStageParallelism: 8"
  echo "  nodePlayStageParallelism: 4"
  echo "  nodeLeaseParallelism: 4"
  echo "  podsOnNodeSyncParallelism: 1"
  echo "  enableDebuggingHandlers: false"
  echo "  enableProfilingHandler: false"
  echo "  enableContentionProfiling: false"
  echo "  enablePodsOnNodeSyncListPager: true"
  echo "  enablePodsOnNodeSyncStreamWatch: false"
  for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
           pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    echo "---"
    cat "$kwok_src/$f"; echo
  done
} > "$state/kwok.yaml"
start kwok --kubeconfig "$kubeconfig" --config "$state/kwok.yaml" \
  --manage-all-nodes=true --server-address "127.0.0.1:$kwok_port" \
  --cidr 10.244.0.0/16 --node-ip 10.0.0.1

k() { kubectl --kubeconfig "$kubeconfig" "$@"; }
for n in $fake_nodes; do
  k apply -f - >/dev/null <<NODE
apiVersion: v1
kind: Node
metadata:
  name: $n
  labels: {type: kwok, kubernetes.io/hostname: $n, kubernetes.io/os: linux}
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
status:
  allocatable: {cpu: "32", memory: 256Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, pods: "110"}
NODE
done
nodes_ready() {
  [[ "$(k get nodes -o jsonpath='{range .items[*]}{.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}' | grep -c True)" \
     -eq "$(wc -w <<<"$fake_nodes")" ]]
}
wait_for "kwok nodes" 60 nodes_ready
wait_for "default ServiceAccount" 60 k get serviceaccount default -n default
echo "local cluster up in $(echo "$(date +%s.%N) - $started" | bc)s" >&2
echo "$kubeconfig"
