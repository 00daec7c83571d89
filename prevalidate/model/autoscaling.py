"""Can the cluster add nodes prevalidate cannot see? (The answer turns "no node fits" and "no
room" into warnings: a node pool scaled to zero has no Node object to check against.)

z2jh's own guides autoscale the user node pool, often down to zero nodes, and hubs that offer
GPU or large-memory profiles give each its own pool at zero (a nodeSelector on
``node.kubernetes.io/instance-type`` or the pool's label). While such a pool is empty, every
spawn of that profile matches no Node; the cluster autoscaler (or Karpenter) adds one when the
pod is Pending and Unschedulable. Refusing it would block a valid spawn, the worst bug we can
ship. The runtime backstop then waits for the autoscaler's verdict (``TriggeredScaleUp``: wait;
``NotTriggerScaleUp``: fail at once) instead of failing on FailedScheduling.

Whether an autoscaler runs is a cluster setting the hub cannot read (its status ConfigMap is in
kube-system, Karpenter's NodePools are cluster-scoped custom resources). So:

- ``node_pools`` declared: the admin described what can be added; the templates decide.
- ``autoscaler="absent"``: nothing can be added (kind, minikube, bare metal, a fixed pool).
- ``autoscaler="present"``: nodes can be added, of shapes we do not know.
- ``autoscaler="auto"`` (default): present when a node carries the label of a node group that
  an autoscaler manages (the managed Kubernetes services and Karpenter label every node they
  make with its group). An autoscaler needs such a node-group mechanism; a cluster without
  one (kubeadm, k3s, kind) cannot scale up. A cluster with no node at all shows no label: it is
  judged as having none (more nodes never turn an allowed spawn into a refused one).

Pure, no I/O here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .objects import NodeInfo

AUTOSCALER_CHOICES = ("auto", "present", "absent")

# Labels the node-group mechanisms put on every node they create. Sources: GKE "About node
# pools" (cloud.google.com/gke-nodepool), EKS managed node groups (eks.amazonaws.com/nodegroup)
# and Fargate (eks.amazonaws.com/compute-type), eksctl (alpha.eksctl.io/nodegroup-name), AKS
# (kubernetes.azure.com/agentpool), Karpenter v1 and v0.x (karpenter.sh/nodepool,
# karpenter.sh/provisioner-name), DigitalOcean (doks.digitalocean.com/node-pool), Linode
# (lke.linode.com/pool-id), Scaleway (k8s.scaleway.com/pool-name), OVHcloud (nodepool), Cluster
# API MachineDeployments (cluster.x-k8s.io/deployment-name on nodes it labels).
NODE_GROUP_LABELS = (
    "cloud.google.com/gke-nodepool",
    "eks.amazonaws.com/nodegroup",
    "eks.amazonaws.com/compute-type",
    "alpha.eksctl.io/nodegroup-name",
    "kubernetes.azure.com/agentpool",
    "karpenter.sh/nodepool",
    "karpenter.sh/provisioner-name",
    "doks.digitalocean.com/node-pool",
    "lke.linode.com/pool-id",
    "k8s.scaleway.com/pool-name",
    "nodepool",
    "cluster.x-k8s.io/deployment-name",
)


def node_group_label(nodes: Iterable[NodeInfo]) -> str | None:
    """The first node-group label found on a node (``None``: no node has one)."""
    for node in nodes:
        labels = node.labels
        for key in NODE_GROUP_LABELS:
            if key in labels:
                return key
    return None


def unseen_nodes_possible(
    setting: str, pools: tuple[NodeInfo, ...], group_label: Callable[[], str | None]
) -> str | None:
    """Why nodes we cannot see may be added ("declared", "label:<key>"), or ``None`` when the
    nodes we see (and the declared ``pools``) are all there can be. ``group_label`` finds the
    nodes' node-group label (``node_group_label``; callers cache it per node generation, as a
    scan of 5,000 unlabelled nodes costs about a millisecond), asked only for "auto"."""
    if pools or setting == "absent":
        return None
    if setting == "present":
        return "declared"
    key = group_label()
    return f"label:{key}" if key else None
