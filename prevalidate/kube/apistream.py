"""One (paginated) list and one watch request against the Kubernetes API, read as raw JSON.

The generated kubernetes_asyncio list methods build the request (URL, query, auth, TLS) and
are called with ``_preload_content=False``, as KubeSpawner's reflector does: we get the
aiohttp response and read JSON dicts, never the generated model classes (``ClusterView``
takes the camelCase JSON form, and deserialising every pod into ``V1Pod`` would cost more
than applying it).

We deliberately do not use ``kubernetes_asyncio.watch.Watch`` for the stream:
- it builds a whole ``ApiClient`` per watch (an aiohttp session and an SSL context loading
  the CA bundle: about 40 ms of CPU on the hub's event loop for every reconnect of every kind);
- an HTTP error body that is not JSON comes back as a ``str`` "event", and a malformed event
  raises an exception whose message embeds the event's JSON — for a Secret that would put its
  data into a log line;
- it reports a watch's ERROR event as ``ApiException`` with the Status flattened into text,
  while we need its code (410 means relist, 403 means RBAC).
Reading lines from the response is the whole protocol (one JSON event per line), so a few
lines here replace it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

import aiohttp

from .gcpause import gc_paused

Obj = dict[str, Any]
ListMethod = Callable[..., Awaitable[Any]]

# Fail fast on an unreachable API; a list of a big cluster may take a while to stream.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
# A watch lives for its timeoutSeconds; past that plus this grace the connection is dead
# (a half-open TCP connection after a network cut would otherwise be waited on forever).
WATCH_GRACE = 30.0


class ApiStatus(Exception):
    """The API answered a request with an error ``Status`` (HTTP error or a watch ERROR event).

    ``str()`` is the Status message, which names the resource and never holds object data."""

    def __init__(self, code: int, reason: str, message: str, *, in_stream: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.in_stream = in_stream  # an ERROR event inside an open watch: events may be lost

    def describe(self) -> str:
        return f"{self.code} {self.reason}: {self.message}" if self.message else f"{self.code} {self.reason}"


def _status(code: int, body: bytes | Obj, *, in_stream: bool = False) -> ApiStatus:
    doc: Any = body
    if isinstance(body, bytes):
        try:
            doc = json.loads(body)
        except ValueError:
            doc = {}
    if not isinstance(doc, dict):
        doc = {}
    code = int(doc.get("code") or code)
    reason = str(doc.get("reason") or ("Expired" if code == 410 else f"HTTP {code}"))
    # Only the Status message: an error page or a proxy's body is not echoed into logs.
    message = str(doc.get("message") or "") if doc.get("kind") == "Status" else ""
    return ApiStatus(code, reason, message, in_stream=in_stream)


# Items per list request: a 150,000-pod cluster is read as 300 bodies of about 1 MB, each parsed
# and handed to the sinks before the next is read, never one body of hundreds of MB at once.
PAGE_SIZE = 500


async def _fetch(method: ListMethod, args: dict[str, Any]) -> bytes:
    """One list request's body; ``ApiStatus`` for an error answer."""
    response = await method(
        _preload_content=False,
        _request_timeout=aiohttp.ClientTimeout(sock_connect=CONNECT_TIMEOUT, sock_read=READ_TIMEOUT),
        **args,
    )
    try:
        body: bytes = await response.read()
        if response.status != 200:
            raise _status(response.status, body)
    finally:
        response.release()
    return body


async def _discard(fetch: asyncio.Future[bytes]) -> None:
    """A read-ahead no longer wanted: cancelled, its outcome consumed (never a stray
    "exception was never retrieved")."""
    fetch.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await fetch


async def list_pages(
    method: ListMethod,
    *,
    namespace: str | None,
    resource_version: str | None,
    field_selector: str | None = None,
    limit: int = PAGE_SIZE,
    on_request: Callable[[], None] | None = None,
) -> AsyncGenerator[tuple[str, list[Obj]], None]:
    """(resourceVersion, items) of each page of one list (``limit`` + ``continue``); every page
    has the first page's resourceVersion (the API server reads them all at it). ``ApiStatus``
    for an error answer: 410 Expired when a continue token outlived the history (relist).
    ``field_selector``: the API server's ``fieldSelector`` (``spec.nodeName=n1``), kept on
    every page. ``on_request`` runs before each request after the first (request counting).

    The next page is requested as soon as a page's continue token is read, before the page
    is handed over: the API server encodes page n+1 while the caller applies page n, instead
    of each waiting for the other (at most one page is read ahead)."""
    kwargs: dict[str, Any] = {"limit": limit} if limit > 0 else {}
    if namespace is not None:
        kwargs["namespace"] = namespace
    if field_selector:
        kwargs["field_selector"] = field_selector
    first_args = dict(kwargs)
    if resource_version:
        first_args["resource_version"] = resource_version
    fetch: asyncio.Future[bytes] = asyncio.ensure_future(_fetch(method, first_args))
    first_rv: str | None = None
    try:
        while True:
            body = await fetch
            with gc_paused():  # gcpause.py: thousands of acyclic dicts per page
                doc = json.loads(body)
            del body
            meta = doc.get("metadata") or {}
            first_rv = first_rv or str(meta["resourceVersion"])
            following = meta.get("continue") or None
            items = list(doc.get("items") or [])
            del doc
            if not following:
                yield first_rv, items
                return
            if on_request is not None:
                on_request()
            # A resourceVersion with a continue token is refused (400): the token carries it.
            fetch = asyncio.ensure_future(_fetch(method, {**kwargs, "_continue": following}))
            await asyncio.sleep(0)  # let the read-ahead send its request before we go on
            yield first_rv, items
    finally:
        if not fetch.done():
            await _discard(fetch)


async def watch_events(
    method: ListMethod,
    *,
    namespace: str | None,
    resource_version: str,
    timeout_seconds: int,
    on_open: Callable[[], None],
    field_selector: str | None = None,
) -> AsyncGenerator[tuple[str, Obj], None]:
    """(type, object) for each event of one watch, until the server ends it (timeoutSeconds).

    ``on_open`` runs once the server accepted the watch. An ERROR event raises ``ApiStatus``
    with ``in_stream=True`` (410 Expired: the resourceVersion is too old, relist). With a
    ``field_selector`` only matching objects are sent (one that stops matching comes as
    DELETED)."""
    kwargs: dict[str, Any] = {"namespace": namespace} if namespace is not None else {}
    if field_selector:
        kwargs["field_selector"] = field_selector
    response = await method(
        watch=True,
        allow_watch_bookmarks=True,
        resource_version=resource_version,
        timeout_seconds=timeout_seconds,
        _preload_content=False,
        _request_timeout=aiohttp.ClientTimeout(
            total=timeout_seconds + WATCH_GRACE, sock_connect=CONNECT_TIMEOUT
        ),
        **kwargs,
    )
    try:
        if response.status != 200:
            raise _status(response.status, await response.read())
        on_open()
        async for line in response.content:
            if not line.strip():
                continue
            event = json.loads(line)
            kind, obj = event.get("type"), event.get("object")
            if not isinstance(obj, dict) or not isinstance(kind, str):
                raise ValueError("watch event without type or object")
            if kind == "ERROR":
                raise _status(500, obj, in_stream=True)
            yield kind, obj
    finally:
        response.release()
