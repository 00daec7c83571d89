"""Quotas the resourcequota controller has not synced yet are not enforced (issue 9, family 5).

kube-apiserver's quota admission reads nothing but ``status.hard`` and ``status.used``:
``generic.Matches`` (staging/src/k8s.io/apiserver/pkg/quota/v1/generic/evaluator.go) matches a
quota to a pod only when one of its ``status.hard`` resources is one the pod evaluator tracks,
and ``CheckRequest`` (staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/
controller.go) derives the constraints ("must specify") and the limits it compares from
``quota.ResourceNames(resourceQuota.Status.Hard)``. ``spec.hard`` reaches ``status.hard`` only
when the resourcequota controller syncs the quota (pkg/controller/resourcequota/
resource_quota_controller.go ``syncResourceQuota``; ``addQuota`` puts a quota whose spec and
status differ on its priority queue). Until then: no refusal, an info finding at most.

While an edit is being synced (spec and status both set, but different) we take, resource by
resource, the more permissive of the two states, so a quota an admin just raised does not
refuse what it is about to allow. Allowed rows outnumber refusals.
"""

from __future__ import annotations

from typing import Any

import pytest
from factories import container, new_claim, pod, verdict

NS = "jhub"
EIGHT_CPUS = pod(requests={"cpu": "8"})
NO_LIMITS = pod(containers=[container("notebook", requests={"cpu": "1"})])


def rq(spec: dict[str, str] | None, status: dict[str, Any] | None, **spec_extra: Any) -> dict[str, Any]:
    """A ResourceQuota with exactly the spec.hard and status given (None: the field is absent)."""
    obj: dict[str, Any] = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "compute", "namespace": NS},
        "spec": dict(spec_extra),
    }
    if spec is not None:
        obj["spec"]["hard"] = dict(spec)
    if status is not None:
        obj["status"] = status
    return obj


def _codes(the_pod: Any, objects: list[Any], claims: tuple = ()) -> list[tuple[str, str, str]]:
    v = verdict(the_pod, objects, checks=["quota"], new_claims=claims)
    return sorted((f.code.value, f.severity.value, f.subject) for f in v.findings)


NOT_SYNCED = ("quota-not-synced", "info", "compute")

ALLOWED = [
    pytest.param(EIGHT_CPUS, [rq({"requests.cpu": "4"}, None)], [NOT_SYNCED], id="new-quota-without-status"),
    pytest.param(
        EIGHT_CPUS,
        [rq({"requests.cpu": "4"}, {"hard": {}, "used": {}})],
        [NOT_SYNCED],
        id="status-hard-still-empty",
    ),
    pytest.param(
        EIGHT_CPUS,
        [rq({"pods": "0"}, {})],
        [NOT_SYNCED],
        id="pods-0-not-synced-admits-the-pod",
    ),
    pytest.param(
        EIGHT_CPUS,
        [rq({"requests.cpu": "4", "pods": "10"}, {"hard": {"pods": "10"}, "used": {"pods": "1"}})],
        [NOT_SYNCED],
        id="resource-added-to-spec-not-yet-in-status",
    ),
    pytest.param(
        EIGHT_CPUS,
        [rq({"requests.cpu": "16"}, {"hard": {"requests.cpu": "4"}, "used": {"requests.cpu": "0"}})],
        [],
        id="hard-raised-in-spec-controller-catching-up",
    ),
    pytest.param(
        EIGHT_CPUS,
        [rq({"pods": "10"}, {"hard": {"requests.cpu": "4", "pods": "10"}, "used": {"pods": "0"}})],
        [],
        id="resource-removed-from-spec-controller-catching-up",
    ),
    pytest.param(
        NO_LIMITS, [rq({"limits.cpu": "8"}, {})], [NOT_SYNCED], id="must-specify-not-required-before-sync"
    ),
    pytest.param(
        pod(requests={"cpu": "8"}, activeDeadlineSeconds=60),
        [rq({"requests.cpu": "4"}, {}, scopes=["NotTerminating"])],
        [],
        id="unsynced-quota-whose-scope-does-not-match-says-nothing",
    ),
    pytest.param(
        pod(),
        [rq({"requests.nvidia.com/gpu": "0"}, {})],
        [],
        id="unsynced-resource-the-pod-does-not-use-says-nothing",
    ),
]

REFUSED = [
    pytest.param(
        EIGHT_CPUS,
        [rq({"requests.cpu": "4"}, {"hard": {"requests.cpu": "4"}, "used": {"requests.cpu": "0"}})],
        [("quota-exceeded", "error", "requests.cpu")],
        id="synced-quota-is-enforced",
    ),
    pytest.param(
        EIGHT_CPUS,
        [rq({"requests.cpu": "2"}, {"hard": {"requests.cpu": "4"}, "used": {"requests.cpu": "0"}})],
        [("quota-exceeded", "error", "requests.cpu")],
        id="hard-lowered-in-spec-old-status-still-too-small",
    ),
    pytest.param(
        EIGHT_CPUS,
        [
            rq(
                {"requests.cpu": "4", "pods": "10"},
                {"hard": {"requests.cpu": "4"}, "used": {"requests.cpu": "0"}},
            )
        ],
        [("quota-exceeded", "error", "requests.cpu"), NOT_SYNCED],
        id="synced-resource-enforced-while-another-waits",
    ),
    pytest.param(
        NO_LIMITS,
        [rq({"limits.cpu": "8"}, {"hard": {"limits.cpu": "8"}, "used": {"limits.cpu": "0"}})],
        [("quota-must-specify", "error", "limits.cpu")],
        id="must-specify-once-synced",
    ),
]


@pytest.mark.parametrize(("the_pod", "objects", "expected"), ALLOWED)
def test_a_quota_the_controller_has_not_synced_never_refuses(
    the_pod: Any, objects: list[Any], expected: list[Any]
) -> None:
    assert _codes(the_pod, objects) == expected
    assert verdict(the_pod, objects, checks=["quota"]).allowed


@pytest.mark.parametrize(("the_pod", "objects", "expected"), REFUSED)
def test_what_status_hard_holds_is_enforced(the_pod: Any, objects: list[Any], expected: list[Any]) -> None:
    assert _codes(the_pod, objects) == expected
    assert not verdict(the_pod, objects, checks=["quota"]).allowed


def test_rows_allowed_outnumber_rows_refused() -> None:
    assert len(ALLOWED) >= len(REFUSED)


def test_not_synced_finding_names_the_quota_and_resources() -> None:
    objects = [rq({"requests.cpu": "4", "pods": "10"}, {"hard": {"pods": "10"}, "used": {"pods": "1"}})]
    (finding,) = verdict(EIGHT_CPUS, objects, checks=["quota"]).findings
    assert finding.facts == {
        "quota": "compute",
        "resources": ["requests.cpu"],
        "whole_quota": False,
        "object": "pod",
    }
    objects = [rq({"requests.cpu": "4"}, {})]
    (finding,) = verdict(EIGHT_CPUS, objects, checks=["quota"]).findings
    assert finding.facts["whole_quota"] is True
    assert finding.facts["resources"] == ["requests.cpu"]


@pytest.mark.parametrize(
    ("status", "allowed"),
    [
        pytest.param({}, True, id="claim-quota-not-synced"),
        pytest.param({"hard": {"persistentvolumeclaims": "0"}, "used": {}}, False, id="claim-quota-synced"),
    ],
)
def test_claims_kubespawner_creates_follow_the_same_rule(status: dict[str, Any], allowed: bool) -> None:
    """persistent_volume_claims.go evaluator through the same CheckRequest: status.hard only."""
    objects = [rq({"persistentvolumeclaims": "0"}, status)]
    v = verdict(pod(), objects, checks=["quota"], new_claims=(new_claim(),))
    assert v.allowed is allowed
    codes = {f.code.value for f in v.findings}
    assert codes == ({"quota-not-synced"} if allowed else {"quota-exceeded"})
