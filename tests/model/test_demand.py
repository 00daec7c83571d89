"""The pod as the apiserver sees it after defaulting: effective requests/limits (§1.4) and QoS (§1.7)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from factories import container, limit_item, limitrange, pod, sidecar

from prevalidate.model.demand import build_demand
from prevalidate.model.objects import LimitRangeInfo
from prevalidate.model.quantity import parse_quantity


def q(values: dict[str, str]) -> dict[str, Decimal]:
    return {k: parse_quantity(v) for k, v in values.items()}


@pytest.mark.parametrize(
    ("the_pod", "requests", "limits"),
    [
        pytest.param(
            pod(containers=[container("a", requests={"cpu": "1"}), container("b", requests={"cpu": "500m"})]),
            {"cpu": "1500m"},
            {},
            id="containers-add-up",
        ),
        pytest.param(
            pod(
                containers=[container(requests={"cpu": "1", "memory": "1Gi"})],
                init_containers=[container("init", requests={"cpu": "2", "memory": "512Mi"})],
            ),
            {"cpu": "2", "memory": "1Gi"},
            {},
            id="init-peak-per-resource",
        ),
        pytest.param(
            pod(
                containers=[container(requests={"cpu": "1"})],
                init_containers=[
                    container("init-1", requests={"cpu": "1"}),
                    sidecar("side", requests={"cpu": "1"}),
                    container("init-2", requests={"cpu": "2"}),
                ],
            ),
            {"cpu": "3"},
            {},
            id="sidecar-runs-beside-later-init-containers",
        ),
        pytest.param(
            pod(requests={"cpu": "1"}, limits={"memory": "1Gi"}, overhead={"cpu": "250m", "memory": "128Mi"}),
            {"cpu": "1250m", "memory": "1152Mi"},
            {"memory": "1152Mi"},
            id="overhead-on-every-request-but-only-existing-limits",
        ),
        pytest.param(
            pod(requests={"cpu": "1"}, limits={"cpu": "0", "memory": "0"}, overhead={"cpu": "250m"}),
            {"cpu": "1250m", "memory": "0"},
            {"cpu": "0", "memory": "0"},
            id="overhead-not-added-to-zero-limits",
        ),
        pytest.param(
            pod(requests={"cpu": "1", "memory": "1Gi"}, resources={"requests": {"cpu": "3"}}),
            {"cpu": "3", "memory": "1Gi"},
            {},
            id="pod-level-request-replaces-aggregate",
        ),
    ],
)
def test_effective_pod_requests_and_limits(
    the_pod: Any, requests: dict[str, str], limits: dict[str, str]
) -> None:
    demand = build_demand(the_pod)
    assert demand.requests == q(requests)
    assert demand.limits == q(limits)


def test_limitrange_pod_totals_exclude_overhead() -> None:
    demand = build_demand(pod(limits={"cpu": "1"}, overhead={"cpu": "250m"}))
    assert demand.requests_without_overhead == q({"cpu": "1"})
    assert demand.limits_without_overhead == q({"cpu": "1"})


GUARANTEED = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "1", "memory": "1Gi"}}


@pytest.mark.parametrize(
    ("the_pod", "ranges", "qos"),
    [
        pytest.param(pod(), [], "BestEffort", id="nothing-set"),
        pytest.param(pod(requests={"cpu": "0", "memory": "0"}), [], "BestEffort", id="zero-is-not-set"),
        pytest.param(
            pod(requests={"ephemeral-storage": "1Gi"}), [], "BestEffort", id="only-cpu-and-memory-count"
        ),
        pytest.param(pod(limits={"nvidia.com/gpu": "1"}), [], "BestEffort", id="extended-does-not-count"),
        pytest.param(
            pod(limits={"cpu": "1", "memory": "1Gi"}), [], "Guaranteed", id="limits-copied-to-requests"
        ),
        pytest.param(pod(**GUARANTEED), [], "Guaranteed", id="equal-requests-and-limits"),
        pytest.param(
            pod(requests={"cpu": "500m"}, limits={"cpu": "1", "memory": "1Gi"}), [], "Burstable", id="lower"
        ),
        pytest.param(pod(limits={"cpu": "1"}), [], "Burstable", id="memory-missing"),
        pytest.param(
            pod(containers=[container(**GUARANTEED)], init_containers=[container("init")]),
            [],
            "Burstable",
            id="init-container-without-limits",
        ),
        pytest.param(
            pod(containers=[container(**GUARANTEED)], init_containers=[container("init", **GUARANTEED)]),
            [],
            "Guaranteed",
            id="init-container-guaranteed-too",
        ),
        pytest.param(
            pod(),
            [limit_item(default={"cpu": "1", "memory": "1Gi"})],
            "Guaranteed",
            id="limitrange-default-only-gives-equal-request",
        ),
        pytest.param(
            pod(), [limit_item(defaultRequest={"cpu": "100m"})], "Burstable", id="limitrange-request"
        ),
    ],
)
def test_qos_class(the_pod: Any, ranges: list[Any], qos: str) -> None:
    limit_ranges = [LimitRangeInfo.from_dict(limitrange(*ranges))] if ranges else []
    assert build_demand(the_pod, limit_ranges).qos_class == qos


@pytest.mark.parametrize(
    ("requests", "limits", "reason"),
    [
        ({"nvidia.com/gpu": "1"}, None, "Limit must be set for non overcommitable resources"),
        ({"nvidia.com/gpu": "1"}, {"nvidia.com/gpu": "2"}, "must be equal to nvidia.com/gpu limit"),
        (None, {"nvidia.com/gpu": "0.5"}, "must be an integer"),
        ({"cpu": "2"}, {"cpu": "1"}, "must be less than or equal to cpu limit"),
        ({"memory": "-1"}, None, "must be greater than or equal to 0"),
    ],
    ids=[
        "gpu-request-without-limit",
        "gpu-request-not-limit",
        "gpu-fraction",
        "request-over-limit",
        "negative",
    ],
)
def test_values_the_apiserver_refuses_as_invalid(requests: Any, limits: Any, reason: str) -> None:
    (problem,) = build_demand(pod(requests=requests, limits=limits)).problems
    assert problem.code.value == "input-invalid"
    assert problem.facts["reason"] == reason


@pytest.mark.parametrize(
    ("requests", "limits"),
    [
        ({"cpu": "1"}, {"cpu": "1"}),
        (None, {"nvidia.com/gpu": "2"}),
        ({"memory": "0"}, None),
        ({"cpu": "1"}, None),
    ],
    ids=["request-equals-limit", "gpu-limit-only", "zero", "request-only"],
)
def test_values_the_apiserver_accepts_are_not_problems(requests: Any, limits: Any) -> None:
    assert build_demand(pod(requests=requests, limits=limits)).problems == ()
