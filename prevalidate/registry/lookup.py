"""What one image lookup asks the registry, and how each answer is read.

* existence: ``HEAD /v2/<name>/manifests/<tag|digest>`` with all four media types (``GET``
  when the registry answers ``405``), authenticated as the kubelet would be;
* platforms: the index or list by digest, or a single manifest and its config blob;
* suggestions: ``tags/list`` (paginated through ``Link``, capped), closest tags first.

How answers map (OCI distribution spec, "Pulling manifests" and error codes): ``200`` exists;
``404`` with a registry error code is "not found" (a ``404`` that is not a registry answer is
unverified); ``401``/``403`` with the pod's credentials is "access denied", without any
credential it is "not found or private" (Docker Hub and distribution both answer so for missing
repositories); ``429``, ``5xx``, timeouts, TLS and connection errors and garbage are
"unverified". Nothing here raises for a registry problem.
"""

from __future__ import annotations

import difflib
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from prevalidate.model.image_facts import ImageStatus, Platform
from prevalidate.registry import manifests
from prevalidate.registry.auth import AuthFailure, Authorizer
from prevalidate.registry.fetch import Fetcher, RefusedByPolicy, Reply
from prevalidate.registry.keyring import Credential
from prevalidate.registry.reference import ImageReference

__all__ = ["Existence", "Lookup"]

NOT_FOUND_CODES = frozenset({"MANIFEST_UNKNOWN", "NAME_UNKNOWN", "TAG_UNKNOWN"})
MAX_TAG_PAGES = 5
TAG_PAGE_SIZE = 1000
MAX_SUGGESTIONS = 3
# What a platform or tag lookup may meet; any of them just means "no extra information".
_LOOKUP_ERRORS = (
    AuthFailure,
    RefusedByPolicy,
    httpx.HTTPError,
    httpx.InvalidURL,
    ssl.SSLError,
    OSError,
    ValueError,
)
SMALL_REPOSITORY = 20


@dataclass(frozen=True)
class Existence:
    """The answer to "does this manifest exist?" and what is needed to look further."""

    status: ImageStatus
    detail: str = ""
    digest: str | None = None
    media_type: str = ""
    retry_after: float | None = None
    credential: Credential | None = field(default=None, repr=False)


def _retry_after(reply: Reply) -> float | None:
    value = reply.headers.get("retry-after", "")
    return float(value) if value.strip().isdigit() else None


def _describe_error(exc: BaseException) -> str:
    """A short, credential-free description of a transport failure."""
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    if isinstance(exc, httpx.ConnectError) and isinstance(exc.__cause__, ssl.SSLError):
        return "TLS error"
    cause = exc.__cause__ or exc.__context__
    if isinstance(cause, ssl.SSLError) or "SSL" in str(exc) or "certificate" in str(exc):
        return "TLS error"
    return f"{type(exc).__name__}"


class Lookup:
    """Registry requests for image lookups; stateless apart from the shared auth caches."""

    def __init__(self, fetcher: Fetcher, authorizer: Authorizer, scheme_for: Callable[[str], str]) -> None:
        self._fetcher = fetcher
        self._auth = authorizer
        self._scheme_for = scheme_for  # registry host -> "http" (insecure) or "https"

    def _url(self, ref: ImageReference, path: str) -> httpx.URL:
        scheme = self._scheme_for(ref.registry_host)
        return httpx.URL(f"{scheme}://{ref.registry_host}/v2/{ref.remote_path}/{path}")

    async def _request(
        self,
        method: str,
        url: httpx.URL,
        ref: ImageReference,
        cred: Credential | None,
        *,
        kind: str,
        accept: str | None = manifests.ACCEPT,
    ) -> Reply:
        """One request with the registry's auth dance; may raise AuthFailure / httpx errors."""
        headers = {"Accept": accept} if accept else {}
        host = ref.registry_host
        sent = await self._auth.preemptive(host, ref.remote_path, cred)
        if sent:
            headers["Authorization"] = sent
        reply = await self._fetcher.send(method, url, headers, kind=kind)
        if reply.status != 401:
            return reply
        header = await self._auth.answer(
            host, reply.headers.get_list("www-authenticate"), ref.remote_path, cred, sent
        )
        if header is None:
            return reply
        headers["Authorization"] = header
        return await self._fetcher.send(method, url, headers, kind=kind)

    async def existence(self, ref: ImageReference, creds: list[Credential]) -> Existence:
        """Try each matching credential in order, as the kubelet does; anonymous only when
        none matches (the kubelet never falls back to anonymous)."""
        attempts: list[Credential | None] = list(creds) if creds else [None]
        outcomes: list[Existence] = []
        for cred in attempts:
            outcome = await self._attempt(ref, cred)
            if outcome.status is ImageStatus.EXISTS:
                return outcome
            outcomes.append(outcome)
        for wanted in (ImageStatus.NOT_FOUND, ImageStatus.UNVERIFIED):
            for outcome in outcomes:
                if outcome.status is wanted:
                    return outcome
        return outcomes[0]

    async def _attempt(self, ref: ImageReference, cred: Credential | None) -> Existence:
        url = self._url(ref, f"manifests/{ref.manifest_reference}")
        try:
            reply = await self._request("HEAD", url, ref, cred, kind="manifest")
            if reply.status == 405:  # containerd falls back the same way
                reply = await self._request("GET", url, ref, cred, kind="manifest")
            if reply.status == 404 and not reply.body and "json" not in reply.content_type:
                # HEAD has no body: read the error code before calling anything "missing".
                reply = await self._request("GET", url, ref, cred, kind="manifest")
        except AuthFailure as failure:
            status = {
                "rejected": ImageStatus.ACCESS_DENIED,
                "refused": ImageStatus.NOT_FOUND_OR_DENIED,
            }.get(failure.kind, ImageStatus.UNVERIFIED)
            return Existence(status, failure.detail, credential=cred)
        except RefusedByPolicy as refusal:
            return Existence(ImageStatus.UNVERIFIED, f"refused: {refusal}", credential=cred)
        except (httpx.HTTPError, httpx.InvalidURL, ssl.SSLError, OSError, ValueError) as exc:
            return Existence(ImageStatus.UNVERIFIED, _describe_error(exc), credential=cred)
        return self._classify(ref, reply, cred)

    def _classify(self, ref: ImageReference, reply: Reply, cred: Credential | None) -> Existence:
        status = reply.status
        if status == 200:
            digest = reply.headers.get("docker-content-digest") or ref.digest
            media_type = manifests.media_type_of(reply.headers.get("content-type"), reply.body)
            return Existence(ImageStatus.EXISTS, "", digest, media_type, credential=cred)
        if status == 404:
            codes = reply.error_codes()
            if codes & NOT_FOUND_CODES or (not reply.body and "json" in reply.content_type):
                return Existence(ImageStatus.NOT_FOUND, "manifest unknown", credential=cred)
            return Existence(ImageStatus.UNVERIFIED, "HTTP 404 that is not a registry error")
        if status in (401, 403):
            if cred is not None and not cred.is_empty:
                detail = f"HTTP {status} with the pull secret for {cred.key}"
                return Existence(ImageStatus.ACCESS_DENIED, detail, credential=cred)
            detail = f"HTTP {status} without credentials: private or missing"
            return Existence(ImageStatus.NOT_FOUND_OR_DENIED, detail, credential=cred)
        if status == 429:
            return Existence(
                ImageStatus.UNVERIFIED, "HTTP 429 (rate limited)", retry_after=_retry_after(reply)
            )
        code_list = ",".join(sorted(reply.error_codes()))
        detail = f"HTTP {status}" + (f" {code_list}" if code_list else "")
        return Existence(ImageStatus.UNVERIFIED, detail, retry_after=_retry_after(reply))

    async def platforms(self, ref: ImageReference, existence: Existence) -> frozenset[Platform] | None:
        """The platforms the image offers, or None when they cannot be read."""
        cred = existence.credential
        target = existence.digest or ref.manifest_reference
        try:
            reply = await self._request(
                "GET", self._url(ref, f"manifests/{target}"), ref, cred, kind="manifest"
            )
            if reply.status != 200:
                return None
            if existence.digest and not manifests.digest_matches(existence.digest, reply.body):
                return None
            media_type = manifests.media_type_of(reply.headers.get("content-type"), reply.body)
            if media_type in manifests.INDEX_TYPES:
                return manifests.platforms_of_index(reply.body)
            config = manifests.config_digest(reply.body)
            if config is None:
                return None
            blob = await self._request(
                "GET", self._url(ref, f"blobs/{config}"), ref, cred, kind="blob", accept=None
            )
            if blob.status != 200 or not manifests.digest_matches(config, blob.body):
                return None
            return manifests.platform_of_config(blob.body)
        except _LOOKUP_ERRORS:
            return None

    async def suggestions(
        self, ref: ImageReference, cred: Credential | None
    ) -> tuple[tuple[str, ...], bool | None]:
        """(closest existing tags, whether the repository exists: None when unknown)."""
        if ref.tag is None or ref.digest is not None:
            return (), None
        url = self._url(ref, "tags/list").copy_merge_params({"n": str(TAG_PAGE_SIZE)})
        tags: list[str] = []
        try:
            for _page in range(MAX_TAG_PAGES):
                reply = await self._request("GET", url, ref, cred, kind="tags", accept=None)
                if reply.status == 404 and "NAME_UNKNOWN" in reply.error_codes():
                    return (), False
                document = reply.json() if reply.status == 200 else None
                page = document.get("tags") if isinstance(document, dict) else None
                if not isinstance(page, list):
                    break
                tags.extend(t for t in page if isinstance(t, str))
                link = reply.headers.get("link", "")
                if 'rel="next"' not in link or "<" not in link:
                    break
                url = url.join(link[link.index("<") + 1 : link.index(">")])
        except _LOOKUP_ERRORS:
            pass
        return closest_tags(ref.tag, tags), (True if tags else None)


def closest_tags(tag: str, tags: list[str]) -> tuple[str, ...]:
    """The existing tags most like ``tag``; in a small repository the nearest ones even when
    none is close (a user who asked for ``2`` where only ``1`` exists wants to hear ``1``)."""
    close = difflib.get_close_matches(tag, tags, n=MAX_SUGGESTIONS, cutoff=0.6)
    if not close and len(tags) <= SMALL_REPOSITORY:
        close = difflib.get_close_matches(tag, tags, n=MAX_SUGGESTIONS, cutoff=0.0)
    return tuple(close)
