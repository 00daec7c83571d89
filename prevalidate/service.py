"""The one validation: a ``PodRequest`` in, a ``Verdict`` out, for every front end.

The hub (form, start, pre-spawn hook), ``prevalidate check`` and an admission webhook all call
``ValidationService.validate``; none of them orchestrates checks itself. It knows no
JupyterHub, KubeSpawner or traitlets: it takes

- ``Settings`` (the pure core's configuration);
- a cluster-view source: ``LiveCluster`` (list+watch, in a long-running process) or
  ``FixedView`` (a ``kubectl`` dump, a test);
- an image registry client (``prevalidate.registry.RegistryClient``), or None for no lookups;
- an ``Observer`` for metrics (``prevalidate.metrics.PrometheusObserver``), or none.

One validation walks each step once: the pod's shape, its demand (built once, with the
namespace's LimitRange defaults), the pull secrets the kubelet would use, the registry
lookups under the time budget, the checks. It never lets a failure of ours block a pod:

- the first validations after start-up wait at most ``cache_ready_timeout`` for the cluster
  caches; after that a kind still missing is skipped by its check, never guessed;
- a registry that does not answer within the budget gives an ``image-unverified`` warning
  (the registry client's own rule);
- anything else that goes wrong (a bug, an odd object) is logged, counted as an ``error``
  outcome and answered with an allowing verdict that says the validation did not run.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from .model.cluster import ClusterView
from .model.demand import SpawnDemand
from .model.findings import Code, Finding, Severity, Verdict
from .model.image_facts import ImageFacts
from .model.request import PodRequest
from .model.settings import Settings
from .validators import pod_demand, run_checks, shape_verdict
from .validators.references import pull_secret_configs

log = logging.getLogger("prevalidate")


class ViewSource(Protocol):
    """Where the cluster view comes from (``kube.live.LiveCluster`` is one)."""

    @property
    def view(self) -> ClusterView: ...
    @property
    def ready(self) -> bool: ...
    async def start(self) -> None: ...
    async def wait_ready(self, timeout: float) -> bool: ...


class ImageRegistry(Protocol):
    """What the service asks of ``prevalidate.registry.RegistryClient``."""

    cache_hits: int
    cache_misses: int

    async def images_facts(
        self, images: Iterable[str], secrets: Sequence[tuple[str, str]] = ..., want_platforms: bool = ...
    ) -> dict[str, ImageFacts]: ...


class Observer(Protocol):
    """What a validation reports for metrics (``prevalidate.metrics.PrometheusObserver``)."""

    def validated(self, path: str, verdict: Verdict, seconds: float) -> None: ...
    def failed(self, path: str) -> None: ...
    def image_lookup(self, source: str) -> None: ...
    def cache_state(self, known_kinds: int, ready: bool) -> None: ...


class FixedView:
    """A view that is complete as it is: a ``kubectl get -o yaml`` dump, a test's objects."""

    def __init__(self, view: ClusterView) -> None:
        self._view = view

    @property
    def view(self) -> ClusterView:
        return self._view

    @property
    def ready(self) -> bool:
        return True

    async def start(self) -> None:
        return None

    async def wait_ready(self, timeout: float) -> bool:
        return True


class _Unobserved:
    def validated(self, path: str, verdict: Verdict, seconds: float) -> None:
        return None

    def failed(self, path: str) -> None:
        return None

    def image_lookup(self, source: str) -> None:
        return None

    def cache_state(self, known_kinds: int, ready: bool) -> None:
        return None


def _label(request: PodRequest) -> str:
    """namespace/name of the pod for a log line, whatever shape the pod has."""
    meta = request.pod.get("metadata") if isinstance(request.pod, Mapping) else None
    if not isinstance(meta, Mapping):
        return "?"
    return f"{meta.get('namespace') or 'default'}/{meta.get('name') or meta.get('generateName') or '?'}"


def did_not_run() -> Verdict:
    """The verdict of a validation that failed on our side: allowed, and saying so."""
    return Verdict.of(
        [Finding(Code.CHECK_SKIPPED, Severity.WARNING, "validation", {"kind": "validation", "failed": True})]
    )


class ValidationService:
    """Validations against one cluster-view source and one registry client; see the module
    docstring. One per process and cluster scope: the caches it reads are shared by every
    validation, so each costs memory reads only (and registry requests on a cache miss)."""

    def __init__(
        self,
        settings: Settings,
        source: ViewSource,
        registry: ImageRegistry | None = None,
        *,
        observer: Observer | None = None,
        cache_ready_timeout: float = 5.0,
    ) -> None:
        self.settings = settings
        self.source = source
        self.registry = registry
        self.observer: Observer = observer or _Unobserved()
        self.cache_ready_timeout = cache_ready_timeout
        # The event loop the source's watch tasks run in (None when built outside one): a
        # process keeps one service per loop, since tasks and connections are bound to it.
        try:
            self.loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            self.loop = None
        self._started = False
        self._waited = False

    @property
    def started(self) -> bool:
        return self._started

    async def ensure_started(self) -> None:
        if not self._started:
            self._started = True
            await self.source.start()

    async def validate(
        self, request: PodRequest, *, path: str = "check", cached_only: bool = False, observe: bool = True
    ) -> Verdict:
        """The verdict on ``request``; never raises for a failure of ours (see the module
        docstring). ``path`` labels the metrics: where the request came in. ``cached_only``:
        the registry is read from its cache only, never asked (an image not cached is not
        looked up), for answers that must not wait on the network (the spawn form's marks);
        ``observe=False`` keeps such previews out of the validation metrics."""
        started = time.perf_counter()
        observer = self.observer if observe else _Unobserved()
        try:
            await self.ensure_started()
            await self._wait_for_caches()
            view = self.source.view
            verdict = shape_verdict(request.pod)
            if verdict is None:
                demand = pod_demand(request, view, self.settings)
                images = (
                    self._cached_images(demand, view)
                    if cached_only
                    else await self._lookup_images(demand, view)
                )
                verdict = run_checks(request, demand, view, self.settings, images)
        except Exception:
            pod = _label(request)
            log.warning("prevalidate: validating pod %s failed; it is allowed unchecked", pod, exc_info=True)
            observer.failed(path)
            return did_not_run()
        observer.cache_state(len(view.known), self.source.ready)
        observer.validated(path, verdict, time.perf_counter() - started)
        return verdict

    def _cached_images(self, demand: SpawnDemand, view: ClusterView) -> dict[str, ImageFacts]:
        registry, settings = self.registry, self.settings
        cached = getattr(registry, "cached_facts", None)
        if cached is None or settings.offline or not settings.enabled("image") or not demand.images:
            return {}
        return dict(cached(list(demand.images), pull_secret_configs(view, demand)))

    async def _wait_for_caches(self) -> None:
        """Only the first validations after start-up wait (bounded); later ones use whatever
        the caches hold — a kind still missing is skipped by its check, never guessed."""
        if self._waited or self.source.ready:
            self._waited = True
            return
        ready = await self.source.wait_ready(self.cache_ready_timeout)
        self._waited = True
        if not ready:
            log.warning(
                "prevalidate: cluster caches not ready after %.1fs; checks needing them are skipped "
                "until they are (known so far: %s)",
                self.cache_ready_timeout,
                ", ".join(sorted(self.source.view.known)) or "nothing",
            )

    async def _lookup_images(self, demand: SpawnDemand, view: ClusterView) -> dict[str, ImageFacts]:
        """The registry's answers for the pod's images, asked with the pull secrets the kubelet
        would use (the pod's, then its service account's)."""
        registry, settings = self.registry, self.settings
        if registry is None or settings.offline or not settings.enabled("image") or not demand.images:
            return {}
        hits, misses = registry.cache_hits, registry.cache_misses
        facts = await registry.images_facts(list(demand.images), pull_secret_configs(view, demand))
        if registry.cache_misses > misses:
            self.observer.image_lookup("registry")
        elif registry.cache_hits > hits:
            self.observer.image_lookup("cache")
        return facts


__all__ = ["FixedView", "ImageRegistry", "Observer", "ValidationService", "ViewSource", "did_not_run"]
