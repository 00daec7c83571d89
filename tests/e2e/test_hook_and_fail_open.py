"""The one-line hook on a stock KubeSpawner, and fail-open: when prevalidate cannot see (the
registry is down, the API refuses our lists), a valid spawn still starts."""

from __future__ import annotations

import asyncio
import socket

import pytest

from prevalidate.testing.registry import RunningRegistry

from .conftest import REST_ANSWERS_AFTER_THE_SPAWN, StartStack, needs_hub, needs_registry

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]

HOOK = """
import prevalidate
c.Spawner.pre_spawn_hook = prevalidate.pre_spawn_hook
c.KubeSpawner.profile_list = [
    {"display_name": "Small", "slug": "small", "default": True},
    {"display_name": "120 CPUs", "slug": "huge-cpu", "kubespawner_override": {"cpu_guarantee": 120}},
]
"""


async def test_the_hook_rejects_on_a_stock_kubespawner_before_anything_is_created(stack: StartStack) -> None:
    sim, hub = await stack(HOOK + REST_ANSWERS_AFTER_THE_SPAWN, spawner="kubespawner.KubeSpawner")
    await hub.api("POST", "/users/dan")
    answer = await hub.api("POST", "/users/dan/server", json={"profile": "huge-cpu"})
    assert answer.status_code == 403, answer.text
    assert "120 CPUs" in answer.json()["message"]
    form = await hub.submit_spawn_form("fay", {"profile": "huge-cpu"})
    assert form.status == 403 and "120 CPUs" in form.text, form.text[:500]
    assert list(sim.store.items("pods", "jhub")) == []
    ok = await hub.spawn("gil", {"profile": "small"})
    assert ok.ready, ok.message


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.fault("registry-down")
async def test_a_registry_that_does_not_answer_never_blocks_a_valid_spawn(
    stack: StartStack, registry: RunningRegistry
) -> None:
    # The nodes already have the image (kubesim's catalogue says so); the hub cannot reach
    # the registry it names.
    dead = f"127.0.0.1:{closed_port()}"
    unreachable_image = f"{dead}/jupyter/minimal-notebook:2024.1"
    sim_extra = (
        "---\napiVersion: kubesim.prevalidate.dev/v1\nkind: ImageCatalog\nspec:\n"
        f"  images:\n  - image: {unreachable_image}\n"
    )
    extra = f"""
c.KubeSpawner.image = {unreachable_image!r}
c.Prevalidator.allowed_registries = [{registry.host!r}, {dead!r}]
c.Prevalidator.insecure_registries = [{registry.host!r}, {dead!r}]
c.Prevalidator.time_budget = 1.0
"""
    _sim, hub = await stack(extra, sim_extra=sim_extra)
    outcome = await hub.spawn("hal")
    assert outcome.ready, outcome.message
    notes = [str(e["message"]) for e in outcome.events if str(e.get("message", "")).startswith("Note:")]
    assert any(f"The image {unreachable_image} could not be checked" in n for n in notes), notes


@pytest.mark.fault("rbac-missing-hub")
async def test_a_hub_without_rbac_for_our_lists_still_starts_valid_spawns(stack: StartStack) -> None:
    """The stock z2jh hub Role: no nodes, no quotas, no PVCs. Those checks are skipped (one admin
    log line each) and the spawn proceeds; the checks that can run still do."""
    forbid = (
        "---\napiVersion: kubesim.prevalidate.dev/v1\nkind: SimSettings\nspec:\n"
        "  forbid: [nodes, resourcequotas, persistentvolumeclaims, limitranges]\n"
    )
    _sim, hub = await stack(sim_extra=forbid)
    outcome = await hub.spawn("ivy")
    assert outcome.ready, outcome.message
    log = hub.log()
    for resource in ("nodes", "resourcequotas", "persistentvolumeclaims", "limitranges"):
        lines = [line for line in log.splitlines() if "forbidden" in line.lower() and resource in line]
        assert len(lines) == 1, (resource, lines)


@pytest.mark.fault("api-down-during-spawn")
async def test_an_api_outage_during_validation_does_not_block_a_valid_spawn(stack: StartStack) -> None:
    """The API goes away just before the spawn and comes back while prevalidate waits for its
    caches (KubeSpawner itself cannot spawn without the API, so it must be back before
    KubeSpawner moves on): the valid spawn starts. That a validation whose caches never fill
    skips those checks and allows is tested without a hub in tests/hub/test_check.py."""
    sim, hub = await stack()
    await sim.suspend()
    spawn = asyncio.ensure_future(hub.spawn("joe"))
    try:
        await until_logged(hub, "the Kubernetes API is unavailable")
    finally:
        await sim.resume()
    await spawn  # the progress stream may end early while the API is away: ask the hub instead
    await until_ready(hub, "joe")
    assert "the Kubernetes API answers again" in hub.log()


async def until_logged(hub: object, text: str, timeout: float = 15.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while text not in hub.log():  # type: ignore[attr-defined]
        assert asyncio.get_running_loop().time() < deadline, f"{text!r} never logged"
        await asyncio.sleep(0.05)  # polling a log file: there is no event to wait on


async def until_ready(hub: object, user: str, timeout: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        model = (await hub.api("GET", f"/users/{user}")).json()  # type: ignore[attr-defined]
        server = (model.get("servers") or {}).get("")
        if server and server.get("ready"):
            return
        assert server is not None and asyncio.get_running_loop().time() < deadline, model
        await asyncio.sleep(0.1)  # the hub offers no event for "ready" but the progress stream


async def test_user_namespaces_are_watched_cluster_wide_and_checked(stack: StartStack) -> None:
    """enable_user_namespaces: the namespace does not exist before the spawn (KubeSpawner creates
    it), so namespace-not-found must not fire; node fit still does."""
    config = HOOK.replace("c.Spawner.pre_spawn_hook = prevalidate.pre_spawn_hook\n", "")
    config += "c.KubeSpawner.enable_user_namespaces = True\n" + REST_ANSWERS_AFTER_THE_SPAWN
    sim, hub = await stack(config)
    await hub.api("POST", "/users/kay")
    answer = await hub.api("POST", "/users/kay/server", json={"profile": "huge-cpu"})
    assert answer.status_code == 422 and "16 CPUs allocatable" in answer.json()["message"], answer.text
    outcome = await hub.spawn("lee", {"profile": "small"})
    assert outcome.ready, outcome.message
    namespaces = {p["metadata"]["namespace"] for p in sim.store.items("pods")}
    assert namespaces and "jhub" not in namespaces
