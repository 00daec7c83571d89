"""Node fit as kube-scheduler's filters decide it (reference §4): ``no-node-fits`` when no node
could ever run the pod, ``insufficient-capacity`` when one could but none has room now."""

from __future__ import annotations

import json
from typing import Any

import pytest
from factories import (
    cluster,
    container,
    limit_item,
    limitrange,
    node,
    only,
    pairs,
    pod,
    pool,
    quota,
    taint,
    verdict,
    with_code,
)

from prevalidate.messages import finding_json

NO_FIT = [("no-node-fits", "error")]
NO_ROOM = [("insufficient-capacity", "error")]
GPU = "nvidia.com/gpu"


def _capacity(the_pod: Any, objects: Any, **settings: Any) -> list[tuple[str, str]]:
    # These nodes carry no node-group label, so "auto" already means no autoscaler; stating
    # it keeps the zero-node cases errors (tests/validators/test_autoscaling.py: the warnings).
    settings.setdefault("autoscaler", "absent")
    return pairs(verdict(the_pod, objects, settings=only("capacity", **settings)))


def _affinity(*terms: dict[str, Any]) -> dict[str, Any]:
    return {
        "nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": list(terms)}}
    }


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    e: dict[str, Any] = {"key": key, "operator": operator}
    if values:
        e["values"] = list(values)
    return e


def term(*expressions: dict[str, Any], fields: tuple[dict[str, Any], ...] = ()) -> dict[str, Any]:
    t: dict[str, Any] = {}
    if expressions:
        t["matchExpressions"] = list(expressions)
    if fields:
        t["matchFields"] = list(fields)
    return t


LABELS = {"pool": "standard", "cores": "16", "zone": "a"}
SMALL = {"requests": {"cpu": "1"}}

# ---- node selector and required node affinity (NodeAffinity filter) -----------------------------

AFFINITY_FITS = [
    pytest.param({"nodeSelector": {"pool": "standard"}}, id="node-selector-matches"),
    pytest.param({"nodeSelector": {"pool": "standard", "zone": "a"}}, id="node-selector-all-labels-match"),
    pytest.param({"affinity": _affinity(term(expr("pool", "In", "gpu", "standard")))}, id="in-one-of-values"),
    pytest.param({"affinity": _affinity(term(expr("gpu", "NotIn", "a100")))}, id="notin-label-absent"),
    pytest.param({"affinity": _affinity(term(expr("pool", "NotIn", "gpu")))}, id="notin-other-value"),
    pytest.param(
        {"affinity": _affinity(term(expr("pool", "NotIn", "gpu", "cpu", "big")))}, id="notin-many-values"
    ),
    pytest.param({"affinity": _affinity(term(expr("zone", "Exists")))}, id="exists"),
    pytest.param({"affinity": _affinity(term(expr("gpu", "DoesNotExist")))}, id="does-not-exist"),
    pytest.param({"affinity": _affinity(term(expr("cores", "Gt", "8")))}, id="gt"),
    pytest.param({"affinity": _affinity(term(expr("cores", "Lt", "32")))}, id="lt"),
    pytest.param(
        {"affinity": _affinity(term(fields=(expr("metadata.name", "In", "node-1"),)))},
        id="match-fields-name-in",
    ),
    pytest.param(
        {"affinity": _affinity(term(fields=(expr("metadata.name", "NotIn", "node-2"),)))},
        id="match-fields-name-notin",
    ),
    pytest.param(
        {"affinity": _affinity(term(expr("pool", "In", "gpu")), term(expr("zone", "In", "a")))},
        id="terms-are-ored",
    ),
    pytest.param(
        {"affinity": _affinity(term(expr("pool", "In", "standard"), expr("cores", "Gt", "15")))},
        id="expressions-are-anded-all-match",
    ),
    pytest.param(
        {
            "affinity": _affinity(
                term(expr("zone", "In", "a"), fields=(expr("metadata.name", "In", "node-1"),))
            )
        },
        id="expressions-and-fields-both-match",
    ),
    pytest.param(
        {
            "affinity": {
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 1, "preference": term(expr("pool", "In", "gpu"))}
                    ]
                }
            }
        },
        id="preferred-affinity-is-not-a-filter",
    ),
    pytest.param({}, id="no-selector-no-affinity"),
]

AFFINITY_MISSES = [
    pytest.param({"nodeSelector": {"pool": "gpu"}}, id="node-selector-other-value"),
    pytest.param({"nodeSelector": {"gpu": "a100"}}, id="node-selector-label-absent"),
    pytest.param({"affinity": _affinity(term(expr("pool", "In", "gpu")))}, id="in-no-value-matches"),
    pytest.param({"affinity": _affinity(term(expr("gpu", "In", "a100")))}, id="in-label-absent"),
    pytest.param({"affinity": _affinity(term(expr("pool", "NotIn", "standard")))}, id="notin-listed-value"),
    pytest.param({"affinity": _affinity(term(expr("gpu", "Exists")))}, id="exists-absent"),
    pytest.param({"affinity": _affinity(term(expr("zone", "DoesNotExist")))}, id="does-not-exist-present"),
    pytest.param({"affinity": _affinity(term(expr("cores", "Gt", "16")))}, id="gt-equal-is-not-greater"),
    pytest.param({"affinity": _affinity(term(expr("cores", "Lt", "16")))}, id="lt-equal-is-not-less"),
    pytest.param({"affinity": _affinity(term(expr("zone", "Gt", "1")))}, id="gt-non-integer-label"),
    pytest.param({"affinity": _affinity(term(expr("gpu", "Lt", "8")))}, id="lt-label-absent"),
    pytest.param(
        {"affinity": _affinity(term(fields=(expr("metadata.name", "In", "node-2"),)))},
        id="match-fields-other-name",
    ),
    pytest.param({"affinity": _affinity(term())}, id="empty-term-matches-nothing"),
    pytest.param({"affinity": _affinity({"matchExpressions": []})}, id="term-with-empty-expressions"),
    pytest.param(
        {"affinity": _affinity(term(expr("pool", "In", "standard"), expr("zone", "In", "b")))},
        id="expressions-are-anded-one-fails",
    ),
    pytest.param(
        {"nodeSelector": {"pool": "standard"}, "affinity": _affinity(term(expr("zone", "In", "b")))},
        id="selector-and-affinity-both-required",
    ),
]


@pytest.mark.parametrize("spec", AFFINITY_FITS)
def test_node_affinity_allows_matching_node(spec: dict[str, Any]) -> None:
    assert _capacity(pod(**SMALL, **spec), [node(labels=LABELS)]) == []


@pytest.mark.parametrize("spec", AFFINITY_MISSES)
def test_node_affinity_rejects_when_no_node_matches(spec: dict[str, Any]) -> None:
    v = verdict(pod(**SMALL, **spec), [node(labels=LABELS)], settings=only("capacity"))
    assert pairs(v) == NO_FIT
    assert v.findings[0].facts["reasons"] == {"node(s) didn't match Pod's node affinity/selector": 1}


# ---- taints, tolerations and cordoned nodes (TaintToleration, NodeUnschedulable) ---------------


def tol(key: str = "", operator: str | None = None, value: str = "", effect: str = "") -> dict[str, str]:
    t = {"key": key, "value": value, "effect": effect}
    if operator:
        t["operator"] = operator
    return {k: v for k, v in t.items() if v}


GPU_TAINT = taint(GPU, "present", "NoSchedule")

TAINT_FITS = [
    pytest.param(
        [taint("dedicated", "ml", "PreferNoSchedule")], [], False, id="prefer-no-schedule-only-scores"
    ),
    pytest.param(
        [GPU_TAINT], [tol(GPU, "Equal", "present", "NoSchedule")], False, id="equal-key-value-effect"
    ),
    pytest.param([GPU_TAINT], [tol(GPU, value="present")], False, id="operator-omitted-means-equal"),
    pytest.param(
        [taint("x", "y", "NoExecute")], [tol("x", "Exists", effect="NoExecute")], False, id="exists-key"
    ),
    pytest.param(
        [GPU_TAINT, taint("x", "", "NoExecute")],
        [tol(operator="Exists")],
        False,
        id="exists-empty-key-tolerates-all",
    ),
    pytest.param(
        [taint(GPU, "", "NoSchedule"), taint(GPU, "", "NoExecute")],
        [tol(GPU, "Exists")],
        False,
        id="effect-less-toleration-tolerates-every-effect",
    ),
    pytest.param([], [], False, id="untainted"),
    pytest.param(
        [GPU_TAINT], [tol(GPU, "Exists", effect="NoSchedule")], False, id="exists-ignores-taint-value"
    ),
    pytest.param(
        [],
        [tol("node.kubernetes.io/unschedulable", "Exists", effect="NoSchedule")],
        True,
        id="cordon-tolerated",
    ),
    pytest.param([], [tol(operator="Exists")], True, id="cordon-tolerated-by-wildcard"),
]

TAINT_MISSES = [
    pytest.param([GPU_TAINT], [], False, "node(s) had untolerated taint", id="no-schedule-untolerated"),
    pytest.param([taint("x", "y", "NoExecute")], [], False, "node(s) had untolerated taint", id="no-execute"),
    pytest.param(
        [taint("x", "y", "NoExecute")],
        [tol("x", "Exists", effect="NoSchedule")],
        False,
        "node(s) had untolerated taint",
        id="toleration-effect-differs",
    ),
    pytest.param(
        [GPU_TAINT], [tol(GPU, "Equal", "absent")], False, "node(s) had untolerated taint", id="value-differs"
    ),
    pytest.param(
        [GPU_TAINT], [tol("other", "Exists")], False, "node(s) had untolerated taint", id="key-differs"
    ),
    pytest.param([], [], True, "node(s) were unschedulable", id="cordoned"),
    pytest.param(
        [],
        [tol("node.kubernetes.io/unschedulable", "Exists", effect="NoExecute")],
        True,
        "node(s) were unschedulable",
        id="cordon-toleration-wrong-effect",
    ),
]


@pytest.mark.parametrize(("taints", "tolerations", "cordoned"), TAINT_FITS)
def test_tolerated_or_soft_taints_allow(taints: Any, tolerations: Any, cordoned: bool) -> None:
    objects = [node(taints=taints, unschedulable=cordoned)]
    assert _capacity(pod(**SMALL, tolerations=tolerations), objects) == []


@pytest.mark.parametrize(("taints", "tolerations", "cordoned", "reason"), TAINT_MISSES)
def test_untolerated_taints_and_cordons_reject(
    taints: Any, tolerations: Any, cordoned: bool, reason: str
) -> None:
    v = verdict(
        pod(**SMALL, tolerations=tolerations),
        [node(taints=taints, unschedulable=cordoned)],
        settings=only("capacity"),
    )
    assert pairs(v) == NO_FIT
    (got,) = v.findings[0].facts["reasons"]
    assert got.startswith(reason)


# ---- resources: allocatable and what bound pods already use (NodeResourcesFit) ------------------

ON = "node-1"
RESOURCE_FITS = [
    pytest.param(
        pod(requests={"cpu": "4", "memory": "16Gi"}), [node()], id="exactly-allocatable-on-empty-node"
    ),
    pytest.param(
        pod(requests={"cpu": "1"}),
        [node(), pod("other", requests={"cpu": "3"}, node_name=ON, phase="Running")],
        id="exact-boundary-free-cpu",
    ),
    pytest.param(
        pod(requests={"memory": "512Mi"}),
        [node(), pod("other", requests={"memory": "15.5Gi"}, node_name=ON, phase="Running")],
        id="exact-boundary-free-memory-mixed-notation",
    ),
    pytest.param(
        pod(requests={"cpu": "4"}),
        [node(), pod("done", requests={"cpu": "4"}, node_name=ON, phase="Succeeded")],
        id="succeeded-pod-does-not-count",
    ),
    pytest.param(
        pod(requests={"cpu": "4"}),
        [node(), pod("crashed", requests={"cpu": "4"}, node_name=ON, phase="Failed")],
        id="failed-pod-does-not-count",
    ),
    pytest.param(
        pod(requests={"cpu": "4"}),
        [node(), pod("pending", requests={"cpu": "4"}, phase="Pending")],
        id="unbound-pod-does-not-count",
    ),
    pytest.param(
        pod(),
        [node(), pod("hog", requests={"cpu": "4", "memory": "16Gi"}, node_name=ON, phase="Running")],
        id="pod-requesting-nothing-fits-a-full-node",
    ),
    pytest.param(
        pod(requests={"cpu": "1"}),
        [node(pods="2"), pod("other", node_name=ON, phase="Running")],
        id="pod-count-exact-boundary",
    ),
    pytest.param(
        pod(
            containers=[container(requests={"cpu": "1"})],
            init_containers=[container("init", requests={"cpu": "4"})],
        ),
        [node()],
        id="init-container-peak-fits",
    ),
    pytest.param(
        pod(requests={"cpu": "3750m"}, overhead={"cpu": "250m"}), [node()], id="overhead-exact-boundary"
    ),
    pytest.param(pod(limits={GPU: "1"}), [node(extra={GPU: "1"})], id="extended-resource-advertised"),
    pytest.param(
        pod(requests={"cpu": "8"}),
        [node(), node("node-2", cpu="8")],
        id="second-node-is-big-enough",
    ),
    pytest.param(
        pod(requests={"cpu": "2"}),
        [node(), node("node-2"), pod("a", requests={"cpu": "3"}, node_name=ON, phase="Running")],
        id="full-node-and-free-node",
    ),
    pytest.param(
        pod(requests={"cpu": "1"}),
        [node(), pod("lim", limits={"cpu": "3"}, node_name=ON, phase="Running")],
        id="existing-pod-limit-only-counts-as-request-boundary",
    ),
    pytest.param(pod(requests={"cpu": "1"}), [node(pods=None)], id="node-without-pods-allocatable"),
    pytest.param(
        pod(limits={GPU: "1"}),
        [node(extra={GPU: "2"}), pod("gpu-user", limits={GPU: "1"}, node_name=ON, phase="Running")],
        id="extended-resource-exact-boundary",
    ),
    pytest.param(
        pod(requests={"cpu": "1"}),
        [node(pods="1"), pod("done", node_name=ON, phase="Succeeded")],
        id="succeeded-pod-frees-its-pod-slot",
    ),
    pytest.param(
        pod(requests={"cpu": "4"}),
        [node(), node("node-2"), pod("leaving", requests={"cpu": "4"}, node_name="node-2", terminating=True)],
        id="terminating-pod-on-another-node",
    ),
    pytest.param(
        pod(
            containers=[container()],
            init_containers=[container("init", requests={"cpu": "4", "memory": "16Gi"})],
        ),
        [node()],
        id="init-container-alone-at-allocatable",
    ),
    pytest.param(
        pod(requests={"cpu": "1"}, limits={GPU: "0"}), [node()], id="zero-extended-request-not-checked"
    ),
    pytest.param(
        pod(requests={"cpu": "1"}, limits={"hugepages-2Mi": "1Gi"}),
        [node(extra={"hugepages-2Mi": "1Gi"})],
        id="hugepages-exact-boundary",
    ),
]

RESOURCE_MISSES = [
    pytest.param(pod(requests={"cpu": "4001m"}), [node()], NO_FIT, id="more-cpu-than-allocatable"),
    pytest.param(pod(requests={"memory": "17Gi"}), [node()], NO_FIT, id="more-memory-than-allocatable"),
    pytest.param(
        pod(requests={"cpu": "8"}),
        [node(), node("big", cpu="96", unschedulable=True)],
        NO_FIT,
        id="only-the-cordoned-node-is-big-enough",
    ),
    pytest.param(pod(limits={GPU: "1"}), [node()], NO_FIT, id="extended-resource-not-advertised"),
    pytest.param(
        pod(
            containers=[container(requests={"cpu": "1"})],
            init_containers=[container("init", requests={"cpu": "5"})],
        ),
        [node()],
        NO_FIT,
        id="init-container-peak-too-big",
    ),
    pytest.param(pod(requests={"cpu": "4"}, overhead={"cpu": "1m"}), [node()], NO_FIT, id="overhead-too-big"),
    pytest.param(pod(requests={"cpu": "1"}), [], NO_FIT, id="no-nodes-at-all"),  # autoscaler: absent
    pytest.param(
        pod(requests={"cpu": "1"}, limits={"hugepages-2Mi": "1Gi"}),
        [node(extra={"hugepages-2Mi": "512Mi"})],
        NO_FIT,
        id="hugepages-short",
    ),
    pytest.param(pod(requests={"cpu": "1"}), [node(pods="0")], NO_FIT, id="node-allows-no-pods"),
    pytest.param(
        pod(),
        [node(), limitrange(limit_item(defaultRequest={"cpu": "8"}, default={"cpu": "8"}))],
        NO_FIT,
        id="limitrange-default-request-is-scheduled",
    ),
    pytest.param(
        pod(requests={"cpu": "1001m"}),
        [node(), pod("other", requests={"cpu": "3"}, node_name=ON, phase="Running")],
        NO_ROOM,
        id="one-millicpu-more-than-free",
    ),
    pytest.param(
        pod(requests={"cpu": "1"}),
        [node(), pod("leaving", requests={"cpu": "4"}, node_name=ON, phase="Running", terminating=True)],
        NO_ROOM,
        id="terminating-pod-still-counts",
    ),
    pytest.param(
        pod(requests={"cpu": "1"}),
        [node(pods="2"), pod("a", node_name=ON, phase="Running"), pod("b", node_name=ON, phase="Running")],
        NO_ROOM,
        id="too-many-pods",
    ),
    pytest.param(
        pod(limits={GPU: "1"}),
        [node(extra={GPU: "1"}), pod("gpu-user", limits={GPU: "1"}, node_name=ON, phase="Running")],
        NO_ROOM,
        id="extended-resource-in-use",
    ),
    pytest.param(
        pod(requests={"cpu": "2"}),
        [
            node(),
            pod(
                "x", init_containers=[container("init", requests={"cpu": "3"})], node_name=ON, phase="Running"
            ),
        ],
        NO_ROOM,
        id="existing-pod-init-peak-counts",
    ),
]


@pytest.mark.parametrize(("the_pod", "objects"), RESOURCE_FITS)
def test_capacity_allows_when_a_node_has_room(the_pod: Any, objects: Any) -> None:
    assert _capacity(the_pod, objects) == []


@pytest.mark.parametrize(("the_pod", "objects", "expected"), RESOURCE_MISSES)
def test_capacity_rejects_when_no_node_has_room(the_pod: Any, objects: Any, expected: Any) -> None:
    assert _capacity(the_pod, objects) == expected


def test_no_node_fits_reports_the_largest_compatible_node() -> None:
    objects = [node(cpu="15500m"), node("big", cpu="62500m"), node("huge", cpu="96", unschedulable=True)]
    v = verdict(pod(requests={"cpu": "120"}), objects, settings=only("capacity"))
    (finding,) = with_code(v, "no-node-fits")
    assert finding.facts["largest"]["cpu"] == 62500
    assert finding.facts["requested"]["cpu"] == 120000
    assert finding.facts["reasons"] == {"Insufficient cpu": 2, "node(s) were unschedulable": 1}


def test_insufficient_capacity_reports_the_most_free_on_any_node() -> None:
    objects = [
        node(),
        node("node-2"),
        pod("a", requests={"cpu": "3"}, node_name=ON, phase="Running"),
        pod("b", requests={"cpu": "2"}, node_name="node-2", phase="Running"),
    ]
    (finding,) = verdict(pod(requests={"cpu": "3"}), objects, settings=only("capacity")).findings
    assert finding.facts["largest_free"]["cpu"] == 2000


# ---- severity: node pools and capacity_policy ---------------------------------------------------


@pytest.mark.parametrize(
    ("the_pod", "objects", "pools", "policy", "expected"),
    [
        pytest.param(
            pod(requests={"cpu": "8"}),
            [node()],
            [pool(cpu="16")],
            "reject",
            [("no-node-fits", "warning")],
            id="pool-can-hold-what-no-node-can",
        ),
        pytest.param(
            pod(requests={"cpu": "8"}),
            [],
            [pool(cpu="16")],
            "reject",
            [("no-node-fits", "warning")],
            id="scale-from-zero",
        ),
        pytest.param(
            pod(requests={"cpu": "2"}),
            [node(), pod("a", requests={"cpu": "3"}, node_name=ON, phase="Running")],
            [pool()],
            "reject",
            [("insufficient-capacity", "warning")],
            id="pool-turns-no-room-into-warning",
        ),
        pytest.param(
            pod(requests={"cpu": "2"}),
            [node(), pod("a", requests={"cpu": "3"}, node_name=ON, phase="Running")],
            [],
            "warn",
            [("insufficient-capacity", "warning")],
            id="policy-warn-turns-no-room-into-warning",
        ),
        pytest.param(
            pod(requests={"cpu": "8"}),
            [node()],
            [pool(cpu="4")],
            "reject",
            NO_FIT,
            id="pool-too-small-stays-error",
        ),
        pytest.param(
            pod(requests={"cpu": "8"}, nodeSelector={"pool": "gpu"}),
            [node()],
            [pool(cpu="16", labels={"pool": "cpu"})],
            "reject",
            NO_FIT,
            id="pool-not-matching-selector-stays-error",
        ),
        pytest.param(
            pod(requests={"cpu": "8"}),
            [node()],
            [pool(cpu="16", taints=[GPU_TAINT])],
            "reject",
            NO_FIT,
            id="tainted-pool-stays-error",
        ),
        pytest.param(
            pod(requests={"cpu": "8"}), [node()], [], "warn", NO_FIT, id="policy-warn-keeps-no-fit-an-error"
        ),
    ],
)
def test_severity_follows_node_pools_and_capacity_policy(
    the_pod: Any, objects: Any, pools: Any, policy: str, expected: Any
) -> None:
    assert _capacity(the_pod, objects, node_pools=tuple(pools), capacity_policy=policy) == expected


# ---- the view follows node and pod events --------------------------------------------------------


def _fits(view: Any, the_pod: Any) -> list[tuple[str, str]]:
    return pairs(verdict(the_pod, view=view, settings=only("capacity", autoscaler="absent")))  # starts empty


def test_node_and_pod_events_update_capacity() -> None:
    asking = pod(requests={"cpu": "2"})
    view = cluster()
    assert _fits(view, asking) == NO_FIT
    view.apply(node(cpu="4"))
    assert _fits(view, asking) == []
    busy = pod("busy", requests={"cpu": "3"}, node_name=ON, phase="Running")
    view.apply(busy)
    assert _fits(view, asking) == NO_ROOM
    view.apply(node("node-2", cpu="2"))
    assert _fits(view, asking) == []
    view.remove(node("node-2"))
    assert _fits(view, asking) == NO_ROOM
    view.apply(pod("busy", requests={"cpu": "3"}, node_name=ON, phase="Succeeded"))
    assert _fits(view, asking) == []
    view.apply(busy)
    view.remove(busy)
    assert _fits(view, asking) == []
    view.apply(node(cpu="1"))  # the node shrinks (allocatable changed)
    assert _fits(view, asking) == NO_FIT


def test_pods_applied_before_their_node_are_counted() -> None:
    view = cluster(pod("busy", requests={"cpu": "3"}, node_name=ON, phase="Running"), node(cpu="4"))
    assert _fits(view, pod(requests={"cpu": "2"})) == NO_ROOM


def test_a_node_removed_and_added_again_still_counts_its_pods() -> None:
    # A relist or a re-registered node: its bound pods are still there and still use it.
    view = cluster(node(cpu="4"), pod("busy", requests={"cpu": "3"}, node_name=ON, phase="Running"))
    view.remove(node())
    view.apply(node(cpu="4"))
    assert _fits(view, pod(requests={"cpu": "2"})) == NO_ROOM
    view.remove(pod("busy", node_name=ON))
    assert _fits(view, pod(requests={"cpu": "4"})) == []


def test_capacity_check_is_skipped_when_nodes_cannot_be_read() -> None:
    view = cluster(known={"Pod"})
    assert pairs(verdict(pod(requests={"cpu": "999"}), view=view, settings=only("capacity"))) == [
        ("check-skipped", "warning")
    ]


# ---- scheduler units: MilliValue for cpu, Value for the rest, both rounded up (§3.3, §4.1) -----------


@pytest.mark.parametrize(
    ("asked", "node_cpu", "node_memory", "expected"),
    [
        pytest.param({"cpu": "100u"}, "1m", "1", [], id="a-tenth-millicpu-is-one-millicpu"),
        pytest.param({"cpu": "1001u"}, "1m", "1", NO_FIT, id="just-over-one-millicpu-is-two"),
        pytest.param({"memory": "1.5"}, "1", "2", [], id="fractional-byte-rounds-up-fits"),
        pytest.param({"memory": "1.5"}, "1", "1", NO_FIT, id="fractional-byte-rounds-up-short"),
        pytest.param({"memory": "1500m"}, "1", "2", [], id="milli-bytes"),
    ],
)
def test_requests_are_rounded_up_to_scheduler_units(
    asked: Any, node_cpu: str, node_memory: str, expected: Any
) -> None:
    assert _capacity(pod(requests=asked), [node(cpu=node_cpu, memory=node_memory)]) == expected


def test_label_taint_and_cordon_changes_reach_the_cached_node_filters() -> None:
    selective = pod(requests={"cpu": "1"}, nodeSelector={"pool": "a"})
    plain = pod("jupyter-bob", requests={"cpu": "1"})
    view = cluster(node())
    assert _fits(view, selective) == NO_FIT
    assert _fits(view, plain) == []
    view.apply(node(labels={"pool": "a"}))
    assert _fits(view, selective) == []
    view.apply(node(labels={"pool": "a"}, taints=[taint("maintenance")]))
    assert _fits(view, selective) == NO_FIT
    assert _fits(view, plain) == NO_FIT
    view.apply(node(labels={"pool": "a"}, unschedulable=True))
    assert _fits(view, plain) == NO_FIT
    view.apply(node(labels={"pool": "a"}))
    assert _fits(view, selective) == []
    assert _fits(view, plain) == []


@pytest.mark.parametrize("cpu", ["1e999", "1e1000000", "1e2000000000", "9Ei"])
def test_absurd_requests_are_findings_not_crashes(cpu: str) -> None:
    the_pod = pod(requests={"cpu": cpu, "memory": cpu}, limits={"cpu": cpu, "memory": cpu})
    v = verdict(the_pod, [node(), quota({"requests.cpu": "4"}), limitrange(limit_item(max={"cpu": "4"}))])
    assert not v.allowed
    for finding in v.findings:  # and every message can be rendered and serialised
        json.dumps(finding_json(finding))
