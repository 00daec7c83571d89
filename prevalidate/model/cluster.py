"""ClusterView: the part of cluster state the validators read, kept current one object at a time.

Pure, no I/O here. A view is filled from a ``kubectl get -o yaml`` dump (``prevalidate.kube.dump``)
or from watch events (the live cache). ``apply(obj)`` / ``remove(obj)`` take the JSON form of any
supported object; per-node requested resources (``NodeUsage``, nodeusage.py) are updated
incrementally, so a pod event costs a few dictionary operations, not a rescan.

``known`` lists the kinds whose list the source could read. A check whose input kind is unknown
(RBAC forbade the list, the cache is not ready) is skipped with a warning instead of deciding on
an empty list — a missing list must never look like "no PVCs exist". The view's state changes
only through its methods: ``apply``/``remove`` (objects), ``mark_known``/``mark_unknown`` (what
its source could list, and where) and ``keep_derived`` (caches the checks derive from it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from .admission import RuntimeClassInfo, admission_annotations
from .nodeusage import NodeUsage, PriorityUsage
from .objects import (
    ConfigMapInfo,
    LimitRangeInfo,
    NodeInfo,
    PVCInfo,
    QuotaInfo,
    SecretInfo,
    ServiceAccountInfo,
    StorageClassInfo,
    name_of,
    namespace_of,
)
from .podmath import Units, occupies_node, pod_claims, pod_request_units
from .priority import PriorityClassInfo, global_default, pod_priority

# NodeUsage and PriorityUsage live in nodeusage.py; they are re-exported here because callers
# (the capacity check) have always imported them with the view.
__all__ = ["ALL_KINDS", "ClusterView", "NodeUsage", "PodPlacement", "PriorityUsage"]

ALL_KINDS = frozenset(
    {
        "Node",
        "Pod",
        "ResourceQuota",
        "LimitRange",
        "PersistentVolumeClaim",
        "StorageClass",
        "Namespace",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "PriorityClass",
        "RuntimeClass",
    }
)


@dataclass(frozen=True)
class PodPlacement:
    node: str | None
    units: Units
    claims: tuple[str, ...]
    priority: int = 0


class ClusterView:
    """In-memory index of the objects the checks need. Not thread-safe; one event loop owns it."""

    def __init__(self, known: Iterable[str] = ALL_KINDS) -> None:
        self._known: set[str] = set(known)
        # kind -> the namespaces its list covered, for a source that lists some kinds in a few
        # namespaces only (a hub without cluster-wide RBAC). Absent: every namespace.
        self._scoped: dict[str, set[str]] = {}
        self.nodes: dict[str, NodeInfo] = {}
        self.usage: dict[str, NodeUsage] = {}
        self.namespaces: dict[str, bool] = {}  # name -> terminating
        self.quotas: dict[str, dict[str, QuotaInfo]] = {}
        self.limit_ranges: dict[str, dict[str, LimitRangeInfo]] = {}
        self.pvcs: dict[str, dict[str, PVCInfo]] = {}
        self.storage_classes: dict[str, StorageClassInfo] = {}
        self.service_accounts: dict[tuple[str, str], ServiceAccountInfo] = {}
        self.secrets: dict[str, dict[str, SecretInfo]] = {}
        self.configmaps: dict[str, dict[str, ConfigMapInfo]] = {}
        self.priority_classes: dict[str, PriorityClassInfo] = {}
        # How many bound pods there are, and how many at each priority other than 0: when no
        # pod anywhere has a lower priority than a new one, preemption need not be considered.
        self.bound_pods = 0
        self.bound_priorities: dict[int, int] = {}
        self.runtime_classes: dict[str, RuntimeClassInfo] = {}
        # name -> the admission plugins' annotations (PodNodeSelector, PodTolerationRestriction)
        self.namespace_annotations: dict[str, dict[str, str]] = {}
        self._pods: dict[tuple[str, str], PodPlacement] = {}
        self._claim_users: dict[tuple[str, str], dict[str, str | None]] = {}
        self.node_generation = 0  # bumps when any node's static shape changes (cache key)
        # Bumps on every change (objects, what is known): caches of verdicts key on it.
        self.generation = 0
        self._derived: dict[str, object] = {}  # caches the checks derive from this view

    # ---- what the source could list -------------------------------------------------------

    @property
    def known(self) -> frozenset[str]:
        """The kinds whose list the source could read (somewhere, see ``knows``)."""
        return frozenset(self._known)

    @property
    def scoped(self) -> Mapping[str, frozenset[str]]:
        """kind -> the namespaces its list covered, for kinds not listed cluster-wide."""
        return MappingProxyType({kind: frozenset(nss) for kind, nss in self._scoped.items()})

    def mark_known(self, kind: str, namespace: str | None = None) -> None:
        """The source listed ``kind`` cluster-wide (``namespace`` None) or in ``namespace``."""
        self.generation += 1
        if namespace is None:
            self._scoped.pop(kind, None)
        else:  # scoped before known: a kind must never look known in namespaces not listed
            self._scoped.setdefault(kind, set()).add(namespace)
        self._known.add(kind)

    def mark_unknown(self, kind: str, namespace: str | None = None) -> None:
        """The source can no longer list ``kind`` (RBAC revoked, never listed) cluster-wide or
        in ``namespace``; the kind stays known where other namespaces' lists still hold."""
        self.generation += 1
        if namespace is None:
            self._known.discard(kind)
            self._scoped.pop(kind, None)
            return
        scope = self._scoped.setdefault(kind, set())
        scope.discard(namespace)
        if not scope:
            self._known.discard(kind)

    # ---- caches derived from the view -------------------------------------------------------

    def derived(self, key: str) -> object | None:
        """A check's cache kept with this view (the check validates it, e.g. by generation)."""
        return self._derived.get(key)

    def keep_derived(self, key: str, value: object) -> None:
        self._derived[key] = value

    # ---- objects ----------------------------------------------------------------------------

    def apply(self, obj: Mapping[str, Any]) -> None:
        """Add or replace one object (a watch ADDED/MODIFIED event or a dump item)."""
        self.generation += 1
        kind = obj.get("kind")
        ns, name = namespace_of(obj), name_of(obj)
        if kind == "Pod":
            self._apply_pod(obj)
        elif kind == "Node":
            node = NodeInfo.from_dict(obj)
            old = self.nodes.get(name)
            if old is None or old.static_shape() != node.static_shape():
                self.node_generation += 1
            self.nodes[name] = node
            self.usage.setdefault(name, NodeUsage())
        elif kind == "Namespace":
            phase = (obj.get("status") or {}).get("phase")
            self.namespaces[name] = phase == "Terminating" or bool(
                (obj.get("metadata") or {}).get("deletionTimestamp")
            )
            annotations = admission_annotations(obj)
            if annotations:
                self.namespace_annotations[name] = annotations
            else:
                self.namespace_annotations.pop(name, None)
        elif kind == "ResourceQuota":
            self.quotas.setdefault(ns, {})[name] = QuotaInfo.from_dict(obj)
        elif kind == "LimitRange":
            self.limit_ranges.setdefault(ns, {})[name] = LimitRangeInfo.from_dict(obj)
        elif kind == "PersistentVolumeClaim":
            self.pvcs.setdefault(ns, {})[name] = PVCInfo.from_dict(obj)
        elif kind == "StorageClass":
            self.storage_classes[name] = StorageClassInfo.from_dict(obj)
        elif kind == "ServiceAccount":
            self.service_accounts[(ns, name)] = ServiceAccountInfo.from_dict(obj)
        elif kind == "Secret":
            self.secrets.setdefault(ns, {})[name] = SecretInfo.from_dict(obj)
        elif kind == "ConfigMap":
            self.configmaps.setdefault(ns, {})[name] = ConfigMapInfo.from_dict(obj)
        elif kind == "PriorityClass":
            self.priority_classes[name] = PriorityClassInfo.from_dict(obj)
        elif kind == "RuntimeClass":
            self.runtime_classes[name] = RuntimeClassInfo.from_dict(obj)

    def remove(self, obj: Mapping[str, Any]) -> None:
        """Forget one object (a watch DELETED event)."""
        self.generation += 1
        kind = obj.get("kind")
        ns, name = namespace_of(obj), name_of(obj)
        if kind == "Pod":
            self._forget_pod((ns, name))
        elif kind == "Node":
            if self.nodes.pop(name, None) is not None:
                self.node_generation += 1
            # Pods bound to the node still hold its capacity if it comes back (a relist, a
            # re-registered node); their usage goes only with the pods themselves.
            if name in self.usage and self.usage[name].pods <= 0:
                del self.usage[name]
        elif kind == "Namespace":
            self.namespaces.pop(name, None)
            self.namespace_annotations.pop(name, None)
        elif kind == "StorageClass":
            self.storage_classes.pop(name, None)
        elif kind == "ServiceAccount":
            self.service_accounts.pop((ns, name), None)
        elif kind == "PriorityClass":
            self.priority_classes.pop(name, None)
        elif kind == "RuntimeClass":
            self.runtime_classes.pop(name, None)
        else:
            table: dict[str, dict[str, Any]] | None = {
                "ResourceQuota": self.quotas,
                "LimitRange": self.limit_ranges,
                "PersistentVolumeClaim": self.pvcs,
                "Secret": self.secrets,
                "ConfigMap": self.configmaps,
            }.get(str(kind))  # type: ignore[assignment]
            if table is not None:
                table.get(ns, {}).pop(name, None)

    def _apply_pod(self, pod: Mapping[str, Any]) -> None:
        key = (namespace_of(pod), name_of(pod))
        self._forget_pod(key)
        node = occupies_node(pod)
        phase = (pod.get("status") or {}).get("phase")
        active = phase not in ("Succeeded", "Failed")
        placement = PodPlacement(
            node,
            pod_request_units(pod) if node else {},
            pod_claims(pod) if active else (),
            pod_priority(pod) if node else 0,
        )
        self._pods[key] = placement
        if node is not None:
            usage = self.usage.get(node)
            if usage is None:
                usage = self.usage[node] = NodeUsage()
            usage.add(placement.units, placement.priority, 1)
            self.bound_pods += 1
            if placement.priority:
                counts = self.bound_priorities
                counts[placement.priority] = counts.get(placement.priority, 0) + 1
        for claim in placement.claims:
            self._claim_users.setdefault((key[0], claim), {})[key[1]] = node

    def _forget_pod(self, key: tuple[str, str]) -> None:
        placement = self._pods.pop(key, None)
        if placement is None:
            return
        if placement.node is not None and placement.node in self.usage:
            usage = self.usage[placement.node]
            usage.add(placement.units, placement.priority, -1)
            if usage.pods <= 0 and placement.node not in self.nodes:
                del self.usage[placement.node]  # the last pod of a node that is gone
        if placement.node is not None:
            self.bound_pods -= 1
            if placement.priority:
                left = self.bound_priorities.get(placement.priority, 0) - 1
                if left > 0:
                    self.bound_priorities[placement.priority] = left
                else:
                    self.bound_priorities.pop(placement.priority, None)
        for claim in placement.claims:
            users = self._claim_users.get((key[0], claim))
            if users is not None:
                users.pop(key[1], None)
                if not users:
                    del self._claim_users[(key[0], claim)]

    # ---- queries --------------------------------------------------------------------------

    def knows(self, kind: str, namespace: str | None = None) -> bool:
        """True when the source could list ``kind`` (in ``namespace``, for namespaced kinds)."""
        if kind not in self._known:
            return False
        scope = self._scoped.get(kind)
        return scope is None or namespace is None or namespace in scope

    def pod_count(self) -> int:
        return len(self._pods)

    def claim_users(self, namespace: str, claim: str) -> Mapping[str, str | None]:
        """Active pods (name -> node or None) that mount ``claim`` in ``namespace``."""
        return self._claim_users.get((namespace, claim), {})

    def quotas_in(self, namespace: str) -> list[QuotaInfo]:
        return [self.quotas[namespace][n] for n in sorted(self.quotas.get(namespace, {}))]

    def limit_ranges_in(self, namespace: str) -> list[LimitRangeInfo]:
        return [self.limit_ranges[namespace][n] for n in sorted(self.limit_ranges.get(namespace, {}))]

    def pvcs_in(self, namespace: str) -> dict[str, PVCInfo]:
        return self.pvcs.get(namespace, {})

    def default_storage_class(self) -> str | None:
        """The class DefaultStorageClass admission fills in: of several defaults the newest,
        then the first by name (pkg/volume/util/storageclass.go ``GetDefaultClass``)."""
        defaults = [sc for sc in self.storage_classes.values() if sc.is_default]
        defaults.sort(key=lambda sc: sc.name)
        defaults.sort(key=lambda sc: sc.created, reverse=True)  # stable: ties keep name order
        return defaults[0].name if defaults else None

    def global_default_priority_class(self) -> str | None:
        chosen = global_default(self.priority_classes)
        return chosen.name if chosen is not None else None

    def has_bound_below(self, priority: int) -> bool:
        """Whether some pod bound to a node has a priority strictly lower than ``priority``."""
        if priority > 0 and self.bound_pods > sum(self.bound_priorities.values()):
            return True  # pods at priority 0
        return any(level < priority for level in self.bound_priorities)

    # ---- the same cluster, empty --------------------------------------------------------------

    def emptied(self) -> ClusterView:
        """This cluster as it would be with no pod running and no quota in use: the same nodes,
        policies and objects, every pod gone (node usage, claim users, priorities) and every
        quota's ``used`` at zero. What is refused here is refused whatever runs — "never fits"
        for ``prevalidate audit``; what this view allows and the real one refuses only needs
        room. The view shares this one's immutable objects; the tables are copies, so later
        watch events on this view do not leak into it."""
        empty = ClusterView(self._known)
        empty._scoped = {kind: set(nss) for kind, nss in self._scoped.items()}
        empty.nodes = dict(self.nodes)
        empty.usage = {name: NodeUsage() for name in self.nodes}
        empty.namespaces = dict(self.namespaces)
        empty.quotas = {
            ns: {name: replace(q, used={r: Decimal(0) for r in q.used}) for name, q in quotas.items()}
            for ns, quotas in self.quotas.items()
        }
        empty.limit_ranges = {ns: dict(items) for ns, items in self.limit_ranges.items()}
        empty.pvcs = {ns: dict(items) for ns, items in self.pvcs.items()}
        empty.storage_classes = dict(self.storage_classes)
        empty.service_accounts = dict(self.service_accounts)
        empty.secrets = {ns: dict(items) for ns, items in self.secrets.items()}
        empty.configmaps = {ns: dict(items) for ns, items in self.configmaps.items()}
        empty.priority_classes = dict(self.priority_classes)
        empty.runtime_classes = dict(self.runtime_classes)
        empty.namespace_annotations = {ns: dict(a) for ns, a in self.namespace_annotations.items()}
        empty.node_generation = self.node_generation
        return empty
