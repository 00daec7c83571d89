"""LimitRanger validation after defaulting (plugin/pkg/admission/limitranger/admission.go).

Pure, no I/O here. ``type: Container`` items are checked against every container and init
container (already defaulted in the SpawnDemand), ``type: Pod`` items against the pod totals
without overhead, ``type: PersistentVolumeClaim`` items against PVCs the spawner will create.
The apiserver stops at the first failing LimitRange object; we report every violation so the
user can fix everything in one go.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from ..model.findings import Code, Finding, Severity
from ..model.objects import LimitRangeItem
from .context import CheckInput, skipped


def _violations(
    item: LimitRangeItem,
    requests: Mapping[str, Decimal],
    limits: Mapping[str, Decimal],
    base: dict[str, object],
) -> list[Finding]:
    found: list[Finding] = []

    def add(resource: str, bound: str, enforced: Decimal, observed: Decimal | None, side: str) -> None:
        facts = dict(base, resource=resource, bound=bound, enforced=enforced, observed=observed, side=side)
        found.append(Finding(Code.LIMITRANGE_VIOLATION, Severity.ERROR, subject=resource, facts=facts))

    for resource, minimum in sorted(item.min.items()):
        request, limit = requests.get(resource), limits.get(resource)
        # Like LimitRanger's minConstraint/maxConstraint: the first failing rule per resource.
        if request is None:
            add(resource, "min", minimum, None, "request")
        elif request < minimum:
            add(resource, "min", minimum, request, "request")
        elif limit is not None and limit < minimum:
            add(resource, "min", minimum, limit, "limit")
    for resource, maximum in sorted(item.max.items()):
        request, limit = requests.get(resource), limits.get(resource)
        if item.type == "PersistentVolumeClaim":
            if request is None:
                add(resource, "max", maximum, None, "request")
            elif request > maximum:
                add(resource, "max", maximum, request, "request")
            continue
        if limit is None:
            add(resource, "max", maximum, None, "limit")  # a max requires a limit
        elif limit > maximum:
            add(resource, "max", maximum, limit, "limit")
        elif request is not None and request > maximum:
            add(resource, "max", maximum, request, "request")
    for resource, ratio in sorted(item.max_ratio.items()):
        request, limit = requests.get(resource), limits.get(resource)
        if not request:
            add(resource, "ratio", ratio, None, "request")
        elif not limit:
            add(resource, "ratio", ratio, None, "limit")
        elif limit / request > ratio:
            add(resource, "ratio", ratio, limit / request, "ratio")
    return found


def check(ctx: CheckInput) -> list[Finding]:
    if not ctx.cluster.knows("LimitRange", ctx.demand.namespace):
        return [skipped("limitrange", "LimitRange")]
    demand = ctx.demand
    findings: list[Finding] = []
    for limit_range in ctx.cluster.limit_ranges_in(demand.namespace):
        for item in limit_range.items:
            base: dict[str, object] = {"limitrange": limit_range.name, "type": item.type}
            if item.type == "Container":
                for c in demand.containers:
                    findings += _violations(item, c.requests, c.limits, dict(base, container=c.name))
            elif item.type == "Pod":
                findings += _violations(
                    item, demand.requests_without_overhead, demand.limits_without_overhead, base
                )
            elif item.type == "PersistentVolumeClaim":
                for claim in ctx.new_claims:
                    requests = {"storage": claim.storage_request} if claim.storage_request else {}
                    findings += _violations(item, requests, {}, dict(base, claim=claim.name))
    return findings
