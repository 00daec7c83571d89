"""One list+watch loop: feeds one kind in one scope (a namespace, or the whole cluster) to its
sinks, the way client-go's Reflector feeds its store. The ClusterView's ``Mirror`` is one sink;
another consumer of the same stream (an event feed) subscribes as a second sink, so a process
keeps one watch per kind and scope however many consumers it has. A ``field_selector``
narrows the stream at the API server (``involvedObject.uid=...`` for Events, say).

- List page by page (500 objects a page, ``limit`` + ``continue``, consistent reads), each
  page handed to the sinks as it arrives; then watch from the list's resourceVersion with
  bookmarks. Every event moves our resourceVersion on. A continue token that expired (410)
  relists. (Not ``resourceVersion=0``: the apiserver's watch cache may ignore ``limit`` for
  it and send a 150,000-pod cluster as one body; a consistent paged read never does.)
- A watch that ends normally (its ``timeoutSeconds``) reconnects at once from the last
  resourceVersion; 410 Expired means we fell behind the history: relist.
- A refused list or watch (403 RBAC, 404 not served) goes to the owner, which makes the kind
  unknown; we retry at a long interval in case RBAC is fixed.
- Anything else (connection refused, timeouts, 5xx) is retried with bounded exponential
  backoff and reported to the owner as the API not answering. A watch whose connection
  breaks after it was accepted is only resumed from the last resourceVersion (nothing was
  lost; if the API is really gone, the reconnect says so); an unreadable event relists.
The loop never ends with an exception, only with cancellation.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from dataclasses import dataclass
from typing import Any, Protocol

import aiohttp

from .apistream import PAGE_SIZE, ApiStatus, list_pages, watch_events
from .watchkinds import WatchKind

Obj = dict[str, Any]

# Statuses that will not change by retrying soon: the hub lacks RBAC, or the API does not
# serve the resource. The kind is given up (fail open) and retried at `refused_retry`.
REFUSED = frozenset({403, 404})
# client-go treats a watch that ends this fast without a single event as an error, so that a
# misbehaving server or proxy cannot make the loop reconnect as fast as it can.
SHORT_WATCH = 1.0


@dataclass(frozen=True)
class Timing:
    watch_timeout: int = 300  # timeoutSeconds is this times 1..2 (client-go's minWatchTimeout)
    retry_start: float = 0.2
    retry_cap: float = 5.0
    refused_retry: float = 300.0


class Sink(Protocol):
    """A consumer of one kind's stream. Called on the event loop, in stream order; must not
    block (``page`` may yield between batches).

    A (re)list is ``begin``, one ``page`` per list page, then ``finish``: the pages are applied
    as they arrive, so a sink never holds a whole list beside its current state (a relist after
    a 410 does not double the memory). A list that breaks off before ``finish`` leaves what its
    pages applied (they were current) and the next relist calls ``begin`` again."""

    def begin(self, namespace: str | None) -> None:
        """A (re)list of the scope (None: every namespace) starts."""
        ...

    async def page(self, items: list[Obj]) -> None:
        """The next page of the list (each item has its ``kind``)."""
        ...

    def finish(self) -> int:
        """The list is complete: the scope now holds exactly the listed objects. Returns how
        many objects it held that are gone (0 if it does not keep objects)."""
        ...

    def apply(self, obj: Obj) -> None:
        """A watch ADDED or MODIFIED event (``obj`` has its ``kind``)."""
        ...

    def remove(self, obj: Obj) -> None:
        """A watch DELETED event."""
        ...


class Owner(Protocol):
    """What a reflector reports to (the LiveCluster)."""

    timing: Timing
    log: logging.Logger

    def api(self, name: str) -> Any: ...
    def count_request(self) -> None: ...
    def answered(self) -> None: ...
    def failed(self, reflector: Reflector, what: str) -> None: ...
    def listed(self, reflector: Reflector) -> None: ...
    def watching(self, reflector: Reflector) -> None: ...
    def refused(self, reflector: Reflector, status: ApiStatus, verb: str) -> None: ...


def describe(exc: BaseException) -> str:
    """A log-safe description: never the text of an unknown exception, which could quote an
    object (a Secret) it failed on."""
    if isinstance(exc, ApiStatus):
        return exc.describe()
    if isinstance(exc, asyncio.TimeoutError):
        return "timed out"
    if isinstance(exc, (aiohttp.ClientConnectionError, OSError)):
        return str(exc) or type(exc).__name__
    return type(exc).__name__


class Reflector:
    def __init__(
        self,
        owner: Owner,
        spec: WatchKind,
        namespace: str | None,
        sinks: list[Sink] | None = None,
        *,
        field_selector: str | None = None,
    ) -> None:
        self.owner = owner
        self.spec = spec
        self.namespace = namespace
        # Shared with the owner, which may subscribe more sinks to the kind at any time.
        self.sinks: list[Sink] = sinks if sinks is not None else []
        self.field_selector = field_selector
        self.page_size = PAGE_SIZE
        self.rv: str | None = None  # None: the next step is a (re)list
        self.lists = 0
        self._verb = "list"
        self._open = False  # the current watch was accepted by the server

    @property
    def scope(self) -> str:
        return "at the cluster scope" if self.namespace is None else f"in namespace {self.namespace}"

    def __repr__(self) -> str:
        return f"<Reflector {self.spec.kind} {self.scope}>"

    def _method(self) -> Any:
        api = self.owner.api(self.spec.api)
        return getattr(api, self.spec.list_all if self.namespace is None else str(self.spec.list_namespaced))

    async def run(self) -> None:
        timing = self.owner.timing
        delay = timing.retry_start
        while True:
            self._open = False
            try:
                if self.rv is None:
                    await self._list()
                events, seconds = await self._watch()
                if events or seconds >= SHORT_WATCH:
                    delay = timing.retry_start
                    continue
            except asyncio.CancelledError:
                raise
            except ApiStatus as exc:
                if exc.code == 410:  # fell behind the watch history: relist, no backoff
                    self.owner.answered()
                    self.owner.log.debug("%r: %s; relisting", self, exc.describe())
                    self.rv = None
                    continue
                if exc.code in REFUSED:
                    self.owner.answered()
                    self.rv = None
                    self.owner.refused(self, exc, self._verb)
                    await asyncio.sleep(timing.refused_retry)
                    delay = timing.retry_start
                    continue
                if exc.in_stream:
                    self.rv = None
                self.owner.failed(self, describe(exc))
            except Exception as exc:  # connection errors, timeouts, unreadable answers
                if isinstance(exc, ValueError):  # an event we could not read may be lost
                    self.rv = None
                if self._open and not isinstance(exc, ValueError):
                    # The API accepted this watch and the connection broke later (an
                    # apiserver restart, a proxy's idle cut): resume; no warning yet.
                    self.owner.log.debug("%r: watch connection broke: %s", self, describe(exc))
                else:
                    self.owner.failed(self, describe(exc))
                if self.spec.kind != "Secret" and not isinstance(exc, (aiohttp.ClientError, OSError)):
                    self.owner.log.debug("%r failed", self, exc_info=True)
            await asyncio.sleep(delay * random.uniform(1.0, 1.25))
            delay = min(delay * 2, timing.retry_cap)

    async def _list(self) -> None:
        self._verb = "list"
        self.owner.count_request()
        sinks = list(self.sinks)  # a sink subscribed meanwhile gets the next list
        for sink in sinks:
            sink.begin(self.namespace)
        rv, count = "", 0
        pages = list_pages(
            self._method(),
            namespace=self.namespace,
            resource_version=None,  # consistent, and paged (see the module docstring)
            field_selector=self.field_selector,
            limit=self.page_size,
            on_request=self.owner.count_request,
        )
        async with contextlib.aclosing(pages):
            async for page_rv, items in pages:
                rv = page_rv
                self.owner.answered()
                for item in items:
                    item.setdefault("kind", self.spec.kind)  # list items carry no kind; sinks need it
                for sink in sinks:
                    await sink.page(items)
                count += len(items)
        vanished = sum(sink.finish() for sink in sinks)
        self.lists += 1
        self.rv = rv
        self.owner.log.debug("%r listed %d objects (%d vanished) at RV %s", self, count, vanished, rv)
        self.owner.listed(self)

    async def _watch(self) -> tuple[int, float]:
        """Follow one watch until the server ends it; (events, seconds) it lasted."""
        assert self.rv is not None
        self._verb = "watch"
        self.owner.count_request()
        timeout = int(self.owner.timing.watch_timeout * random.uniform(1.0, 2.0))
        loop = asyncio.get_running_loop()
        started, events = loop.time(), 0
        stream = watch_events(
            self._method(),
            namespace=self.namespace,
            resource_version=self.rv,
            timeout_seconds=timeout,
            on_open=self._opened,
            field_selector=self.field_selector,
        )
        async with contextlib.aclosing(stream):
            async for kind, obj in stream:
                events += 1
                if kind in ("ADDED", "MODIFIED"):
                    obj.setdefault("kind", self.spec.kind)
                    for sink in self.sinks:
                        sink.apply(obj)
                elif kind == "DELETED":
                    for sink in self.sinks:
                        sink.remove(obj)
                # BOOKMARK carries only a resourceVersion: the watch is consistent up to it.
                rv = (obj.get("metadata") or {}).get("resourceVersion")
                if rv:
                    self.rv = str(rv)
        return events, loop.time() - started

    def _opened(self) -> None:
        self._open = True
        self.owner.watching(self)
