"""Which quotas ResourceQuota admission applies to the pod (reference §1.7): a quota whose
scopes, scope selector or resources do not match is not applied at all; one whose scopes all
match is enforced; and when quotas cannot be read the check is skipped, never passed."""

from __future__ import annotations

from typing import Any

import pytest
from factories import (
    container,
    limit_item,
    limitrange,
    pod,
    priority_class,
    quota,
    scope,
    verdict,
)

from .quota_cases import BURSTABLE, GPU, KUBESPAWNER, quota_findings

Q = {"requests.cpu": "4", "pods": "10"}  # a quota the test pods would exceed if it applied
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
    assert quota_findings(the_pod, objects) == []


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
    codes = {code for code, _ in quota_findings(the_pod, objects)}
    assert codes == {"quota-exceeded"}


def test_quota_check_is_skipped_not_passed_when_quotas_cannot_be_read() -> None:
    from factories import cluster

    view = cluster(quota({"pods": "0"}), known={"Node", "Pod"})
    v = verdict(KUBESPAWNER, view=view, checks=["quota"])
    assert [(f.code.value, f.severity.value) for f in v.findings] == [("check-skipped", "warning")]
