"""The backstop's edge (hub/backstop.py) on KubeSpawner's reflector data, without a hub: it
follows the pod created by THIS start (not the previous pod of the same name, nor its events),
fails with a sentence, deletes the pod, and its traits refuse typos at hub start."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from traitlets import TraitError
from traitlets.config import Config

from prevalidate.hub.backstop import SpawnWatch
from prevalidate.hub.config import Prevalidator
from prevalidate.hub.errors import ClusterBroke, SpawnBroke
from prevalidate.testing.replays import event_of, pod_of

NOT_FOUND = 'failed to resolve reference "r/nb:typo": r/nb:typo: not found'


def fake_spawner(**prevalidator: Any) -> Any:
    config = Config()
    config.Prevalidator.registry_checks = False
    for key, value in prevalidator.items():
        setattr(config.Prevalidator, key, value)
    deleted: list[str] = []

    async def delete(name: str, *_args: Any) -> bool:
        deleted.append(name)
        return True

    return SimpleNamespace(
        config=config,
        namespace="jhub",
        pod_name="jupyter-alice",
        start_timeout=30,
        delete_grace_period=1,
        k8s_api_request_timeout=5,
        enable_user_namespaces=False,
        pod_reflector=SimpleNamespace(pods={}),
        event_reflector=SimpleNamespace(resources={}),
        _make_delete_pod_request=delete,
        deleted=deleted,
    )


def put_pod(spawner: Any, short: dict[str, Any], uid: str) -> None:
    spawner.pod_reflector.pods["jhub/jupyter-alice"] = pod_of(short, uid=uid)


def put_event(spawner: Any, short: Any, uid: str, index: int) -> None:
    event = event_of(short, index, uid=uid)
    spawner.event_reflector.resources[event["metadata"]["name"]] = event


async def test_the_previous_pod_of_the_same_name_and_its_events_never_decide() -> None:
    spawner = fake_spawner()
    put_pod(spawner, {"waiting": ["ErrImagePull", NOT_FOUND]}, uid="old")
    put_event(spawner, ["Failed", f"Failed to pull image: {NOT_FOUND}"], uid="old", index=1)
    watch = SpawnWatch(spawner, "fail")
    assert watch.refresh().kind == "wait"  # the old pod is still there: not ours
    put_pod(spawner, {"scheduled": True}, uid="new")
    put_event(spawner, ["Pulling", "Pulling image"], uid="new", index=2)
    decision = watch.refresh()
    assert decision.kind == "wait" and decision.progress == "pulling"
    put_pod(spawner, {"phase": "Running", "ready": True}, uid="new")
    assert watch.refresh().kind == "ok"


async def test_a_missing_image_fails_the_wait_with_the_sentence_and_deletes_the_pod() -> None:
    spawner = fake_spawner()
    watch = SpawnWatch(spawner, "fail")
    put_pod(spawner, {"waiting": ["ErrImagePull", NOT_FOUND], "image": "r/nb:typo"}, uid="new")
    with pytest.raises(SpawnBroke) as caught:
        await asyncio.wait_for(watch.running(), 30)
    assert "The image r/nb:typo does not exist" in caught.value.jupyterhub_message
    assert caught.value.user_caused and caught.value.status_code == 422
    assert spawner.deleted == ["jupyter-alice"]
    assert not watch.armed


async def test_a_cluster_problem_is_a_503_that_jupyterhub_counts_as_an_error() -> None:
    spawner = fake_spawner()
    watch = SpawnWatch(spawner, "fail")
    put_pod(
        spawner, {"phase": "Failed", "reason": "Evicted", "message": "The node was low on memory."}, uid="new"
    )
    with pytest.raises(ClusterBroke) as caught:
        await asyncio.wait_for(watch.running(), 30)
    assert caught.value.status_code == 503 and not isinstance(caught.value, SpawnBroke)
    assert "The node evicted your server while it was starting" in caught.value.jupyterhub_message
    assert "(a cluster problem)" in caught.value.jupyterhub_message
    assert spawner.deleted == ["jupyter-alice"]


async def test_explain_mode_waits_out_the_start_timeout() -> None:
    spawner = fake_spawner()
    spawner.start_timeout = 1
    watch = SpawnWatch(spawner, "explain")
    put_pod(spawner, {"waiting": ["ErrImagePull", NOT_FOUND]}, uid="new")
    assert await asyncio.wait_for(watch.running(), 30) is False
    assert spawner.deleted == []


@pytest.mark.parametrize(
    ("trait", "value"),
    [
        ("backstop", "kill"),
        ("fatal_events", [{"reason": "Unhealthy", "message": "(", "say": "x"}]),
        ("fatal_events", [{"reason": "Unhealthy", "sya": "typo"}]),
    ],
)
def test_a_typo_in_a_backstop_trait_stops_the_hub_at_start(trait: str, value: Any) -> None:
    with pytest.raises(TraitError):
        Prevalidator(**{trait: value})
