"""The shared rejection path: options KubeSpawner cannot apply, dry run, per-loop services."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from prevalidate.hub.check import prevalidator_for, reject_options
from prevalidate.hub.errors import SpawnRejected
from prevalidate.hub.service import _services, service_for


async def test_unusable_options_are_a_400_with_kubespawners_reason(make_spawner: Callable[..., Any]) -> None:
    spawner = make_spawner()
    with pytest.raises(SpawnRejected) as caught:
        reject_options(spawner, "start", "No such profile: gpu. Options include: small")
    assert caught.value.status_code == 400
    assert "No such profile: gpu" in caught.value.jupyterhub_message
    assert "Choose one of the offered options" in caught.value.jupyterhub_message


async def test_in_dry_run_unusable_options_are_only_logged(
    make_spawner: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    spawner = make_spawner({"Prevalidator.dry_run": True})
    reject_options(spawner, "start", "No such profile: gpu")  # does not raise
    assert "would reject" in caplog.text


async def test_each_config_object_gets_its_own_settings(make_spawner: Callable[..., Any]) -> None:
    strict = make_spawner({"Prevalidator.capacity_policy": "reject"})
    lenient = make_spawner({"Prevalidator.capacity_policy": "warn"})
    assert prevalidator_for(strict).capacity_policy == "reject"
    assert prevalidator_for(lenient).capacity_policy == "warn"


def test_a_service_is_never_reused_from_a_closed_event_loop(make_spawner: Callable[..., Any]) -> None:
    async def service(stale: Any = None) -> Any:
        spawner = make_spawner({"Prevalidator.registry_checks": False})  # KubeSpawner needs a loop
        if stale is not None:  # as if this loop had been given the id of the closed one
            _services[(id(asyncio.get_running_loop()), "", ("jhub",))] = stale
        return service_for(spawner, prevalidator_for(spawner))

    first = asyncio.run(service())
    second = asyncio.run(service(stale=first))
    assert second is not first and second.loop is not first.loop


@pytest.mark.fault("hub-api-unreachable")
async def test_caches_that_never_fill_skip_their_checks_and_allow(
    make_spawner: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """The API (here 127.0.0.1:9) does not answer: the validation waits cache_ready_timeout,
    says so once, and allows with check-skipped warnings — a valid spawn is never blocked."""
    from prevalidate.hub.check import check_spawn

    spawner = make_spawner({"Prevalidator.cache_ready_timeout": 0.2, "Prevalidator.registry_checks": False})
    verdict = await check_spawn(spawner, path="form", user_options={})
    assert verdict is not None and verdict.allowed
    assert {f.code.value for f in verdict.findings} == {"check-skipped"}
    assert "cluster caches not ready after 0.2s" in caplog.text
