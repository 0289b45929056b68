# env.sh is sourced by up.sh and down.sh: where the local cluster lives and
# which 127.0.0.1 ports it uses. Override with TEMPEST_STATE or
# TEMPEST_KUBE_STATE (the cluster's own dir). No variable here starts with
# ETCD_: etcd would read it as a flag.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
state="${TEMPEST_KUBE_STATE:-${TEMPEST_STATE:-$repo_root/.tempest}/local-cluster}"
bin="$state/bin"
pki="$state/pki"
logs="$state/logs"
pids="$state/pids"
kubeconfig="$state/kubeconfig"
etcd_client_port=42379
etcd_peer_port=42380
apiserver_port=46443
controller_manager_port=46257
scheduler_port=46259
kwok_port=46280
fake_nodes="kwok-node-0 kwok-node-1 kwok-node-2"
