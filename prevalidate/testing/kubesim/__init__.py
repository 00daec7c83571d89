"""kubesim: a small, independent Kubernetes API + scheduler + kubelet for tests and the demo.

Public entry points:
- `KubeSim(cluster)` — an async context manager; `.url`, `.store`, `.write_kubeconfig()`.
- `run_kubesim(cluster_or_path)` — the same as a one-line async context manager.
- `load_cluster(path)` / `parse_cluster(text)` — cluster files (see `cluster.py`).

It imports nothing from `prevalidate.model`, `prevalidate.validators` or `prevalidate.messages`
(an import-linter contract enforces this), so end-to-end tests compare two independent
implementations of Kubernetes' rules.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cluster import Cluster, ClusterFileError, load_cluster, parse_cluster

if TYPE_CHECKING:
    from .server import KubeSim

__all__ = ["Cluster", "ClusterFileError", "KubeSim", "load_cluster", "parse_cluster", "run_kubesim"]


def __getattr__(name: str) -> Any:
    # The server pulls in tornado and the whole control plane; `prevalidate check` imports this
    # package only to describe `prevalidate sim`, so load the server on first use.
    if name == "KubeSim":
        from .server import KubeSim

        return KubeSim
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@asynccontextmanager
async def run_kubesim(
    cluster: Cluster | str | Path | None = None, *, port: int = 0
) -> AsyncIterator[KubeSim]:
    from .server import KubeSim

    if isinstance(cluster, (str, Path)):
        cluster = load_cluster(cluster)
    async with KubeSim(cluster, port=port) as sim:
        yield sim
