"""Registry authentication: the ``WWW-Authenticate`` challenge, Basic, and Bearer tokens.

The flow is the distribution token spec's (distribution/distribution docs/spec/auth/token.md):
a ``401`` names the scheme; Basic sends the pull secret's username/password to the registry; Bearer fetches a
token from the realm (anonymously, or with the credentials as Basic) for
``repository:<name>:pull`` and retries with it. Tokens are cached per (realm, service, scope,
credential) until ``expires_in`` (60 s when absent or smaller) minus a margin, and the
challenge per registry host, so a later lookup in another repository sends the token with its
first request instead of learning the scheme from a ``401`` again. Concurrent lookups that
need the same token share one token request.

``AuthFailure.kind`` says what a failure means for the image: ``rejected`` (the token endpoint
refused the pull secret's credentials), ``refused`` (it refused an anonymous request: ghcr.io
does this for private and missing packages alike) or ``unverified`` (down, rate-limited,
garbage). Credentials never reach an exception message or a log line.
"""

from __future__ import annotations

import base64
import contextlib
import math
import time
from collections.abc import Iterable
from datetime import datetime

import httpx
from cachetools import LRUCache

from prevalidate.registry.caches import ExpiringCache, SingleFlight
from prevalidate.registry.challenge import Challenge, parse_challenges, pick_challenge
from prevalidate.registry.fetch import Fetcher
from prevalidate.registry.keyring import Credential

__all__ = ["AuthFailure", "Authorizer", "basic_header"]

DEFAULT_EXPIRES_IN = 60.0
MAX_EXPIRES_IN = 86_400.0  # a token kept at most a day, whatever the token server says
_TokenKey = tuple[str, str, str, str]


class AuthFailure(Exception):
    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(detail)
        self.kind = kind
        self.detail = detail


def basic_header(credential: Credential) -> str:
    raw = f"{credential.username}:{credential.password}".encode()
    return "Basic " + base64.b64encode(raw).decode("ascii")


def _usable(credential: Credential | None) -> Credential | None:
    return credential if credential is not None and not credential.is_empty else None


def _token_lifetime(document: dict[str, object], now: float) -> float:
    expires_in = document.get("expires_in")
    seconds = DEFAULT_EXPIRES_IN
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
        # The token server's JSON: 10^400 does not fit a float, NaN and Infinity parse.
        with contextlib.suppress(OverflowError):
            seconds = float(expires_in)
    if not math.isfinite(seconds):
        seconds = DEFAULT_EXPIRES_IN
    seconds = min(max(seconds, DEFAULT_EXPIRES_IN), MAX_EXPIRES_IN)
    issued_at = document.get("issued_at")
    age = 0.0
    if isinstance(issued_at, str):
        try:
            issued = datetime.fromisoformat(issued_at.replace("Z", "+00:00"))
            age = min(max(now - issued.timestamp(), 0.0), seconds)
        except ValueError:
            age = 0.0
    margin = min(10.0, seconds / 4)
    return max(seconds - age - margin, 0.0)


class Authorizer:
    """Builds ``Authorization`` headers for one registry client (shared by all lookups)."""

    def __init__(self, fetcher: Fetcher) -> None:
        self._fetcher = fetcher
        self._challenges: LRUCache[str, Challenge] = LRUCache(maxsize=256)
        self._tokens: ExpiringCache[_TokenKey, str] = ExpiringCache(maxsize=4096)
        self._flights: SingleFlight[_TokenKey, str] = SingleFlight()

    @staticmethod
    def scope(repository: str) -> str:
        return f"repository:{repository}:pull"

    async def preemptive(self, host: str, repository: str, cred: Credential | None) -> str | None:
        """The header to send first, when this host's scheme is already known."""
        challenge = self._challenges.get(host)
        if challenge is None:
            return None
        return await self._header(challenge, repository, cred)

    async def answer(
        self,
        host: str,
        www_authenticate: Iterable[str],
        repository: str,
        cred: Credential | None,
        sent: str | None,
    ) -> str | None:
        """The header to retry with after a ``401``; None when there is nothing new to try.

        ``sent`` is the header that was refused: a cached token the registry no longer
        accepts is dropped and a fresh one fetched, once.
        """
        challenge = pick_challenge(parse_challenges(www_authenticate))
        if challenge is None:
            return None
        self._challenges[host] = challenge
        header = await self._header(challenge, repository, cred)
        if header is not None and header == sent and challenge.scheme == "bearer":
            self._tokens.put(self._token_key(challenge, repository, cred), "", 0)
            header = await self._header(challenge, repository, cred)
        return None if header == sent else header

    def _token_key(self, challenge: Challenge, repository: str, cred: Credential | None) -> _TokenKey:
        usable = _usable(cred)
        identity = usable.fingerprint if usable else ""
        return (challenge.realm, challenge.service, self.scope(repository), identity)

    async def _header(self, challenge: Challenge, repository: str, cred: Credential | None) -> str | None:
        if challenge.scheme == "basic":
            usable = _usable(cred)
            return basic_header(usable) if usable else None
        key = self._token_key(challenge, repository, cred)
        token = self._tokens.get(key)
        if token is None:
            task = self._flights.run(key, lambda: self._fetch_token(key, challenge, cred))
            token = await task
        return f"Bearer {token}"

    async def _fetch_token(self, key: _TokenKey, challenge: Challenge, cred: Credential | None) -> str:
        usable = _usable(cred)
        try:
            realm = httpx.URL(challenge.realm)
        except httpx.InvalidURL:
            raise AuthFailure("unverified", "the token realm is not a URL") from None
        if realm.scheme not in ("http", "https"):
            raise AuthFailure("unverified", "the token realm is not an http(s) URL")
        params: dict[str, str | list[str]] = {"scope": key[2]}
        if challenge.service:
            params["service"] = challenge.service
        headers = {"Authorization": basic_header(usable)} if usable else {}
        reply = await self._fetcher.send("GET", realm, headers, kind="token", params=params)
        if reply.status in (401, 403):
            if usable:
                raise AuthFailure(
                    "rejected", f"the token endpoint refused the credentials (HTTP {reply.status})"
                )
            raise AuthFailure("refused", f"the token endpoint refused anonymous access (HTTP {reply.status})")
        if reply.status != 200:
            raise AuthFailure("unverified", f"token endpoint answered HTTP {reply.status}")
        document = reply.json()
        if not isinstance(document, dict):
            raise AuthFailure("unverified", "token endpoint answered with invalid JSON")
        token = document.get("token") or document.get("access_token")
        if not isinstance(token, str) or not token:
            raise AuthFailure("unverified", "token endpoint answered without a token")
        self._tokens.put(key, token, _token_lifetime(document, time.time()))
        return token

    async def close(self) -> None:
        await self._flights.cancel_all()
