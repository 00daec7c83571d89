"""What the capacity tests share: the verdicts they expect, the node they bind pods to, and
``capacity`` — the capacity check alone over a pod and a list of objects."""

from __future__ import annotations

from typing import Any

from factories import only, pairs, taint, verdict

NO_FIT = [("no-node-fits", "error")]
NO_ROOM = [("insufficient-capacity", "error")]
GPU = "nvidia.com/gpu"
GPU_TAINT = taint(GPU, "present", "NoSchedule")
ON = "node-1"  # the name factories.node() gives a node


def capacity(the_pod: Any, objects: Any, **settings: Any) -> list[tuple[str, str]]:
    # These nodes carry no node-group label, so "auto" already means no autoscaler; stating
    # it keeps the zero-node cases errors (tests/validators/test_autoscaling.py: the warnings).
    settings.setdefault("autoscaler", "absent")
    return pairs(verdict(the_pod, objects, settings=only("capacity", **settings)))
