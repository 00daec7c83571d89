"""kubesim pages lists as kube-apiserver does: `limit` + `continue`, key order, one consistent
snapshot across pages, `remainingItemCount` (not with a selector), 410 Expired on a continue
token whose resourceVersion was compacted, 400 on a token that is not one."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
from kubernetes_asyncio import client

from prevalidate.testing.kubesim import KubeSim

from .conftest import notebook_pod


async def _create(core: client.CoreV1Api, count: int) -> None:
    for i in range(count):
        await core.create_namespaced_pod("jhub", notebook_pod(f"paged-{i:03d}"))


async def test_pages_cover_the_list_once_in_key_order_with_a_consistent_snapshot(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    await _create(core, 12)
    everything = await core.list_pod_for_all_namespaces()
    expected = sorted((p.metadata.namespace, p.metadata.name) for p in everything.items)
    first = await core.list_pod_for_all_namespaces(limit=5)
    assert len(first.items) == 5 and first.metadata._continue
    assert first.metadata.remaining_item_count == len(expected) - 5
    token = json.loads(base64.urlsafe_b64decode(first.metadata._continue + "=="))
    assert token["v"] == "meta.k8s.io/v1" and token["rv"] == int(first.metadata.resource_version)
    # Written between pages: not in this list (the pages are read at the first page's RV).
    await core.create_namespaced_pod("jhub", notebook_pod("paged-zzz-late"))
    await core.delete_namespaced_pod("paged-011", "jhub")
    seen = [(p.metadata.namespace, p.metadata.name) for p in first.items]
    following = first.metadata._continue
    while following:
        page = await core.list_pod_for_all_namespaces(limit=5, _continue=following)
        assert page.metadata.resource_version == first.metadata.resource_version
        seen += [(p.metadata.namespace, p.metadata.name) for p in page.items]
        following = page.metadata._continue
    assert seen == expected


async def test_a_selector_fills_pages_and_leaves_out_the_remaining_count(core: client.CoreV1Api) -> None:
    await _create(core, 7)
    page = await core.list_namespaced_pod("jhub", limit=3, field_selector="metadata.namespace=jhub")
    assert len(page.items) == 3 and page.metadata._continue
    assert page.metadata.remaining_item_count is None


async def test_a_compacted_continue_token_is_410_expired(sim: KubeSim, core: client.CoreV1Api) -> None:
    await _create(core, 4)
    first = await core.list_namespaced_pod("jhub", limit=2)
    await core.create_namespaced_pod("jhub", notebook_pod("after"))
    sim.store.compact()
    with pytest.raises(client.ApiException) as caught:
        await core.list_namespaced_pod("jhub", limit=2, _continue=first.metadata._continue)
    assert caught.value.status == 410
    body = json.loads(caught.value.body)
    assert body["reason"] == "Expired" and body["code"] == 410
    assert body["message"].startswith("The provided continue parameter is too old")


async def test_a_garbage_continue_token_is_400(sim: KubeSim) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        answer = await http.get("/api/v1/pods", params={"limit": "2", "continue": "not-a-token"})
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("continue key is not valid")
