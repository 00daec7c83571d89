"""The spawn form's marks: which profile and which choice cannot start right now, and why in a
few words, with a line of what the namespace and the cluster have free.

Each mark comes from the one validation (``ValidationService.validate``) of the pod that choice
would build, built by KubeSpawner itself on a shadow spawner (``podbuild``), as a submit would.
The form must render fast and never wait on the network, so:

- the registry is read from its cache only (an image not looked up yet gets no mark); the
  images of the form's pods are looked up in the background, at most once a minute each, so
  the next view finds them cached;
- pods are built once per (user, server, profile, option, choice) and kept: a pod depends on
  the configuration and the user, not on the cluster;
- verdicts are kept per pod and cluster generation (``ClusterView.generation`` bumps on every
  watch event), so an unchanged cluster costs dictionary reads;
- what does not fit in ``RENDER_BUDGET`` is finished in the background for the next render,
  and meanwhile has no mark (or the last one, when the cluster moved since).

Only errors mark: a warning or a check that could not decide leaves the choice as it is, and
nothing is ever hidden or disabled. With prevalidate disabled, or the caches not ready, there
are no marks at all.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from cachetools import LRUCache

from ..messages.marks import headroom_line, mark
from ..model.findings import Code, Verdict
from ..model.request import PodRequest
from ..validators.headroom import largest_free_node, quota_room
from .check import prevalidator_for
from .fields import PROFILE_FIELD, fields_of
from .podbuild import build_plan, make_shadow
from .service import service_for

log = logging.getLogger("prevalidate")

RENDER_BUDGET = 0.03  # seconds of validation a render may spend before the rest goes to the background
MAX_WORDS = 2  # marks shown per choice (the first errors; the submit shows them all)

# (spawner identity, profile digest, option, choice) -> the pod that choice builds
_PODS: LRUCache[tuple[Any, ...], PodRequest | None] = LRUCache(maxsize=8192)
# same key -> (cluster generation, verdict)
_VERDICTS: LRUCache[tuple[Any, ...], tuple[int, Verdict]] = LRUCache(maxsize=8192)
_background: dict[tuple[Any, ...], asyncio.Task[None]] = {}
_warming: set[asyncio.Future[None]] = set()
_WARMED: dict[str, float] = {}  # image -> when the background last looked it up (monotonic)
WARM_EVERY = 60.0  # seconds between background lookups of one image


@dataclass
class FormMarks:
    """What the form shows: marks per profile slug and per (slug, option, choice), the line."""

    profiles: dict[str, str] = field(default_factory=dict)
    choices: dict[tuple[str, str, str], str] = field(default_factory=dict)
    summary: str = ""
    pending: int = 0  # variants left to the background (no mark yet)


def _variants(profile: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(option, choice) pairs to build for a profile; ("", "") is the profile with defaults."""
    yield "", ""
    options = profile.get("profile_options") or {}
    for key, option in options.items():
        choices = option.get("choices") or {}
        for choice_key, choice in choices.items():
            if not choice.get("default"):  # the default choice's pod is the profile's
                yield str(key), str(choice_key)


def _identity(spawner: Any) -> tuple[Any, ...]:
    state = json.dumps(spawner.get_state() or {}, sort_keys=True, default=str)
    return (id(spawner.config), spawner.user.name, spawner.name, state)


def _digest(profile: Mapping[str, Any]) -> str:
    return json.dumps(profile, sort_keys=True, default=repr)


async def _pod(spawner: Any, key: tuple[Any, ...], slug: str, option: str, choice: str) -> PodRequest | None:
    if key in _PODS:
        return _PODS[key]
    options = {"profile": slug, **({option: choice} if option else {})}
    try:
        request: PodRequest | None = (
            await build_plan(make_shadow(spawner, options), apply_options=True)
        ).request
    except Exception as exc:  # a choice KubeSpawner cannot apply is the submit's to explain
        log.debug("prevalidate: no mark for %s/%s=%s: %s", slug, option, choice, exc)
        request = None
    _PODS[key] = request
    return request


async def _verdict(
    spawner: Any, service: Any, key: tuple[Any, ...], variant: tuple[str, str, str], generation: int
) -> Verdict | None:
    request = await _pod(spawner, key, *variant)
    if request is None:
        return None
    verdict = await service.validate(request, path="form-marks", cached_only=True, observe=False)
    _VERDICTS[key] = (generation, verdict)
    return verdict


def _marks_of(verdict: Verdict, profile: Mapping[str, Any], option: str) -> list[str]:
    """Marks of the errors that belong to ``option`` ("" for the profile itself)."""
    wanted = option or PROFILE_FIELD
    # "Never" before "not now": no node big enough says more than a quota that may free up.
    errors = sorted(verdict.errors, key=lambda f: f.code is not Code.NO_NODE_FITS)
    words = [mark(f) for f in errors if wanted in fields_of(f, profile)]
    return list(dict.fromkeys(words))[:MAX_WORDS]


def _add_marks(
    marks: FormMarks, verdict: Verdict, profile: Mapping[str, Any], option: str, choice: str
) -> None:
    slug = str(profile.get("slug"))
    if option:
        words = _marks_of(verdict, profile, option)
        if words:
            marks.choices[(slug, option, choice)] = "; ".join(words)
        return
    words = _marks_of(verdict, profile, "")
    if words:
        marks.profiles[slug] = "; ".join(words)
    # The profile with its defaults is also the pod of each option's default choice.
    for key, spec in (profile.get("profile_options") or {}).items():
        default = next((k for k, c in (spec.get("choices") or {}).items() if c.get("default")), None)
        words = _marks_of(verdict, profile, str(key)) if default is not None else []
        if words:
            marks.choices[(slug, str(key), str(default))] = "; ".join(words)


async def form_marks(spawner: Any, profile_list: list[dict[str, Any]]) -> FormMarks | None:
    """The marks for an initialized profile list, or None (disabled, caches not ready)."""
    config = prevalidator_for(spawner)
    if not config.enabled or config.dry_run:  # a dry run shows users nothing, as it rejects nothing
        return None
    try:
        service = service_for(spawner, config)
    except Exception:
        return None
    if not service.started or not service.source.ready:
        return None
    view = service.source.view
    generation = view.generation
    identity = _identity(spawner)
    marks = FormMarks(summary=headroom_line(quota_room(view, spawner.namespace), largest_free_node(view)))
    deadline = time.perf_counter() + RENDER_BUDGET
    late: list[tuple[tuple[Any, ...], tuple[str, str, str]]] = []
    for profile in profile_list:
        slug, digest = str(profile.get("slug")), _digest(profile)
        for option, choice in _variants(profile):
            key = (*identity, slug, digest, option, choice)
            cached = _VERDICTS.get(key)
            verdict: Verdict | None = cached[1] if cached else None
            if cached is None or cached[0] != generation:
                if time.perf_counter() < deadline:
                    verdict = await _verdict(spawner, service, key, (slug, option, choice), generation)
                else:
                    late.append((key, (slug, option, choice)))
            if verdict is not None:
                _add_marks(marks, verdict, profile, option, choice)
    marks.pending = len(late)
    if late:
        _finish_later(spawner, service, identity, late, generation)
    _warm_images(service, identity, profile_list, generation)
    return marks


def _images_of(request: PodRequest) -> set[str]:
    spec = request.pod.get("spec") if isinstance(request.pod, Mapping) else None
    spec = spec if isinstance(spec, Mapping) else {}
    containers = [*(spec.get("containers") or ()), *(spec.get("initContainers") or ())]
    return {str(c["image"]) for c in containers if isinstance(c, Mapping) and c.get("image")}


def _warm_images(
    service: Any, identity: tuple[Any, ...], profile_list: list[dict[str, Any]], generation: int
) -> None:
    """Look up, in the background, the images of the form's pods the registry cache may not
    hold (each at most once per ``WARM_EVERY``): the render never waits on a registry, and the
    next view finds the answers cached. The full verdict is kept for the cluster as it was."""
    if service.registry is None:
        return
    now = time.monotonic()
    todo: list[tuple[tuple[Any, ...], PodRequest]] = []
    for profile in profile_list:
        slug, digest = str(profile.get("slug")), _digest(profile)
        for option, choice in _variants(profile):
            key = (*identity, slug, digest, option, choice)
            request = _PODS.get(key)
            fresh = request is not None and [
                i for i in _images_of(request) if now - _WARMED.get(i, -1e9) > WARM_EVERY
            ]
            if request is not None and fresh:
                _WARMED.update(dict.fromkeys(fresh, now))
                todo.append((key, request))
    if not todo:
        return

    async def warm() -> None:
        for key, request in todo:
            verdict = await service.validate(request, path="form-marks", observe=False)
            kept = _VERDICTS.get(key)
            if kept is None or kept[0] <= generation:
                _VERDICTS[key] = (generation, verdict)

    task = asyncio.ensure_future(warm())
    _warming.add(task)
    task.add_done_callback(_warming.discard)


def _finish_later(
    spawner: Any,
    service: Any,
    identity: tuple[Any, ...],
    late: list[tuple[tuple[Any, ...], tuple[str, str, str]]],
    generation: int,
) -> None:
    """Build and validate what the render had no time for, once per spawner at a time."""
    if identity in _background and not _background[identity].done():
        return

    async def finish() -> None:
        for key, variant in late:
            await _verdict(spawner, service, key, variant, generation)
            await asyncio.sleep(0)  # let the hub serve requests between pods

    task = _background[identity] = asyncio.ensure_future(finish())
    task.add_done_callback(lambda _: _background.pop(identity, None))


def forget() -> None:
    """Drop every kept pod and verdict (tests, benchmarks: a cold render)."""
    _PODS.clear()
    _VERDICTS.clear()
    _WARMED.clear()


__all__ = ["RENDER_BUDGET", "FormMarks", "forget", "form_marks"]
