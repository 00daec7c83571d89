"""Start the demo: a real registry, kubesim in process mode, a real JupyterHub with its proxy.

    async with start_demo(port=0) as demo:      # 0: free ports everywhere (tests)
        demo.url, demo.registry.host, demo.sim, demo.hub
        print(banner(demo.url, demo.registry.host))

Everything is stopped in reverse order when the block exits: the hub first (it stops its users'
servers through KubeSpawner — pods deleted in kubesim, whose kubelet ends the notebook processes
— and its proxy), then kubesim (ending any process left), then the registry.
"""

from __future__ import annotations

import contextlib
import socket
import tempfile
from collections.abc import AsyncIterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..testing.hubprocess import RunningHub, kubespawner_config, start_hub
from ..testing.kubesim import KubeSim, parse_cluster
from ..testing.registry import RunningRegistry, run_registry
from .profiles import IMAGES, NAMESPACE, SPAWNER_CLASS, hub_config, image

DEFAULT_PORT = 8000
START_TIMEOUT = 60  # seconds a spawn may take in KubeSpawner (the demo's take well under one)


def cluster_text() -> str:
    """The bundled demo cluster (``prevalidate/demo/cluster.yaml``)."""
    return resources.files(__package__).joinpath("cluster.yaml").read_text(encoding="utf-8")


def sim_documents(registry_host: str) -> str:
    """kubesim's own settings for the demo: pull from the local registry, run real servers."""
    return f"""
---
apiVersion: kubesim.prevalidate.dev/v1
kind: ImageCatalog
spec:
  httpRegistries: [{registry_host!r}]
  unknownHosts: unreachable
---
apiVersion: kubesim.prevalidate.dev/v1
kind: SimSettings
spec:
  startProcesses: true
  pullSeconds: 0.3
"""


class PortInUse(RuntimeError):
    """The port asked for the hub is taken."""


@dataclass
class Demo:
    url: str
    hub: RunningHub
    sim: KubeSim
    registry: RunningRegistry
    workdir: Path


def _check_port_free(port: int) -> None:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError as exc:
            raise PortInUse(f"port {port} on 127.0.0.1 is in use ({exc.strerror}); try --port N") from None


@contextlib.asynccontextmanager
async def start_demo(
    port: int = DEFAULT_PORT, *, spawner_class: str = SPAWNER_CLASS, hub_timeout: float = 60.0
) -> AsyncIterator[Demo]:
    """Run the demo stack until the block exits; ``port=0`` picks a free port for the hub."""
    if port:
        _check_port_free(port)
    async with contextlib.AsyncExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="prevalidate-demo-")))
        registry = stack.enter_context(run_registry("open"))
        for repository, tag in IMAGES:
            registry.push_image(repository, tag)
        cluster = parse_cluster(
            cluster_text() + sim_documents(registry.host), "prevalidate/demo/cluster.yaml"
        )
        sim = await stack.enter_async_context(KubeSim(cluster))
        kubeconfig = sim.write_kubeconfig(workdir / "kubeconfig", namespace=NAMESPACE)
        config = kubespawner_config(NAMESPACE, image(registry.host, *IMAGES[0]), START_TIMEOUT)
        config += hub_config(registry.host, spawner_class)
        hub = await stack.enter_async_context(
            start_hub(config, env={"KUBECONFIG": str(kubeconfig)}, timeout=hub_timeout, port=port)
        )
        yield Demo(hub.url, hub, sim, registry, workdir)
