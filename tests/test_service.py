"""The one validation service: each step once per validation (the demand is built once), the
registry asked with the pod's pull secrets, metrics reported, and every failure of ours
answered with an allowing verdict."""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import json
import logging
from typing import Any

import httpx
import pytest
from factories import base_objects, cluster, container, node, pod, quota

import prevalidate.service as service_module
import prevalidate.validators as validators_module
from prevalidate.model.cluster import ClusterView
from prevalidate.model.findings import Code, Severity, Verdict
from prevalidate.model.image_facts import ImageStatus
from prevalidate.model.request import PodRequest
from prevalidate.model.settings import Settings
from prevalidate.registry import RegistryClient
from prevalidate.service import FixedView, ValidationService

IMAGE = "registry.example.org/jupyter/base:1"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
CONFIG_BODY = json.dumps({"os": "linux", "architecture": "amd64"}).encode()
CONFIG = "sha256:" + hashlib.sha256(CONFIG_BODY).hexdigest()
MANIFEST_BODY = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": CONFIG, "size": 2},
        "layers": [],
    }
).encode()
DIGEST = "sha256:" + hashlib.sha256(MANIFEST_BODY).hexdigest()


class Observed:
    def __init__(self) -> None:
        self.events: list[tuple[str, ...]] = []

    def validated(self, path: str, verdict: Verdict, seconds: float) -> None:
        self.events.append(("validated", path, ",".join(verdict.codes())))

    def failed(self, path: str) -> None:
        self.events.append(("failed", path))

    def image_lookup(self, source: str) -> None:
        self.events.append(("image", source))

    def cache_state(self, known_kinds: int, ready: bool) -> None:
        self.events.append(("cache", str(known_kinds), str(ready)))


def registry(answers: list[str]) -> RegistryClient:
    """A client whose registry answers 200 (exists) or 404 for every manifest, over a mock
    transport; ``answers`` records the hosts asked."""

    def handle(request: httpx.Request) -> httpx.Response:
        answers.append(f"{request.method} {request.url.path}")
        path = request.url.path
        if "missing" in path:
            return httpx.Response(404, json={"errors": [{"code": "MANIFEST_UNKNOWN"}]})
        if "/blobs/" in path:  # the config blob: the image's platform
            return httpx.Response(200, content=CONFIG_BODY)
        headers = {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": DIGEST}
        return httpx.Response(
            200, headers=headers, content=b"" if request.method == "HEAD" else MANIFEST_BODY
        )

    async def resolve(host: str, port: int) -> list[Any]:
        return [ipaddress.ip_address("93.184.216.34")]

    return RegistryClient(transport=httpx.MockTransport(handle), resolver=resolve)


def the_view() -> ClusterView:
    return cluster(*base_objects(), node(cpu="8"), quota({"requests.cpu": "4"}))


async def test_one_demand_per_validation_and_the_registry_asked_once_then_cached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    built: list[str] = []
    real = validators_module.build_demand

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append("demand")
        return real(*args, **kwargs)

    monkeypatch.setattr(validators_module, "build_demand", counting)
    asked: list[str] = []
    observed = Observed()
    async with registry(asked) as client:
        service = ValidationService(Settings(), FixedView(the_view()), client, observer=observed)
        request = PodRequest(pod(containers=[container(requests={"cpu": "1"}, image=IMAGE)]))
        first = await service.validate(request, path="form")
        requests = len(asked)
        second = await service.validate(request, path="form")
    assert first == second and first.allowed and first.findings == ()
    assert built == ["demand", "demand"]  # once per validation, not twice
    assert asked[0] == "HEAD /v2/jupyter/base/manifests/1"
    assert len(asked) == requests  # the second answer came from the cache
    assert [e for e in observed.events if e[0] == "image"] == [("image", "registry"), ("image", "cache")]
    assert observed.events.count(("validated", "form", "")) == 2


async def test_a_missing_image_is_an_error_found_through_the_registry() -> None:
    asked: list[str] = []
    async with registry(asked) as client:
        service = ValidationService(Settings(), FixedView(the_view()), client)
        image = "registry.example.org/jupyter/missing:1"
        verdict = await service.validate(
            PodRequest(pod(containers=[container(requests={"cpu": "1"}, image=image)]))
        )
    assert [(f.code, f.severity) for f in verdict.findings] == [(Code.IMAGE_NOT_FOUND, Severity.ERROR)]


@pytest.mark.parametrize("settings", [Settings(offline=True), Settings(disabled_checks=frozenset({"image"}))])
async def test_offline_or_without_the_image_check_no_registry_is_asked(settings: Settings) -> None:
    asked: list[str] = []
    async with registry(asked) as client:
        service = ValidationService(settings, FixedView(the_view()), client)
        verdict = await service.validate(
            PodRequest(pod(containers=[container(requests={"cpu": "1"}, image=IMAGE)]))
        )
    assert verdict.allowed and asked == []


async def test_a_bug_of_ours_allows_and_says_the_validation_did_not_run(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(service_module, "run_checks", broken)
    observed = Observed()
    service = ValidationService(Settings(offline=True), FixedView(the_view()), observer=observed)
    verdict = await service.validate(PodRequest(pod(requests={"cpu": "100"})), path="start")
    assert verdict.allowed
    assert [(f.code, f.facts.get("failed")) for f in verdict.findings] == [(Code.CHECK_SKIPPED, True)]
    assert observed.events == [("failed", "start")]
    assert "allowed unchecked" in caplog.text


async def test_the_same_request_is_refused_when_nothing_fails() -> None:
    service = ValidationService(Settings(offline=True), FixedView(the_view()))
    verdict = await service.validate(PodRequest(pod(requests={"cpu": "100"})))
    assert {f.code for f in verdict.errors} == {Code.QUOTA_EXCEEDED, Code.NO_NODE_FITS}


class SlowSource:
    """A live source whose first lists never arrive (an API that does not answer)."""

    def __init__(self) -> None:
        self.view = ClusterView(known=())
        self.ready = False
        self.started = 0

    async def start(self) -> None:
        self.started += 1

    async def wait_ready(self, timeout: float) -> bool:
        await asyncio.sleep(timeout)
        return False


async def test_caches_not_ready_are_waited_for_once_then_their_checks_are_skipped(
    caplog: pytest.LogCaptureFixture,
) -> None:
    source = SlowSource()
    service = ValidationService(Settings(offline=True), source, cache_ready_timeout=0.1)
    caplog.set_level(logging.WARNING, logger="prevalidate")
    for _ in range(2):
        verdict = await service.validate(PodRequest(pod(requests={"cpu": "100"})))
        assert verdict.allowed and {f.code for f in verdict.findings} == {Code.CHECK_SKIPPED}
    assert source.started == 1
    assert caplog.text.count("cluster caches not ready after 0.1s") == 1


async def test_a_pod_the_apiserver_would_not_decode_is_input_invalid_without_lookups() -> None:
    asked: list[str] = []
    async with registry(asked) as client:
        service = ValidationService(Settings(), FixedView(the_view()), client)
        verdict = await service.validate(PodRequest({"kind": "Pod", "spec": {"containers": "nb"}}))
    assert [f.code for f in verdict.findings] == [Code.INPUT_INVALID] and asked == []


def test_image_status_of_the_mock_registry_is_what_the_client_reads() -> None:
    """The mock transport above speaks the registry protocol the client expects."""

    async def facts() -> Any:
        async with registry([]) as client:
            return await client.image_facts(IMAGE)

    facts_ = asyncio.run(facts())
    assert facts_.status is ImageStatus.EXISTS and [str(p) for p in facts_.platforms or ()] == ["linux/amd64"]
