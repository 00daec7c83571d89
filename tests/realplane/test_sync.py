"""The scheduler-view canary: its reading of the scheduler's refusal, and that it proves the
loaded nodes are seen (and, after a clean, gone) before a test goes on."""

from __future__ import annotations

import yaml

from prevalidate.testing.realplane import RealCluster, schedule
from prevalidate.testing.realplane.sync import CANARY_RESOURCE, _canary, _expected, _holds, _reasons

NODES = [{"apiVersion": "v1", "kind": "Node", "metadata": {"name": f"sync-{i}"},
          "status": {"allocatable": {"cpu": "2", "memory": "4Gi", "pods": "110"}}} for i in range(3)]


def test_the_refusal_is_read_as_node_count_and_reasons() -> None:
    message = ("0/3 nodes are available: 1 Too many pods, 3 Insufficient example.com/x. preemption: "
               "0/3 nodes are available: 3 No preemption victims found for incoming pod.")
    assert _reasons(message) == (3, {"Too many pods": 1, "Insufficient example.com/x": 3})
    assert _reasons("no nodes available to schedule pods") == (0, {})
    assert _reasons("something else") is None
    want = (3, {"Insufficient example.com/x": 3})
    assert _holds(_reasons(message), want)
    assert not _holds((3, {"Insufficient example.com/x": 2, "1 node(s) didn't match": 1}), want)
    assert not _holds((2, {"Insufficient example.com/x": 2}), want)


def test_after_a_load_the_scheduler_holds_every_node(real_cluster: RealCluster) -> None:
    real_cluster.load(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": NODES}))
    # The loader returned only once the canary proved it; a second canary says the same at once.
    canary = _canary(sorted(n["metadata"]["name"] for n in NODES))
    _admission, verdict = schedule(real_cluster.api, canary)
    real_cluster.api.delete("Pod", canary["metadata"]["name"], "default")
    assert verdict is not None and _holds(_reasons(verdict.message), _expected(real_cluster.api))
    assert _expected(real_cluster.api) == (3, {f"Insufficient {CANARY_RESOURCE}": 3})
    # And a pod that fits is bound, not refused for want of nodes.
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "fits", "namespace": "default"},
           "spec": {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": "1"}}}]}}
    _admission, verdict = schedule(real_cluster.api, pod)
    real_cluster.api.delete("Pod", "fits", "default")
    assert verdict is not None and verdict.scheduled, verdict


def test_after_a_clean_the_scheduler_holds_no_node(real_cluster: RealCluster) -> None:
    real_cluster.load(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": NODES}))
    real_cluster.clean()
    canary = _canary([])
    _admission, verdict = schedule(real_cluster.api, canary)
    real_cluster.api.delete("Pod", canary["metadata"]["name"], "default")
    assert verdict is not None and verdict.message.startswith("no nodes available"), verdict
