"""A real JupyterHub + configurable-http-proxy + KubeSpawner on kubesim, with a real registry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from prevalidate.testing.hubprocess import (
    RunningHub,
    configurable_http_proxy_available,
    kubespawner_config,
    start_hub,
)
from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim, start_kubesim
from prevalidate.testing.registry import RunningRegistry, registry_available, run_registry

__all__ = ["start_kubesim"]

CLUSTER = Path(__file__).parent / "fixtures" / "cluster.yaml"
IMAGE_REPO, IMAGE_TAG = "jupyter/minimal-notebook", "2024.1"

needs_hub = pytest.mark.skipif(
    not configurable_http_proxy_available(),
    reason="configurable-http-proxy not installed (run scripts/bootstrap)",
)
needs_registry = pytest.mark.skipif(not registry_available(), reason="docker-registry not installed")


@pytest.fixture(scope="session")
def registry() -> Iterator[RunningRegistry]:
    """One real docker-registry for the session, holding the notebook image in one tag."""
    with run_registry("open") as running:
        running.push_image(IMAGE_REPO, IMAGE_TAG)
        yield running


def image(registry: RunningRegistry, tag: str = IMAGE_TAG) -> str:
    return f"{registry.host}/{IMAGE_REPO}:{tag}"


def catalog(registry: RunningRegistry, *extra_images: str) -> str:
    """kubesim's kubelet pulls from the same real registry the hub checks."""
    entries = "".join(f"\n  - image: {i}" for i in extra_images) or " []"
    return (
        "---\napiVersion: kubesim.prevalidate.dev/v1\nkind: ImageCatalog\nspec:\n"
        f"  httpRegistries: [{registry.host!r}]\n  images:{entries}\n"
        "---\napiVersion: kubesim.prevalidate.dev/v1\nkind: SimSettings\nspec:\n"
        "  startProcesses: true\n  kubeletDelaySeconds: 0.01\n  pullSeconds: 0.05\n"
    )


def hub_config(registry: RunningRegistry, spawner: str = "prevalidate.PrevalidatingKubeSpawner") -> str:
    return f"""
c.JupyterHub.spawner_class = {spawner!r}
c.KubeSpawner.image = {image(registry)!r}
c.Prevalidator.allowed_registries = [{registry.host!r}]
c.Prevalidator.insecure_registries = [{registry.host!r}]
c.Prevalidator.admin_contact = "Questions? Write to hub-admins@example.org."
"""


# JupyterHub's default: a REST spawn answers once the spawn ends or after 10 s. The hub runner's
# 1 s (right for following valid spawns on the progress stream) would turn a first validation
# on a busy machine into a 202 and a failed progress event; tests of REST answers add this.
REST_ANSWERS_AFTER_THE_SPAWN = 'c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 10}\n'


StartStack = Callable[..., Awaitable[tuple[KubeSim, RunningHub]]]


@pytest.fixture
async def stack(
    start_kubesim: StartKubeSim, registry: RunningRegistry, tmp_path: Path
) -> AsyncIterator[StartStack]:
    """``await stack(extra_config, spawner=..., sim_extra=...)`` -> (kubesim, hub)."""
    async with AsyncExitStack() as hubs:

        async def start(
            extra: str = "", *, spawner: str = "prevalidate.PrevalidatingKubeSpawner", sim_extra: str = ""
        ) -> tuple[KubeSim, RunningHub]:
            sim = await start_kubesim(CLUSTER, catalog(registry) + sim_extra)
            kubeconfig = sim.write_kubeconfig(tmp_path / f"kubeconfig-{sim.port}", namespace="jhub")
            config = kubespawner_config("jhub", image(registry), 30) + hub_config(registry, spawner) + extra
            hub = await hubs.enter_async_context(start_hub(config, env={"KUBECONFIG": str(kubeconfig)}))
            return sim, hub

        yield start
