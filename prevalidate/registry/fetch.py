"""Sending one request to a registry: URL policy, redirects, body limits, request counts.

Every URL is checked before it is requested: the registry's own, the token realm it names,
and each redirect target (a registry may redirect, and a hostile one would redirect to
``169.254.169.254``). Plain HTTP is used only for hosts configured as insecure, and an
``https`` → ``http`` redirect is refused unless the target is such a host. ``Authorization``
is dropped when a redirect leaves the origin (the distribution spec forbids forwarding it).
Redirects are followed here rather than by httpx so that each hop goes through the policy.

Bodies are read up to a cap: a manifest, token or tag list is small, and a registry that
streams gigabytes at us gets the same answer as one that is down.
"""

from __future__ import annotations

import json
import logging
import zlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from prevalidate.registry.netguard import is_policy_refusal

__all__ = ["Fetcher", "RefusedByPolicy", "Reply", "RequestCounts"]

log = logging.getLogger("prevalidate.registry")

MAX_REDIRECTS = 5
MAX_BODY = 4 * 1024 * 1024
_REDIRECTS = frozenset({301, 302, 303, 307, 308})

# (url) -> reason the policy refuses it, or None
UrlCheck = Callable[[httpx.URL], Awaitable[str | None]]


class RefusedByPolicy(Exception):
    """The policy forbids a URL the exchange needed (a redirect or realm, usually)."""


@dataclass
class RequestCounts:
    """Requests sent, by kind ("manifest", "token", "blob", "tags"). The seam for metrics:
    ``observer(kind, status)`` is called for every response (Prometheus wires in later)."""

    by_kind: dict[str, int] = field(default_factory=dict)
    observer: Callable[[str, int], None] | None = None

    def record(self, kind: str, status: int) -> None:
        self.by_kind[kind] = self.by_kind.get(kind, 0) + 1
        if self.observer is not None:
            self.observer(kind, status)

    def __getitem__(self, kind: str) -> int:
        return self.by_kind.get(kind, 0)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: httpx.Headers
    body: bytes
    url: httpx.URL

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body as JSON, or None when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    def error_codes(self) -> set[str]:
        """``errors[].code`` of a distribution error body (empty when it is not one)."""
        document = self.json()
        errors = document.get("errors") if isinstance(document, dict) else None
        if not isinstance(errors, list):
            return set()
        return {e["code"] for e in errors if isinstance(e, dict) and isinstance(e.get("code"), str)}


def _same_origin(a: httpx.URL, b: httpx.URL) -> bool:
    # raw_host: httpx's ``host`` IDNA-decodes, and raises on an invalid ``xn--`` label
    # (a redirect to https://xn--o-pfatt20n/ did: atheris).
    return (a.scheme, a.raw_host.lower(), a.port) == (b.scheme, b.raw_host.lower(), b.port)


class Fetcher:
    """Policy-checked requests over one shared ``httpx.AsyncClient``."""

    def __init__(self, client: httpx.AsyncClient, check: UrlCheck, counts: RequestCounts) -> None:
        self._client = client
        self._check = check
        self.counts = counts

    async def send(
        self,
        method: str,
        url: httpx.URL,
        headers: Mapping[str, str],
        *,
        kind: str,
        params: Mapping[str, str | list[str]] | None = None,
    ) -> Reply:
        """One exchange, following redirects; raises ``RefusedByPolicy`` or httpx errors."""
        current_headers = dict(headers)
        if params:
            url = url.copy_merge_params(params)
        for _hop in range(MAX_REDIRECTS + 1):
            reason = await self._check(url)
            if reason is not None:
                raise RefusedByPolicy(reason)
            try:
                reply = await self._exchange(method, url, current_headers)
            except httpx.HTTPError as exc:
                if is_policy_refusal(exc):
                    raise RefusedByPolicy(str(exc)) from None
                raise
            self.counts.record(kind, reply.status)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("%s %s -> %s", method, url.copy_with(query=None), reply.status)
            location = reply.headers.get("location")
            if reply.status not in _REDIRECTS or not location:
                return reply
            try:
                target = url.join(location)
            except httpx.InvalidURL:
                raise RefusedByPolicy("a redirect to an invalid URL") from None
            if not _same_origin(url, target):
                current_headers.pop("Authorization", None)
            if reply.status == 303 and method != "HEAD":
                method = "GET"
            url = target
        raise RefusedByPolicy(f"more than {MAX_REDIRECTS} redirects")

    async def _exchange(self, method: str, url: httpx.URL, headers: Mapping[str, str]) -> Reply:
        # Only the encodings decoded below, incrementally: httpx's own decoder inflates a
        # whole network chunk at once, and a gzip bomb turns 128 kB into 130 MB before any
        # cap could look at it.
        request = self._client.build_request(
            method, url, headers={"Accept-Encoding": ACCEPTED_ENCODINGS, **headers}
        )
        response = await self._client.send(request, stream=True)
        try:
            body = await _read_capped(response)
        finally:
            await response.aclose()
        return Reply(response.status_code, response.headers, body, url)


ACCEPTED_ENCODINGS = "gzip, deflate"


async def _read_capped(response: httpx.Response) -> bytes:
    """The decoded body, refusing (``httpx.DecodingError``) past ``MAX_BODY`` decoded bytes;
    never more than ``MAX_BODY`` + one network chunk is held."""
    try:  # a response built in memory (a test transport) is read, and decoded, already
        body = response.content
    except httpx.ResponseNotRead:
        pass
    else:
        if len(body) > MAX_BODY:
            raise httpx.DecodingError(f"response body larger than {MAX_BODY} bytes")
        return body
    encoding = response.headers.get("content-encoding", "").strip().lower()
    decoder = None
    if encoding in ("gzip", "x-gzip", "deflate"):
        decoder = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib header, detected
    elif encoding not in ("", "identity"):
        raise httpx.DecodingError(f"unsupported content encoding {encoding[:40]!r}")
    chunks: list[bytes] = []
    size = 0
    async for raw in response.aiter_raw():
        pending = raw
        while pending:
            if decoder is None:
                data, pending = pending, b""
            else:
                try:
                    data = decoder.decompress(pending, MAX_BODY + 1 - size)
                except zlib.error as exc:
                    raise httpx.DecodingError(f"invalid {encoding} body: {exc}") from None
                pending = decoder.unconsumed_tail
            size += len(data)
            if size > MAX_BODY:
                raise httpx.DecodingError(f"response body larger than {MAX_BODY} bytes")
            chunks.append(data)
    return b"".join(chunks)
