"""The checks: pure functions from (demand, cluster view, image facts, settings) to findings.

No I/O here. ``run_all`` builds the SpawnDemand of a pod (with the namespace's LimitRange
defaults, as the apiserver would) and runs every enabled check, so that a user sees all
problems at once. The hub, the webhook and the CLI all call ``run_all``; none of them holds
decision logic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..model.cluster import ClusterView
from ..model.demand import build_demand
from ..model.findings import Code, Finding, Severity, Verdict
from ..model.image_facts import ImageFacts
from ..model.objects import PVCInfo
from ..model.podshape import shape_problems
from ..model.settings import Settings
from .admission import admit
from .capacity import check as capacity_check
from .context import CheckInput
from .image import check as image_check
from .limitrange import check as limitrange_check
from .namespace import check as namespace_check
from .pvc import check as pvc_check
from .quota import check as quota_check
from .references import check as references_check

Check = Callable[[CheckInput], list[Finding]]
log = logging.getLogger(__name__)

CHECKS: dict[str, Check] = {
    "namespace": namespace_check,
    "quota": quota_check,
    "limitrange": limitrange_check,
    "capacity": capacity_check,
    "pvc": pvc_check,
    "references": references_check,
    "image": image_check,
}


def run_all(
    pod: Mapping[str, Any],
    cluster: ClusterView,
    settings: Settings | None = None,
    images: Mapping[str, ImageFacts] | None = None,
    new_claims: Sequence[PVCInfo] = (),
    creates_namespace: bool = False,
) -> Verdict:
    """Every finding for ``pod``. ``images`` holds registry answers (absent when offline);
    ``new_claims`` are PVCs the spawner will create itself just before the pod."""
    settings = settings or Settings()
    problems = shape_problems(pod)
    if problems:  # the apiserver would refuse to decode it (400): nothing else is meaningful
        return Verdict.of(
            Finding(
                Code.INPUT_INVALID,
                Severity.ERROR,
                path or "pod",
                {"field": path or "pod", "value": "", "reason": reason, "shape": True},
            )
            for path, reason in problems
        )
    ns = str((pod.get("metadata") or {}).get("namespace") or "default")
    admitted = admit(pod, cluster, settings)  # every check sees the pod as the scheduler will
    demand = build_demand(admitted.pod, cluster.limit_ranges_in(ns))
    ctx = CheckInput(demand, cluster, settings, dict(images or {}), tuple(new_claims), creates_namespace)
    findings: list[Finding] = [*admitted.findings, *demand.problems]
    for name, check in CHECKS.items():
        if not settings.enabled(name):
            continue
        try:
            findings.extend(check(ctx))
        except (AttributeError, TypeError, LookupError, ValueError, ArithmeticError) as exc:
            # A field deeper than the shape check has an odd type, or we have a bug: either
            # way this check cannot decide, and an undecided check never blocks a spawn.
            log.warning("prevalidate: the %s check failed on pod %s/%s: %r", name, ns, demand.pod_name, exc)
            findings.append(
                Finding(Code.CHECK_SKIPPED, Severity.WARNING, name, {"kind": name, "failed": True})
            )
    return Verdict.of(findings)


__all__ = ["CHECKS", "CheckInput", "run_all"]
