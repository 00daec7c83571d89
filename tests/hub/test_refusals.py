"""hub/refusals: an ApiException from KubeSpawner's creates becomes our exception. The bodies
are those a real kube-apiserver sent (tests/data/refusals/); the full path through a real
JupyterHub and KubeSpawner is tests/e2e/test_refusals.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kubernetes_asyncio.client.exceptions import ApiException
from tornado.web import HTTPError
from traitlets.config import Config

from prevalidate.hub.errors import SpawnFailed, SpawnRejected
from prevalidate.hub.refusals import CREATES, _telling, raise_told, tell_refusals
from prevalidate.metrics import CREATE_REFUSALS

DATA = Path(__file__).resolve().parents[1] / "data" / "refusals"


def api_exception(name: str) -> ApiException:
    """As kubernetes_asyncio's REST client raises it: status, reason phrase, body text."""
    data = json.loads((DATA / f"{name}.json").read_text())
    exc = ApiException(status=data["status"], reason="Forbidden" if data["status"] == 403 else "Error")
    exc.body = data["body"]
    exc.headers = {"Audit-Id": "a1b2", "Content-Type": "application/json"}
    return exc


async def test_a_quota_refusal_is_a_403_rejection_with_our_sentence(make_spawner: Callable[..., Any]) -> None:
    spawner = make_spawner({"Prevalidator.admin_contact": "Ask hub-admins@example.org."})
    counted = CREATE_REFUSALS.labels(kind="quota-exceeded", object="pod")
    before = counted._value.get()
    with pytest.raises(SpawnRejected) as caught:
        raise_told(spawner, api_exception("quota-exceeded"), "pod")
    assert counted._value.get() == before + 1
    exc = caught.value
    assert exc.status_code == 403 and exc.codes == ["quota-exceeded"]
    assert exc.jupyterhub_message.splitlines() == [
        "Your server cannot start with these options:",  # two findings (request and limit), one line
        '• You asked for 6 CPUs (CPU guarantee and limit), but the namespace quota "compute" has only 4 '
        "CPUs left (0 of 4 in use). Choose at most 4 CPUs.",
        "Ask hub-admins@example.org."]
    for text in (exc.jupyterhub_message, exc.jupyterhub_html_message, str(exc)):
        assert "Audit-Id" not in text and "HTTP response" not in text and '"kind"' not in text
    assert exc.__suppress_context__  # the ApiException's dump is not chained into the log either


async def test_a_webhook_that_does_not_answer_is_a_503_that_counts(make_spawner: Callable[..., Any]) -> None:
    spawner = make_spawner()
    with pytest.raises(SpawnFailed) as caught:
        raise_told(spawner, api_exception("webhook-unavailable"), "pod")
    exc = caught.value
    assert exc.status_code == 503 and isinstance(exc, HTTPError)
    assert not isinstance(exc, SpawnRejected)  # JupyterHub 6 counts a 5xx HTTPError as an error
    assert 'admission check "down.prevalidate.test" did not answer' in exc.jupyterhub_message


async def test_prevalidate_off_leaves_kubespawners_exception(make_spawner: Callable[..., Any]) -> None:
    spawner = make_spawner({"Prevalidator.enabled": False})
    original = api_exception("limitrange-two")
    with pytest.raises(ApiException) as caught:
        raise_told(spawner, original, "pod")
    assert caught.value is original


async def test_the_hook_wraps_a_stock_kubespawner_once() -> None:
    from kubespawner import KubeSpawner

    config = Config()
    config.KubeSpawner.namespace = "jhub"
    spawner = KubeSpawner(_mock=True, config=config)
    tell_refusals(spawner)
    wrapped = {name: getattr(spawner, name) for name in CREATES}
    tell_refusals(spawner)
    assert {name: getattr(spawner, name) for name in CREATES} == wrapped
    assert all(getattr(type(spawner), name) is not wrapped[name] for name in CREATES)

    async def refused(*_args: Any) -> bool:
        raise api_exception("limitrange-min")

    with pytest.raises(SpawnRejected) as caught:
        await _telling(spawner, refused, "pod")(object(), 3)
    assert "at least 0.1 CPU" in caught.value.jupyterhub_message


async def test_the_prevalidating_spawner_is_not_wrapped_twice(make_spawner: Callable[..., Any]) -> None:
    spawner = make_spawner()
    tell_refusals(spawner)
    assert "_make_create_pod_request" not in vars(spawner)
