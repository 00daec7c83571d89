"""What the quota tests share: the pod KubeSpawner makes, and ``quota_findings`` — the quota
check alone over a pod, the namespace objects and the claims the spawner creates first."""

from __future__ import annotations

from typing import Any

from factories import pod, verdict

BURSTABLE = {"requests": {"cpu": "8"}}
KUBESPAWNER = pod(**BURSTABLE)  # no activeDeadlineSeconds, no priority class, no affinity
GPU = "nvidia.com/gpu"


def quota_findings(the_pod: dict[str, Any], objects: list[dict[str, Any]], claims: tuple = ()) -> list:
    v = verdict(the_pod, objects, checks=["quota"], new_claims=claims)
    return sorted((f.code.value, f.subject) for f in v.findings)


def exceeded(*resources: str) -> list[tuple[str, str]]:
    return sorted(("quota-exceeded", r) for r in resources)
