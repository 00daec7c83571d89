"""Fault: the hub restarts in the middle of a spawn (a helm upgrade, an OOM kill). The first
hub validated the spawn and KubeSpawner created the pod; the hub is stopped while the image is
still being pulled. The second hub starts on the same database: the user starts the server
again and it must start — prevalidate must not count the interrupted spawn's own pod against
the user (its quota share, its node room, its name), which would be a false rejection."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from prevalidate.testing.hubprocess import RunningHub, kubespawner_config, start_hub
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim
from prevalidate.testing.registry import RunningRegistry

from .conftest import CLUSTER, catalog, hub_config, image, needs_hub, needs_registry

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]

# JupyterHub's default is to stop every server when it exits; a hub that is restarted (z2jh)
# keeps them, which is the case where a spawn is cut in half.
KEEP_SERVERS = "c.JupyterHub.cleanup_servers = False\n"


@pytest.mark.fault("hub-restart-mid-spawn")
async def test_a_hub_restarted_during_a_spawn_lets_the_user_start_again(
    start_kubesim: StartKubeSim, registry: RunningRegistry, tmp_path: Path
) -> None:
    sim = await start_kubesim(CLUSTER, catalog(registry))
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig", namespace="jhub")
    config = kubespawner_config("jhub", image(registry), 60) + hub_config(registry) + KEEP_SERVERS
    env = {"KUBECONFIG": str(kubeconfig)}
    workdir, token = tmp_path / "hub", "restart-test-token-0123456789abcdef"
    sim.settings.pull_seconds = 20.0  # the first spawn is still pulling when its hub goes

    async with start_hub(config, env=env, workdir=workdir, token=token) as first:
        await first.api("POST", "/users/ann")
        answer = await first.api("POST", "/users/ann/server", json={})
        assert answer.status_code in (201, 202), answer.text  # validated and under way
        deadline = time.monotonic() + 60
        while sim.store.get("pods", "jhub", "jupyter-ann") is None:
            assert time.monotonic() < deadline, "KubeSpawner never created the pod"
            await _pause()
    # The first hub is gone mid-pull. The pod it created is still there.
    assert sim.store.get("pods", "jhub", "jupyter-ann") is not None
    sim.settings.pull_seconds = 0.05

    async with start_hub(config, env=env, workdir=workdir, token=token) as second:
        started = time.monotonic()
        how = await ready_again(second, "ann")
        seconds = time.monotonic() - started
        refusals = [line for line in second.log().splitlines() if "Your server cannot start" in line]
        assert refusals == [], refusals
    print(f"hub restart mid-spawn: ready {seconds:.1f} s after the second hub came up ({how})")


async def ready_again(hub: RunningHub, user: str, timeout: float = 180.0) -> str:
    """Wait until ``user``'s server is ready: adopted by the new hub (it checks the pod the
    old one created), or, when the hub dropped it, started again by the user."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        model = (await hub.api("GET", f"/users/{user}")).json()
        server = (model.get("servers") or {}).get("")
        if server and server.get("ready"):
            return "adopted"
        if server is None and not model.get("pending"):
            outcome = await hub.spawn(user)
            assert outcome.ready, (outcome, hub.log()[-3000:])
            return "started again"
        await _pause()
    raise AssertionError(f"{user}'s server never became ready:\n" + hub.log()[-3000:])


async def _pause() -> None:
    import asyncio

    await asyncio.sleep(0.1)  # kubesim's store: polled from outside the hub process
