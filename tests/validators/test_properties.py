"""Monotonicity: more room never turns an allowed spawn into a rejected one, and a busier
cluster never turns a rejected spawn into an allowed one. Plus: a view kept current by events
decides exactly like a view built from scratch."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from factories import base_objects, cluster, node, only, pairs, pod, pool, quota, verdict
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CHECKS = ("quota", "capacity", "limitrange", "namespace")


@dataclass(frozen=True)
class Node:
    cpu_m: int
    mem_mi: int
    pods: int
    pool: str


@dataclass(frozen=True)
class Running:
    node: int | None  # index into nodes; None = not bound yet
    cpu_m: int
    mem_mi: int
    phase: str


@dataclass(frozen=True)
class Quota:
    hard_cpu_m: int
    used_cpu_m: int
    hard_pods: int
    used_pods: int


@dataclass(frozen=True)
class World:
    nodes: tuple[Node, ...]
    running: tuple[Running, ...]
    quota: Quota | None
    ask_cpu_m: int
    ask_mem_mi: int
    selector: str | None
    pools: tuple[Node, ...] = field(default=())
    policy: str = "reject"

    def objects(self) -> list[dict[str, Any]]:
        objs = base_objects()
        for i, n in enumerate(self.nodes):
            objs.append(node(f"n{i}", f"{n.cpu_m}m", f"{n.mem_mi}Mi", str(n.pods), labels={"pool": n.pool}))
        for j, r in enumerate(self.running):
            on = f"n{r.node}" if r.node is not None and r.node < len(self.nodes) else None
            requests = {"cpu": f"{r.cpu_m}m", "memory": f"{r.mem_mi}Mi"}
            objs.append(pod(f"other-{j}", requests=requests, node_name=on, phase=r.phase))
        if self.quota is not None:
            q = self.quota
            hard = {"requests.cpu": f"{q.hard_cpu_m}m", "pods": str(q.hard_pods)}
            objs.append(quota(hard, {"requests.cpu": f"{q.used_cpu_m}m", "pods": str(q.used_pods)}))
        return objs

    def allowed(self) -> bool:
        spec: dict[str, Any] = {"nodeSelector": {"pool": self.selector}} if self.selector else {}
        asking = pod(requests={"cpu": f"{self.ask_cpu_m}m", "memory": f"{self.ask_mem_mi}Mi"}, **spec)
        pools = tuple(
            pool(f"pool-{i}", cpu=f"{p.cpu_m}m", memory=f"{p.mem_mi}Mi", labels={"pool": p.pool})
            for i, p in enumerate(self.pools)
        )
        return verdict(
            asking, self.objects(), settings=only(*CHECKS, node_pools=pools, capacity_policy=self.policy)
        ).allowed


POOLS = st.sampled_from(["a", "b"])
nodes = st.builds(Node, st.integers(0, 8000), st.integers(0, 16384), st.integers(0, 4), POOLS)
running = st.builds(
    Running,
    st.one_of(st.none(), st.integers(0, 2)),
    st.integers(0, 4000),
    st.integers(0, 8192),
    st.sampled_from(["Running", "Running", "Pending", "Succeeded", "Failed"]),
)
quotas = st.one_of(
    st.none(),
    st.builds(Quota, st.integers(0, 16000), st.integers(0, 16000), st.integers(0, 6), st.integers(0, 6)),
)
worlds = st.builds(
    World,
    st.lists(nodes, max_size=3).map(tuple),
    st.lists(running, max_size=4).map(tuple),
    quotas,
    st.integers(0, 8000),
    st.integers(0, 16384),
    st.one_of(st.none(), POOLS),
    st.lists(nodes, max_size=1).map(tuple),
    st.sampled_from(["reject", "warn"]),
)


@st.composite
def roomier(draw: st.DrawFn, world: World) -> World:
    """The same world with more room in one way."""
    choices = ["quota-hard", "quota-used", "remove-pod", "add-node", "grow-node", "policy"]
    how = draw(st.sampled_from(choices))
    more = draw(st.integers(1, 8000))
    if how == "grow-node" and world.nodes:
        i = draw(st.integers(0, len(world.nodes) - 1))
        n = world.nodes[i]
        grown = replace(
            n, cpu_m=n.cpu_m + more, mem_mi=n.mem_mi + more, pods=n.pods + draw(st.integers(0, 2))
        )
        return replace(world, nodes=(*world.nodes[:i], grown, *world.nodes[i + 1 :]))
    if how == "remove-pod" and world.running:
        i = draw(st.integers(0, len(world.running) - 1))
        return replace(world, running=world.running[:i] + world.running[i + 1 :])
    if how == "quota-hard" and world.quota:
        q = world.quota
        return replace(world, quota=replace(q, hard_cpu_m=q.hard_cpu_m + more, hard_pods=q.hard_pods + 1))
    if how == "quota-used" and world.quota:
        q = world.quota
        used = replace(q, used_cpu_m=max(0, q.used_cpu_m - more), used_pods=max(0, q.used_pods - 1))
        return replace(world, quota=used)
    if how == "policy":
        return replace(world, policy="warn")
    return replace(world, nodes=(*world.nodes, draw(nodes))) if len(world.nodes) < 3 else world


@FAST
@given(st.data())
def test_more_room_never_turns_an_allow_into_a_reject(data: st.DataObject) -> None:
    world = data.draw(worlds)
    bigger = data.draw(roomier(world))
    if world.allowed():
        assert bigger.allowed(), (world, bigger)


@FAST
@given(worlds, st.integers(0, 2), st.integers(0, 4000), st.integers(0, 8192))
def test_another_running_pod_never_turns_a_reject_into_an_allow(
    world: World, on: int, cpu_m: int, mem_mi: int
) -> None:
    busier = replace(world, running=(*world.running, Running(on, cpu_m, mem_mi, "Running")))
    if not world.allowed():
        assert not busier.allowed(), (world, busier)


# ---- a view kept current by events equals a view built from scratch ----------------------------------

events = st.lists(
    st.tuples(
        st.sampled_from(["apply-node", "remove-node", "apply-pod", "remove-pod"]),
        st.integers(0, 2),  # which node / pod
        st.integers(1, 8000),
        st.sampled_from(["Running", "Succeeded", "Pending"]),
        st.integers(0, 2),  # node of the pod
    ),
    max_size=25,
)


@FAST
@given(events, st.integers(0, 8000))
def test_incremental_view_decides_like_a_fresh_one(steps: list[Any], ask_cpu_m: int) -> None:
    live = cluster(*base_objects())
    state: dict[tuple[str, str], dict[str, Any]] = {}
    for action, index, cpu_m, phase, on in steps:
        if action == "apply-node":
            obj = node(f"n{index}", f"{cpu_m}m", pods="3")
            live.apply(obj)
            state[("Node", f"n{index}")] = obj
        elif action == "remove-node":
            live.remove(node(f"n{index}"))
            state.pop(("Node", f"n{index}"), None)
        elif action == "apply-pod":
            obj = pod(f"p{index}", requests={"cpu": f"{cpu_m}m"}, node_name=f"n{on}", phase=phase)
            live.apply(obj)
            state[("Pod", f"p{index}")] = obj
        else:
            live.remove(pod(f"p{index}"))
            state.pop(("Pod", f"p{index}"), None)
    fresh = cluster(*base_objects(), *state.values())
    asking = pod(requests={"cpu": f"{ask_cpu_m}m"})
    assert pairs(verdict(asking, view=live, checks=["capacity"])) == pairs(
        verdict(asking, view=fresh, checks=["capacity"])
    )
    for name, usage in live.usage.items():
        expected = fresh.usage.get(name)
        if expected is None:
            assert usage.pods == 0 and not any(usage.requested.values())
        else:
            assert (usage.pods, {k: v for k, v in usage.requested.items() if v}) == (
                expected.pods,
                {k: v for k, v in expected.requested.items() if v},
            )
