"""Helpers for driving a real JupyterHub + KubeSpawner against kubesim."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from prevalidate.testing.hubprocess import RunningHub, kubespawner_config, start_hub
from prevalidate.testing.kubesim import KubeSim

IMAGE = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"


@asynccontextmanager
async def hub_on(sim: KubeSim, tmp_path: Path, start_timeout: int = 30,
                 extra: str = "") -> AsyncIterator[RunningHub]:
    """A real JupyterHub whose stock KubeSpawner talks to `sim` (namespace jhub)."""
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig", namespace="jhub")
    config = kubespawner_config("jhub", IMAGE, start_timeout) + extra
    async with start_hub(config, env={"KUBECONFIG": str(kubeconfig)}) as hub:
        yield hub
