"""The spawn form knows what fits: marks on the choices and profiles that cannot start, the
headroom line, and nothing when a check cannot decide or prevalidate is off. The cluster is the
demo's (14 of 40 quota CPUs free, the largest node 62.5 CPUs, one GPU node with 4 GPUs); pods
are built by KubeSpawner itself on shadow spawners."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from prevalidate import demo
from prevalidate.demo.profiles import profile_list
from prevalidate.hub import formmarks
from prevalidate.hub.service import _services
from prevalidate.kube.dump import load_cluster
from prevalidate.model.settings import Settings
from prevalidate.service import FixedView, ValidationService

REGISTRY = "127.0.0.1:5000"


def demo_view() -> Any:
    view = load_cluster(Path(demo.__file__).parent / "cluster.yaml")
    view.mark_known("PriorityClass")  # as a live hub lists them (a dump may leave them out)
    return view


@pytest.fixture(autouse=True)
def _fresh() -> Iterator[None]:
    formmarks.forget()
    yield
    formmarks.forget()
    _services.clear()


async def started_service(view: Any, **settings: Any) -> ValidationService:
    service = ValidationService(Settings(**settings), FixedView(view), None)
    await service.ensure_started()
    _services[(id(asyncio.get_running_loop()), "", ("jhub",))] = service
    return service


def demo_spawner(make_spawner: Callable[..., Any], **extra: Any) -> Any:
    return make_spawner({"KubeSpawner.profile_list": profile_list(REGISTRY), **extra})


def option_text(form: str, slug: str, option: str, choice: str) -> str:
    select = form.split(f'id="profile-option-{slug}--{option}"', 1)[1].split("</select>", 1)[0]
    found = re.search(rf'<option value="{re.escape(choice)}"[^>]*>([^<]*)</option>', select)
    assert found, select
    return found.group(1)


async def test_choices_over_the_quota_or_every_node_are_marked_with_the_reason(
    make_spawner: Callable[..., Any],
) -> None:
    await started_service(demo_view())
    spawner = demo_spawner(make_spawner)
    form = await spawner.get_options_form()

    assert "over your quota: 14 of 40 CPUs free" in option_text(form, "custom", "cpu", "16")
    sixty_four = option_text(form, "custom", "cpu", "64")
    assert "needs 64 CPUs; the largest node has 62.5" in sixty_four, sixty_four
    for fits in ("1", "2", "4"):
        assert "⚠" not in option_text(form, "custom", "cpu", fits)
    for option, choice in (("memory", "8Gi"), ("storage", "shared"), ("image", "scipy-notebook-latest")):
        assert "⚠" not in option_text(form, "custom", option, choice)
    assert 'data-prevalidate-profile="gpu"' not in form  # the GPU node is free
    assert "Free in your quota: 14 of 40 CPUs, 80 GiB of 160 GiB memory." in form
    assert "Largest free node: 62.5 CPUs, 250 GiB." in form
    assert 'id="prevalidate-form-data"' in form  # the field script is there


async def test_a_full_gpu_node_marks_the_gpu_profile_on_the_next_render(
    make_spawner: Callable[..., Any],
) -> None:
    view = demo_view()
    await started_service(view)
    spawner = demo_spawner(make_spawner)
    assert 'data-prevalidate-profile="gpu"' not in await spawner.get_options_form()

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
    form = await spawner.get_options_form()
    mark = re.search(r'data-prevalidate-profile="gpu">([^<]*)<', form)
    assert mark and "cannot start" in mark.group(1) and "all GPUs in use now" in mark.group(1), form
    assert "Small" in form and 'data-prevalidate-profile="small"' not in form


async def test_without_prevalidate_or_caches_the_form_is_kubespawners(
    make_spawner: Callable[..., Any],
) -> None:
    for off in ({"Prevalidator.enabled": False}, {"Prevalidator.dry_run": True}):
        await started_service(demo_view())
        form = await demo_spawner(make_spawner, **off).get_options_form()
        assert "⚠" not in form and "prevalidate-headroom" not in form and "prevalidate-form-data" not in form

    class NeverReady(FixedView):
        @property
        def ready(self) -> bool:
            return False

    service = ValidationService(Settings(), NeverReady(demo_view()), None)
    await service.ensure_started()
    _services[(id(asyncio.get_running_loop()), "", ("jhub",))] = service
    form = await demo_spawner(make_spawner).get_options_form()
    assert "⚠" not in form and "prevalidate-headroom" not in form
    assert 'id="profile-option-custom--cpu"' in form  # still the whole form


async def test_a_warm_render_reads_kept_verdicts_and_a_cluster_change_rechecks(
    make_spawner: Callable[..., Any],
) -> None:
    view = demo_view()
    service = await started_service(view)
    calls = 0
    validate = service.validate

    async def counted(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        assert kwargs.get("cached_only") and kwargs.get("observe") is False
        return await validate(*args, **kwargs)

    service.validate = counted  # type: ignore[method-assign]
    spawner = demo_spawner(make_spawner)
    formmarks.RENDER_BUDGET, budget = 60.0, formmarks.RENDER_BUDGET  # all in the render here
    try:
        await spawner.get_options_form()
        first = calls
        assert first >= 10  # one per variant: 3 profiles, each non-default choice
        await spawner.get_options_form()
        assert calls == first  # nothing changed: nothing validated again
        view.apply({"kind": "Namespace", "metadata": {"name": "other"}, "status": {"phase": "Active"}})
        await spawner.get_options_form()
        assert calls == 2 * first
    finally:
        formmarks.RENDER_BUDGET = budget


async def test_what_the_budget_leaves_is_finished_in_the_background(make_spawner: Callable[..., Any]) -> None:
    await started_service(demo_view())
    spawner = demo_spawner(make_spawner)
    formmarks.RENDER_BUDGET, budget = 0.0, formmarks.RENDER_BUDGET
    try:
        form = await spawner.get_options_form()
        assert "⚠" not in form  # no time for any validation: no marks, no waiting
        for _ in range(600):
            if not formmarks._background:
                break
            await asyncio.sleep(0.05)
        form = await spawner.get_options_form()
    finally:
        formmarks.RENDER_BUDGET = budget
    assert "over your quota" in option_text(form, "custom", "cpu", "16")


class CountingRegistry:
    """The service's registry seam with a cache, as RegistryClient keeps one: a tag named
    "lastest" does not exist; every other image does. Counts the lookups that were asked."""

    def __init__(self) -> None:
        self.cache: dict[str, Any] = {}
        self.asked: list[str] = []
        self.cache_hits = self.cache_misses = 0

    async def images_facts(
        self, images: Any, secrets: Any = (), want_platforms: bool = True
    ) -> dict[str, Any]:
        from prevalidate.model.image_facts import ImageFacts, ImageStatus

        for image in images:
            self.asked.append(image)
            status = ImageStatus.NOT_FOUND if image.endswith(":lastest") else ImageStatus.EXISTS
            self.cache[image] = ImageFacts(
                image, status, suggestions=("latest",) if status != ImageStatus.EXISTS else ()
            )
        return {image: self.cache[image] for image in images}

    def cached_facts(self, images: Any, secrets: Any = (), want_platforms: bool = True) -> dict[str, Any]:
        return {image: self.cache[image] for image in images if image in self.cache}


async def test_images_are_looked_up_in_the_background_and_marked_on_the_next_view(
    make_spawner: Callable[..., Any],
) -> None:
    registry = CountingRegistry()
    service = ValidationService(
        Settings(insecure_registries=(REGISTRY,), allowed_registries=(REGISTRY,)),
        FixedView(demo_view()),
        registry,
    )
    await service.ensure_started()
    _services[(id(asyncio.get_running_loop()), "", ("jhub",))] = service
    profiles = profile_list(REGISTRY)
    profiles[0]["profile_options"]["image"]["choices"]["typo"] = {
        "display_name": "scipy (typo)",
        "kubespawner_override": {"image": f"{REGISTRY}/jupyter/scipy-notebook:lastest"},
    }
    spawner = make_spawner(
        {"KubeSpawner.profile_list": profiles, "Prevalidator.allowed_registries": [REGISTRY]}
    )
    first = await spawner.get_options_form()
    assert "⚠" not in option_text(first, "custom", "image", "typo")  # never waited on the registry
    for _ in range(600):
        if not formmarks._warming:
            break
        await asyncio.sleep(0.05)
    assert f"{REGISTRY}/jupyter/scipy-notebook:lastest" in registry.asked
    second = await spawner.get_options_form()
    assert "image not found" in option_text(second, "custom", "image", "typo")
    assert "⚠" not in option_text(second, "custom", "image", "scipy-notebook-latest")
    asked = len(registry.asked)
    await spawner.get_options_form()
    assert len(registry.asked) == asked  # at most once a minute per image
