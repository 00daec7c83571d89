"""API semantics of kubesim, written from the Kubernetes API conventions (not our validators):
resourceVersion, watch replay, 410 Gone, selectors, Status bodies, discovery."""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from kubernetes_asyncio import client, watch

from prevalidate.testing.kubesim import KubeSim

from .conftest import api_client, notebook_pod


async def test_list_reports_the_current_resource_version(sim: KubeSim,
                                                         core: client.CoreV1Api) -> None:
    pods = await core.list_namespaced_pod("jhub")
    assert pods.metadata.resource_version == str(sim.store.rv)
    assert [p.metadata.name for p in pods.items] == ["jupyter-existing"]


async def test_watch_from_list_rv_replays_a_pod_created_between_list_and_watch(
        core: client.CoreV1Api) -> None:
    listed = await core.list_namespaced_pod("jhub")
    await core.create_namespaced_pod("jhub", notebook_pod("between"))
    seen = []
    async with watch.Watch().stream(core.list_namespaced_pod, "jhub",
                                    resource_version=listed.metadata.resource_version,
                                    timeout_seconds=1) as stream:
        async for event in stream:
            seen.append((event["type"], event["object"].metadata.name))
    assert seen[0] == ("ADDED", "between")
    assert ("ADDED", "jupyter-existing") not in seen  # replay starts after the listed RV


async def test_watch_without_resource_version_starts_with_synthetic_added_events(
        core: client.CoreV1Api) -> None:
    async with watch.Watch().stream(core.list_namespaced_pod, "jhub",
                                    timeout_seconds=1) as stream:
        first = await stream.__anext__()
    assert (first["type"], first["object"].metadata.name) == ("ADDED", "jupyter-existing")


async def test_watch_from_an_expired_resource_version_fails_with_410_expired(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    old = (await core.list_namespaced_pod("jhub")).metadata.resource_version
    await core.create_namespaced_pod("jhub", notebook_pod("after-compaction"))
    sim.store.compact()
    with pytest.raises(client.ApiException) as caught:
        async with watch.Watch().stream(core.list_namespaced_pod, "jhub",
                                        resource_version=old, timeout_seconds=1) as stream:
            async for _ in stream:
                pass
    assert caught.value.status == 410
    assert caught.value.reason.startswith(f"Expired: too old resource version: {old} (")


async def test_expired_watch_is_an_error_event_with_a_status_object(sim: KubeSim) -> None:
    sim.store.compact()
    async with httpx.AsyncClient(base_url=sim.url) as http:
        response = await http.get("/api/v1/namespaces/jhub/pods",
                                  params={"watch": "true", "resourceVersion": "1"})
    event = json.loads(response.text.splitlines()[0])
    assert response.status_code == 200
    assert event["type"] == "ERROR"
    assert event["object"]["kind"] == "Status"
    assert (event["object"]["code"], event["object"]["reason"]) == (410, "Expired")


async def test_watch_ends_after_timeout_seconds(core: client.CoreV1Api) -> None:
    started = time.monotonic()
    async with watch.Watch().stream(core.list_namespaced_pod, "jhub",
                                    resource_version="999999", timeout_seconds=1) as stream:
        events = [e async for e in stream]
    assert events == []
    assert 0.9 <= time.monotonic() - started < 5


async def test_label_selectors_equality_and_set_based(core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("jhub", {**notebook_pod("labelled"), "metadata": {
        "name": "labelled", "labels": {"component": "singleuser-server", "hub.jupyter.org/user": "a"}}})

    async def names(selector: str) -> list[str]:
        pods = await core.list_namespaced_pod("jhub", label_selector=selector)
        return sorted(p.metadata.name for p in pods.items)

    assert await names("component=singleuser-server") == ["jupyter-existing", "labelled"]
    assert await names("hub.jupyter.org/user") == ["labelled"]
    assert await names("!hub.jupyter.org/user") == ["jupyter-existing"]
    assert await names("hub.jupyter.org/user in (a,b)") == ["labelled"]
    assert await names("hub.jupyter.org/user notin (a)") == ["jupyter-existing"]
    assert await names("component!=singleuser-server") == []


async def test_field_selectors_on_pods_and_events(sim: KubeSim, core: client.CoreV1Api) -> None:
    running = await core.list_namespaced_pod("jhub", field_selector="status.phase=Running")
    assert [p.metadata.name for p in running.items] == ["jupyter-existing"]
    unbound = await core.list_pod_for_all_namespaces(field_selector="spec.nodeName=")
    assert unbound.items == []
    await core.create_namespaced_pod("jhub", notebook_pod("evented"))
    events = await core.list_namespaced_event(
        "jhub", field_selector="involvedObject.kind=Pod,involvedObject.name=evented")
    assert events.items and all(e.involved_object.name == "evented" for e in events.items)


async def test_unsupported_field_selector_is_a_400_status(core: client.CoreV1Api) -> None:
    with pytest.raises(client.ApiException) as caught:
        await core.list_namespaced_pod("jhub", field_selector="spec.image=x")
    body = json.loads(caught.value.body)
    assert (caught.value.status, body["reason"]) == (400, "BadRequest")
    assert body["message"] == "field label not supported: spec.image"


async def test_filtered_watch_reports_an_object_leaving_the_selector_as_deleted(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    rv = (await core.list_namespaced_pod("jhub")).metadata.resource_version
    await core.create_namespaced_pod("jhub", notebook_pod("leaves"))
    seen = []
    async with watch.Watch().stream(core.list_namespaced_pod, "jhub", resource_version=rv,
                                    field_selector="spec.nodeName=",
                                    timeout_seconds=1) as stream:
        async for event in stream:
            seen.append(event["type"])
    assert seen[0] == "ADDED"
    assert "DELETED" in seen  # bound by the scheduler: no longer has an empty nodeName


@pytest.mark.parametrize(("method", "path", "code", "reason", "message"), [
    ("GET", "/api/v1/namespaces/jhub/pods/nope", 404, "NotFound", 'pods "nope" not found'),
    ("GET", "/api/v1/nodes/nope", 404, "NotFound", 'nodes "nope" not found'),
    ("GET", "/apis/storage.k8s.io/v1/storageclasses/nope", 404, "NotFound",
     'storageclasses.storage.k8s.io "nope" not found'),
    ("GET", "/api/v1/widgets", 404, "NotFound", "the server could not find the requested resource"),
    ("DELETE", "/api/v1/namespaces/jhub/pods", 405, "MethodNotAllowed",
     "the server does not allow this method on the requested resource"),
    ("POST", "/api/v1/namespaces/ghost/pods", 404, "NotFound", 'namespaces "ghost" not found'),
])
async def test_errors_are_status_bodies(sim: KubeSim, method: str, path: str, code: int,
                                        reason: str, message: str) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        response = await http.request(method, path, json=notebook_pod("x"))
    body = response.json()
    assert response.status_code == code
    assert body["kind"] == "Status" and body["status"] == "Failure"
    assert (body["code"], body["reason"], body["message"]) == (code, reason, message)


async def test_creating_an_existing_pod_is_409_already_exists(core: client.CoreV1Api) -> None:
    await core.create_namespaced_pod("jhub", notebook_pod("twice"))
    with pytest.raises(client.ApiException) as caught:
        await core.create_namespaced_pod("jhub", notebook_pod("twice"))
    body = json.loads(caught.value.body)
    assert (caught.value.status, body["reason"]) == (409, "AlreadyExists")
    assert body["message"] == 'pods "twice" already exists'
    assert body["details"] == {"name": "twice", "kind": "pods"}


async def test_malformed_json_is_a_400_status(sim: KubeSim) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        response = await http.post("/api/v1/namespaces/jhub/pods", content=b"{not json",
                                   headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["reason"] == "BadRequest"


async def test_put_with_a_stale_resource_version_is_a_409_conflict(
        core: client.CoreV1Api) -> None:
    created = await core.create_namespaced_config_map(
        "jhub", {"metadata": {"name": "cfg"}, "data": {"a": "1"}})
    await core.replace_namespaced_config_map("cfg", "jhub", {
        "metadata": {"name": "cfg", "resourceVersion": created.metadata.resource_version},
        "data": {"a": "2"}})
    with pytest.raises(client.ApiException) as caught:
        await core.replace_namespaced_config_map("cfg", "jhub", {
            "metadata": {"name": "cfg", "resourceVersion": created.metadata.resource_version},
            "data": {"a": "3"}})
    assert caught.value.status == 409
    assert json.loads(caught.value.body)["message"] == (
        'Operation cannot be fulfilled on configmaps "cfg": the object has been modified; '
        "please apply your changes to the latest version and try again")


async def test_graceful_pod_delete_marks_then_removes(sim: KubeSim,
                                                       core: client.CoreV1Api) -> None:
    deleted = await core.delete_namespaced_pod("jupyter-existing", "jhub",
                                               grace_period_seconds=1)
    assert deleted.metadata.deletion_timestamp is not None
    assert deleted.metadata.deletion_grace_period_seconds == 1
    from .conftest import until
    await until(sim, lambda: sim.store.peek("pods", "jhub", "jupyter-existing") is None)


async def test_delete_of_other_kinds_returns_a_success_status(core: client.CoreV1Api) -> None:
    status = await core.delete_namespaced_secret("team-token", "jhub")
    assert status.status == "Success"
    assert status.details.name == "team-token"


async def test_discovery_lists_the_served_resources(sim: KubeSim) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        core_list = (await http.get("/api/v1")).json()
        groups = (await http.get("/apis")).json()
        version = (await http.get("/version")).json()
    by_name = {r["name"]: r for r in core_list["resources"]}
    assert {"pods", "events", "persistentvolumeclaims", "namespaces", "secrets", "configmaps",
            "services", "serviceaccounts", "nodes", "resourcequotas", "limitranges"} <= set(by_name)
    assert "watch" in by_name["pods"]["verbs"] and by_name["pods"]["namespaced"] is True
    assert by_name["nodes"]["namespaced"] is False
    assert [g["name"] for g in groups["groups"]] == [
        "admissionregistration.k8s.io", "node.k8s.io", "scheduling.k8s.io", "storage.k8s.io"]
    assert version["major"] == "1"


async def test_storage_classes_through_the_typed_client(sim: KubeSim) -> None:
    async with api_client(sim) as api:
        classes = await client.StorageV1Api(api).list_storage_class()
    assert sorted(c.metadata.name for c in classes.items) == ["manual", "standard"]


async def test_a_namespace_gets_a_default_service_account(core: client.CoreV1Api) -> None:
    await core.create_namespace({"metadata": {"name": "user-alice"}})
    account = await core.read_namespaced_service_account("default", "user-alice")
    assert account.metadata.name == "default"


async def test_many_watchers_do_not_block_each_other(core: client.CoreV1Api) -> None:
    rv = (await core.list_namespaced_pod("jhub")).metadata.resource_version

    async def first_event() -> str:
        async with watch.Watch().stream(core.list_namespaced_pod, "jhub", resource_version=rv,
                                        timeout_seconds=2) as stream:
            event = await stream.__anext__()
            return str(event["object"].metadata.name)

    waiters = [asyncio.ensure_future(first_event()) for _ in range(5)]
    await asyncio.sleep(0)
    await core.create_namespaced_pod("jhub", notebook_pod("broadcast"))
    assert await asyncio.gather(*waiters) == ["broadcast"] * 5


@pytest.mark.parametrize(("body", "query"), [
    (b'{"gracePeriodSeconds": "soon"}', ""),
    (b"[1, 2", ""),
    (b"", "?gracePeriodSeconds=later"),
])
async def test_bad_delete_options_are_400(sim: KubeSim, body: bytes, query: str) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        response = await http.request(
            "DELETE", "/api/v1/namespaces/jhub/pods/jupyter-existing" + query, content=body,
            headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["reason"]) == (400, "BadRequest")


async def test_merge_patch_changes_labels_and_the_status_subresource(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    patched = await core.patch_namespaced_pod(
        "jupyter-existing", "jhub", {"metadata": {"labels": {"team": "a"}}})
    assert patched.metadata.labels["team"] == "a"
    async with httpx.AsyncClient(base_url=sim.url) as http:
        response = await http.patch(
            "/api/v1/namespaces/jhub/pods/jupyter-existing/status",
            content=json.dumps({"status": {"phase": "Succeeded"}}),
            headers={"Content-Type": "application/merge-patch+json"})
    assert response.json()["status"]["phase"] == "Succeeded"
    assert sim.store.peek("pods", "jhub", "jupyter-existing")["status"]["phase"] == "Succeeded"


async def test_secrets_services_and_claims_round_trip_like_kubespawner_uses_them(
        core: client.CoreV1Api) -> None:
    await core.create_namespaced_secret("jhub", {"metadata": {"name": "jupyter-alice"},
                                                 "data": {"ssl.key": "a2V5"}})
    await core.create_namespaced_service("jhub", {"metadata": {"name": "jupyter-alice"},
                                                  "spec": {"ports": [{"port": 8888}]}})
    claim = {"metadata": {"name": "claim-alice"},
             "spec": {"accessModes": ["ReadWriteOnce"],
                      "resources": {"requests": {"storage": "1Gi"}}}}
    await core.create_namespaced_persistent_volume_claim("jhub", claim)
    with pytest.raises(client.ApiException) as caught:
        await core.create_namespaced_persistent_volume_claim("jhub", claim)
    assert caught.value.status == 409  # KubeSpawner treats this as "already there"
    assert (await core.read_namespaced_secret("jupyter-alice", "jhub")).data == {"ssl.key": "a2V5"}
    await core.delete_namespaced_service("jupyter-alice", "jhub")
    await core.delete_namespaced_persistent_volume_claim("claim-alice", "jhub")
    with pytest.raises(client.ApiException) as gone:
        await core.read_namespaced_service("jupyter-alice", "jhub")
    assert gone.value.status == 404


async def test_every_served_object_deserialises_with_the_typed_client(
        sim: KubeSim, core: client.CoreV1Api) -> None:
    from .conftest import until

    await core.create_namespaced_pod("jhub", notebook_pod("typed"))
    await core.create_namespaced_pod("jhub", notebook_pod("typed-bad", image="nope.invalid/x:1"))
    await until(sim, lambda: sim.store.peek("pods", "jhub", "typed")["status"]["phase"] == "Running")
    await until(sim, lambda: any(e["reason"] == "BackOff" for e in sim.store.items("events", "jhub")))
    async with api_client(sim) as api:
        storage = client.StorageV1Api(api)
        results = await asyncio.gather(
            core.list_pod_for_all_namespaces(), core.list_event_for_all_namespaces(),
            core.list_node(), core.list_namespace(), core.list_resource_quota_for_all_namespaces(),
            core.list_limit_range_for_all_namespaces(),
            core.list_persistent_volume_claim_for_all_namespaces(),
            core.list_service_account_for_all_namespaces(), core.list_secret_for_all_namespaces(),
            core.list_config_map_for_all_namespaces(), storage.list_storage_class())
    assert all(result.items for result in results)
    statuses = {p.metadata.name: p.status.container_statuses for p in results[0].items}
    assert statuses["typed-bad"][0].state.waiting.reason in ("ErrImagePull", "ImagePullBackOff")


async def test_namespace_status_subresource_is_served(sim: KubeSim) -> None:
    async with httpx.AsyncClient(base_url=sim.url) as http:
        response = await http.get("/api/v1/namespaces/jhub/status")
    assert response.status_code == 200
    assert response.json()["status"]["phase"] == "Active"
