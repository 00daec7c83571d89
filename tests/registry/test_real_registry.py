"""Against a real registry (distribution 2.8) in its three auth modes: what exists, what does
not, what the pod's pull secrets can read, and which platforms an image offers."""

from __future__ import annotations

import json

import pytest

from prevalidate.model.image_facts import ImageStatus, Platform
from prevalidate.registry import RegistryClient
from prevalidate.testing.registry import RunningRegistry, dockerconfigjson

pytestmark = pytest.mark.registry

AMD64, ARM64 = Platform("linux", "amd64"), Platform("linux", "arm64")


def client_for(registry: RunningRegistry, **options: object) -> RegistryClient:
    return RegistryClient(allowed_registries=[registry.host], insecure_registries=[registry.host], **options)


async def facts(registry: RunningRegistry, image: str, secrets=(), **options: object):
    async with client_for(registry, **options) as client:
        return await client.image_facts(f"{registry.host}/{image}", secrets)


# -- open registry: existence, platforms, suggestions --------------------------------------


async def test_existing_single_arch_image_exists_with_digest_and_platform(open_registry):
    result = await facts(open_registry, "test/hello:1.0")
    assert result.status is ImageStatus.EXISTS
    assert result.digest and result.digest.startswith("sha256:")
    assert result.platforms == frozenset({AMD64})
    assert result.registry_host == open_registry.host


async def test_missing_tag_is_not_found_and_suggests_the_closest_tags(open_registry):
    result = await facts(open_registry, "test/hello:1.2")
    assert result.status is ImageStatus.NOT_FOUND
    assert result.suggestions[:2] == ("1.2.0", "1.0")
    assert "tag 1.2 not found" in result.detail


async def test_missing_repository_is_not_found_without_suggestions(open_registry):
    result = await facts(open_registry, "test/nosuchrepo:1.0")
    assert result.status is ImageStatus.NOT_FOUND
    assert result.suggestions == ()
    assert result.detail == "repository not found"


async def test_oci_index_offers_each_of_its_platforms(open_registry):
    result = await facts(open_registry, "test/multi:1")
    assert result.status is ImageStatus.EXISTS
    assert result.platforms == frozenset({AMD64, ARM64})


async def test_docker_manifest_list_offers_each_of_its_platforms(open_registry):
    result = await facts(open_registry, "test/list:1")
    assert {(p.os, p.architecture) for p in result.platforms or ()} == {
        ("linux", "amd64"),
        ("linux", "arm64"),
    }


async def test_arm64_only_image_offers_no_amd64(open_registry):
    result = await facts(open_registry, "test/arm:1")
    assert result.status is ImageStatus.EXISTS
    assert result.platforms == frozenset({ARM64})


async def test_index_without_a_matching_platform_lists_only_what_it_has(open_registry):
    result = await facts(open_registry, "test/ppc:1")
    assert result.platforms == frozenset({Platform("linux", "ppc64le")})


async def test_lookup_by_digest_checks_that_digest(open_registry):
    digest = (await facts(open_registry, "test/multi:1")).digest
    found = await facts(open_registry, f"test/multi@{digest}")
    assert found.status is ImageStatus.EXISTS and found.digest == digest
    missing = await facts(open_registry, "test/multi@sha256:" + "0" * 64)
    assert missing.status is ImageStatus.NOT_FOUND


async def test_platforms_are_skipped_when_not_wanted(open_registry):
    async with client_for(open_registry) as client:
        result = await client.image_facts(f"{open_registry.host}/test/multi:1", want_platforms=False)
        assert result.status is ImageStatus.EXISTS and result.platforms is None
        assert client.counts["manifest"] == 1


async def test_batch_answers_every_image_of_a_pod(open_registry):
    host = open_registry.host
    images = [f"{host}/test/hello:1.0", f"{host}/test/hello:nope", f"{host}/test/hello:1.0"]
    async with client_for(open_registry) as client:
        answers = await client.images_facts(images)
    assert {k: v.status for k, v in answers.items()} == {
        images[0]: ImageStatus.EXISTS,
        images[1]: ImageStatus.NOT_FOUND,
    }


async def test_registry_outside_the_allow_list_is_not_contacted(open_registry):
    async with RegistryClient(allowed_registries=["ghcr.io"]) as client:
        result = await client.image_facts(f"{open_registry.host}/test/hello:1.0")
        assert result.status is ImageStatus.NOT_ALLOWED
        assert client.connection_attempts == 0


async def test_loopback_registry_is_refused_unless_listed(open_registry):
    async with RegistryClient() as client:
        result = await client.image_facts(f"{open_registry.host}/test/hello:1.0")
        assert result.status is ImageStatus.NOT_ALLOWED and "loopback" in result.detail
        assert client.connection_attempts == 0


async def test_plain_http_is_not_used_for_a_registry_not_declared_insecure(open_registry):
    async with RegistryClient(allowed_registries=[open_registry.host]) as client:
        result = await client.image_facts(f"{open_registry.host}/test/hello:1.0")
    # https against a plain-HTTP server fails: unverified, never "not found"
    assert result.status is ImageStatus.UNVERIFIED


# -- htpasswd (Basic) ----------------------------------------------------------------------


async def test_basic_auth_registry_without_a_pull_secret_is_private_or_missing(basic_registry):
    result = await facts(basic_registry, "test/hello:1.0")
    assert result.status is ImageStatus.NOT_FOUND_OR_DENIED


async def test_basic_auth_registry_with_the_right_pull_secret(basic_registry):
    secrets = [basic_registry.pull_secret()]
    assert (await facts(basic_registry, "test/hello:1.0", secrets)).status is ImageStatus.EXISTS
    missing = await facts(basic_registry, "test/hello:9.9", secrets)
    assert missing.status is ImageStatus.NOT_FOUND
    assert "1.0" in missing.suggestions


async def test_basic_auth_registry_with_a_wrong_password_is_access_denied(basic_registry):
    secrets = [basic_registry.pull_secret(password="wrong")]
    result = await facts(basic_registry, "test/hello:1.0", secrets)
    assert result.status is ImageStatus.ACCESS_DENIED


async def test_legacy_dockercfg_secret_is_used(basic_registry):
    user, password = next(iter(basic_registry.users.items()))
    text = json.dumps({basic_registry.host: {"username": user, "password": password}})
    result = await facts(basic_registry, "test/hello:1.0", [("kubernetes.io/dockercfg", text)])
    assert result.status is ImageStatus.EXISTS


async def test_secret_for_another_registry_is_not_sent(basic_registry):
    user, password = next(iter(basic_registry.users.items()))
    other = dockerconfigjson("registry.example.com", user, password)
    result = await facts(basic_registry, "test/hello:1.0", [other])
    assert result.status is ImageStatus.NOT_FOUND_OR_DENIED


# -- token auth ----------------------------------------------------------------------------


async def test_token_registry_public_repository_anonymously(token_registry):
    result = await facts(token_registry, "test/multi:1")
    assert result.status is ImageStatus.EXISTS and result.platforms == frozenset({AMD64, ARM64})


async def test_token_registry_private_repository_without_a_secret(token_registry):
    result = await facts(token_registry, "private/secret:1")
    assert result.status is ImageStatus.NOT_FOUND_OR_DENIED


async def test_token_registry_private_repository_with_the_right_secret(token_registry):
    result = await facts(token_registry, "private/secret:1", [token_registry.pull_secret()])
    assert result.status is ImageStatus.EXISTS


async def test_token_registry_private_missing_tag_with_the_right_secret(token_registry):
    result = await facts(token_registry, "private/secret:2", [token_registry.pull_secret()])
    assert result.status is ImageStatus.NOT_FOUND and result.suggestions == ("1",)


async def test_token_registry_wrong_secret_is_access_denied(token_registry):
    secrets = [token_registry.pull_secret(password="wrong")]
    result = await facts(token_registry, "private/secret:1", secrets)
    assert result.status is ImageStatus.ACCESS_DENIED


async def test_matching_secret_never_falls_back_to_anonymous(token_registry):
    # test/multi is pullable anonymously, but the kubelet would use the (wrong) secret only.
    secrets = [token_registry.pull_secret(password="wrong")]
    result = await facts(token_registry, "test/multi:1", secrets)
    assert result.status is ImageStatus.ACCESS_DENIED


async def test_each_matching_credential_is_tried_in_order(token_registry):
    secrets = [token_registry.pull_secret(password="wrong"), token_registry.pull_secret()]
    result = await facts(token_registry, "private/secret:1", secrets)
    assert result.status is ImageStatus.EXISTS


async def test_token_is_reused_for_the_same_repository(token_registry):
    tokens = token_registry.tokens
    assert tokens is not None
    async with client_for(token_registry) as client:
        before = tokens.requests
        await client.image_facts(f"{token_registry.host}/test/hello:1.0", want_platforms=False)
        await client.image_facts(f"{token_registry.host}/test/hello:latest", want_platforms=False)
        assert tokens.requests - before == 1
        assert client.counts["token"] == 1
