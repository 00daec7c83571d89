"""Bad input never produces a traceback or a 500: every answer is a Status body."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prevalidate.testing.kubesim import KubeSim, parse_cluster

CLUSTER = "apiVersion: v1\nkind: Namespace\nmetadata: {name: jhub}\n"
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-10, 10**20), st.floats(allow_nan=False),
                    st.text(max_size=8), st.sampled_from(["1Gi", "100m", "1K", "-1", " 2 ", ""]))
JSON = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=12)
RESOURCES = st.dictionaries(st.sampled_from(["cpu", "memory", "nvidia.com/gpu", "pods", "x"]),
                            SCALARS, max_size=3)
CONTAINER = st.fixed_dictionaries({}, optional={
    "name": st.one_of(st.just("notebook"), SCALARS), "image": SCALARS,
    "resources": st.one_of(JSON, st.fixed_dictionaries({}, optional={
        "requests": st.one_of(RESOURCES, JSON), "limits": st.one_of(RESOURCES, JSON)})),
    "env": JSON, "volumeMounts": JSON})
POD = st.fixed_dictionaries({}, optional={
    "kind": st.sampled_from(["Pod", "Service", 3]),
    "metadata": st.one_of(JSON, st.fixed_dictionaries({"name": st.one_of(
        st.just("p"), st.text(max_size=5), SCALARS)}, optional={"namespace": SCALARS})),
    "spec": st.one_of(JSON, st.fixed_dictionaries({}, optional={
        "containers": st.one_of(JSON, st.lists(CONTAINER, max_size=2)),
        "initContainers": st.one_of(JSON, st.lists(CONTAINER, max_size=1)),
        "volumes": JSON, "nodeSelector": JSON, "tolerations": JSON, "overhead": JSON,
        "affinity": JSON}))})


def test_random_pod_bodies_get_status_answers_never_500() -> None:
    async def scenario(bodies: list[Any]) -> list[tuple[int, dict[str, Any]]]:
        async with KubeSim(parse_cluster(CLUSTER)) as sim, httpx.AsyncClient(base_url=sim.url) as http:
            answers = []
            for body in bodies:
                response = await http.post("/api/v1/namespaces/jhub/pods",
                                           content=json.dumps(body).encode(),
                                           headers={"Content-Type": "application/json"})
                answers.append((response.status_code, response.json()))
                # let the scheduler and kubelet chew on whatever was admitted
                await asyncio.sleep(0)
            return answers

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(POD, min_size=1, max_size=5))
    def check(bodies: list[Any]) -> None:
        for code, body in asyncio.run(scenario(bodies)):
            assert code in (201, 400, 403, 404, 409, 422), (code, body)
            if code != 201:
                assert body["kind"] == "Status" and body["code"] == code

    check()
