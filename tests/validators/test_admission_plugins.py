"""ExtendedResourceToleration, PodTolerationRestriction, PodNodeSelector and
DefaultTolerationSeconds, from kubernetes/kubernetes plugin/pkg/admission/:
- extendedresourcetoleration/admission.go ``Admit``: an ``Exists`` NoSchedule toleration per
  extended resource requested by a container or init container;
- podtolerationrestriction/admission.go ``Admit``/``Validate``: the namespace's
  ``defaultTolerations`` (else the plugin's ``default``) and, unless BestEffort, the
  memory-pressure toleration merged in; every toleration covered by ``tolerationsWhitelist``;
- podnodeselector/admission.go ``Admit``/``Validate``: the namespace's ``node-selector``
  (else ``clusterDefaultNodeSelector``) merged, conflicts and whitelist misses refused;
- defaulttolerationseconds/admission.go ``Admit``: the 300 s not-ready/unreachable tolerations.

A plugin nobody stated is "auto": its added tolerations are assumed (fail open), its node
selectors and refusals are not. Each table has at least as many allowed cases as refusals.
"""

from __future__ import annotations

import json

import pytest
from factories import cluster, container, namespace_with, node, pod, taint

from prevalidate.model.admission import AdmissionConfig
from prevalidate.model.settings import Settings
from prevalidate.validators.admission import admit

from .admission_cases import CPU_NODE, GPU, GPU_NODE, Case, allowed_share, error_codes, run

DEDICATED = node("ml-1", cpu="8", memory="32Gi", taints=[taint("dedicated", "ml")], labels={"pool": "ml"})
DEFAULTS = "scheduler.alpha.kubernetes.io/defaultTolerations"
WHITELIST = "scheduler.alpha.kubernetes.io/tolerationsWhitelist"
NODE_SELECTOR = "scheduler.alpha.kubernetes.io/node-selector"
ML_TOLERATION = {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}
ON, OFF = "on", "off"
GPU_ONE = {GPU: "1"}

ERT = {
    "gpu-pod-on-a-tainted-gpu-node-without-a-toleration": Case(pod(limits=GPU_ONE), [GPU_NODE]),
    "stated-on": Case(pod(limits=GPU_ONE), [GPU_NODE], plugins={"ExtendedResourceToleration": ON}),
    "an-init-container-s-gpu-counts-too": Case(
        pod(containers=[container()], init_containers=[container("warm", limits=GPU_ONE)]),
        [GPU_NODE, CPU_NODE],
    ),
    "a-toleration-of-the-pod-s-own-still-works-when-stated-off": Case(
        pod(limits=GPU_ONE, tolerations=[{"key": GPU, "operator": "Exists"}]),
        [GPU_NODE],
        plugins={"ExtendedResourceToleration": OFF},
    ),
    "stated-off-leaves-the-gpu-taint-untolerated": Case(
        pod(limits=GPU_ONE), [GPU_NODE], ("no-node-fits",), {"ExtendedResourceToleration": OFF}
    ),
    "another-taint-on-the-gpu-node-is-not-tolerated": Case(
        pod(limits=GPU_ONE),
        [node("gpu-2", extra=GPU_ONE, taints=[taint(GPU, "present"), taint("dedicated", "ml")])],
        ("no-node-fits",),
    ),
}

PTR = {
    "namespace-default-tolerations-reach-dedicated-nodes": Case(
        pod(), [namespace_with({DEFAULTS: json.dumps([ML_TOLERATION])}), DEDICATED]
    ),
    "cluster-default-tolerations-from-the-plugin-config": Case(
        pod(), [DEDICATED], config={"PodTolerationRestriction": {"default": [ML_TOLERATION]}}
    ),
    "memory-pressure-tolerated-by-a-pod-that-is-not-best-effort": Case(
        pod(requests={"cpu": "1"}),
        [node("busy-1", taints=[taint("node.kubernetes.io/memory-pressure")])],
    ),
    "whitelisted-toleration-with-the-plugin-on": Case(
        pod(tolerations=[ML_TOLERATION]),
        [namespace_with({WHITELIST: json.dumps([{"key": "dedicated", "operator": "Exists"}])}), DEDICATED],
        plugins={"PodTolerationRestriction": ON},
    ),
    "whitelist-not-enforced-when-the-plugin-may-be-off": Case(
        pod(tolerations=[ML_TOLERATION]), [namespace_with({WHITELIST: "[]"}), DEDICATED]
    ),
    "an-empty-namespace-whitelist-allows-everything": Case(
        pod(tolerations=[ML_TOLERATION]),
        [namespace_with({WHITELIST: ""}), DEDICATED],
        plugins={"PodTolerationRestriction": ON},
        config={"PodTolerationRestriction": {"whitelist": [{"key": "other", "operator": "Exists"}]}},
    ),
    "toleration-outside-the-whitelist": Case(
        pod(tolerations=[ML_TOLERATION]),
        [namespace_with({WHITELIST: json.dumps([{"key": "other", "operator": "Exists"}])}), DEDICATED],
        ("admission-refused",),
        {"PodTolerationRestriction": ON},
    ),
    "stated-off-the-namespace-defaults-are-not-added": Case(
        pod(),
        [namespace_with({DEFAULTS: json.dumps([ML_TOLERATION])}), DEDICATED],
        ("no-node-fits",),
        {"PodTolerationRestriction": OFF},
    ),
    "best-effort-pods-get-no-memory-pressure-toleration": Case(
        pod(), [node("busy-1", taints=[taint("node.kubernetes.io/memory-pressure")])], ("no-node-fits",)
    ),
}

PNS = {
    "namespace-selector-not-applied-when-the-plugin-may-be-off": Case(
        pod(), [namespace_with({NODE_SELECTOR: "pool=nowhere"}), CPU_NODE]
    ),
    "namespace-selector-matching-a-node": Case(
        pod(), [namespace_with({NODE_SELECTOR: "pool=standard"}), CPU_NODE], plugins={"PodNodeSelector": ON}
    ),
    "pod-selector-agreeing-with-the-namespace": Case(
        pod(nodeSelector={"pool": "standard"}),
        [namespace_with({NODE_SELECTOR: "pool=standard"}), CPU_NODE],
        plugins={"PodNodeSelector": ON},
    ),
    "an-empty-annotation-overrides-the-cluster-default": Case(
        pod(),
        [namespace_with({NODE_SELECTOR: ""}), CPU_NODE],
        plugins={"PodNodeSelector": ON},
        config={"PodNodeSelector": {"podNodeSelectorPluginConfig": {"clusterDefaultNodeSelector": "pool=x"}}},
    ),
    "selector-in-the-namespace-whitelist": Case(
        pod(nodeSelector={"pool": "standard"}),
        [CPU_NODE],
        plugins={"PodNodeSelector": ON},
        config={"PodNodeSelector": {"jhub": "pool=standard"}},
    ),
    "namespace-selector-matching-no-node": Case(
        pod(),
        [namespace_with({NODE_SELECTOR: "pool=gpu"}), CPU_NODE],
        ("no-node-fits",),
        {"PodNodeSelector": ON},
    ),
    "pod-selector-conflicting-with-the-namespace": Case(
        pod(nodeSelector={"pool": "standard"}),
        [namespace_with({NODE_SELECTOR: "pool=gpu"}), CPU_NODE],
        ("admission-refused",),
        {"PodNodeSelector": ON},
    ),
    "cluster-default-selector-matching-no-node": Case(
        pod(),
        [CPU_NODE],
        ("no-node-fits",),
        {"PodNodeSelector": ON},
        {"PodNodeSelector": {"podNodeSelectorPluginConfig": {"clusterDefaultNodeSelector": "pool=gpu"}}},
    ),
    "selector-outside-the-namespace-whitelist": Case(
        pod(nodeSelector={"pool": "standard"}),
        [CPU_NODE],
        ("admission-refused",),
        {"PodNodeSelector": ON},
        {"PodNodeSelector": {"jhub": "pool=gpu"}},
    ),
}

TABLES = {"ert": ERT, "ptr": PTR, "pns": PNS}


@pytest.mark.parametrize("table", list(TABLES))
def test_each_table_has_as_many_allowed_cases_as_refusals(table: str) -> None:
    assert allowed_share(TABLES[table])


@pytest.mark.parametrize(("table", "name"), [(t, n) for t, cases in TABLES.items() for n in cases])
def test_admission_plugins_decide_like_kubernetes(table: str, name: str) -> None:
    case = TABLES[table][name]
    assert error_codes(run(case)) == case.errors


def _tolerations(the_pod: dict[str, object], settings: Settings | None = None) -> list:
    return admit(the_pod, cluster(), settings or Settings()).pod["spec"].get("tolerations", [])  # type: ignore[index]


def test_extended_resource_tolerations_are_added_once_per_resource_in_name_order() -> None:
    tolerations = _tolerations(pod(limits={GPU: "1", "example.com/fpga": "2", "cpu": "1"}))
    added = [t for t in tolerations if t["key"] in (GPU, "example.com/fpga")]
    assert added == [
        {"key": "example.com/fpga", "operator": "Exists", "effect": "NoSchedule"},
        {"key": GPU, "operator": "Exists", "effect": "NoSchedule"},
    ]


def test_default_toleration_seconds_unless_the_pod_tolerates_those_taints_already() -> None:
    not_ready = {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}
    assert {**not_ready, "tolerationSeconds": 300} in _tolerations(pod())
    everything = {"operator": "Exists"}
    assert _tolerations(pod(tolerations=[everything])) == [everything]
    off = Settings(admission=AdmissionConfig.parse({"DefaultTolerationSeconds": "off"}))
    assert _tolerations(pod(), off) == []


def test_assumed_tolerations_never_count_against_a_whitelist() -> None:
    """ExtendedResourceToleration is auto: its GPU toleration lets the pod onto the GPU node,
    but only a toleration known to be added could break the namespace's whitelist."""
    ns = namespace_with({WHITELIST: json.dumps([{"key": "dedicated", "operator": "Exists"}])})
    on = only_ptr = Case(pod(limits=GPU_ONE), [ns, GPU_NODE], plugins={"PodTolerationRestriction": ON})
    assert error_codes(run(on)) == ()
    stated = Case(
        only_ptr.pod,
        only_ptr.objects,
        plugins={"PodTolerationRestriction": ON, "ExtendedResourceToleration": ON},
    )
    assert error_codes(run(stated)) == ("admission-refused",)  # Kubernetes would refuse it too


def test_an_unreadable_namespace_annotation_refuses_only_when_the_plugin_is_on() -> None:
    broken = namespace_with({DEFAULTS: "[{"})
    assert error_codes(run(Case(pod(), [broken, CPU_NODE]))) == ()
    stated = Case(pod(), [broken, CPU_NODE], plugins={"PodTolerationRestriction": ON})
    (finding,) = run(stated).errors
    assert finding.facts["reason"] == "annotation-invalid"
