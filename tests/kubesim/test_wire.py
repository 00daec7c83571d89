"""kubesim serves lists and watch events from each object's cached JSON (Store.encoded,
wire.py). A cached answer must be byte for byte what encoding the stored objects afresh gives,
and a write must never leave an old encoding behind: after an update the page shows the new
object, after a delete it is gone, and an older version held by a paged list's snapshot is
served as it was."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx

from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.kubesim.store import Store
from prevalidate.testing.kubesim.wire import event_line, list_body

Obj = dict[str, Any]


def _configmap(name: str, value: str) -> Obj:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": "jhub"},
            "data": {"value": value}}


def test_list_body_and_event_line_are_json_dumps_of_the_whole_answer() -> None:
    items = [{"metadata": {"name": "é-ü", "labels": {"a": "☃"}}, "n": 1.5, "t": True, "z": None}, {}]
    for chosen in (items, items[:1], []):
        meta = {"resourceVersion": "42", "continue": "abc", "remainingItemCount": 3}
        whole = {"kind": "PodList", "apiVersion": "v1", "metadata": meta, "items": chosen}
        encoded = [json.dumps(item).encode() for item in chosen]
        assert list_body("PodList", "v1", meta, encoded) == json.dumps(whole).encode()
    for kind in ("ADDED", "MODIFIED", "DELETED"):
        assert event_line(kind, json.dumps(items[0]).encode()) == (
            json.dumps({"type": kind, "object": items[0]}) + "\n"
        ).encode()


def test_an_encoding_is_kept_for_the_stored_version_only() -> None:
    store = Store()
    first = store.create("configmaps", _configmap("cm", "one"))
    cached = store.encoded("configmaps", first)
    assert json.loads(cached)["data"] == {"value": "one"}
    assert store.encoded("configmaps", first) is cached  # encoded once, then reused

    second = store.mutate("configmaps", "jhub", "cm", lambda o: o["data"].update(value="two"))
    assert second is not None
    assert json.loads(store.encoded("configmaps", second))["data"] == {"value": "two"}
    # The old version (a paged list's snapshot holds it) still encodes as it was.
    assert json.loads(store.encoded("configmaps", first))["data"] == {"value": "one"}
    assert json.loads(store.encoded("configmaps", second))["data"] == {"value": "two"}

    gone = store.delete("configmaps", "jhub", "cm")
    assert json.loads(store.encoded("configmaps", gone))["metadata"]["name"] == "cm"
    recreated = store.create("configmaps", _configmap("cm", "three"))
    assert json.loads(store.encoded("configmaps", recreated))["data"] == {"value": "three"}


async def _list(http: httpx.AsyncClient, **params: Any) -> tuple[bytes, Obj]:
    answer = await http.get("/api/v1/namespaces/jhub/configmaps", params=params)
    assert answer.status_code == 200
    return answer.content, answer.json()


def _fresh(sim: KubeSim, rv: str, **meta: Any) -> bytes:
    """The list as json.dumps of the stored objects gives it, nothing cached."""
    objs, _ = sim.store.list("configmaps", "jhub")  # an unpaged list is in the store's order
    return json.dumps({"kind": "ConfigMapList", "apiVersion": "v1",
                       "metadata": {"resourceVersion": rv, **meta}, "items": objs}).encode()


async def test_lists_and_watch_events_never_serve_stale_bytes(sim: KubeSim) -> None:
    async with httpx.AsyncClient(base_url=sim.url, timeout=30) as http:
        for name in ("a", "b", "c"):
            created = await http.post("/api/v1/namespaces/jhub/configmaps", json=_configmap(name, "v1"))
            assert created.status_code == 201
        body, doc = await _list(http)  # encodes (and keeps) every config map
        assert body == _fresh(sim, doc["metadata"]["resourceVersion"])
        rv = doc["metadata"]["resourceVersion"]

        patched = await http.patch(
            "/api/v1/namespaces/jhub/configmaps/b", json={"data": {"value": "v2"}},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        assert patched.status_code == 200
        deleted = await http.delete("/api/v1/namespaces/jhub/configmaps/c")
        assert deleted.status_code == 200

        body, doc = await _list(http)
        mine = {o["metadata"]["name"]: o["data"].get("value") for o in doc["items"]}
        mine.pop("team-settings")  # the fixture's own
        assert mine == {"a": "v1", "b": "v2"}
        assert body == _fresh(sim, doc["metadata"]["resourceVersion"])

        # Paged: every page is the fresh encoding of the objects on it.
        names: list[str] = []
        following = None
        while True:
            params: dict[str, Any] = {"limit": 1}
            if following:
                params["continue"] = following
            _, page = await _list(http, **params)
            names += [o["metadata"]["name"] for o in page["items"]]
            assert [o["data"] for o in page["items"]] == [
                sim.store.peek("configmaps", "jhub", n)["data"]  # type: ignore[index]
                for n in (o["metadata"]["name"] for o in page["items"])
            ]
            following = page["metadata"].get("continue")
            if not following:
                break
        assert [n for n in names if len(n) == 1] == ["a", "b"]

        # The watch replays the update and the delete as they were written.
        events: list[Obj] = []
        async with http.stream(
            "GET", "/api/v1/namespaces/jhub/configmaps",
            params={"watch": "true", "resourceVersion": rv, "timeoutSeconds": "2"},
        ) as stream:
            async for line in stream.aiter_lines():
                if line.strip():
                    events.append(json.loads(line))
                if len(events) == 2:
                    break
        assert [(e["type"], e["object"]["metadata"]["name"]) for e in events] == [
            ("MODIFIED", "b"), ("DELETED", "c")]
        assert events[0]["object"]["data"] == {"value": "v2"}


async def test_a_page_read_at_an_older_version_serves_that_version(sim: KubeSim) -> None:
    async with httpx.AsyncClient(base_url=sim.url, timeout=30) as http:
        for name in ("a", "b"):
            await http.post("/api/v1/namespaces/jhub/configmaps", json=_configmap(name, "old"))
        await _list(http)  # the current versions' encodings are kept
        _, first = await _list(http, limit=1)
        await http.patch(
            "/api/v1/namespaces/jhub/configmaps/b", json={"data": {"value": "new"}},
            headers={"Content-Type": "application/merge-patch+json"},
        )
        await asyncio.sleep(0)
        _, second = await _list(http, limit=1, **{"continue": first["metadata"]["continue"]})
        # The pages are one snapshot at the first page's resourceVersion (paging.py).
        assert second["items"][0]["metadata"]["name"] == "b"
        assert second["items"][0]["data"] == {"value": "old"}
        _, now = await _list(http)
        assert [o["data"]["value"] for o in now["items"] if o["metadata"]["name"] in "ab"] == ["old", "new"]
