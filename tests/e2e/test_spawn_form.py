"""The spawn form of a real JupyterHub with PrevalidatingKubeSpawner: every bad choice comes back
inline, with a 4xx status, the numbers and a way forward — and nothing is created in the cluster.
A valid choice still reaches a running server."""

from __future__ import annotations

import re

import httpx
import pytest

from prevalidate.testing.kubesim import KubeSim

from .conftest import REST_ANSWERS_AFTER_THE_SPAWN, StartStack, image, needs_hub, needs_registry

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]

PROFILES = """
c.KubeSpawner.profile_list = [
    {"display_name": "Small", "slug": "small", "default": True},
    {"display_name": "120 CPUs", "slug": "huge-cpu", "kubespawner_override": {"cpu_guarantee": 120}},
    {"display_name": "14 CPUs", "slug": "over-quota", "kubespawner_override": {"cpu_guarantee": 14}},
    {"display_name": "Typo'd tag", "slug": "typo-tag",
     "kubespawner_override": {"image": IMAGE.replace("2024.1", "2024.l")}},
    {"display_name": "Missing PVC", "slug": "missing-pvc",
     "kubespawner_override": {
         "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "claim-alcie"}}],
         "volume_mounts": [{"name": "data", "mountPath": "/home/jovyan/data"}]}},
    {"display_name": "48G limit", "slug": "limitrange",
     "kubespawner_override": {"mem_limit": "48G", "mem_guarantee": "1G"}},
    {"display_name": "Metadata address", "slug": "ssrf",
     "kubespawner_override": {"image": "169.254.169.254/latest/meta-data:1"}},
    {"display_name": "Bad reference", "slug": "bad-reference",
     "kubespawner_override": {"image": "Jupyter/Minimal-Notebook:latest"}},
    {"display_name": "Big home", "slug": "big-home",
     "kubespawner_override": {"storage_pvc_ensure": True, "storage_capacity": "200Gi"}},
    {"display_name": "Everything wrong", "slug": "everything",
     "kubespawner_override": {"cpu_guarantee": 120, "image": IMAGE.replace("2024.1", "2024.l"),
         "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "claim-alcie"}}],
         "volume_mounts": [{"name": "data", "mountPath": "/home/jovyan/data"}]}},
]
"""

# (profile, HTTP status, words the user must see): the numbers and a way forward.
REJECTIONS = [
    ("huge-cpu", 403, ["120 CPUs", "16 CPUs allocatable", "Choose at most"]),
    ("over-quota", 403, ["14 CPUs", "12", "quota"]),
    ("typo-tag", 422, ["2024.l", "does not exist", "2024.1"]),
    ("missing-pvc", 422, ["claim-alcie", "claim-alice"]),
    ("limitrange", 403, ["48 GiB", "32 GiB"]),
    ("ssrf", 403, ["169.254.169.254"]),
    ("bad-reference", 400, ["Jupyter/Minimal-Notebook:latest"]),
    ("big-home", 403, ["200 GiB", "90 GiB left"]),
]


def profiles(sim_image: str) -> str:
    settings = (
        "c.JupyterHub.allow_named_servers = True\nc.JupyterHub.authenticate_prometheus = False\n"
        # A rejection is not a hub failure: three in a row must not count toward this limit.
        "c.Spawner.consecutive_failure_limit = 5\n" + REST_ANSWERS_AFTER_THE_SPAWN
    )
    return f"IMAGE = {sim_image!r}\n" + PROFILES + settings


def pods_and_claims(sim: KubeSim) -> tuple[list[str], list[str]]:
    pods = [p["metadata"]["name"] for p in sim.store.items("pods", "jhub")]
    claims = [c["metadata"]["name"] for c in sim.store.items("persistentvolumeclaims", "jhub")]
    return pods, claims


def creations(sim: KubeSim) -> list[str]:
    return [line for line in sim.request_log if line.startswith("POST")]


async def test_bad_choices_come_back_inline_with_numbers_and_nothing_is_created(
    stack: StartStack, registry: object
) -> None:

    sim, hub = await stack(profiles(image(registry)))  # type: ignore[arg-type]
    for index, (profile, status, words) in enumerate(REJECTIONS):
        outcome = await hub.submit_spawn_form(f"user{index}", {"profile": profile})
        print(f"{profile}: HTTP {outcome.status} in {outcome.seconds * 1000:.0f} ms")
        assert outcome.status == status, (profile, outcome.text)
        assert "/hub/spawn" in outcome.url and "spawn-pending" not in outcome.url, profile  # the form again
        assert "Your server cannot start" in outcome.text, profile
        for word in words:
            shown = outcome.text[outcome.text.find("Error:") :][:900]
            assert word in outcome.text, f"{profile}: {word!r} not in {shown}"
        assert "Questions? Write to hub-admins@example.org." in outcome.text
        assert "Traceback" not in outcome.text and "ApiException" not in outcome.text
    assert pods_and_claims(sim) == ([], ["claim-alice"])
    assert not [line for line in creations(sim) if "/pods" in line or "persistentvolumeclaims" in line]
    log = hub.log()
    assert "Traceback" not in log
    assert "prevalidate: rejected user0" in log  # our own INFO line reaches the hub log
    async with httpx.AsyncClient() as http:
        metrics = (await http.get(f"{hub.url}/hub/metrics")).text
    for code in ("quota-exceeded", "no-node-fits", "image-not-found", "pvc-not-found"):
        assert f'prevalidate_findings_total{{code="{code}",severity="error"}}' in metrics
    assert 'prevalidate_validations_total{outcome="rejected",path="form"} 8.0' in metrics
    assert "prevalidate_validation_duration_seconds_bucket" in metrics


async def test_all_problems_are_listed_at_once(stack: StartStack, registry: object) -> None:

    _sim, hub = await stack(profiles(image(registry)))  # type: ignore[arg-type]
    outcome = await hub.submit_spawn_form("erin", {"profile": "everything"})
    assert outcome.status in (403, 422)
    assert "cannot start with these options" in outcome.text
    for word in ("120 CPUs", "claim-alcie", "2024.l"):
        assert word in outcome.text


async def test_a_valid_choice_reaches_a_running_server(stack: StartStack, registry: object) -> None:

    sim, hub = await stack(profiles(image(registry)))  # type: ignore[arg-type]
    form = await hub.submit_spawn_form("alice", {"profile": "small"})
    assert (form.status == 200 and "spawn-pending" in form.url) or "/user/alice" in form.url, form.text[:400]
    outcome = await hub.spawn("bob", {"profile": "small"})
    assert outcome.ready, outcome.message
    assert "jupyter-bob" in pods_and_claims(sim)[0]


async def test_a_rest_spawn_with_bad_options_gets_a_4xx_json_message(
    stack: StartStack, registry: object
) -> None:

    sim, hub = await stack(profiles(image(registry)))  # type: ignore[arg-type]
    await hub.api("POST", "/users/carol")
    answer = await hub.api("POST", "/users/carol/server", json={"profile": "huge-cpu"})
    assert answer.status_code == 403, answer.text  # over the quota, as the apiserver would say
    body = answer.json()
    assert "120 CPUs" in body["message"] and "Choose at most" in body["message"]
    answer = await hub.api("POST", "/users/carol/server", json={"profile": "no-such-profile"})
    assert answer.status_code == 400, answer.text
    assert re.search(r"No such profile: no-such-profile", answer.json()["message"])
    named = await hub.api("POST", "/users/carol/servers/big", json={"profile": "typo-tag"})
    assert named.status_code == 422 and "2024.l" in named.json()["message"], named.text
    assert pods_and_claims(sim)[0] == []
    # Rejections are failures, not errors: the hub does not count them toward its exit.
    assert "consecutive spawns failed" not in hub.log()


async def test_a_rejected_form_keeps_what_the_user_chose(stack: StartStack, registry: object) -> None:
    _sim, hub = await stack(profiles(image(registry)))  # type: ignore[arg-type]
    outcome = await hub.submit_spawn_form("nia", {"profile": "missing-pvc"})
    assert outcome.status == 422
    assert '"profile": "missing-pvc"' in outcome.html  # KubeSpawner's form pre-selects from this
