"""The kinds the live cluster view watches: which API group and list method serves each, and
the RBAC rule a hub needs to read it.

One table, so adding a kind is one line and the warning a hub admin reads when RBAC forbids a
list names exactly the rule to add (the same rules as ``deploy/hub-rbac.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model.cluster import ALL_KINDS


@dataclass(frozen=True)
class WatchKind:
    kind: str
    plural: str
    group: str  # "" for the core group
    api: str  # the kubernetes_asyncio.client class serving it
    list_all: str  # cluster-scoped kinds: the list; namespaced kinds: across all namespaces
    list_namespaced: str | None = None  # namespaced kinds only: one namespace

    @property
    def namespaced(self) -> bool:
        return self.list_namespaced is not None

    @property
    def resource(self) -> str:
        """As RBAC and the apiserver's messages spell it: `storageclasses.storage.k8s.io`."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def rbac_rule(self, namespace: str | None) -> str:
        """The rule that allows our list+watch in this scope, for the admin to add."""
        if namespace is None:
            return f"list, watch on {self.resource} (ClusterRole)"
        return f"list, watch on {self.resource} (Role in namespace {namespace})"


WATCH_KINDS: dict[str, WatchKind] = {
    k.kind: k
    for k in (
        WatchKind("Node", "nodes", "", "CoreV1Api", "list_node"),
        WatchKind("Namespace", "namespaces", "", "CoreV1Api", "list_namespace"),
        WatchKind("StorageClass", "storageclasses", "storage.k8s.io", "StorageV1Api", "list_storage_class"),
        WatchKind(
            "PriorityClass", "priorityclasses", "scheduling.k8s.io", "SchedulingV1Api", "list_priority_class"
        ),
        WatchKind("RuntimeClass", "runtimeclasses", "node.k8s.io", "NodeV1Api", "list_runtime_class"),
        WatchKind("Pod", "pods", "", "CoreV1Api", "list_pod_for_all_namespaces", "list_namespaced_pod"),
        WatchKind(
            "ResourceQuota",
            "resourcequotas",
            "",
            "CoreV1Api",
            "list_resource_quota_for_all_namespaces",
            "list_namespaced_resource_quota",
        ),
        WatchKind(
            "LimitRange",
            "limitranges",
            "",
            "CoreV1Api",
            "list_limit_range_for_all_namespaces",
            "list_namespaced_limit_range",
        ),
        WatchKind(
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            "",
            "CoreV1Api",
            "list_persistent_volume_claim_for_all_namespaces",
            "list_namespaced_persistent_volume_claim",
        ),
        WatchKind(
            "ServiceAccount",
            "serviceaccounts",
            "",
            "CoreV1Api",
            "list_service_account_for_all_namespaces",
            "list_namespaced_service_account",
        ),
        WatchKind(
            "Secret", "secrets", "", "CoreV1Api", "list_secret_for_all_namespaces", "list_namespaced_secret"
        ),
        WatchKind(
            "ConfigMap",
            "configmaps",
            "",
            "CoreV1Api",
            "list_config_map_for_all_namespaces",
            "list_namespaced_config_map",
        ),
    )
}

assert set(WATCH_KINDS) == ALL_KINDS, "every kind the ClusterView reads has a watch"
