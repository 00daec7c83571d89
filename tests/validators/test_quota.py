"""ResourceQuota admission for the pod and the PVCs the spawner creates (reference §1).

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
    new_claim,
    pod,
    priority_class,
    quota,
    scope,
    sidecar,
    storage_class,
    verdict,
    with_code,
)

Q = {"requests.cpu": "4", "pods": "10"}  # a quota the test pods would exceed if it applied
BURSTABLE = {"requests": {"cpu": "8"}}
KUBESPAWNER = pod(**BURSTABLE)  # no activeDeadlineSeconds, no priority class, no affinity
CROSS_NS_AFFINITY = {
    "podAntiAffinity": {
        "preferredDuringSchedulingIgnoredDuringExecution": [
            {
                "weight": 1,
                "podAffinityTerm": {"topologyKey": "kubernetes.io/hostname", "namespaceSelector": {}},
            }
        ]
    }
}
SAME_NS_AFFINITY = {
    "podAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": [
            {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"a": "b"}}}
        ]
    }
}
GPU = "nvidia.com/gpu"


def _quota_findings(the_pod: dict[str, Any], objects: list[dict[str, Any]], claims: tuple = ()) -> list:
    v = verdict(the_pod, objects, checks=["quota"], new_claims=claims)
    return sorted((f.code.value, f.subject) for f in v.findings)


def exceeded(*resources: str) -> list[tuple[str, str]]:
    return sorted(("quota-exceeded", r) for r in resources)


# ---- scopes that do not match the pod: the quota is not applied at all (§1.7) ---------------

NOT_MATCHING = [
    pytest.param(
        KUBESPAWNER, [quota(Q, scopes=["Terminating"])], id="terminating-scope-pod-without-deadline"
    ),
    pytest.param(
        pod(**BURSTABLE, activeDeadlineSeconds=3600),
        [quota(Q, scopes=["NotTerminating"])],
        id="not-terminating-scope-pod-with-deadline",
    ),
    pytest.param(
        pod(**BURSTABLE, activeDeadlineSeconds=-1),
        [quota(Q, scopes=["Terminating"])],
        id="terminating-scope-negative-deadline-is-not-terminating",
    ),
    pytest.param(KUBESPAWNER, [quota(Q, scopes=["BestEffort"])], id="best-effort-scope-burstable-pod"),
    pytest.param(
        pod(requests={"cpu": "1", "memory": "1Gi"}, limits={"cpu": "1", "memory": "1Gi"}),
        [quota({"pods": "0"}, scopes=["BestEffort"])],
        id="best-effort-scope-guaranteed-pod",
    ),
    pytest.param(
        pod(), [quota({"pods": "0"}, scopes=["NotBestEffort"])], id="not-best-effort-scope-best-effort-pod"
    ),
    pytest.param(
        pod(requests={"cpu": "0", "ephemeral-storage": "1Gi"}),
        [quota({"pods": "0"}, scopes=["NotBestEffort"])],
        id="not-best-effort-zero-cpu-and-storage-only-is-best-effort",
    ),
    pytest.param(
        KUBESPAWNER,
        [quota(Q, selector=[scope("PriorityClass", "In", "high")])],
        id="priority-in-pod-without-class",
    ),
    pytest.param(
        pod(**BURSTABLE, priorityClassName="low"),
        [quota(Q, selector=[scope("PriorityClass", "In", "high")])],
        id="priority-in-other-class",
    ),
    pytest.param(
        pod(**BURSTABLE, priorityClassName="low"),
        [quota(Q, selector=[scope("PriorityClass", "NotIn", "low", "lower")])],
        id="priority-notin-listed-class",
    ),
    pytest.param(
        KUBESPAWNER, [quota(Q, selector=[scope("PriorityClass", "Exists")])], id="priority-exists-no-class"
    ),
    pytest.param(KUBESPAWNER, [quota(Q, scopes=["PriorityClass"])], id="priority-in-spec-scopes-no-class"),
    pytest.param(
        pod(**BURSTABLE, priorityClassName="low"),
        [quota(Q, selector=[scope("PriorityClass", "DoesNotExist")])],
        id="priority-does-not-exist-pod-with-class",
    ),
    pytest.param(
        KUBESPAWNER,
        [
            priority_class("normal", global_default=True),
            quota(Q, selector=[scope("PriorityClass", "DoesNotExist")]),
        ],
        id="priority-does-not-exist-but-global-default-fills-class",
    ),
    pytest.param(
        KUBESPAWNER,
        [
            priority_class("normal", global_default=True),
            quota(Q, selector=[scope("PriorityClass", "In", "high")]),
        ],
        id="priority-in-global-default-is-another-class",
    ),
    pytest.param(
        KUBESPAWNER,
        [
            priority_class("normal", global_default=True),
            quota(Q, selector=[scope("PriorityClass", "NotIn", "normal")]),
        ],
        id="priority-notin-global-default-class",
    ),
    pytest.param(
        KUBESPAWNER, [quota(Q, scopes=["CrossNamespacePodAffinity"])], id="cross-namespace-scope-no-affinity"
    ),
    pytest.param(
        pod(**BURSTABLE, affinity=SAME_NS_AFFINITY),
        [quota(Q, scopes=["CrossNamespacePodAffinity"])],
        id="cross-namespace-scope-same-namespace-affinity",
    ),
    pytest.param(
        KUBESPAWNER,
        [quota(Q, scopes=["NotTerminating", "BestEffort"])],
        id="scopes-and-together-one-fails",
    ),
    pytest.param(KUBESPAWNER, [quota(Q, namespace="other")], id="quota-in-another-namespace"),
    pytest.param(
        pod(),
        [limitrange(limit_item(defaultRequest={"cpu": "100m"})), quota({"pods": "0"}, scopes=["BestEffort"])],
        id="best-effort-scope-limitrange-default-makes-pod-burstable",
    ),
    pytest.param(
        pod(containers=[container()], init_containers=[container("init", requests={"memory": "1Gi"})]),
        [quota({"pods": "0"}, scopes=["BestEffort"])],
        id="best-effort-scope-init-container-request-counts-for-qos",
    ),
    pytest.param(
        pod(**BURSTABLE, priorityClassName="high"),
        [
            priority_class("normal", global_default=True),
            quota(Q, selector=[scope("PriorityClass", "In", "normal")]),
        ],
        id="priority-global-default-does-not-replace-own-class",
    ),
    pytest.param(
        pod(limits={GPU: "1"}),
        [quota({f"limits.{GPU}": "0"})],
        id="limits-extended-resource-is-not-tracked",
    ),
    pytest.param(
        KUBESPAWNER,
        [quota({"services": "0", "requests.storage": "0", f"limits.{GPU}": "0"})],
        id="quota-without-pod-resources-does-not-apply",
    ),
]


@pytest.mark.parametrize(("the_pod", "objects"), NOT_MATCHING)
def test_quota_whose_scope_or_resources_do_not_match_the_pod_allows(the_pod: Any, objects: Any) -> None:
    assert _quota_findings(the_pod, objects) == []


MATCHING = [
    pytest.param(
        pod(**BURSTABLE, activeDeadlineSeconds=0),
        [quota(Q, scopes=["Terminating"])],
        id="terminating-scope-zero-deadline",
    ),
    pytest.param(KUBESPAWNER, [quota(Q, scopes=["NotTerminating"])], id="not-terminating-scope"),
    pytest.param(pod(), [quota({"pods": "0"}, scopes=["BestEffort"])], id="best-effort-scope"),
    pytest.param(KUBESPAWNER, [quota(Q, scopes=["NotBestEffort"])], id="not-best-effort-scope"),
    pytest.param(
        pod(**BURSTABLE, priorityClassName="high"),
        [quota(Q, selector=[scope("PriorityClass", "In", "high")])],
        id="priority-in",
    ),
    pytest.param(
        KUBESPAWNER,
        [quota(Q, selector=[scope("PriorityClass", "NotIn", "low")])],
        id="priority-notin-pod-without-class",
    ),
    pytest.param(
        KUBESPAWNER,
        [quota(Q, selector=[scope("PriorityClass", "DoesNotExist")])],
        id="priority-does-not-exist",
    ),
    pytest.param(
        KUBESPAWNER,
        [
            priority_class("normal", global_default=True),
            quota(Q, selector=[scope("PriorityClass", "In", "normal")]),
        ],
        id="priority-in-global-default",
    ),
    pytest.param(
        pod(**BURSTABLE, priorityClassName="low"),
        [quota(Q, scopes=["PriorityClass"])],
        id="priority-in-spec-scopes-exists",
    ),
    pytest.param(
        pod(**BURSTABLE, affinity=CROSS_NS_AFFINITY),
        [quota(Q, scopes=["CrossNamespacePodAffinity"])],
        id="cross-namespace-scope-namespace-selector",
    ),
    pytest.param(
        KUBESPAWNER,
        [quota(Q, scopes=["NotTerminating"], selector=[scope("PriorityClass", "DoesNotExist")])],
        id="scopes-and-selector-all-match",
    ),
]


@pytest.mark.parametrize(("the_pod", "objects"), MATCHING)
def test_quota_whose_scopes_all_match_the_pod_is_enforced(the_pod: Any, objects: Any) -> None:
    codes = {code for code, _ in _quota_findings(the_pod, objects)}
    assert codes == {"quota-exceeded"}


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
    assert _quota_findings(the_pod, objects) == []


@pytest.mark.parametrize(("the_pod", "objects", "expected"), REJECTED)
def test_quota_rejects_pod_over_hard(the_pod: Any, objects: Any, expected: Any) -> None:
    findings = _quota_findings(the_pod, objects)
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
    findings = _quota_findings(pod(requests={"cpu": "1", "memory": "1Gi"}), objects)
    assert findings == exceeded("pods", "requests.cpu", "requests.memory")


# ---- PVCs the spawner creates just before the pod (§1.8) ------------------------------------

SC = "standard.storageclass.storage.k8s.io"

PVC_ALLOWED = [
    pytest.param(
        (new_claim(storage="10Gi"),),
        [quota({"requests.storage": "500Gi"}, {"requests.storage": "490Gi"})],
        id="storage-exact-boundary",
    ),
    pytest.param(
        (new_claim(storage="10Gi"),),
        [quota({"persistentvolumeclaims": "3"}, {"persistentvolumeclaims": "2"})],
        id="claim-count-exact-boundary",
    ),
    pytest.param(
        (new_claim(storage="10Gi", storage_class="standard"),),
        [quota({"fast.storageclass.storage.k8s.io/requests.storage": "0"})],
        id="per-class-quota-of-another-class",
    ),
    pytest.param(
        (new_claim(storage="10Gi", storage_class=""),),
        [storage_class("standard", default=True), quota({f"{SC}/requests.storage": "0"})],
        id="explicit-empty-class-gets-no-default",
    ),
    pytest.param(
        (new_claim(storage="10Gi", storage_class=None),),
        [storage_class("standard"), quota({f"{SC}/requests.storage": "0"})],
        id="no-default-class-no-per-class-charge",
    ),
    pytest.param(
        (new_claim(storage="1.5"),),
        [quota({"requests.storage": "2"})],
        id="storage-rounded-up-to-whole-bytes-at-boundary",
    ),
    pytest.param(
        (new_claim(storage="10Gi"),),
        [quota({"requests.storage": "0"}, scopes=["NotTerminating"])],
        id="scoped-quota-never-applies-to-claims",
    ),
    pytest.param((), [quota({"requests.storage": "0", "persistentvolumeclaims": "0"})], id="no-new-claims"),
]

PVC_REJECTED = [
    pytest.param(
        (new_claim(storage="10Gi"),),
        [quota({"requests.storage": "500Gi"}, {"requests.storage": "495Gi"})],
        exceeded("requests.storage"),
        id="storage-over",
    ),
    pytest.param(
        (new_claim(storage="10Gi"),),
        [quota({"count/persistentvolumeclaims": "3"}, {"count/persistentvolumeclaims": "3"})],
        exceeded("count/persistentvolumeclaims"),
        id="claim-count-full",
    ),
    pytest.param(
        (new_claim(storage="10Gi", storage_class=None),),
        [
            storage_class("standard", default=True),
            quota(
                {f"{SC}/requests.storage": "10Gi", f"{SC}/persistentvolumeclaims": "5"},
                {f"{SC}/requests.storage": "5Gi"},
            ),
        ],
        exceeded(f"{SC}/requests.storage"),
        id="default-class-filled-in-before-quota",
    ),
    pytest.param(
        (new_claim(storage="1.5"),),
        [quota({"requests.storage": "2"}, {"requests.storage": "1"})],
        exceeded("requests.storage"),
        id="storage-rounded-up-over",
    ),
    pytest.param(
        (new_claim("claim-a", storage="6Gi"), new_claim("claim-b", storage="6Gi")),
        [quota({"requests.storage": "10Gi"})],
        exceeded("requests.storage"),
        id="two-new-claims-together",
    ),
]


@pytest.mark.parametrize(("claims", "objects"), PVC_ALLOWED)
def test_pvc_quota_allows_new_claims_within_hard(claims: Any, objects: Any) -> None:
    assert _quota_findings(pod(), objects, claims) == []


@pytest.mark.parametrize(("claims", "objects", "expected"), PVC_REJECTED)
def test_pvc_quota_rejects_new_claims_over_hard(claims: Any, objects: Any, expected: Any) -> None:
    assert _quota_findings(pod(), objects, claims) == expected


def test_quota_check_is_skipped_not_passed_when_quotas_cannot_be_read() -> None:
    from factories import cluster

    view = cluster(quota({"pods": "0"}), known={"Node", "Pod"})
    v = verdict(KUBESPAWNER, view=view, checks=["quota"])
    assert [(f.code.value, f.severity.value) for f in v.findings] == [("check-skipped", "warning")]
