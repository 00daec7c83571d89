"""Scenarios for findings about room: the namespace, quotas, LimitRanges, node capacity,
preemption and priority, and a check skipped for want of a list."""

from __future__ import annotations

from typing import Any

from factories import (
    cluster,
    container,
    limit_item,
    limitrange,
    node,
    only,
    pod,
    pool,
    priority_class,
    quota,
    taint,
    verdict,
)

from prevalidate.model.findings import Code

from .scenario import Scenario


def _busy_node() -> list[dict[str, Any]]:
    return [node(), pod("bob", requests={"cpu": "2"}, node_name="node-1", phase="Running")]


RESOURCE_SCENARIOS: dict[str, Scenario] = {
    "namespace-not-found": Scenario(
        Code.NAMESPACE_NOT_FOUND, lambda: verdict(pod(), [], checks=["namespace"]), ("jhub",), None
    ),
    "quota-exceeded-cpu": Scenario(
        Code.QUOTA_EXCEEDED,
        lambda: verdict(
            pod(requests={"cpu": "8"}),
            [quota({"requests.cpu": "32"}, {"requests.cpu": "26"})],
            checks=["quota"],
        ),
        ("8 CPUs", "6 CPUs", "26 of 32", '"compute"'),
        "at most 6 CPUs",
    ),
    "quota-exceeded-memory": Scenario(
        Code.QUOTA_EXCEEDED,
        lambda: verdict(
            pod(limits={"memory": "16Gi"}),
            [quota({"limits.memory": "128Gi"}, {"limits.memory": "120Gi"})],
            checks=["quota"],
        ),
        ("16 GiB", "8 GiB", "120 GiB of 128 GiB", "memory limit"),
        "at most 8 GiB",
    ),
    "quota-exceeded-pods": Scenario(
        Code.QUOTA_EXCEEDED,
        lambda: verdict(pod(), [quota({"pods": "20"}, {"pods": "20"})], checks=["quota"]),
        ("20 pods",),
        "Stop a server",
    ),
    "quota-must-specify": Scenario(
        Code.QUOTA_MUST_SPECIFY,
        lambda: verdict(
            pod(containers=[container("notebook"), container("proxy")]),
            [quota({"limits.cpu": "20"})],
            checks=["quota"],
        ),
        ("cpu limit", "notebook, proxy"),
        "Set a cpu limit",
    ),
    "quota-not-synced": Scenario(
        Code.QUOTA_NOT_SYNCED,
        lambda: verdict(
            pod(requests={"cpu": "8"}),
            [{**quota({"requests.cpu": "4"}), "status": {}}],
            checks=["quota"],
        ),
        ('"compute"', "not been counted", "not checked"),
        None,
    ),
    "limitrange-violation": Scenario(
        Code.LIMITRANGE_VIOLATION,
        lambda: verdict(
            pod(limits={"memory": "16Gi"}),
            [limitrange(limit_item(max={"memory": "8Gi"}))],
            checks=["limitrange"],
        ),
        ("16 GiB", "8 GiB", "notebook"),
        "at most 8 GiB",
    ),
    "limitrange-ratio": Scenario(
        Code.LIMITRANGE_VIOLATION,
        lambda: verdict(
            pod(requests={"cpu": "1"}, limits={"cpu": "8"}),
            [limitrange(limit_item(maxLimitRequestRatio={"cpu": "4"}))],
            checks=["limitrange"],
        ),
        ("8 times", "4 times"),
        "lower the limit",
    ),
    "no-node-fits": Scenario(
        Code.NO_NODE_FITS,
        lambda: verdict(
            pod(requests={"cpu": "120"}),
            [node(cpu="62500m"), node("small", cpu="15500m")],
            checks=["capacity"],
        ),
        ("120 CPUs", "62.5 CPUs"),
        "at most 62.5 CPUs",
    ),
    "no-node-fits-pool": Scenario(
        Code.NO_NODE_FITS,
        lambda: verdict(
            pod(requests={"cpu": "8"}),
            [node()],
            settings=only("capacity", node_pools=(pool("big-pool", cpu="16"),)),
        ),
        ("8 CPUs", "big-pool"),
        "a few minutes",
    ),
    "no-node-fits-taints": Scenario(
        Code.NO_NODE_FITS,
        lambda: verdict(
            pod(requests={"cpu": "1"}), [node(taints=[taint("gpu", "yes")])], checks=["capacity"]
        ),
        ("1 node(s) had untolerated taint",),
        None,
    ),
    "insufficient-capacity": Scenario(
        Code.INSUFFICIENT_CAPACITY,
        lambda: verdict(pod(requests={"cpu": "3"}), _busy_node(), checks=["capacity"]),
        ("3 CPUs", "2 CPUs"),
        "try again later",
    ),
    "preemption-expected": Scenario(
        Code.PREEMPTION_EXPECTED,
        lambda: verdict(
            pod(requests={"cpu": "2"}),
            [node(), pod("user-placeholder-0", requests={"cpu": "3"}, node_name="node-1", priority=-10)],
            checks=["capacity"],
        ),
        ("lower-priority pods",),
        "make way",
    ),
    "priorityclass-not-found": Scenario(
        Code.PRIORITYCLASS_NOT_FOUND,
        lambda: verdict(
            pod(priorityClassName="jhub-default-priorty"),
            [node(), priority_class("jhub-default-priority", value=0)],
            checks=["capacity"],
        ),
        ('"jhub-default-priorty"',),
        "Ask your administrator",
    ),
    "no-node-fits-pinned-node": Scenario(
        Code.NO_NODE_FITS,
        lambda: verdict(pod(requests={"cpu": "8"}, node_name="node-1"), [node()], checks=["capacity"]),
        ("8 CPUs", 'node "node-1"', "4 CPUs"),
        "Choose at most 4 CPUs",
    ),
    "insufficient-capacity-pinned-node": Scenario(
        Code.INSUFFICIENT_CAPACITY,
        lambda: verdict(pod(requests={"cpu": "3"}, node_name="node-1"), _busy_node(), checks=["capacity"]),
        ("3 CPUs", 'node "node-1"', "2 CPUs free"),
        "Choose at most 2 CPUs",
    ),
    "check-skipped": Scenario(
        Code.CHECK_SKIPPED,
        lambda: verdict(pod(), view=cluster(known={"Node"}), checks=["quota"]),
        ("ResourceQuota",),
        "skipped",
    ),
}
