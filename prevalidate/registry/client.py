"""``RegistryClient``: the facade the hub, the webhook and the CLI call.

It answers "does this image exist, can the pod's credentials read it, which platforms does
it offer?" as an ``ImageFacts``, and never raises for a registry problem (that is
``UNVERIFIED``: a warning, fail open). What it adds over ``lookup``:

* the policy before any connection (allow-list, SSRF; see ``policy`` and ``netguard``);
* the kubelet's credentials from the pod's pull secrets (``keyring``);
* caches: assembled facts and existence answers (minutes when positive, seconds when
  negative, ``Retry-After`` when rate-limited), platforms by digest, tag suggestions;
* one lookup in flight per key, shared by concurrent spawns;
* a time budget per validation (default 2 s): a caller that runs out gets ``UNVERIFIED``
  while the shared lookup carries on and fills the cache for the next spawn. Platforms and
  suggestions are awaited only within what is left, so a slow extra never turns a decided
  answer into "unverified".
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from types import TracebackType
from typing import Any, TypeVar, cast

import httpcore
import httpx
from cachetools import LRUCache

from prevalidate.model.image_facts import ImageFacts, ImageStatus, Platform
from prevalidate.registry import logsafety
from prevalidate.registry.auth import Authorizer
from prevalidate.registry.budget import Budget
from prevalidate.registry.caches import ExpiringCache, SingleFlight, within
from prevalidate.registry.fetch import Fetcher, RequestCounts
from prevalidate.registry.gate import Gate
from prevalidate.registry.keyring import Credential, Keyring, KeyringError, build_keyring
from prevalidate.registry.lookup import Existence, Lookup
from prevalidate.registry.netguard import (
    GuardedBackend,
    Resolver,
    guarded_transport,
    system_resolver,
)
from prevalidate.registry.reference import ImageReference, parse_image_reference

__all__ = ["RegistryClient"]


logsafety.install()  # before any request: see the module
log = logging.getLogger("prevalidate.registry")

Secrets = Sequence[tuple[str, str]]
_ExistenceKey = tuple[str, str, str, str]
T = TypeVar("T")
_DIGEST_TTL = 24 * 3600.0  # content addressed: the platforms of a digest never change


@lru_cache(maxsize=4096)
def _parse(image: str) -> ImageReference:
    return parse_image_reference(image)


class RegistryClient:
    """Async registry client on one shared ``httpx.AsyncClient``; use ``async with``.

    ``allowed_registries``: ``host[:port]`` entries; when non-empty only these are
    contacted, and internal addresses are contacted only when listed. ``insecure_registries``:
    ``host:port`` entries spoken to over plain HTTP (listing one also exempts it from the
    internal-address rule). ``transport``/``resolver``/``network_backend``: seams for tests.
    ``observer(kind, status)`` is called for every registry response (metrics seam).
    """

    def __init__(
        self,
        *,
        allowed_registries: Collection[str] = (),
        insecure_registries: Collection[str] = (),
        time_budget: float = 2.0,
        positive_ttl: float = 300.0,
        negative_ttl: float = 5.0,
        unverified_ttl: float = 5.0,
        max_retry_after: float = 60.0,
        lookup_timeout: float = 10.0,
        request_timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
        resolver: Resolver | None = None,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        verify: bool | str = True,
        observer: Callable[[str, int], None] | None = None,
        cache_size: int = 4096,
    ) -> None:
        self.allowed_registries = tuple(allowed_registries)
        self.insecure_registries = tuple(insecure_registries)
        self.time_budget = time_budget
        self.positive_ttl, self.negative_ttl = positive_ttl, negative_ttl
        self.unverified_ttl, self.max_retry_after = unverified_ttl, max_retry_after
        self.lookup_timeout = lookup_timeout
        self._gate = Gate(self.allowed_registries, self.insecure_registries, resolver or system_resolver)
        self._guard = GuardedBackend(
            resolver or system_resolver, self._gate.connection_denial, network_backend
        )
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._http = httpx.AsyncClient(
            transport=transport or guarded_transport(self._guard, limits=limits, verify=verify),
            timeout=httpx.Timeout(request_timeout, connect=min(request_timeout, 3.0)),
            follow_redirects=False,
            trust_env=False,
        )
        self.counts = RequestCounts(observer=observer)
        fetcher = Fetcher(self._http, self._gate.url_denial, self.counts)
        self._auth = Authorizer(fetcher)
        self._lookup = Lookup(fetcher, self._auth, self._gate.scheme_for)
        self._facts: ExpiringCache[tuple[str, tuple[tuple[str, str], ...], bool], ImageFacts]
        self._facts = ExpiringCache(cache_size)
        self._existence: ExpiringCache[_ExistenceKey, Existence] = ExpiringCache(cache_size)
        self._platforms: ExpiringCache[tuple[str, ...], tuple[frozenset[Platform] | None]]
        self._platforms = ExpiringCache(cache_size)
        self._tags: ExpiringCache[_ExistenceKey, tuple[tuple[str, ...], bool | None]]
        self._tags = ExpiringCache(cache_size)
        self._keyrings: LRUCache[tuple[tuple[str, str], ...], Keyring | KeyringError]
        self._keyrings = LRUCache(256)
        self._flights: SingleFlight[tuple[str, ...], Any] = SingleFlight()
        self.cache_hits = 0
        self.cache_misses = 0

    # -- lifecycle ----------------------------------------------------------------------
    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._flights.cancel_all()
        await self._auth.close()
        await self._http.aclose()

    def clear_caches(self) -> None:
        """Forget every cached answer (not tokens or connections): the next lookup is cold."""
        for cache in (self._facts, self._existence, self._platforms, self._tags):
            cache.clear()

    @property
    def connection_attempts(self) -> int:
        """TCP connections attempted through the guarded transport (0 with a test transport)."""
        return self._guard.connect_attempts

    @property
    def flights_started(self) -> int:
        return self._flights.started

    # -- lookups ------------------------------------------------------------------------
    def _keyring(self, secrets: tuple[tuple[str, str], ...]) -> Keyring:
        built = self._keyrings.get(secrets)
        if built is None:
            try:
                built = build_keyring(secrets)
            except KeyringError as exc:
                built = exc
            self._keyrings[secrets] = built
        if isinstance(built, KeyringError):
            raise built
        return built

    def _ttl(self, existence: Existence) -> float:
        status = existence.status
        if status in (ImageStatus.EXISTS, ImageStatus.NOT_ALLOWED):
            return self.positive_ttl
        if status is ImageStatus.UNVERIFIED:
            if existence.retry_after is not None:
                return min(existence.retry_after, self.max_retry_after)
            return self.unverified_ttl
        return self.negative_ttl

    async def _find_existence(
        self, key: _ExistenceKey, ref: ImageReference, creds: list[Credential]
    ) -> Existence:
        host = ref.registry_host
        try:
            existence = await within(self._existence_uncached(ref, creds), self.lookup_timeout)
        except (asyncio.TimeoutError, TimeoutError):
            existence = Existence(ImageStatus.UNVERIFIED, f"timed out after {self.lookup_timeout:g} s")
        except Exception:  # a bug must not fail the spawn: log it (no secrets in there)
            log.exception("registry lookup failed unexpectedly for %s", host)
            existence = Existence(ImageStatus.UNVERIFIED, "internal error")
        self._existence.put(key, existence, self._ttl(existence))
        log.debug("%s/%s: %s %s", host, ref.repository, existence.status.value, existence.detail)
        return existence

    async def _existence_uncached(self, ref: ImageReference, creds: list[Credential]) -> Existence:
        reason, failure = await self._gate.registry_verdict(ref.registry_host)
        if reason is not None:
            return Existence(ImageStatus.NOT_ALLOWED, reason)
        if failure is not None:
            return Existence(ImageStatus.UNVERIFIED, failure)
        return await self._lookup.existence(ref, creds)

    async def _find_platforms(
        self, key: tuple[str, ...], ref: ImageReference, existence: Existence
    ) -> frozenset[Platform] | None:
        try:
            platforms = await within(self._lookup.platforms(ref, existence), self.lookup_timeout)
        except (asyncio.TimeoutError, TimeoutError):
            platforms = None
        ttl = _DIGEST_TTL if existence.digest else self.positive_ttl
        self._platforms.put(key, (platforms,), ttl if platforms else self.unverified_ttl)
        return platforms

    async def _find_suggestions(
        self, key: _ExistenceKey, ref: ImageReference, cred: Credential | None
    ) -> tuple[tuple[str, ...], bool | None]:
        try:
            found = await within(self._lookup.suggestions(ref, cred), self.lookup_timeout)
        except (asyncio.TimeoutError, TimeoutError):
            found = ((), None)
        self._tags.put(key, found, self.negative_ttl)
        return found

    def _run(self, key: tuple[str, ...], factory: Callable[[], Awaitable[T]]) -> asyncio.Task[T]:
        # One SingleFlight for three result types; the key's first element names the type.
        return cast("asyncio.Task[T]", self._flights.run(key, factory))

    async def image_facts(self, image: str, secrets: Secrets = (), want_platforms: bool = True) -> ImageFacts:
        """What the registry says about ``image`` for a pod with these pull secrets
        (``(secret type, .dockerconfigjson/.dockercfg text)``, pod's then service account's),
        within one time budget. Never raises for registry problems."""
        budget = Budget(self.time_budget)
        return await self._image_facts(image, tuple(secrets), want_platforms, budget)

    async def images_facts(
        self, images: Iterable[str], secrets: Secrets = (), want_platforms: bool = True
    ) -> dict[str, ImageFacts]:
        """``image_facts`` for several images (a pod's containers) under one shared budget."""
        budget = Budget(self.time_budget)  # shared: a stall is credited once
        unique = list(dict.fromkeys(images))
        secrets_key = tuple(secrets)
        results = await asyncio.gather(
            *(self._image_facts(i, secrets_key, want_platforms, budget) for i in unique)
        )
        return dict(zip(unique, results, strict=True))

    def cached_facts(
        self, images: Iterable[str], secrets: Secrets = (), want_platforms: bool = True
    ) -> dict[str, ImageFacts]:
        """What the caches already hold about ``images``, without a request or a wait (the
        spawn form's marks must never wait on a registry); images not cached are left out."""
        secrets_key = tuple(secrets)
        found = {}
        for image in dict.fromkeys(images):
            cached = self._facts.get((image, secrets_key, want_platforms))
            if cached is not None:
                found[image] = cached
        return found

    async def _image_facts(
        self,
        image: str,
        secrets: tuple[tuple[str, str], ...],
        want_platforms: bool,
        budget: Budget,
    ) -> ImageFacts:
        cache_key = (image, secrets, want_platforms)
        cached = self._facts.get(cache_key)
        if cached is not None:
            self.cache_hits += 1
            return cached
        self.cache_misses += 1
        try:
            facts, complete = await self._assemble(image, secrets, want_platforms, budget)
        except Exception:  # never fail a spawn on a bug here; the traceback has no secrets
            log.exception("registry check failed unexpectedly")
            return ImageFacts(image, ImageStatus.UNVERIFIED, "internal error")
        if complete:
            ttl = self._ttl(Existence(facts.status))
            self._facts.put(cache_key, facts, ttl if facts.status is not ImageStatus.UNVERIFIED else 0)
        return facts

    async def _assemble(
        self,
        image: str,
        secrets: tuple[tuple[str, str], ...],
        want_platforms: bool,
        budget: Budget,
    ) -> tuple[ImageFacts, bool]:
        """(facts, whether they are complete enough to cache as a whole)."""
        try:
            ref = _parse(image)
        except ValueError as exc:
            return ImageFacts(image, ImageStatus.UNVERIFIED, f"invalid reference: {exc}"), True
        host = ref.registry_host
        try:
            creds = self._keyring(secrets).lookup(ref.name)
        except KeyringError as exc:
            return ImageFacts(image, ImageStatus.UNVERIFIED, str(exc), registry_host=host), True
        identity = ",".join(c.fingerprint for c in creds if not c.is_empty)
        key: _ExistenceKey = (host, ref.repository, ref.manifest_reference, identity)
        existence = self._existence.get(key)
        if existence is None:
            task = self._run(("existence", *key), lambda: self._find_existence(key, ref, creds))
            try:
                existence = await budget.wait(task)
            except (asyncio.TimeoutError, TimeoutError):
                detail = f"no answer from {host} within {self.time_budget:g} s"
                return ImageFacts(image, ImageStatus.UNVERIFIED, detail, registry_host=host), False
        facts = ImageFacts(
            image, existence.status, existence.detail, digest=existence.digest, registry_host=host
        )
        if existence.status is ImageStatus.EXISTS and want_platforms:
            return await self._with_platforms(facts, ref, existence, budget)
        if existence.status is ImageStatus.NOT_FOUND and ref.tag and not ref.digest:
            return await self._with_suggestions(facts, key, ref, existence, budget)
        return facts, True

    async def _with_platforms(
        self, facts: ImageFacts, ref: ImageReference, existence: Existence, budget: Budget
    ) -> tuple[ImageFacts, bool]:
        host = ref.registry_host
        pkey: tuple[str, ...] = (
            (host, existence.digest) if existence.digest else (host, ref.repository, ref.manifest_reference)
        )
        cached = self._platforms.get(pkey)
        if cached is None:
            task = self._run(("platforms", *pkey), lambda: self._find_platforms(pkey, ref, existence))
            try:
                platforms = await budget.wait(task)
            except (asyncio.TimeoutError, TimeoutError):
                return facts, False
        else:
            platforms = cached[0]
        return replace(facts, platforms=platforms), platforms is not None

    async def _with_suggestions(
        self,
        facts: ImageFacts,
        key: _ExistenceKey,
        ref: ImageReference,
        existence: Existence,
        budget: Budget,
    ) -> tuple[ImageFacts, bool]:
        found = self._tags.get(key)
        if found is None:
            task = self._run(("tags", *key), lambda: self._find_suggestions(key, ref, existence.credential))
            try:
                found = await budget.wait(task)
            except (asyncio.TimeoutError, TimeoutError):
                return facts, False
        suggestions, repository_exists = found
        detail = facts.detail
        if repository_exists is not None:
            detail = f"tag {ref.tag} not found" if repository_exists else "repository not found"
        return replace(facts, suggestions=suggestions, detail=detail), True
