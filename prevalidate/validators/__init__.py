"""The checks: pure functions from (demand, cluster view, image facts, settings) to findings.

No I/O here. ``run_all`` builds the SpawnDemand of a pod (after mutating admission and with the
namespace's LimitRange defaults, as the apiserver would) and runs every enabled check, so that a
user sees all problems at once. A caller that needs the demand before the checks (the validation
service looks up the pod's images with its pull secrets) calls the three steps itself —
``shape_verdict``, ``pod_demand``, ``run_checks`` — so the demand is built once. The hub, the
webhook and the CLI reach these through ``prevalidate.service``; none of them holds decision
logic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from ..model.cluster import ClusterView
from ..model.demand import SpawnDemand, build_demand
from ..model.findings import Code, Finding, Severity, Verdict
from ..model.image_facts import ImageFacts
from ..model.podshape import shape_problems
from ..model.request import PodRequest
from ..model.settings import CHECKS as CHECK_NAMES
from ..model.settings import Settings
from .admission import admit
from .capacity import check as capacity_check
from .context import CheckInput
from .image import check as image_check
from .limitrange import check as limitrange_check
from .namespace import check as namespace_check
from .pvc import check as pvc_check
from .quota import check as quota_check
from .quota import new_claims
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
# Settings.disabled_checks, c.Prevalidator.disabled_checks and its help text name the checks
# from model.settings.CHECKS (the model cannot import this module): the two must agree. The
# last name, "admission", is the step ``pod_demand`` runs before the checks (admission.admit),
# which an admin can turn off like a check.
assert (*CHECKS, "admission") == CHECK_NAMES, "model.settings.CHECKS must name validators.CHECKS in order"


def shape_verdict(pod: Mapping[str, Any]) -> Verdict | None:
    """The ``input-invalid`` verdict of a pod the apiserver would refuse to decode (400), when
    nothing else about it is meaningful; None when its shape is fine."""
    problems = shape_problems(pod)
    if not problems:
        return None
    return Verdict.of(
        Finding(
            Code.INPUT_INVALID,
            Severity.ERROR,
            path or "pod",
            {"field": path or "pod", "value": "", "reason": reason, "shape": True},
        )
        for path, reason in problems
    )


def pod_demand(request: PodRequest, cluster: ClusterView, settings: Settings) -> SpawnDemand:
    """What the pod asks for as the scheduler will see it: after mutating admission
    (``admission.admit``) and its namespace's LimitRange defaults. What admission refuses or
    cannot decide comes first among the demand's ``problems``. Only for a pod ``shape_verdict``
    passed."""
    admitted = admit(request.pod, cluster, settings)  # every check sees the pod as the scheduler will
    demand = build_demand(admitted.pod, cluster.limit_ranges_in(request.namespace))
    return replace(demand, problems=(*admitted.findings, *demand.problems))


def run_checks(
    request: PodRequest,
    demand: SpawnDemand,
    cluster: ClusterView,
    settings: Settings,
    images: Mapping[str, ImageFacts] | None = None,
) -> Verdict:
    """Every enabled check over a demand ``pod_demand`` built for ``request``."""
    ctx = CheckInput(request, demand, cluster, settings, dict(images or {}), new_claims(request, cluster))
    findings: list[Finding] = list(demand.problems)
    for name, check in CHECKS.items():
        if not settings.enabled(name):
            continue
        try:
            findings.extend(check(ctx))
        except (AttributeError, TypeError, LookupError, ValueError, ArithmeticError) as exc:
            # A field deeper than the shape check has an odd type, or we have a bug: either
            # way this check cannot decide, and an undecided check never blocks a spawn.
            ns, pod = demand.namespace, demand.pod_name
            log.warning("prevalidate: the %s check failed on pod %s/%s: %r", name, ns, pod, exc)
            findings.append(
                Finding(Code.CHECK_SKIPPED, Severity.WARNING, name, {"kind": name, "failed": True})
            )
    return Verdict.of(findings)


def run_all(
    request: PodRequest | Mapping[str, Any],
    cluster: ClusterView,
    settings: Settings | None = None,
    images: Mapping[str, ImageFacts] | None = None,
) -> Verdict:
    """Every finding for a pod (a bare pod is a request that creates nothing else).
    ``images`` holds registry answers (absent when offline)."""
    request = PodRequest.of(request)
    early = shape_verdict(request.pod)
    if early is not None:  # the apiserver would refuse to decode it: nothing else is meaningful
        return early
    settings = settings or Settings()
    return run_checks(request, pod_demand(request, cluster, settings), cluster, settings, images)


__all__ = ["CHECKS", "CheckInput", "pod_demand", "run_all", "run_checks", "shape_verdict"]
