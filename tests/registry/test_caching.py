"""Caches and single flight, counted at the real registry's access log and token server."""

from __future__ import annotations

import asyncio
import secrets

import pytest

from prevalidate.model.image_facts import ImageStatus
from prevalidate.registry import RegistryClient
from prevalidate.testing.registry import RunningRegistry

pytestmark = pytest.mark.registry


def client_for(registry: RunningRegistry, **options: object) -> RegistryClient:
    return RegistryClient(allowed_registries=[registry.host], insecure_registries=[registry.host], **options)


def fresh_image(registry: RunningRegistry, kind: str = "oci") -> tuple[str, str]:
    """A newly pushed image no client has seen: (repository path, tag)."""
    tag = "t" + secrets.token_hex(4)
    platforms = ("linux/amd64", "linux/arm64") if "index" in kind else ("linux/amd64",)
    registry.push_image("test/flight", tag, kind=kind, platforms=platforms)
    return "test/flight", tag


async def test_200_concurrent_lookups_of_one_uncached_image_send_one_manifest_request(
    token_registry: RunningRegistry,
) -> None:
    repository, tag = fresh_image(token_registry)
    path = f"/v2/{repository}/manifests/{tag}"
    tokens = token_registry.tokens
    assert tokens is not None
    async with client_for(token_registry) as client:
        # A running hub has met this registry before: it knows the token challenge.
        await client.image_facts(f"{token_registry.host}/test/hello:1.0", want_platforms=False)
        manifests_before, tokens_before = client.counts["manifest"], tokens.requests
        image = f"{token_registry.host}/{repository}:{tag}"
        results = await asyncio.gather(*(client.image_facts(image, want_platforms=False) for _ in range(200)))
        assert {r.status for r in results} == {ImageStatus.EXISTS}
        assert client.counts["manifest"] - manifests_before == 1
    assert token_registry.count_requests("HEAD", path) == 1
    assert tokens.requests - tokens_before == 1  # a new repository needs its own scope


async def test_a_fresh_client_learns_the_challenge_once_for_a_burst(
    token_registry: RunningRegistry,
) -> None:
    repository, tag = fresh_image(token_registry)
    tokens = token_registry.tokens
    assert tokens is not None
    async with client_for(token_registry) as client:
        tokens_before = tokens.requests
        image = f"{token_registry.host}/{repository}:{tag}"
        await asyncio.gather(*(client.image_facts(image, want_platforms=False) for _ in range(200)))
    # one unauthenticated HEAD answered with the challenge, one with the token
    assert token_registry.count_requests("HEAD", f"/v2/{repository}/manifests/{tag}") == 2
    assert tokens.requests - tokens_before == 1


async def test_concurrent_lookups_of_an_index_share_one_platform_request(
    open_registry: RunningRegistry,
) -> None:
    repository, tag = fresh_image(open_registry, kind="oci-index")
    async with client_for(open_registry) as client:
        image = f"{open_registry.host}/{repository}:{tag}"
        results = await asyncio.gather(*(client.image_facts(image) for _ in range(50)))
        assert len({r.platforms for r in results}) == 1 and results[0].platforms
        assert client.counts["manifest"] == 2  # one HEAD, one GET of the index


async def test_cached_answer_sends_no_request(open_registry: RunningRegistry) -> None:
    image = f"{open_registry.host}/test/multi:1"
    async with client_for(open_registry) as client:
        first = await client.image_facts(image)
        sent = dict(client.counts.by_kind)
        lines = len(open_registry.request_lines())
        second = await client.image_facts(image)
        assert second == first
        assert client.counts.by_kind == sent and client.cache_hits == 1
    assert len(open_registry.request_lines()) == lines


async def test_platforms_are_cached_by_digest_across_tags(open_registry: RunningRegistry) -> None:
    repository, tag = fresh_image(open_registry, kind="oci-index")
    digest = open_registry.push_image(
        repository, tag + "-again", kind="oci-index", platforms=("linux/amd64", "linux/arm64")
    )
    async with client_for(open_registry) as client:
        await client.image_facts(f"{open_registry.host}/{repository}:{tag}")
        again = await client.image_facts(f"{open_registry.host}/{repository}:{tag}-again")
        assert again.digest == digest and again.platforms
        assert client.counts["manifest"] == 3  # two HEADs, one index GET


async def test_a_just_pushed_image_gets_through_once_the_negative_answer_expires(
    open_registry: RunningRegistry,
) -> None:
    tag = "late" + secrets.token_hex(4)
    image = f"{open_registry.host}/test/late:{tag}"
    async with client_for(open_registry, negative_ttl=0.0) as client:
        assert (await client.image_facts(image)).status is ImageStatus.NOT_FOUND
        open_registry.push_image("test/late", tag)
        assert (await client.image_facts(image)).status is ImageStatus.EXISTS


async def test_negative_answer_is_cached_within_its_ttl(open_registry: RunningRegistry) -> None:
    image = f"{open_registry.host}/test/hello:missing"
    async with client_for(open_registry, negative_ttl=60.0) as client:
        await client.image_facts(image)
        sent = client.counts["manifest"]
        await client.image_facts(image)
        assert client.counts["manifest"] == sent


async def test_different_pull_secrets_do_not_share_answers(token_registry: RunningRegistry) -> None:
    image = f"{token_registry.host}/private/secret:1"
    async with client_for(token_registry) as client:
        with_secret = await client.image_facts(image, [token_registry.pull_secret()])
        without = await client.image_facts(image)
    assert with_secret.status is ImageStatus.EXISTS
    assert without.status is ImageStatus.NOT_FOUND_OR_DENIED
