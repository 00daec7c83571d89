"""What ResourceQuota admission charges the pod and where the boundary is (reference §1.3,
§1.4, §1.6).

Each row is a pod, the namespace objects, and what the quota plugin would say: nothing (the
pod is admitted) or the (code, resource) pairs it refuses. Allowed rows outnumber rejections:
a false rejection of a valid spawn is the worst bug we can ship.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from factories import (
    container,
    limit_item,
    limitrange,
    pod,
    quota,
    sidecar,
    verdict,
    with_code,
)

from .quota_cases import GPU, KUBESPAWNER, exceeded, quota_findings

# ---- arithmetic: what the pod is charged and where the boundary is (§1.3, §1.4, §1.6) --------

ALLOWED = [
    pytest.param(
        pod(requests={"cpu": "2"}),
        [quota({"requests.cpu": "32"}, {"requests.cpu": "30"})],
        id="exact-boundary-cpu",
    ),
    pytest.param(
        KUBESPAWNER, [quota({"count/pods": "5"}, {"count/pods": "4"})], id="exact-boundary-count-pods"
    ),
    pytest.param(KUBESPAWNER, [quota({"pods": "5"}, {"pods": "4"})], id="exact-boundary-pods"),
    pytest.param(
        pod(requests={"memory": "512Mi"}),
        [quota({"requests.memory": "2Gi"}, {"requests.memory": "1536Mi"})],
        id="mixed-notation-1536Mi-plus-512Mi-is-2Gi",
    ),
    pytest.param(
        pod(requests={"memory": "0.5Gi"}),
        [quota({"requests.memory": "2147483648"}, {"requests.memory": "1610612736"})],
        id="mixed-notation-bytes-and-fractional-Gi",
    ),
    pytest.param(
        pod(requests={"memory": "536870912"}),
        [quota({"memory": "2Gi"}, {"memory": "1.5Gi"})],
        id="mixed-notation-plain-memory-key",
    ),
    pytest.param(
        pod(requests={"cpu": "500m"}),
        [quota({"cpu": "1.5"}, {"cpu": "1000m"})],
        id="mixed-notation-milli-cpu",
    ),
    pytest.param(
        pod(limits={"memory": "1Gi"}),
        [quota({"requests.memory": "1Gi", "limits.memory": "1Gi"})],
        id="limit-copied-to-request-satisfies-must-specify",
    ),
    pytest.param(
        pod(),
        [
            limitrange(
                limit_item(
                    default={"cpu": "1", "memory": "1Gi"}, defaultRequest={"cpu": "500m", "memory": "512Mi"}
                )
            ),
            quota({"requests.cpu": "1", "limits.cpu": "1", "requests.memory": "1Gi", "limits.memory": "1Gi"}),
        ],
        id="limitrange-defaults-satisfy-must-specify",
    ),
    pytest.param(
        pod(),
        [limitrange(limit_item(max={"cpu": "2"})), quota({"requests.cpu": "2", "limits.cpu": "2"})],
        id="limitrange-max-becomes-default-and-satisfies-must-specify",
    ),
    pytest.param(
        pod(
            containers=[container(requests={"cpu": "1"})],
            init_containers=[container("init", requests={"cpu": "4"})],
        ),
        [quota({"requests.cpu": "4"})],
        id="init-container-peak-not-sum",
    ),
    pytest.param(
        pod(
            containers=[container(requests={"cpu": "1"})],
            init_containers=[
                container("init-a", requests={"cpu": "3"}),
                container("init-b", requests={"cpu": "2"}),
            ],
        ),
        [quota({"requests.cpu": "3"})],
        id="init-containers-run-one-at-a-time",
    ),
    pytest.param(
        pod(
            containers=[container(requests={"cpu": "2"})],
            init_containers=[container("init", requests={"cpu": "1"}), sidecar(requests={"cpu": "1"})],
        ),
        [quota({"requests.cpu": "3"})],
        id="sidecar-after-init-adds-to-containers-only",
    ),
    pytest.param(
        pod(requests={"cpu": "1750m"}, overhead={"cpu": "250m"}),
        [quota({"requests.cpu": "2"})],
        id="overhead-exact-boundary",
    ),
    pytest.param(
        pod(requests={"cpu": "1"}, limits={"memory": "1Gi"}, overhead={"cpu": "250m", "memory": "128Mi"}),
        [quota({"limits.memory": "1152Mi", "requests.cpu": "1250m"})],
        id="overhead-added-to-existing-limit-at-boundary",
    ),
    pytest.param(
        pod(limits={GPU: "1"}),
        [quota({f"requests.{GPU}": "2"}, {f"requests.{GPU}": "1"})],
        id="extended-requests-exact-boundary",
    ),
    pytest.param(
        pod(requests={"cpu": "1", "memory": "1Gi"}, limits={"hugepages-2Mi": "512Mi"}),
        [quota({"requests.hugepages-2Mi": "1Gi", "hugepages-2Mi": "1Gi"}, {"hugepages-2Mi": "512Mi"})],
        id="hugepages-exact-boundary",
    ),
    pytest.param(
        pod(requests={"cpu": "0"}),
        [quota({"requests.cpu": "1"}, {"requests.cpu": "2"})],
        id="zero-request-is-not-charged",
    ),
    pytest.param(
        pod(requests={"cpu": "1"}),
        [
            quota({"requests.cpu": "4"}, {"requests.cpu": "3"}),
            quota({"pods": "3"}, {"pods": "2"}, name="pods"),
        ],
        id="two-quotas-both-at-boundary",
    ),
    pytest.param(
        pod(requests={"cpu": "1", "memory": "1Gi"}),
        [
            quota(
                {
                    f"requests.{GPU}": "0",
                    "requests.ephemeral-storage": "0",
                    "limits.ephemeral-storage": "0",
                    "requests.hugepages-2Mi": "0",
                }
            )
        ],
        id="extended-storage-hugepages-are-never-must-specify",
    ),
    pytest.param(
        pod(containers=[container(limits={"cpu": "1"})], init_containers=[container("init"), sidecar()]),
        [limitrange(limit_item(default={"cpu": "1"})), quota({"requests.cpu": "3", "limits.cpu": "3"})],
        id="limitrange-defaults-cover-init-containers-and-sidecars",
    ),
]

REJECTED = [
    pytest.param(
        pod(requests={"cpu": "2001m"}),
        [quota({"requests.cpu": "32"}, {"requests.cpu": "30"})],
        exceeded("requests.cpu"),
        id="one-millicpu-over",
    ),
    pytest.param(
        KUBESPAWNER,
        [quota({"count/pods": "5"}, {"count/pods": "5"})],
        exceeded("count/pods"),
        id="count-pods-full",
    ),
    pytest.param(KUBESPAWNER, [quota({"pods": "5"}, {"pods": "5"})], exceeded("pods"), id="pods-full"),
    pytest.param(
        pod(requests={"memory": "513Mi"}),
        [quota({"requests.memory": "2Gi"}, {"requests.memory": "1610612736"})],
        exceeded("requests.memory"),
        id="mixed-notation-one-mebibyte-over",
    ),
    pytest.param(
        pod(requests={"cpu": "1"}, limits={"cpu": "4"}),
        [quota({"requests.cpu": "8", "limits.cpu": "8"}, {"requests.cpu": "2", "limits.cpu": "6"})],
        exceeded("limits.cpu"),
        id="limit-over-request-within",
    ),
    pytest.param(
        pod(limits={"cpu": "1"}),
        [quota({"requests.cpu": "1", "limits.memory": "1Gi"})],
        [("quota-must-specify", "limits.memory")],
        id="must-specify-limit-missing",
    ),
    pytest.param(
        pod(containers=[container(requests={"cpu": "1"})], init_containers=[container("init")]),
        [quota({"requests.cpu": "4"})],
        [("quota-must-specify", "requests.cpu")],
        id="must-specify-init-container-missing",
    ),
    pytest.param(
        pod(
            containers=[container(requests={"cpu": "1"})],
            init_containers=[container("init", requests={"cpu": "5"})],
        ),
        [quota({"requests.cpu": "4"})],
        exceeded("requests.cpu"),
        id="init-container-peak-over",
    ),
    pytest.param(
        pod(
            containers=[container(requests={"cpu": "1"})],
            init_containers=[sidecar(requests={"cpu": "1"}), container("init", requests={"cpu": "3"})],
        ),
        [quota({"requests.cpu": "3500m"})],
        exceeded("requests.cpu"),
        id="init-after-sidecar-runs-beside-it",
    ),
    pytest.param(
        pod(requests={"cpu": "2"}, overhead={"cpu": "250m"}),
        [quota({"requests.cpu": "2"})],
        exceeded("requests.cpu"),
        id="overhead-pushes-over",
    ),
    pytest.param(
        pod(limits={GPU: "2"}),
        [quota({f"requests.{GPU}": "2"}, {f"requests.{GPU}": "1"})],
        exceeded(f"requests.{GPU}"),
        id="extended-requests-over",
    ),
    pytest.param(
        pod(),
        [
            limitrange(limit_item(defaultRequest={"cpu": "1"})),
            quota({"requests.cpu": "1"}, {"requests.cpu": "500m"}),
        ],
        exceeded("requests.cpu"),
        id="limitrange-default-request-is-charged",
    ),
    pytest.param(
        pod(containers=[container(limits={"cpu": "1"})], init_containers=[sidecar()]),
        [quota({"limits.cpu": "4"})],
        [("quota-must-specify", "limits.cpu")],
        id="must-specify-sidecar-missing",
    ),
    pytest.param(
        pod(requests={"ephemeral-storage": "11Gi"}),
        [quota({"requests.ephemeral-storage": "10Gi"})],
        exceeded("requests.ephemeral-storage"),
        id="ephemeral-storage-over",
    ),
]


@pytest.mark.parametrize(("the_pod", "objects"), ALLOWED)
def test_quota_allows_pod_within_hard(the_pod: Any, objects: Any) -> None:
    assert quota_findings(the_pod, objects) == []


@pytest.mark.parametrize(("the_pod", "objects", "expected"), REJECTED)
def test_quota_rejects_pod_over_hard(the_pod: Any, objects: Any, expected: Any) -> None:
    findings = quota_findings(the_pod, objects)
    assert findings == expected
    v = verdict(the_pod, objects, checks=["quota"])
    assert not v.allowed


def test_quota_exceeded_finding_carries_requested_used_hard_and_what_is_left() -> None:
    v = verdict(
        pod(requests={"cpu": "8"}), [quota({"requests.cpu": "32"}, {"requests.cpu": "26"})], checks=["quota"]
    )
    (finding,) = with_code(v, "quota-exceeded")
    assert finding.severity.value == "error"
    facts = finding.facts
    assert (facts["quota"], facts["resource"]) == ("compute", "requests.cpu")
    assert (facts["requested"], facts["used"], facts["hard"], facts["available"]) == (
        Decimal(8),
        Decimal(26),
        Decimal(32),
        Decimal(6),
    )


def test_quota_must_specify_names_every_container_missing_the_value() -> None:
    the_pod = pod(
        containers=[container("notebook"), container("proxy", limits={"memory": "1Gi"})],
        init_containers=[container("init-home")],
    )
    v = verdict(the_pod, [quota({"requests.memory": "8Gi"})], checks=["quota"])
    (finding,) = with_code(v, "quota-must-specify")
    assert finding.facts["containers"] == ["init-home", "notebook"]


def test_quota_reports_every_exceeded_resource_of_every_quota() -> None:
    objects = [
        quota(
            {"requests.cpu": "4", "requests.memory": "4Gi"}, {"requests.cpu": "4", "requests.memory": "4Gi"}
        ),
        quota({"pods": "1"}, {"pods": "1"}, name="count"),
    ]
    findings = quota_findings(pod(requests={"cpu": "1", "memory": "1Gi"}), objects)
    assert findings == exceeded("pods", "requests.cpu", "requests.memory")
