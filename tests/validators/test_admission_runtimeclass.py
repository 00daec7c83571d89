"""The RuntimeClass admission plugin, as kubernetes/kubernetes
plugin/pkg/admission/runtimeclass/admission.go applies it before any check reads the pod:
``setOverhead`` (the class's ``overhead.podFixed`` becomes ``spec.overhead``; a different one
the pod set is refused), ``setScheduling`` (``scheduling.nodeSelector`` merged, a conflicting
key refused; ``scheduling.tolerations`` merged), ``validateOverhead`` (an overhead without a
class that defines one is refused), ``prepareObjects`` (a class that does not exist is refused;
without the plugin the kubelet's ``createPodSandbox`` fails on it instead).
"""

from __future__ import annotations

import pytest
from factories import cluster, limit_item, limitrange, node, pod, quota, runtime_class, taint

from prevalidate.model.admission import AdmissionConfig
from prevalidate.model.settings import Settings
from prevalidate.validators.admission import admit

from .admission_cases import CPU_NODE, Case, allowed_share, error_codes, run

GVISOR_KEY = "sandbox.gke.io/runtime"
# GKE Sandbox's class: pods go to the gVisor node pool, whose nodes carry a NoSchedule taint.
GVISOR = runtime_class(
    "gvisor",
    node_selector={GVISOR_KEY: "gvisor"},
    tolerations=[{"key": GVISOR_KEY, "operator": "Equal", "value": "gvisor", "effect": "NoSchedule"}],
)
SANDBOX_NODE = node(
    "sandbox-1", cpu="8", memory="32Gi", labels={GVISOR_KEY: "gvisor"}, taints=[taint(GVISOR_KEY, "gvisor")]
)
KATA = runtime_class("kata", "kata-qemu", overhead={"cpu": "250m", "memory": "160Mi"})
BIG = {"cpu": "3", "memory": "1Gi"}  # fits the 4-CPU node, and with kata's overhead too

CASES = {
    # allowed
    "gvisor-class-sends-the-pod-to-tainted-sandbox-nodes": Case(
        pod(runtimeClassName="gvisor", requests={"cpu": "6"}), [GVISOR, CPU_NODE, SANDBOX_NODE]
    ),
    "overhead-fits-the-node-and-the-quota": Case(
        pod(runtimeClassName="kata", requests=BIG),
        [KATA, CPU_NODE, quota({"requests.cpu": "3250m", "requests.memory": "2Gi"})],
    ),
    "own-overhead-semantically-equal-to-the-class-s": Case(
        pod(runtimeClassName="kata", requests=BIG, overhead={"cpu": "0.25", "memory": "160Mi"}),
        [KATA, CPU_NODE],
    ),
    "own-node-selector-equal-to-the-class-s": Case(
        pod(runtimeClassName="gvisor", nodeSelector={GVISOR_KEY: "gvisor"}), [GVISOR, SANDBOX_NODE]
    ),
    "limitrange-pod-max-excludes-the-overhead": Case(
        pod(runtimeClassName="kata", limits={"cpu": "2"}),
        [KATA, CPU_NODE, limitrange(limit_item("Pod", max={"cpu": "2"}))],
    ),
    "plugin-stated-off-adds-no-overhead": Case(
        pod(runtimeClassName="kata", requests={"cpu": "3900m"}),
        [KATA, CPU_NODE],
        plugins={"RuntimeClass": "off"},
    ),
    "class-unreadable-is-not-decided": Case(  # RBAC forbids runtimeclasses: its taints may be tolerated
        pod(runtimeClassName="gvisor"),
        [SANDBOX_NODE],
        known=frozenset({"Node", "Namespace", "ServiceAccount"}),
    ),
    # refused
    "overhead-pushes-over-the-node": Case(
        pod(runtimeClassName="kata", requests={"cpu": "3900m"}), [KATA, CPU_NODE], ("no-node-fits",)
    ),
    "overhead-pushes-over-the-quota": Case(
        pod(runtimeClassName="kata", requests=BIG),
        [KATA, CPU_NODE, quota({"requests.cpu": "3"})],
        ("quota-exceeded",),
    ),
    "class-does-not-exist": Case(
        pod(runtimeClassName="gvisr"), [GVISOR, CPU_NODE], ("runtimeclass-not-found",)
    ),
    "class-missing-fails-at-the-kubelet-without-the-plugin": Case(
        pod(runtimeClassName="gvisr"),
        [GVISOR, CPU_NODE],
        ("runtimeclass-not-found",),
        {"RuntimeClass": "off"},
    ),
    "own-node-selector-conflicts-with-the-class-s": Case(
        pod(runtimeClassName="gvisor", nodeSelector={GVISOR_KEY: "runc"}),
        [GVISOR, SANDBOX_NODE],
        ("admission-refused", "no-node-fits"),  # and no node has the pod's own label either
    ),
    "own-overhead-differs-from-the-class-s": Case(
        pod(runtimeClassName="kata", overhead={"cpu": "100m"}), [KATA, CPU_NODE], ("admission-refused",)
    ),
    "overhead-without-a-class": Case(pod(overhead={"cpu": "100m"}), [CPU_NODE], ("admission-refused",)),
}


def test_the_table_has_as_many_allowed_cases_as_refusals() -> None:
    assert allowed_share(CASES)


@pytest.mark.parametrize("name", list(CASES))
def test_runtimeclass_admission_decides_like_kubernetes(name: str) -> None:
    case = CASES[name]
    assert error_codes(run(case)) == case.errors


def test_the_admitted_pod_carries_the_class_s_overhead_selector_and_tolerations() -> None:
    view_pod = pod(runtimeClassName="gvisor", nodeSelector={"pool": "sandbox"})
    gvisor = runtime_class(
        "gvisor",
        overhead={"cpu": "100m"},
        node_selector={GVISOR_KEY: "gvisor"},
        tolerations=[{"key": GVISOR_KEY, "operator": "Exists", "effect": "NoSchedule"}],
    )
    admitted = admit(view_pod, cluster(gvisor), Settings())
    spec = admitted.pod["spec"]
    assert admitted.findings == ()
    assert spec["overhead"] == {"cpu": "100m"}
    assert spec["nodeSelector"] == {"pool": "sandbox", GVISOR_KEY: "gvisor"}
    assert {"key": GVISOR_KEY, "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
    assert "overhead" not in view_pod["spec"] and view_pod["spec"]["nodeSelector"] == {"pool": "sandbox"}


def test_auto_assumes_only_the_class_s_tolerations() -> None:
    gvisor = runtime_class("gvisor", overhead={"cpu": "1"}, node_selector={GVISOR_KEY: "gvisor"})
    settings = Settings(admission=AdmissionConfig.parse({"RuntimeClass": "auto"}))
    spec = admit(pod(runtimeClassName="gvisor", overhead={"cpu": "5"}), cluster(gvisor), settings).pod["spec"]
    assert spec["overhead"] == {"cpu": "5"} and "nodeSelector" not in spec  # nothing that removes nodes
