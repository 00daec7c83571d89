"""The resource types kubesim serves: name, kind, scope, group/version and verbs.

One table drives routing, discovery documents and error texts, so adding a type is one line.
"""

from __future__ import annotations

from dataclasses import dataclass

ALL_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")
READ_VERBS = ("get", "list", "watch")


@dataclass(frozen=True)
class Resource:
    plural: str
    kind: str
    namespaced: bool
    group: str = ""
    version: str = "v1"
    verbs: tuple[str, ...] = ALL_VERBS
    short_names: tuple[str, ...] = ()

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()


RESOURCES: tuple[Resource, ...] = (
    Resource("pods", "Pod", True, short_names=("po",)),
    Resource("events", "Event", True, short_names=("ev",)),
    Resource("persistentvolumeclaims", "PersistentVolumeClaim", True, short_names=("pvc",)),
    Resource("secrets", "Secret", True),
    Resource("configmaps", "ConfigMap", True, short_names=("cm",)),
    Resource("services", "Service", True, short_names=("svc",)),
    Resource("serviceaccounts", "ServiceAccount", True, short_names=("sa",)),
    Resource("resourcequotas", "ResourceQuota", True, short_names=("quota",)),
    Resource("limitranges", "LimitRange", True, short_names=("limits",)),
    Resource(
        "namespaces",
        "Namespace",
        False,
        verbs=("create", "delete", "get", "list", "watch"),
        short_names=("ns",),
    ),
    Resource("nodes", "Node", False, short_names=("no",)),
    Resource("persistentvolumes", "PersistentVolume", False, short_names=("pv",)),
    Resource("storageclasses", "StorageClass", False, group="storage.k8s.io", short_names=("sc",)),
    Resource("priorityclasses", "PriorityClass", False, group="scheduling.k8s.io", short_names=("pc",)),
    Resource("runtimeclasses", "RuntimeClass", False, group="node.k8s.io"),
    Resource("validatingwebhookconfigurations", "ValidatingWebhookConfiguration", False,
             group="admissionregistration.k8s.io"),
)

BY_PLURAL: dict[tuple[str, str], Resource] = {(r.group, r.plural): r for r in RESOURCES}
BY_KIND: dict[str, Resource] = {r.kind: r for r in RESOURCES}
GROUP_OF: dict[str, str] = {r.plural: r.group for r in RESOURCES}
