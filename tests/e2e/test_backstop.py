"""The runtime backstop on a real JupyterHub + KubeSpawner + kubesim + registry: what slips past
pre-validation (its checks turned off here) fails in seconds with a sentence, the pod is gone,
and the traps start normally."""

from __future__ import annotations

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
    assert "did not start in 8 seconds" in outcome.message or "Spawn failed" in outcome.message, (
        outcome.message
    )
    assert "would fail jhub/jupyter-cid: Code.IMAGE_PULL_FAILED" in hub.log() or "would fail" in hub.log()


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
