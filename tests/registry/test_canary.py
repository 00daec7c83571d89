"""A canary credential never appears in logs, results, reprs or exceptions, whatever the
registry does with it."""

from __future__ import annotations

import base64
import json
import logging

import httpx
import pytest

from prevalidate.registry import RegistryClient
from prevalidate.registry.keyring import KeyringError, build_keyring
from prevalidate.testing.registry import RunningRegistry

from .fakes import PUBLIC, Recorder, resolver

CANARY = "CANARY-7d1e0c-s3cr3t"
USER = "canary-user"
FORMS = (CANARY, base64.b64encode(f"{USER}:{CANARY}".encode()).decode(), CANARY[8:])


def secret_for(host: str) -> tuple[str, str]:
    return (
        "kubernetes.io/dockerconfigjson",
        json.dumps({"auths": {host: {"username": USER, "password": CANARY}}}),
    )


def assert_clean(*texts: object) -> None:
    for text in texts:
        for form in FORMS:
            assert form not in str(text), f"credential leaked into: {str(text)[:200]}"


def hostile(request: httpx.Request) -> httpx.Response:
    """A registry that fails in every way a response can, chosen by the tag."""
    tag = request.url.path.rsplit("/", 1)[-1]
    if request.url.host == "auth.test":
        if tag == "token" and "garbage" in request.url.params.get("scope", ""):
            return httpx.Response(200, text="not json " + request.headers.get("authorization", ""))
        return httpx.Response(401, text="bad credentials")
    if "authorization" not in request.headers:
        realm = 'Bearer realm="https://auth.test/token",service="x"' if tag != "basic" else 'Basic realm="r"'
        return httpx.Response(401, headers={"WWW-Authenticate": realm})
    if tag == "basic":
        return httpx.Response(403, text=request.headers["authorization"])  # echoes it back
    if tag == "redirect":
        return httpx.Response(302, headers={"Location": "https://169.254.169.254/"})
    raise httpx.ReadError("reset while sending " + request.headers["authorization"])


@pytest.mark.parametrize(
    "repository", ["team/app:token", "garbage/app:token", "team/app:basic", "team/app:redirect"]
)
async def test_canary_never_leaks_through_hostile_answers(repository, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    recorder = Recorder(hostile)
    dns = resolver({"registry.test": [PUBLIC], "auth.test": [PUBLIC]})
    async with RegistryClient(transport=recorder.transport, resolver=dns) as client:
        facts = await client.image_facts(f"registry.test/{repository}", [secret_for("registry.test")])
        assert_clean(facts, repr(facts), facts.detail, repr(client.counts))
    assert_clean(caplog.text)
    sent = [r.headers.get("authorization", "") for r in recorder.requests]
    assert any(s.startswith(("Basic", "Bearer")) for s in sent)  # the canary was really used


def test_keyring_errors_and_reprs_do_not_carry_the_canary() -> None:
    broken = '{"auths": {"r.example": {"password": "' + CANARY + '", "auth": 5}}}'
    with pytest.raises(KeyringError) as excinfo:
        build_keyring([("kubernetes.io/dockerconfigjson", broken)])
    assert_clean(str(excinfo.value), repr(excinfo.value))
    keyring = build_keyring([secret_for("r.example")])
    assert_clean(repr(keyring), repr(keyring.lookup("r.example/x")))


@pytest.mark.registry
async def test_canary_refused_by_a_real_token_server_does_not_leak(
    token_registry: RunningRegistry, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    host = token_registry.host
    async with RegistryClient(allowed_registries=[host], insecure_registries=[host]) as client:
        facts = await client.image_facts(f"{host}/private/secret:1", [secret_for(host)])
    assert facts.status.value == "access-denied"
    assert_clean(facts, caplog.text, (token_registry.workdir / "stderr.log").read_text())


@pytest.mark.registry
async def test_canary_refused_by_a_real_basic_registry_does_not_leak(
    basic_registry: RunningRegistry, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    host = basic_registry.host
    async with RegistryClient(allowed_registries=[host], insecure_registries=[host]) as client:
        facts = await client.image_facts(f"{host}/test/hello:1.0", [secret_for(host)])
    assert facts.status.value == "access-denied"
    assert_clean(facts, caplog.text)
