"""Objects and request-log helpers shared by the live cluster tests."""

from __future__ import annotations

from prevalidate.model.cluster import ALL_KINDS
from prevalidate.testing.kubesim import KubeSim

from .conftest import eventually


def forbid(*rules: str) -> str:
    return "apiVersion: kubesim.prevalidate.dev/v1\nkind: SimSettings\nspec:\n  forbid:\n" + "".join(
        f"  - {rule}\n" for rule in rules
    )


def pvc(name: str) -> dict[str, object]:
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }


def pod(name: str, cpu: str = "1") -> dict[str, object]:
    resources = {"requests": {"cpu": cpu, "memory": "1Gi"}, "limits": {"cpu": cpu, "memory": "1Gi"}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [{"name": "c", "image": "busybox:1.36", "resources": resources}]},
    }


async def watching(sim: KubeSim, count: int = len(ALL_KINDS)) -> None:
    """Every reflector has listed and its watch is open on the server."""
    await eventually(lambda: len(sim.store.watchers) == count)


def lists_of(sim: KubeSim, path: str) -> int:
    """How many list requests (not watches, not writes) went to a path ending in ``path``."""
    return sum(
        1
        for line in sim.request_log
        if line.startswith("GET ") and line.split("?")[0].endswith(path) and "watch=" not in line
    )
