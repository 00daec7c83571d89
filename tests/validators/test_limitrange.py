"""LimitRanger: defaulting in the apiserver's order, then min / max / ratio (reference §0, §2)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from factories import container, limit_item, limitrange, new_claim, pod, pvc, sidecar, verdict, with_code

from prevalidate.model.demand import build_demand
from prevalidate.model.objects import LimitRangeInfo


def _violations(the_pod: Any, objects: Any, claims: tuple = ()) -> list[tuple[str, Any, Any, Any]]:
    v = verdict(the_pod, objects, checks=["limitrange"], new_claims=claims)
    return sorted(
        (f.code.value, f.facts.get("resource", f.subject), f.facts.get("bound"), f.facts.get("side"))
        for f in v.findings
    )


# ---- defaulting (§0 step 2, §2.1) --------------------------------------------------------------


def _defaulted(the_pod: Any, *items: Any) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    ranges = [LimitRangeInfo.from_dict(limitrange(*items))]
    c = build_demand(the_pod, ranges).containers[0]
    return dict(c.requests), dict(c.limits)


DEFAULTS = limit_item(default={"cpu": "1", "memory": "2Gi"}, defaultRequest={"cpu": "500m", "memory": "1Gi"})


@pytest.mark.parametrize(
    ("the_pod", "items", "requests", "limits"),
    [
        pytest.param(
            pod(limits={"cpu": "2"}),
            [DEFAULTS],
            {"cpu": "2", "memory": "1Gi"},
            {"cpu": "2", "memory": "2Gi"},
            id="limit-copied-to-request-before-limitrange-default-request",
        ),
        pytest.param(
            pod(requests={"cpu": "250m"}),
            [DEFAULTS],
            {"cpu": "250m", "memory": "1Gi"},
            {"cpu": "1", "memory": "2Gi"},
            id="request-kept-default-limit-added",
        ),
        pytest.param(
            pod(),
            [DEFAULTS],
            {"cpu": "500m", "memory": "1Gi"},
            {"cpu": "1", "memory": "2Gi"},
            id="both-defaulted",
        ),
        pytest.param(
            pod(),
            [limit_item(max={"memory": "8Gi"})],
            {"memory": "8Gi"},
            {"memory": "8Gi"},
            id="max-becomes-default",
        ),
        pytest.param(
            pod(),
            [limit_item(default={"cpu": "2"})],
            {"cpu": "2"},
            {"cpu": "2"},
            id="default-becomes-default-request",
        ),
        pytest.param(
            pod(), [limit_item(min={"cpu": "100m"})], {"cpu": "100m"}, {}, id="min-becomes-default-request"
        ),
        pytest.param(
            pod(),
            [
                limit_item("Pod", max={"cpu": "2"}),
                limit_item("PersistentVolumeClaim", max={"storage": "1Gi"}),
            ],
            {},
            {},
            id="pod-and-pvc-items-default-nothing",
        ),
    ],
)
def test_limitrange_defaults_apply_after_limit_to_request_copy(
    the_pod: Any, items: Any, requests: dict[str, str], limits: dict[str, str]
) -> None:
    from prevalidate.model.quantity import parse_quantity

    got_requests, got_limits = _defaulted(the_pod, *items)
    assert got_requests == {k: parse_quantity(v) for k, v in requests.items()}
    assert got_limits == {k: parse_quantity(v) for k, v in limits.items()}


def test_limitrange_defaults_apply_to_init_containers_and_sidecars() -> None:
    the_pod = pod(init_containers=[container("init"), sidecar()])
    demand = build_demand(the_pod, [LimitRangeInfo.from_dict(limitrange(DEFAULTS))])
    assert all(c.requests["cpu"] == Decimal("0.5") and c.limits["cpu"] == 1 for c in demand.containers)


def test_default_limit_below_the_users_request_is_refused_as_invalid() -> None:
    v = verdict(pod(requests={"cpu": "2"}), [limitrange(DEFAULTS)], checks=["limitrange"])
    (finding,) = with_code(v, "input-invalid")
    assert finding.facts["limit_defaulted"] is True
    assert (finding.facts["request"], finding.facts["limit"]) == (Decimal(2), Decimal(1))


# ---- validation (§2.2) --------------------------------------------------------------------------

ALLOWED = [
    pytest.param(pod(limits={"cpu": "2"}), [limit_item(max={"cpu": "2"})], id="container-max-exact-boundary"),
    pytest.param(
        pod(requests={"memory": "512Mi"}),
        [limit_item(min={"memory": "0.5Gi"})],
        id="container-min-exact-boundary",
    ),
    pytest.param(pod(), [limit_item(max={"memory": "8Gi"})], id="container-max-only-defaults-limit-to-max"),
    pytest.param(pod(), [limit_item(min={"cpu": "1"})], id="container-min-only-defaults-request-to-min"),
    pytest.param(
        pod(limits={"cpu": "2"}),
        [limit_item(min={"cpu": "1"}, defaultRequest={"cpu": "100m"})],
        id="limit-copied-to-request-meets-min-not-default-request",
    ),
    pytest.param(pod(), [limit_item(max={"cpu": "2"}, default={"cpu": "1"})], id="default-limit-within-max"),
    pytest.param(
        pod(requests={"cpu": "1"}, limits={"cpu": "4"}),
        [limit_item(maxLimitRequestRatio={"cpu": "4"})],
        id="ratio-exact-boundary",
    ),
    pytest.param(
        pod(limits={"memory": "1Gi"}),
        [limit_item(maxLimitRequestRatio={"memory": "1"})],
        id="ratio-one-equal",
    ),
    pytest.param(
        pod(containers=[container("a", limits={"cpu": "2"}), container("b", limits={"cpu": "2"})]),
        [limit_item("Pod", max={"cpu": "4"})],
        id="pod-max-sum-exact-boundary",
    ),
    pytest.param(
        pod(
            containers=[container(limits={"cpu": "1"})],
            init_containers=[container("init", limits={"cpu": "3"})],
        ),
        [limit_item("Pod", max={"cpu": "3"})],
        id="pod-max-init-container-peak-not-sum",
    ),
    pytest.param(
        pod(limits={"cpu": "2"}, overhead={"cpu": "500m"}),
        [limit_item("Pod", max={"cpu": "2"})],
        id="pod-max-excludes-overhead",
    ),
    pytest.param(
        pod(containers=[container("a", requests={"cpu": "1"}), container("b", requests={"cpu": "1"})]),
        [limit_item("Pod", min={"cpu": "2"})],
        id="pod-min-on-total",
    ),
    pytest.param(pod(limits={"cpu": "4"}), [limit_item(max={"memory": "8Gi"})], id="max-on-other-resource"),
    pytest.param(
        pod(claims=["big-claim"]),
        [limit_item("PersistentVolumeClaim", max={"storage": "1Gi"})],
        id="pvc-item-ignores-existing-claims",
    ),
    pytest.param(pod(), [], id="no-limitrange"),
]

REJECTED = [
    pytest.param(
        pod(limits={"cpu": "2001m"}),
        [limit_item(max={"cpu": "2"})],
        [("limitrange-violation", "cpu", "max", "limit")],
        id="container-max-limit-over",
    ),
    pytest.param(
        pod(requests={"memory": "511Mi"}),
        [limit_item(min={"memory": "512Mi"})],
        [("limitrange-violation", "memory", "min", "request")],
        id="container-min-request-under",
    ),
    pytest.param(
        pod(
            containers=[container(limits={"cpu": "1"})],
            init_containers=[container("init", limits={"cpu": "3"})],
        ),
        [limit_item(max={"cpu": "2"})],
        [("limitrange-violation", "cpu", "max", "limit")],
        id="container-max-applies-to-init-containers",
    ),
    pytest.param(
        pod(requests={"cpu": "1"}, limits={"cpu": "5"}),
        [limit_item(maxLimitRequestRatio={"cpu": "4"})],
        [("limitrange-violation", "cpu", "ratio", "ratio")],
        id="ratio-over",
    ),
    pytest.param(
        pod(requests={"cpu": "0"}, limits={"cpu": "1"}),
        [limit_item(maxLimitRequestRatio={"cpu": "4"})],
        [("limitrange-violation", "cpu", "ratio", "request")],
        id="ratio-request-zero",
    ),
    pytest.param(
        pod(requests={"cpu": "1"}),
        [limit_item(maxLimitRequestRatio={"cpu": "4"})],
        [("limitrange-violation", "cpu", "ratio", "limit")],
        id="ratio-no-limit",
    ),
    pytest.param(
        pod(requests={"memory": "1Gi"}),
        [limit_item("Pod", max={"memory": "8Gi"})],
        [("limitrange-violation", "memory", "max", "limit")],
        id="pod-max-requires-a-limit",
    ),
    pytest.param(
        pod(
            containers=[container("a", limits={"cpu": "2"})],
            init_containers=[sidecar(limits={"cpu": "1"})],
        ),
        [limit_item("Pod", max={"cpu": "2"})],
        [("limitrange-violation", "cpu", "max", "limit")],
        id="pod-max-sidecar-adds-to-containers",
    ),
    pytest.param(
        pod(),
        [limit_item("Pod", min={"cpu": "1"})],
        [("limitrange-violation", "cpu", "min", "request")],
        id="pod-min-no-request",
    ),
]


@pytest.mark.parametrize(("the_pod", "items"), ALLOWED)
def test_limitrange_allows(the_pod: Any, items: Any) -> None:
    objects = [limitrange(*items)] if items else []
    objects.append(pvc("big-claim", storage="100Gi"))
    assert _violations(the_pod, objects) == []


@pytest.mark.parametrize(("the_pod", "items", "expected"), REJECTED)
def test_limitrange_rejects(the_pod: Any, items: Any, expected: Any) -> None:
    v = verdict(the_pod, [limitrange(*items)], checks=["limitrange"])
    assert _violations(the_pod, [limitrange(*items)]) == expected
    assert not v.allowed


def test_limitrange_reports_every_violation_across_containers() -> None:
    the_pod = pod(
        containers=[
            container("a", limits={"cpu": "4", "memory": "16Gi"}),
            container("b", limits={"cpu": "3"}),
        ]
    )
    v = verdict(the_pod, [limitrange(limit_item(max={"cpu": "2", "memory": "8Gi"}))], checks=["limitrange"])
    got = sorted((f.facts["container"], f.subject) for f in v.findings)
    assert got == [("a", "cpu"), ("a", "memory"), ("b", "cpu")]


def test_limitrange_violation_carries_enforced_and_observed_values() -> None:
    v = verdict(
        pod(limits={"memory": "16Gi"}), [limitrange(limit_item(max={"memory": "8Gi"}))], checks=["limitrange"]
    )
    (finding,) = v.findings
    assert finding.facts["enforced"] == 8 * 2**30
    assert finding.facts["observed"] == 16 * 2**30
    assert finding.facts["limitrange"] == "limits"


def test_limitrange_in_another_namespace_is_ignored() -> None:
    other = limitrange(limit_item(max={"cpu": "1"}), namespace="other")
    assert _violations(pod(limits={"cpu": "4"}), [other]) == []


@pytest.mark.parametrize(
    ("storage", "expected"),
    [
        pytest.param("10Gi", [], id="new-claim-at-max"),
        pytest.param("1Gi", [], id="new-claim-at-min"),
        pytest.param(
            "11Gi", [("limitrange-violation", "storage", "max", "request")], id="new-claim-over-max"
        ),
        pytest.param(
            "512Mi", [("limitrange-violation", "storage", "min", "request")], id="new-claim-under-min"
        ),
    ],
)
def test_limitrange_pvc_item_checks_new_claims(storage: str, expected: Any) -> None:
    lr = limitrange(limit_item("PersistentVolumeClaim", min={"storage": "1Gi"}, max={"storage": "10Gi"}))
    assert _violations(pod(), [lr], (new_claim(storage=storage),)) == expected
