"""The runtime backstop on a real JupyterHub + KubeSpawner + kubesim + registry: what slips past
pre-validation (its checks turned off here) fails in seconds with a sentence, the pod is gone,
and the traps start normally."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import pytest

from prevalidate.testing.registry import RunningRegistry

from .conftest import StartStack, image, needs_hub, needs_registry

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]


def profiles(registry: RunningRegistry) -> str:
    typo = image(registry, "2024.1-typo")
    return f"""
c.KubeSpawner.start_timeout = 120
c.Prevalidator.registry_checks = False
c.Prevalidator.disabled_checks = {{"capacity"}}
c.KubeSpawner.profile_list = [
    {{"display_name": "Good", "slug": "good", "default": True}},
    {{"display_name": "Typo", "slug": "typo", "kubespawner_override": {{"image": {typo!r}}}}},
    {{"display_name": "Nowhere", "slug": "nowhere",
      "kubespawner_override": {{"node_selector": {{"gpu": "a100"}}}}}},
]
"""


async def test_a_typod_image_fails_in_seconds_and_the_next_spawn_of_the_same_pod_starts(
    stack: StartStack, registry: RunningRegistry
) -> None:
    sim, hub = await stack(profiles(registry))
    started = time.monotonic()
    outcome = await hub.spawn("amy", {"profile": "typo"})
    assert outcome.failed, outcome
    assert "2024.1-typo does not exist" in outcome.message, outcome.message
    assert "Choose another image" in outcome.message
    assert time.monotonic() - started < 60  # start_timeout is 120: it did not wait it out
    assert "SpawnException" not in outcome.message and "ApiException" not in outcome.message
    assert not [p for p in sim.store.items("pods", "jhub") if p["metadata"]["name"] == "jupyter-amy"]
    # The pending page after the failure: never a 500 (seeds/000).
    page = await hub.api("GET", "/users/amy")
    assert page.status_code == 200
    # Same pod name, a good image: the old pod's ErrImagePull events must not kill it.
    again = await hub.spawn("amy", {"profile": "good"})
    assert again.ready, again.message
    lines = [str(e.get("message", "")) for e in again.events]
    assert not any("[Normal]" in line or "[Warning]" in line for line in lines), lines
    assert "prevalidate backstop: failing the spawn of jhub/jupyter-amy" in hub.log()


async def test_a_pod_no_node_can_run_fails_at_once_with_the_reason(
    stack: StartStack, registry: RunningRegistry
) -> None:
    _sim, hub = await stack(profiles(registry))
    outcome = await hub.spawn("bea", {"profile": "nowhere"})
    assert outcome.failed, outcome
    assert "No node in the cluster can run a server of this size or kind" in outcome.message, outcome.message


async def test_explain_mode_never_fails_a_spawn(stack: StartStack, registry: RunningRegistry) -> None:
    extra = profiles(registry).replace("start_timeout = 120", "start_timeout = 8")
    _sim, hub = await stack(extra + 'c.Prevalidator.backstop = "explain"\n')
    outcome = await hub.spawn("cid", {"profile": "typo"})
    assert outcome.failed
    assert "does not exist" not in outcome.message, outcome.message  # start_timeout ended it
    assert "prevalidate backstop (explain) would fail jhub/jupyter-cid: image-pull-failed" in hub.log()


async def test_five_typos_in_a_row_do_not_stop_the_hub(stack: StartStack, registry: RunningRegistry) -> None:
    """JupyterHub 5 exits after consecutive_failure_limit failed spawns (z2jh: 5); a user's own
    typo must not count (scripts/test runs this on 5.x too)."""
    _sim, hub = await stack(profiles(registry) + "c.Spawner.consecutive_failure_limit = 3\n")
    for _ in range(5):
        outcome = await hub.spawn("dot", {"profile": "typo"})
        assert outcome.failed and "does not exist" in outcome.message, outcome.message
    assert (await hub.api("GET", "/users/dot")).status_code == 200
    assert "consecutive spawn failures" not in hub.log()


async def test_a_slow_image_pull_starts_normally_and_says_so(
    stack: StartStack, registry: RunningRegistry
) -> None:
    slow = "---\napiVersion: kubesim.prevalidate.dev/v1\nkind: SimSettings\nspec:\n  pullSeconds: 12\n"
    _sim, hub = await stack(
        profiles(registry) + "c.JupyterHub.authenticate_prometheus = False\n", sim_extra=slow
    )
    outcome = await hub.spawn("eve", {"profile": "good"})
    assert outcome.ready, outcome.message
    lines = [str(e.get("message", "")) for e in outcome.events]
    assert "Pulling your server's image (large images take a few minutes)" in lines, lines
    async with httpx.AsyncClient(timeout=30) as http:
        metrics = (await http.get(f"{hub.url}/hub/metrics", headers=hub.headers)).text
    assert 'prevalidate_backstop_outcomes_total{reason="started"} 1.0' in metrics


def blockers() -> str:
    """10 of the 16 CPUs of each node taken by a pod in another namespace: a spawn of 8 CPUs
    passes the quota (12) but finds no room (Insufficient cpu) until one of them ends."""
    return "".join(
        f"""---
apiVersion: v1
kind: Pod
metadata: {{name: blocker-{n}, namespace: default}}
spec:
  nodeName: worker-{n}
  containers: [{{name: c, image: busybox, resources: {{requests: {{cpu: "10"}}}}}}]
status: {{phase: Running}}
"""
        for n in (1, 2)
    )


ROOMLESS = """
c.Prevalidator.capacity_policy = "warn"
c.KubeSpawner.cpu_guarantee = 8
"""


async def test_no_room_that_frees_up_within_capacity_wait_starts_normally(
    stack: StartStack, registry: RunningRegistry
) -> None:
    sim, hub = await stack(
        ROOMLESS + "c.Prevalidator.capacity_wait = 90\nc.KubeSpawner.start_timeout = 120\n",
        sim_extra=blockers(),
    )

    async def a_pod_ends() -> None:
        await asyncio.sleep(4)
        async with httpx.AsyncClient(timeout=30) as http:
            gone = await http.delete(f"http://127.0.0.1:{sim.port}/api/v1/namespaces/default/pods/blocker-1")
            assert gone.status_code == 200, gone.text

    outcome, _ = await asyncio.gather(hub.spawn("fay"), a_pod_ends())
    assert outcome.ready, outcome.message
    lines = [str(e.get("message", "")) for e in outcome.events]
    assert any(line.startswith("Waiting for room on a node") for line in lines), lines


async def test_no_room_past_capacity_wait_fails_with_how_long_it_waited(
    stack: StartStack, registry: RunningRegistry
) -> None:
    _sim, hub = await stack(ROOMLESS + "c.Prevalidator.capacity_wait = 3\n", sim_extra=blockers())
    outcome = await hub.spawn("gus")
    assert outcome.failed, outcome.message
    assert re.search(r"The cluster has had no room for your server for [34] seconds", outcome.message), (
        outcome.message
    )
    assert "Insufficient cpu" in outcome.message
