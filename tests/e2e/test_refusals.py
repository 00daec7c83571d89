"""Kubernetes refuses KubeSpawner's pod create after prevalidate let the spawn begin (a check
off or in dry run, a quota that filled up in between): the user reads our sentence and a 4xx,
not `(403) Reason: Forbidden HTTP response headers: …`. A real JupyterHub + KubeSpawner on
kubesim, whose admission (ResourceQuota, LimitRanger) refuses as kube-apiserver does."""

from __future__ import annotations

import pytest

from .conftest import REST_ANSWERS_AFTER_THE_SPAWN, StartStack, needs_hub, needs_registry

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]

PROFILES = """
c.KubeSpawner.profile_list = [
    {"display_name": "Small", "slug": "small", "default": True},
    {"display_name": "14 CPUs", "slug": "fourteen", "kubespawner_override": {"cpu_guarantee": 14}},
    {"display_name": "40G", "slug": "big-memory", "kubespawner_override": {"mem_limit": "40G"}},
]
"""
QUOTA_SENTENCE = (
    'You asked for 14 CPUs (CPU guarantee), but the namespace quota "compute" has only 12 CPUs left '
    "(0 of 12 in use). Choose at most 12 CPUs.")
RAW = ("HTTP response headers", "ApiException", "Reason: Forbidden", '"kind":"Status"', "Traceback")


def assert_told(message: str, sentence: str) -> None:
    assert sentence in message, message
    assert "Questions? Write to hub-admins@example.org." in message
    for raw in RAW:
        assert raw not in message, message


async def test_a_quota_refusal_in_dry_run_is_our_sentence_and_a_403(stack: StartStack) -> None:
    """Dry run lets the 14-CPU spawn through; the apiserver's quota refuses the pod."""
    sim, hub = await stack(PROFILES + REST_ANSWERS_AFTER_THE_SPAWN + "c.Prevalidator.dry_run = True\n")
    await hub.api("POST", "/users/ann")
    answer = await hub.api("POST", "/users/ann/server", json={"profile": "fourteen"})
    assert answer.status_code == 403, answer.text
    assert_told(answer.json()["message"], QUOTA_SENTENCE)
    assert list(sim.store.items("pods", "jhub")) == []  # refused, so nothing to clean up
    assert "Kubernetes refused to create the pod of" in hub.log()
    ok = await hub.spawn("bea", {"profile": "small"})
    assert ok.ready, ok.message


async def test_the_progress_page_shows_the_refusal(stack: StartStack) -> None:
    """The spawn-pending page's stream (a spawn answered 202 before the refusal)."""
    _sim, hub = await stack(PROFILES + 'c.Prevalidator.disabled_checks = {"quota"}\n')
    outcome = await hub.spawn("cal", {"profile": "fourteen"})
    assert outcome.failed and not outcome.ready
    if outcome.http_status == 403:  # the spawn ended before the REST answer: told there
        assert_told(outcome.message, QUOTA_SENTENCE)
    else:
        assert outcome.message.startswith("Spawn failed: "), outcome.message
        assert_told(outcome.message, QUOTA_SENTENCE)


async def test_a_stock_kubespawner_with_the_hook_tells_a_limitrange_refusal(stack: StartStack) -> None:
    hook = "import prevalidate\nc.Spawner.pre_spawn_hook = prevalidate.pre_spawn_hook\n"
    _sim, hub = await stack(
        hook + PROFILES + REST_ANSWERS_AFTER_THE_SPAWN + 'c.Prevalidator.disabled_checks = {"limitrange"}\n',
        spawner="kubespawner.KubeSpawner")
    await hub.api("POST", "/users/dee")
    answer = await hub.api("POST", "/users/dee/server", json={"profile": "big-memory"})
    assert answer.status_code == 403, answer.text
    assert_told(answer.json()["message"],
                "The namespace allows at most 32 GiB (memory limit) per container, and your server asked "
                "for 40 GiB. Choose at most 32 GiB.")  # JupyterHub reads 40G as 40 GiB


async def test_refusals_of_the_users_choice_never_stop_the_hub(stack: StartStack) -> None:
    """consecutive_failure_limit 2, three refused spawns in a row: the hub keeps serving."""
    _sim, hub = await stack(PROFILES + REST_ANSWERS_AFTER_THE_SPAWN + (
        'c.Prevalidator.disabled_checks = {"quota"}\nc.Spawner.consecutive_failure_limit = 2\n'))
    for user in ("eve", "fox", "gus"):
        await hub.api("POST", f"/users/{user}")
        answer = await hub.api("POST", f"/users/{user}/server", json={"profile": "fourteen"})
        assert answer.status_code == 403, answer.text
    ok = await hub.spawn("hal", {"profile": "small"})
    assert ok.ready, ok.message
    assert "consecutive spawn failures" not in hub.log()


async def test_a_home_volume_over_the_storage_quota_is_told_too(stack: StartStack) -> None:
    """KubeSpawner creates the home PVC first (storage_pvc_ensure); its 403 is read the same way
    (after KubeSpawner's own check that the claim does not exist anyway, kubespawner#188)."""
    sim, hub = await stack(REST_ANSWERS_AFTER_THE_SPAWN + """
c.KubeSpawner.storage_pvc_ensure = True
c.KubeSpawner.storage_capacity = "200Gi"
c.KubeSpawner.pvc_name_template = "claim-{username}"
c.Prevalidator.disabled_checks = {"quota"}
""")
    await hub.api("POST", "/users/ivy")
    answer = await hub.api("POST", "/users/ivy/server", json={})
    assert answer.status_code == 403, answer.text
    assert_told(answer.json()["message"],
                'You asked for 200 GiB, but the namespace quota "compute" has only 90 GiB left '
                '(10 GiB of 100 GiB in use). Choose at most 90 GiB.')  # one claim of 10Gi exists
    assert sim.store.peek("persistentvolumeclaims", "jhub", "claim-ivy") is None
    assert "Kubernetes refused to create the claim of ivy" in hub.log()
