"""The reflector's seams for a second consumer: sinks that share one watch, and a field
selector that narrows a stream at the API server (kubesim's apiserver filters like
kube-apiserver's: staging/src/k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go sends an
object that stops matching as DELETED)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from kubernetes_asyncio import client

from prevalidate.kube.apistream import ApiStatus
from prevalidate.kube.reflector import Reflector, Timing
from prevalidate.kube.watchkinds import WATCH_KINDS, WatchKind
from prevalidate.model.cluster import ALL_KINDS
from prevalidate.testing.kubesim import KubeSim

from .conftest import LOGGER, StartLive, api_client, eventually
from .helpers import pod, watching

EVENTS = WatchKind(
    "Event", "events", "", "CoreV1Api", "list_event_for_all_namespaces", "list_namespaced_event"
)


class Recorder:
    """A sink that keeps what it was fed, in order."""

    def __init__(self) -> None:
        self.fed: list[tuple[str, str]] = []

    def begin(self, namespace: str | None) -> None:
        self.fed.append(("BEGIN", namespace or ""))

    async def page(self, items: list[dict[str, Any]]) -> None:
        self.fed += [("LIST", item["metadata"]["name"]) for item in items]

    def finish(self) -> int:
        self.fed.append(("FINISH", ""))
        return 0

    def apply(self, obj: dict[str, Any]) -> None:
        self.fed.append(("APPLY", obj["metadata"]["name"]))

    def remove(self, obj: dict[str, Any]) -> None:
        self.fed.append(("REMOVE", obj["metadata"]["name"]))


class Owner:
    """The smallest reflector owner: an API client and a log of what was reported."""

    def __init__(self, api: client.ApiClient) -> None:
        self.timing = Timing(watch_timeout=30, retry_cap=0.05, refused_retry=0.1)
        self.log = logging.getLogger(LOGGER)
        self._api = api
        self.reports: list[str] = []

    def api(self, name: str) -> Any:
        return getattr(client, name)(self._api)

    def count_request(self) -> None:
        self.reports.append("request")

    def answered(self) -> None:
        pass

    def failed(self, reflector: Reflector, what: str) -> None:
        self.reports.append(f"failed {what}")

    def listed(self, reflector: Reflector) -> None:
        self.reports.append("listed")

    def watching(self, reflector: Reflector) -> None:
        self.reports.append("watching")

    def refused(self, reflector: Reflector, status: ApiStatus, verb: str) -> None:
        self.reports.append(f"refused {status.code}")


def event(name: str, about: str) -> dict[str, Any]:
    return {
        "metadata": {"name": name},
        "involvedObject": {"kind": "Pod", "namespace": "jhub", "name": about},
        "reason": "FailedScheduling",
        "message": "0/3 nodes are available",
        "type": "Warning",
    }


async def test_a_second_sink_shares_the_watch_of_the_view(
    example_sim: KubeSim, start_live: StartLive
) -> None:
    live = await start_live(example_sim)
    feed = Recorder()
    live.subscribe("Pod", feed)
    assert await live.wait_ready(5)
    await watching(example_sim)
    listed = {name for verb, name in feed.fed if verb == "LIST"}
    assert listed and len(listed) == live.view.pod_count()
    async with api_client(example_sim.url) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_pod("jhub", pod("jupyter-erin"))
        await eventually(lambda: ("APPLY", "jupyter-erin") in feed.fed)
        await core.delete_namespaced_pod("jupyter-erin", "jhub", grace_period_seconds=0)
        await eventually(lambda: ("REMOVE", "jupyter-erin") in feed.fed)
    assert live.view.pod_count() == len(listed)  # the view saw the same events
    assert len(example_sim.store.watchers) == len(ALL_KINDS)  # still one watch per kind


async def test_a_field_selector_narrows_the_list_and_the_watch(example_sim: KubeSim) -> None:
    """The backstop's use: the Events of one pod only (``involvedObject.name=...``)."""
    async with api_client(example_sim.url) as api:
        core = client.CoreV1Api(api)
        await core.create_namespaced_event("jhub", event("mine-1", "jupyter-zoe"))
        await core.create_namespaced_event("jhub", event("other-1", "jupyter-yan"))
        sink, owner = Recorder(), Owner(api)
        reflector = Reflector(owner, EVENTS, "jhub", [sink], field_selector="involvedObject.name=jupyter-zoe")
        task = asyncio.create_task(reflector.run())
        try:
            await eventually(lambda: "watching" in owner.reports)
            await core.create_namespaced_event("jhub", event("other-2", "jupyter-yan"))
            await core.create_namespaced_event("jhub", event("mine-2", "jupyter-zoe"))
            await eventually(lambda: ("APPLY", "mine-2") in sink.fed)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    assert sink.fed == [("BEGIN", "jhub"), ("LIST", "mine-1"), ("FINISH", ""), ("APPLY", "mine-2")]
    assert not [r for r in owner.reports if r.startswith(("failed", "refused"))]
    assert any("fieldSelector=involvedObject.name" in line for line in example_sim.request_log)


async def _run_until_watching(reflector: Reflector, owner: Owner) -> asyncio.Task[None]:
    task = asyncio.create_task(reflector.run())
    await eventually(lambda: "watching" in owner.reports)
    return task


async def _stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def test_the_list_comes_page_by_page_and_each_page_goes_to_the_sinks(example_sim: KubeSim) -> None:
    """Pages of ``page_size`` (500 in production), the field selector on every page, each page
    fed as it arrives: the sink sees BEGIN, the pages, FINISH."""
    async with api_client(example_sim.url) as api:
        core = client.CoreV1Api(api)
        for i in range(7):
            await core.create_namespaced_event("jhub", event(f"mine-{i}", "jupyter-zoe"))
        await core.create_namespaced_event("jhub", event("other", "jupyter-yan"))
        sink, owner = Recorder(), Owner(api)
        reflector = Reflector(owner, EVENTS, "jhub", [sink], field_selector="involvedObject.name=jupyter-zoe")
        reflector.page_size = 3
        example_sim.request_log.clear()
        await _stop(await _run_until_watching(reflector, owner))
    lists = [line for line in example_sim.request_log if line.startswith("GET") and "watch=" not in line]
    assert len(lists) == 3, lists  # 3 + 3 + 1
    assert all("limit=3" in line and "fieldSelector=involvedObject.name" in line for line in lists)
    assert sum("continue=" in line for line in lists) == 2
    assert sink.fed == [("BEGIN", "jhub"), *[("LIST", f"mine-{i}") for i in range(7)], ("FINISH", "")]
    assert owner.reports.count("request") == 4  # three pages and the watch


async def test_an_expired_continue_token_relists_from_the_start_and_the_view_ends_exact(
    example_sim: KubeSim, start_live: StartLive
) -> None:
    """410 Expired on a continue token (the list outlived the history): the reflector lists
    again from the first page; objects deleted meanwhile are dropped, none is counted twice."""
    live = await start_live(example_sim)
    assert await live.wait_ready(5)
    async with api_client(example_sim.url) as api:
        core = client.CoreV1Api(api)
        for i in range(6):
            await core.create_namespaced_pod("jhub", pod(f"jupyter-p{i}"))
        await eventually(lambda: live.view.pod_count() == len(list(example_sim.store.items("pods"))))
        sink, owner = Recorder(), Owner(api)
        reflector = Reflector(owner, WATCH_KINDS["Pod"], None, [sink])
        reflector.page_size = 2
        compacted = False
        original = sink.page

        async def page_then_compact(items: list[dict[str, Any]]) -> None:
            nonlocal compacted
            await original(items)
            if not compacted:  # after the first page: delete one pod, compact the history
                compacted = True
                await core.delete_namespaced_pod("jupyter-p5", "jhub", grace_period_seconds=0)
                example_sim.store.compact()

        sink.page = page_then_compact  # type: ignore[method-assign]
        await _stop(await _run_until_watching(reflector, owner))
    assert sink.fed.count(("BEGIN", "")) == 2 and sink.fed.count(("FINISH", "")) == 1
    second = sink.fed[sink.fed.index(("BEGIN", ""), 1) + 1 : -1]
    names = [name for _, name in second]
    assert len(names) == len(set(names)) and "jupyter-p5" not in names
    assert sorted(names) == sorted(o["metadata"]["name"] for o in example_sim.store.items("pods"))
