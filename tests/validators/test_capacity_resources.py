"""Node fit by resources (NodeResourcesFit, reference §4): a node's allocatable against what
the pod asks and bound pods already use, in the scheduler's units — ``no-node-fits`` when no
node could ever hold the pod, ``insufficient-capacity`` when one could but none has room now."""

from __future__ import annotations

import json
from typing import Any

import pytest
from factories import container, limit_item, limitrange, node, only, pod, quota, verdict, with_code

from prevalidate.messages import finding_json

from .capacity_cases import GPU, NO_FIT, NO_ROOM, ON, capacity

# ---- resources: allocatable and what bound pods already use (NodeResourcesFit) ------------------

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
    assert capacity(the_pod, objects) == []


@pytest.mark.parametrize(("the_pod", "objects", "expected"), RESOURCE_MISSES)
def test_capacity_rejects_when_no_node_has_room(the_pod: Any, objects: Any, expected: Any) -> None:
    assert capacity(the_pod, objects) == expected


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
    assert capacity(pod(requests=asked), [node(cpu=node_cpu, memory=node_memory)]) == expected


@pytest.mark.parametrize("cpu", ["1e999", "1e1000000", "1e2000000000", "9Ei"])
def test_absurd_requests_are_findings_not_crashes(cpu: str) -> None:
    the_pod = pod(requests={"cpu": cpu, "memory": cpu}, limits={"cpu": cpu, "memory": cpu})
    v = verdict(the_pod, [node(), quota({"requests.cpu": "4"}), limitrange(limit_item(max={"cpu": "4"}))])
    assert not v.allowed
    for finding in v.findings:  # and every message can be rendered and serialised
        json.dumps(finding_json(finding))
