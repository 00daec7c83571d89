"""Fault: a storm of 410 Gone (etcd compacting again and again while pods come and go, as on a
busy cluster with a short compaction interval). Each round the watches come back to a
resourceVersion that no longer exists, relist, and must converge on the store exactly, keep
one watch per kind (no leaked reflectors), and keep judging: the valid example pod stays
allowed and the 120-CPU one refused in every round."""

from __future__ import annotations

import pytest

from prevalidate import Settings, run_all
from prevalidate.kube.dump import load_pod
from prevalidate.model.cluster import ALL_KINDS
from prevalidate.testing.kubesim import KubeSim

from .conftest import EXAMPLE_PODS, FAST, StartLive, eventually
from .helpers import lists_of, pod, watching

ROUNDS = 10
OFFLINE = Settings(offline=True)


@pytest.mark.fault("api-410-storm")
async def test_a_storm_of_410s_converges_every_round_and_keeps_judging(
    example_sim: KubeSim, start_live: StartLive
) -> None:
    by_name = {path.stem: load_pod(path) for path in EXAMPLE_PODS}
    live = await start_live(example_sim, **FAST)
    assert await live.wait_ready(5)
    await watching(example_sim)
    store, view = example_sim.store, live.view
    pod_lists = lists_of(example_sim, "/pods")
    for round_ in range(ROUNDS):
        await example_sim.suspend()
        created = pod(f"storm-{round_}")
        created["metadata"] = {"name": f"storm-{round_}", "namespace": "jhub"}
        created["spec"]["nodeName"] = "std-1"  # type: ignore[index]
        store.create("pods", created)
        if round_:
            store.delete("pods", "jhub", f"storm-{round_ - 1}")
        example_sim.compact()  # nothing before this can be replayed: every watch gets 410
        await example_sim.resume()
        expected = len(list(store.items("pods")))
        await eventually(lambda e=expected: view.pod_count() == e, timeout=30)
        await eventually(lambda n=f"storm-{round_ - 1}": n not in pod_names(view), timeout=30)
        await eventually(lambda n=f"storm-{round_}": n in pod_names(view), timeout=30)
        assert view.known == set(ALL_KINDS)
        assert run_all(by_name["valid"], view, OFFLINE).allowed, round_
        assert not run_all(by_name["too-many-cpus"], view, OFFLINE).allowed, round_
    await watching(example_sim)  # one watch per kind again: none leaked by the relists
    relists = lists_of(example_sim, "/pods") - pod_lists
    assert ROUNDS <= relists <= 2 * ROUNDS, relists  # a relist per 410, not a relist loop
    print(f"410 storm: {ROUNDS} rounds, {relists} pod relists")


def pod_names(view: object) -> set[str]:
    # The view exposes counts and placements, not a pod list; its key set is what we compare.
    return {name for (_ns, name) in view._pods}  # type: ignore[attr-defined]
