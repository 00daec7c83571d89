"""The live ClusterView of a running hub: list+watch of every kind the checks read.

A validation must not cost API requests (a hub validates on every form submit, and the
webhook on every notebook pod), so the hub keeps one watch-fed ``ClusterView`` and the checks
only read memory. ``LiveCluster`` runs one ``Reflector`` per kind and scope and decides what
the view may claim to know:

- ``view.known`` starts empty; a kind joins it when its first list has been applied. A check
  whose kind is unknown is skipped (fail open) rather than deciding on an empty list.
- ``namespaces=None`` lists namespaced kinds cluster-wide (KubeSpawner's
  ``enable_user_namespaces``). With namespaces, each namespaced kind is listed per namespace
  and ``view.scoped[kind]`` says which ones. Pods are the exception: node usage needs every
  pod on a node, so they are listed cluster-wide, and per namespace only when RBAC forbids
  that (then other namespaces' pods are not counted, which only ever errs towards allowing).
- Each reflector feeds its kind's ``Mirror`` (the view); ``subscribe`` adds another consumer
  of the same watch (an event feed), so a process keeps one watch per kind and scope.
- A refused list (403 RBAC, 404 not served) drops the kind from ``known`` with ONE warning
  naming the RBAC rule to add, and is retried quietly every few minutes.
- An unreachable API gives one warning when it goes and one info line when it is back; the
  view keeps the last state seen meanwhile, and the watches resume from where they were.

Nothing here logs object contents; Secrets are reduced by ``ClusterView`` to their docker
config, and the raw lists and events are dropped as soon as they are applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable, Sequence
from typing import Any

from kubernetes_asyncio import client

from ..model.cluster import ALL_KINDS, ClusterView
from .apistream import ApiStatus
from .mirror import Mirror
from .reflector import Reflector, Sink, Timing
from .watchkinds import WATCH_KINDS

__all__ = ["LiveCluster"]


class LiveCluster:
    """A ClusterView kept current by list+watch; see the module docstring."""

    def __init__(
        self,
        api_client: client.ApiClient,
        *,
        namespaces: Sequence[str] | None,
        kinds: Iterable[str] = ALL_KINDS,
        log: logging.Logger | None = None,
        watch_timeout: int = 300,
        retry_cap: float = 5.0,
        refused_retry: float = 300.0,
    ) -> None:
        kinds = set(kinds)
        unknown = kinds - set(WATCH_KINDS)
        if unknown:
            raise ValueError(f"LiveCluster cannot watch {sorted(unknown)} (known: {sorted(WATCH_KINDS)})")
        self.view = ClusterView(known=())
        self.requests = 0  # every list and every watch connection, for "requests per validation"
        self.log = log or logging.getLogger("prevalidate.kube.live")
        self.timing = Timing(watch_timeout=watch_timeout, retry_cap=retry_cap, refused_retry=refused_retry)
        self._client = api_client
        self._apis: dict[str, Any] = {}
        self._namespaces = None if namespaces is None else tuple(dict.fromkeys(namespaces))
        self._mirrors = {kind: Mirror(self.view, kind) for kind in kinds}
        self._sinks: dict[str, list[Sink]] = {kind: [mirror] for kind, mirror in self._mirrors.items()}
        self._reflectors: list[Reflector] = []
        for kind in sorted(kinds):
            spec = WATCH_KINDS[kind]
            if not spec.namespaced or self._namespaces is None or kind == "Pod":
                self._reflectors.append(Reflector(self, spec, None, self._sinks[kind]))
            else:
                self._reflectors += [Reflector(self, spec, ns, self._sinks[kind]) for ns in self._namespaces]
        self._pending = set(self._reflectors)  # not yet listed, nor given up on
        self._refused: set[Reflector] = set()  # in a refusal spell (warned once)
        self._fallback: list[Reflector] = []  # per-namespace pods while cluster-wide is refused
        self._tasks: dict[Reflector, asyncio.Task[None]] = {}
        self._ready = asyncio.Event()
        self._started = False
        self._down = False

    # ---- the interface the hub uses -------------------------------------------------------

    async def start(self) -> None:
        """Start every list+watch task and return at once (idempotent)."""
        if self._started:
            return
        self._started = True
        for reflector in self._reflectors:
            self._spawn(reflector)
        self._check_ready()

    @property
    def ready(self) -> bool:
        """Every kind has been listed once or given up on (RBAC): validations are meaningful."""
        return self._started and not self._pending

    async def wait_ready(self, timeout: float) -> bool:
        """True once ready; False when ``timeout`` seconds pass first. Never raises."""
        if self.ready or timeout <= 0:
            return self.ready
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._ready.wait(), timeout)
        return self.ready

    def subscribe(self, kind: str, sink: Sink) -> None:
        """Feed ``sink`` from the watch of ``kind`` too (every scope it is listed in, fallbacks
        included); it receives the next list and every event after it."""
        self._sinks[kind].append(sink)

    async def stop(self) -> None:
        """Cancel every task and wait for them to finish (connections are released)."""
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    # ---- what reflectors report (the reflector.Owner protocol) ----------------------------

    def api(self, name: str) -> Any:
        if name not in self._apis:
            self._apis[name] = getattr(client, name)(self._client)
        return self._apis[name]

    def count_request(self) -> None:
        self.requests += 1

    def answered(self) -> None:
        if self._down:
            self._down = False
            self.log.info("prevalidate: the Kubernetes API answers again; the cluster view is catching up")

    def failed(self, reflector: Reflector, what: str) -> None:
        if self._down:
            self.log.debug("prevalidate: %r: %s", reflector, what)
            return
        self._down = True
        self.log.warning(
            "prevalidate: the Kubernetes API is unavailable (%s %s: %s). Validations use the "
            "cluster state seen last (checks of kinds never listed are skipped); retrying.",
            reflector.spec.resource,
            reflector.scope,
            what,
        )

    def listed(self, reflector: Reflector) -> None:
        kind = reflector.spec.kind
        if reflector.namespace is None and kind == "Pod" and self._fallback:
            self._stop_fallback()
        self.view.mark_known(kind, reflector.namespace)
        self._pending.discard(reflector)
        self._check_ready()

    def watching(self, reflector: Reflector) -> None:
        self.answered()
        if reflector in self._refused:
            self._refused.discard(reflector)
            self.log.info(
                "prevalidate: %s can be listed and watched %s now; its checks run again",
                reflector.spec.kind,
                reflector.scope,
            )

    def refused(self, reflector: Reflector, status: ApiStatus, verb: str) -> None:
        spec, ns = reflector.spec, reflector.namespace
        self._mirrors[spec.kind].clear(ns)  # no longer kept current: never decide on it
        self.view.mark_unknown(spec.kind, ns)
        fallback = spec.kind == "Pod" and ns is None and bool(self._namespaces)
        if fallback and not self._fallback:
            self._start_fallback()
        self._pending.discard(reflector)
        self._check_ready()
        if reflector in self._refused:
            self.log.debug("prevalidate: %r still refused: %s", reflector, status.describe())
            return
        self._refused.add(reflector)
        retry = f"retrying every {self.timing.refused_retry:g} s"
        if status.code == 404:
            self.log.warning(
                "prevalidate: the API server does not serve %s (%s); checks that need %s are skipped; %s.",
                spec.resource,
                status.describe(),
                spec.kind,
                retry,
            )
        elif fallback:
            self.log.warning(
                "prevalidate: cannot %s %s %s (%s). Watching pods in namespace(s) %s instead: node "
                "capacity checks do not count other namespaces' pods (they may allow a pod that "
                "will not fit) until the hub's RBAC grants %s; %s.",
                verb,
                spec.kind,
                reflector.scope,
                status.describe(),
                ", ".join(self._namespaces or ()),
                spec.rbac_rule(None),
                retry,
            )
        else:
            self.log.warning(
                "prevalidate: cannot %s %s %s (%s). Checks that need %s are skipped until the "
                "hub's RBAC grants %s; %s.",
                verb,
                spec.kind,
                reflector.scope,
                status.describe(),
                spec.kind,
                spec.rbac_rule(ns),
                retry,
            )

    # ---- internals -------------------------------------------------------------------------

    def _spawn(self, reflector: Reflector) -> None:
        name = f"prevalidate-watch-{reflector.spec.plural}-{reflector.namespace or 'all'}"
        self._tasks[reflector] = asyncio.create_task(reflector.run(), name=name)

    def _start_fallback(self) -> None:
        pods = WATCH_KINDS["Pod"]
        self._fallback = [Reflector(self, pods, ns, self._sinks["Pod"]) for ns in self._namespaces or ()]
        self._pending.update(self._fallback)
        for reflector in self._fallback:
            self._spawn(reflector)

    def _stop_fallback(self) -> None:
        for reflector in self._fallback:
            task = self._tasks.pop(reflector, None)
            if task is not None:
                task.cancel()
            self._pending.discard(reflector)
            self._refused.discard(reflector)
        self._fallback = []

    def _check_ready(self) -> None:
        if self.ready:
            self._ready.set()
