"""The webhook is never the reason a pod cannot be created by accident: caches not synced, a
registry slower than the budget, a validation that raises — each answers allowed, with one
warning line that says the pod was not checked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from prevalidate.messages.webhook import unchecked
from prevalidate.model.settings import Settings
from prevalidate.registry import RegistryClient
from prevalidate.service import ValidationService
from prevalidate.testing.kubesim import KubeSim

from .conftest import BAD_PODS, CONTACT, StartWebhook, example_pod, live_service, review


@pytest.mark.fault("webhook-not-synced")
async def test_caches_not_synced_allow_with_a_warning_and_readyz_says_503(
    start_webhook: StartWebhook,
) -> None:
    # An API server nobody answers on: the caches never sync.
    service, _live, closing = await live_service("http://127.0.0.1:9")
    hook = await start_webhook(service, closing=tuple(closing))
    assert (await hook.http.get(f"{hook.url}/readyz")).status_code == 503
    assert (await hook.http.get(f"{hook.url}/healthz")).status_code == 200
    for pod in BAD_PODS:
        response = await hook.answer(review(example_pod(pod)))
        assert response["allowed"] is True
        assert response["warnings"] == [unchecked("not-ready")]


@pytest.fixture
async def silent_registry() -> AsyncIterator[str]:
    """A registry that accepts connections and never answers (a real socket, not a mock)."""
    held: list[asyncio.StreamWriter] = []

    async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(accept, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"127.0.0.1:{port}"
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


def slow_image_pod(registry: str) -> dict[str, Any]:
    pod = example_pod("too-many-cpus")
    pod["spec"]["containers"][0]["image"] = f"{registry}/jupyter/scipy-notebook:2024-05-27"
    return pod


@pytest.mark.fault("webhook-slow")
async def test_a_review_past_its_budget_is_allowed_with_a_warning(
    example_sim: KubeSim, start_webhook: StartWebhook, silent_registry: str
) -> None:
    settings = Settings(
        allowed_registries=(silent_registry,), insecure_registries=(silent_registry,), admin_contact=CONTACT
    )
    registry = RegistryClient(
        allowed_registries=settings.allowed_registries,
        insecure_registries=settings.insecure_registries,
        time_budget=30.0,  # the registry would wait: the review's budget decides first
    )
    service, live, closing = await live_service(example_sim.url, settings, registry)
    assert await live.wait_ready(60)
    hook = await start_webhook(service, budget=0.3, closing=(*closing, registry.aclose))
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await hook.answer(review(slow_image_pod(silent_registry)))
    assert response == {
        "uid": response["uid"],
        "allowed": True,
        "warnings": [unchecked("timeout", 0.3)],
    }
    assert loop.time() - started < 10  # generous: the point is that it did not wait 30 s


async def test_a_registry_slower_than_its_own_budget_leaves_the_other_checks_their_say(
    example_sim: KubeSim, start_webhook: StartWebhook, silent_registry: str
) -> None:
    """``serve`` keeps the registry's budget under the review's (``app.registry_budget``): an
    image not verified in time is a warning, and the pod's other errors still deny it."""
    settings = Settings(
        allowed_registries=(silent_registry,), insecure_registries=(silent_registry,), admin_contact=CONTACT
    )
    registry = RegistryClient(
        allowed_registries=settings.allowed_registries,
        insecure_registries=settings.insecure_registries,
        time_budget=0.2,
    )
    service, live, closing = await live_service(example_sim.url, settings, registry)
    assert await live.wait_ready(60)
    hook = await start_webhook(service, budget=20.0, closing=(*closing, registry.aclose))
    response = await hook.answer(review(slow_image_pod(silent_registry)))
    assert response["allowed"] is False
    assert "The largest node your server can run on has 62.5 CPUs" in response["status"]["message"]
    assert any("image" in w for w in response["warnings"])


class BrokenView:
    """A cluster-view source whose view cannot be read (a bug of ours, say)."""

    ready = True

    @property
    def view(self) -> Any:
        raise RuntimeError("boom")

    async def start(self) -> None:
        return None

    async def wait_ready(self, timeout: float) -> bool:
        return True


class RaisingService(ValidationService):
    """Fault injection past the service's own guard: validate itself raises."""

    async def validate(self, request: Any, *, path: str = "check") -> Any:
        raise RuntimeError("a bug in a check")


@pytest.mark.fault("webhook-broken")
@pytest.mark.parametrize("service_class", [ValidationService, RaisingService])
async def test_an_exception_of_ours_allows_with_a_warning(
    start_webhook: StartWebhook, service_class: type[ValidationService]
) -> None:
    service = service_class(Settings(offline=True), BrokenView())
    hook = await start_webhook(service)
    for pod in BAD_PODS:
        reply = await hook.post(review(example_pod(pod)))
        assert reply.status_code == 200
        response = reply.json()["response"]
        assert response["allowed"] is True and len(response["warnings"]) == 1
        assert "\n" not in response["warnings"][0]


@pytest.mark.fault("webhook-api-gone")
async def test_the_api_going_away_after_sync_keeps_answering_from_the_last_state(
    example_sim: KubeSim, start_webhook: StartWebhook
) -> None:
    service, live, closing = await live_service(example_sim.url)
    assert await live.wait_ready(60)
    hook = await start_webhook(service, closing=tuple(closing))
    await example_sim.stop()  # the API server is gone: the caches keep what they saw
    assert (await hook.answer(review(example_pod("valid"))))["allowed"] is True
    denied = await hook.answer(review(example_pod("too-many-cpus")))
    assert denied["allowed"] is False and "62.5 CPUs" in denied["status"]["message"]
    assert (await hook.http.get(f"{hook.url}/readyz")).status_code == 200
