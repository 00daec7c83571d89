"""One plane shared by many tests, each with a clean cluster: `RealCluster` gives a test its own
namespaces (a dumped `jhub` becomes `jhub-<n>`) and, when it is done, removes what it made,
including the cluster-scoped objects (nodes, volumes, classes) the next test must not see.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

from .api import Api
from .loader import SYSTEM_NAMESPACES, Loaded, Loader
from .plane import ControlPlane
from .sync import await_scheduler_nodes

_counter = itertools.count(1)
# Cluster-scoped kinds a cluster file may add; the apiserver's own objects are kept.
_CLUSTER_KINDS = ("Node", "PersistentVolume", "StorageClass", "RuntimeClass", "PriorityClass")


class RealCluster:
    def __init__(self, plane: ControlPlane) -> None:
        self.plane = plane
        self.suffix = f"t{next(_counter)}"
        self.namespaces: set[str] = set()

    @property
    def api(self) -> Api:
        return self.plane.api

    def ns(self, dumped: str) -> str:
        """The namespace a dumped namespace was created as in this test."""
        return dumped if dumped in SYSTEM_NAMESPACES else f"{dumped}-{self.suffix}"

    def load(self, source: str | Path) -> Loaded:
        loaded = Loader(self.api, rename=self.ns).load(source)
        self.namespaces |= set(loaded.namespaces) - SYSTEM_NAMESPACES
        return loaded

    def in_namespace(self, pod: dict[str, Any]) -> dict[str, Any]:
        """A copy of `pod` placed in this test's version of its namespace."""
        meta = dict(pod.get("metadata") or {})
        meta["namespace"] = self.ns(str(meta.get("namespace") or "default"))
        return {**pod, "metadata": meta}

    def clean(self) -> None:
        clean_plane(self.api, self.namespaces)
        self.namespaces.clear()


def clean_plane(api: Api, namespaces: set[str] | None = None) -> None:
    """Remove the given namespaces (their pods at once: no kubelet would ever finish a graceful
    deletion) and every cluster-scoped object a cluster file can create."""
    for ns in sorted(namespaces or ()):
        api.request("DELETE", f"/api/v1/namespaces/{ns}/pods", params={"gracePeriodSeconds": "0"})
        api.request("DELETE", f"/api/v1/namespaces/{ns}")
    nodes = bool(api.list("Node"))
    for kind in _CLUSTER_KINDS:
        for obj in api.list(kind):
            meta = obj["metadata"]
            if kind == "PriorityClass" and meta["name"].startswith("system-"):
                continue
            api.delete(kind, meta["name"])
    if nodes:
        # The next test may reuse these node names: a scheduler still holding the old ones (and
        # their statuses) would pass for one holding the new ones, so see them gone first.
        await_scheduler_nodes(api)
