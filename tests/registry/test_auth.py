"""Challenge parsing, token lifetimes and the token flow's edge cases."""

from __future__ import annotations

import httpx
import pytest

from prevalidate.model.image_facts import ImageStatus
from prevalidate.registry import RegistryClient
from prevalidate.registry.auth import DEFAULT_EXPIRES_IN, _token_lifetime
from prevalidate.registry.challenge import parse_challenges, pick_challenge

from .fakes import PUBLIC, Recorder, exists, resolver

DNS = resolver({"registry.test": [PUBLIC], "auth.test": [PUBLIC]})
BEARER = 'Bearer realm="https://auth.test/token",service="registry.test"'


def test_bearer_challenge_parameters_are_parsed() -> None:
    header = 'Bearer realm="https://auth.test/token",service="svc",scope="repository:a/b:pull"'
    (challenge,) = parse_challenges([header])
    assert (challenge.scheme, challenge.realm, challenge.service, challenge.scope) == (
        "bearer",
        "https://auth.test/token",
        "svc",
        "repository:a/b:pull",
    )


def test_several_challenges_in_one_header_and_quoted_escapes() -> None:
    header = 'Basic realm="say \\"hi\\"", Bearer realm="https://a/t", service=svc, error="x"'
    basic, bearer = parse_challenges([header])
    assert basic.scheme == "basic" and basic.realm == 'say "hi"'
    assert bearer.service == "svc" and bearer.error == "x"
    assert pick_challenge([basic, bearer]) is bearer


def test_unknown_schemes_are_ignored() -> None:
    assert pick_challenge(parse_challenges(["Negotiate abc", 'Digest realm="r"'])) is None


def test_token_lifetime_defaults_to_60_seconds_and_never_less() -> None:
    assert _token_lifetime({}, 0.0) == DEFAULT_EXPIRES_IN - 10
    assert _token_lifetime({"expires_in": 5}, 0.0) == DEFAULT_EXPIRES_IN - 10
    assert _token_lifetime({"expires_in": 300}, 0.0) == 290


def test_token_lifetime_counts_from_issued_at() -> None:
    issued = {"expires_in": 300, "issued_at": "2026-01-01T00:00:00Z"}
    # 100 s after issue: 200 s left, minus the margin
    assert _token_lifetime(issued, 1767225600.0 + 100) == 190


@pytest.mark.fault("registry-expired-token")
async def test_cached_token_the_registry_no_longer_accepts_is_replaced_once() -> None:
    issued = iter(["old", "new"])
    accepted = {"Bearer old"}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return httpx.Response(200, json={"token": next(issued), "expires_in": 300})
        if request.headers.get("authorization") in accepted:
            return exists(request)
        return httpx.Response(401, headers={"WWW-Authenticate": BEARER + ',error="invalid_token"'})

    recorder = Recorder(handler)
    async with RegistryClient(transport=recorder.transport, resolver=DNS) as client:
        first = await client.image_facts("registry.test/a/b:1", want_platforms=False)
        accepted = {"Bearer new"}  # e.g. the registry's signing key was rotated
        second = await client.image_facts("registry.test/a/b:2", want_platforms=False)
    assert first.status is second.status is ImageStatus.EXISTS
    assert client.counts["token"] == 2


async def test_token_endpoint_refusing_anonymous_access_is_private_or_missing() -> None:
    # ghcr.io answers so for private and for missing packages alike
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return httpx.Response(401, json={"errors": [{"code": "DENIED"}]})
        return httpx.Response(401, headers={"WWW-Authenticate": BEARER})

    recorder = Recorder(handler)
    async with RegistryClient(transport=recorder.transport, resolver=DNS) as client:
        facts = await client.image_facts("registry.test/a/b:1")
    assert facts.status is ImageStatus.NOT_FOUND_OR_DENIED


async def test_tag_suggestions_follow_pagination_and_stop_at_the_cap() -> None:
    pages = 0

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal pages
        if request.url.path.endswith("/tags/list"):
            pages += 1
            start = int(request.url.params.get("last", "0") or 0)
            tags = [f"v{start + i}" for i in range(1, 4)] + (["2.10"] if pages == 2 else [])
            link = f'</v2/a/b/tags/list?n=1000&last={start + 3}>; rel="next"'
            return httpx.Response(200, json={"name": "a/b", "tags": tags}, headers={"Link": link})
        return httpx.Response(404, json={"errors": [{"code": "MANIFEST_UNKNOWN"}]})

    recorder = Recorder(handler)
    async with RegistryClient(transport=recorder.transport, resolver=DNS) as client:
        facts = await client.image_facts("registry.test/a/b:2.1")
    assert facts.status is ImageStatus.NOT_FOUND
    assert facts.suggestions[0] == "2.10"
    assert pages == 5  # capped, though the registry offered more
