"""The checks: pure functions from (demand, cluster view, image facts, settings) to findings.

No I/O here. ``run_all`` builds the SpawnDemand of a pod (with the namespace's LimitRange
defaults, as the apiserver would) and runs every enabled check, so that a user sees all
problems at once. The hub, the webhook and the CLI all call ``run_all``; none of them holds
decision logic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..model.cluster import ClusterView
from ..model.demand import build_demand
from ..model.findings import Finding, Verdict
from ..model.image_facts import ImageFacts
from ..model.objects import PVCInfo
from ..model.settings import Settings
from . import capacity, image, limitrange, namespace, pvc, quota, references
from .context import CheckInput

Check = Callable[[CheckInput], list[Finding]]

CHECKS: dict[str, Check] = {
    "namespace": namespace.check,
    "quota": quota.check,
    "limitrange": limitrange.check,
    "capacity": capacity.check,
    "pvc": pvc.check,
    "references": references.check,
    "image": image.check,
}


def run_all(
    pod: Mapping[str, Any],
    cluster: ClusterView,
    settings: Settings | None = None,
    images: Mapping[str, ImageFacts] | None = None,
    new_claims: Sequence[PVCInfo] = (),
) -> Verdict:
    """Every finding for ``pod``. ``images`` holds registry answers (absent when offline);
    ``new_claims`` are PVCs the spawner will create itself just before the pod."""
    settings = settings or Settings()
    ns = str((pod.get("metadata") or {}).get("namespace") or "default")
    demand = build_demand(pod, cluster.limit_ranges_in(ns))
    ctx = CheckInput(demand, cluster, settings, dict(images or {}), tuple(new_claims))
    findings: list[Finding] = list(demand.problems)
    for name, check in CHECKS.items():
        if settings.enabled(name):
            findings.extend(check(ctx))
    return Verdict.of(findings)


__all__ = ["CHECKS", "CheckInput", "run_all"]
