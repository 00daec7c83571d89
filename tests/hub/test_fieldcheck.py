"""Each finding next to the field that produced it: after a rejected submit (the re-rendered
form carries the sentences by field) and as the user types (``check_fields``, the answer of
the hub endpoint), with a per-user rate limit; a custom options_form keeps the banner only."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from prevalidate.hub import fieldcheck, formmarks
from prevalidate.hub.errors import SpawnRejected
from prevalidate.hub.fieldcheck import allow, check_fields
from prevalidate.hub.service import _services

from .test_formmarks import demo_spawner, demo_view, started_service

CPU = "profile-option-custom--cpu"
STORAGE = "profile-option-custom--storage"


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    formmarks.forget()
    yield
    _services.clear()


def form_errors(form: str) -> dict[str, Any]:
    found = re.search(r'<script type="application/json" id="prevalidate-form-data">(.*?)</script>', form)
    assert found, form
    return dict(json.loads(found.group(1))["errors"])


def posted(**fields: str) -> dict[str, list[str]]:
    form = {"profile": ["custom"], CPU: ["1"], STORAGE: ["none"]}
    form.update({k.replace("_", "-"): [v] for k, v in fields.items()})
    return form


async def test_a_rejected_submit_puts_each_sentence_next_to_its_field(
    make_spawner: Callable[..., Any],
) -> None:
    await started_service(demo_view())
    spawner = demo_spawner(make_spawner)
    form_data = {
        "profile": ["custom"],
        CPU + "--unlisted-choice": ["120"],
        STORAGE + "--unlisted-choice": ["claim-alcie"],
    }
    with pytest.raises(SpawnRejected):
        await spawner.run_options_from_form(form_data)
    errors = form_errors(await spawner.get_options_form())["custom"]
    assert set(errors) == {"cpu", "storage"}, errors
    assert any("120 CPUs" in s and "62.5" in s for s in errors["cpu"]), errors
    assert any("claim-alcie" in s and "claim-alice" in s for s in errors["storage"]), errors
    # Shown once: a later view of the form starts clean.
    assert form_errors(await spawner.get_options_form()) == {}


async def test_a_profile_wide_problem_goes_next_to_the_profile(make_spawner: Callable[..., Any]) -> None:
    view = demo_view()
    view.apply(
        {
            "kind": "Pod",
            "metadata": {"name": "training", "namespace": "research"},
            "spec": {
                "nodeName": "gpu-1",
                "containers": [{"name": "c", "resources": {"requests": {"nvidia.com/gpu": "4"}}}],
            },
            "status": {"phase": "Running"},
        }
    )
    await started_service(view)
    spawner = demo_spawner(make_spawner)
    with pytest.raises(SpawnRejected):
        await spawner.run_options_from_form({"profile": ["gpu"]})
    errors = form_errors(await spawner.get_options_form())
    assert list(errors["gpu"]) == ["profile"], errors
    assert "nvidia.com/gpu in use" in " ".join(errors["gpu"]["profile"])


async def test_a_custom_options_form_keeps_the_banner_only(make_spawner: Callable[..., Any]) -> None:
    await started_service(demo_view())
    spawner = demo_spawner(make_spawner, **{"Spawner.options_form": "<input name='cpu'>"})
    with pytest.raises(SpawnRejected):
        await spawner.run_options_from_form({"profile": ["custom"], CPU + "--unlisted-choice": ["120"]})
    form = await spawner.get_options_form()
    assert "<input name='cpu'>" in form and "prevalidate-form-data" not in form


async def test_typing_gets_the_finding_of_that_field_and_nothing_when_it_fits(
    make_spawner: Callable[..., Any],
) -> None:
    await started_service(demo_view())
    spawner = demo_spawner(make_spawner)
    del_cpu = posted()
    del del_cpu[CPU]
    answer = await check_fields(spawner, {**del_cpu, CPU + "--unlisted-choice": ["30"]})
    assert list(answer) == ["cpu"] and "14 CPUs left" in answer["cpu"], answer
    assert await check_fields(spawner, {**del_cpu, CPU + "--unlisted-choice": ["2"]}) == {}
    answer = await check_fields(spawner, {**del_cpu, CPU + "--unlisted-choice": ["abc"]})
    assert list(answer) == ["cpu"], answer
    assert spawner.user_options == {}  # a check changes nothing on the spawner


async def test_typing_checks_nothing_when_prevalidate_is_off(make_spawner: Callable[..., Any]) -> None:
    spawner = demo_spawner(make_spawner, **{"Prevalidator.enabled": False})
    assert await check_fields(spawner, {"profile": ["custom"], CPU + "--unlisted-choice": ["120"]}) == {}


def test_each_user_may_check_five_times_a_second() -> None:
    fieldcheck._buckets.clear()
    assert all(allow("alice", now=100.0) for _ in range(5))
    assert not allow("alice", now=100.0)
    assert allow("bob", now=100.0)  # per user
    assert allow("alice", now=100.25)  # a token back after 0.2 s
    assert not allow("alice", now=100.25)


async def test_a_callable_profile_list_gets_marks_and_field_messages_too(
    make_spawner: Callable[..., Any],
) -> None:
    from prevalidate.demo.profiles import profile_list

    await started_service(demo_view())

    async def profiles(spawner: Any) -> list[dict[str, Any]]:
        return profile_list("127.0.0.1:5000")

    spawner = make_spawner({"KubeSpawner.profile_list": profiles})
    assert "over your quota" in await spawner.get_options_form()
    with pytest.raises(SpawnRejected):
        await spawner.run_options_from_form({"profile": ["custom"], CPU + "--unlisted-choice": ["120"]})
    assert list(form_errors(await spawner.get_options_form())["custom"]) == ["cpu"]
