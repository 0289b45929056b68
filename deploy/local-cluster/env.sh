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
# Fixed ports below the ephemeral range (32768-60999 here): a port in it
# can be taken at any time as the local end of some outgoing connection,
# and then the component fails to bind (kwok did, once, on 46280).
etcd_client_port=23379
etcd_peer_port=23380
apiserver_port=23443
controller_manager_port=23257
scheduler_port=23259
kwok_port=23280
fake_nodes="kwok-node-0 kwok-node-1 kwok-node-2"
