"""SpawnDemand: what a pod asks of the cluster, after the apiserver's own defaulting.

Pure, no I/O here. ``build_demand`` reads a v1 Pod manifest (as KubeSpawner would create it,
or an AdmissionReview's ``request.object``) and applies, in the apiserver's order: limits
copied into missing requests (pkg/apis/core/v1/defaults.go, SetDefaults_Pod), LimitRange
defaults (plugin/pkg/admission/limitranger), then the pod totals of PodRequests/PodLimits
(staging/src/k8s.io/component-helpers/resource/helpers.go: containers + sidecars vs. the
init-container peak, pod overhead). Values that the apiserver would refuse become
``input-invalid`` findings instead of exceptions, so the caller can show every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .findings import Code, Finding, Severity
from .jsonshape import mapping, objects, string_map, strings
from .names import field_invalid
from .objects import LimitRangeInfo
from .podfields import container_resource_name_problem, field_problems
from .podlevel import pod_level_problems
from .podrefs import ObjectRef, object_refs
from .quantity import parse_quantity
from .resources import (
    CPU,
    MEMORY,
    ResourceList,
    add_into,
    is_extended,
    is_hugepages,
    max_into,
)

KIND_CONTAINER, KIND_INIT, KIND_SIDECAR = "container", "init container", "sidecar"


@dataclass(frozen=True)
class ContainerDemand:
    name: str
    kind: str
    image: str
    requests: ResourceList
    limits: ResourceList
    defaulted: tuple[str, ...] = ()  # "request cpu", "limit memory": what LimitRange filled in


@dataclass(frozen=True)
class ClaimRef:
    volume: str
    claim: str
    read_only: bool


@dataclass(frozen=True)
class Toleration:
    key: str
    operator: str
    value: str
    effect: str


@dataclass(frozen=True)
class SpawnDemand:
    namespace: str
    pod_name: str
    service_account: str
    priority_class: str
    terminating_scope: bool  # spec.activeDeadlineSeconds >= 0
    cross_namespace_affinity: bool
    containers: tuple[ContainerDemand, ...]
    requests: ResourceList  # effective pod requests incl. overhead (scheduler, quota)
    limits: ResourceList
    requests_without_overhead: ResourceList  # LimitRange "Pod" items
    limits_without_overhead: ResourceList
    qos_class: str
    images: tuple[str, ...]
    image_pull_secrets: tuple[str, ...]
    claims: tuple[ClaimRef, ...]
    object_refs: tuple[ObjectRef, ...]
    node_selector: Mapping[str, str]
    node_affinity_terms: tuple[Mapping[str, Any], ...]  # required terms (ORed)
    tolerations: tuple[Toleration, ...]
    problems: tuple[Finding, ...] = field(default=())
    pod_requests_explicit: bool = False
    # spec.nodeName: the scheduler never sees such a pod, only that node's kubelet admits it.
    node_name: str = ""
    # What the manifest itself says of priority (a copy of a stored pod carries both); the
    # Priority admission plugin sets them from the class (model/priority.py).
    spec_priority: int | None = None
    preemption_policy: str = ""


def _resources(container: Mapping[str, Any]) -> Mapping[str, Any]:
    res = container.get("resources")
    return res if isinstance(res, Mapping) else {}


def _parse_list(raw: Any, path: str, problems: list[Finding], container: bool = False) -> ResourceList:
    """The quantities of a resource list; what the apiserver refuses becomes a finding. For a
    container's requests and limits the names are checked too (``foo`` is a 422, not a
    resource no node has)."""
    out: ResourceList = {}
    if raw is None:
        return out
    if not isinstance(raw, Mapping):
        problems.append(_invalid(path, raw, "must be a map of resource names to quantities"))
        return out
    for name, value in raw.items():
        where = f"{path}.{name}"
        name_problem = container_resource_name_problem(str(name)) if container else None
        if name_problem:
            problems.append(field_invalid("resource-name", where, name, name_problem, resource=str(name)))
            continue
        if isinstance(value, bool):
            problems.append(_invalid(where, value, "is not a quantity"))
            continue
        # Quantity.UnmarshalJSON trims whitespace, but JSON encoding escapes all of it but spaces.
        text = str(value).strip(" ") if isinstance(value, str) else _number_text(value)
        try:
            quantity = parse_quantity(text)
        except ValueError as exc:
            problems.append(_invalid(where, value, str(exc), resource=str(name)))
            continue
        if quantity < 0:
            problems.append(_invalid(where, value, "must be greater than or equal to 0", resource=str(name)))
            continue
        if is_extended(str(name)) and quantity != quantity.to_integral_value():
            problems.append(_invalid(where, value, "must be an integer", resource=str(name)))
            continue
        out[str(name)] = quantity
    return out


def _number_text(value: Any) -> str:
    # A JSON number is accepted by the apiserver (1.5 -> 1500m); repr keeps its exact digits.
    # JSON null decodes to a zero quantity (Quantity.UnmarshalJSON).
    return "0" if value is None else repr(value) if isinstance(value, float) else str(value)


def _invalid(where: str, value: Any, reason: str, resource: str = "") -> Finding:
    return Finding(
        Code.INPUT_INVALID,
        Severity.ERROR,
        subject=resource or where,
        facts={"field": where, "value": str(value), "reason": reason},
    )


def _apply_limit_range_defaults(
    requests: ResourceList, limits: ResourceList, ranges: Sequence[LimitRangeInfo]
) -> list[str]:
    filled: list[str] = []
    for limit_range in ranges:
        for item in limit_range.items:
            if item.type != "Container":
                continue
            for name, value in item.default.items():
                if name not in limits:
                    limits[name] = value
                    filled.append(f"limit {name}")
            for name, value in item.default_request.items():
                if name not in requests:
                    requests[name] = value
                    filled.append(f"request {name}")
    return filled


def _container(
    raw: Mapping[str, Any], kind: str, path: str, ranges: Sequence[LimitRangeInfo], problems: list[Finding]
) -> ContainerDemand:
    res = _resources(raw)
    requests = _parse_list(res.get("requests"), f"{path}.resources.requests", problems, container=True)
    limits = _parse_list(res.get("limits"), f"{path}.resources.limits", problems, container=True)
    for name, value in limits.items():  # SetDefaults_Pod: limit -> missing request
        requests.setdefault(name, value)
    defaulted = _apply_limit_range_defaults(requests, limits, ranges)
    name = str(raw.get("name") or "")
    for resource, request in requests.items():
        limit = limits.get(resource)
        if is_extended(resource) or is_hugepages(resource):
            if limit is None or limit != request:
                problem = _invalid(
                    f"{path}.resources.requests.{resource}",
                    request,
                    f"must be equal to {resource} limit"
                    if limit is not None
                    else "Limit must be set for non overcommitable resources",
                    resource=resource,
                )
                # What a message needs to say "add a limit equal to the request" (validation.go
                # ValidateResourceRequirements: no overcommit for extended resources/hugepages).
                facts = {
                    **problem.facts,
                    "overcommit": resource,
                    "request": request,
                    "overcommit_limit": limit,
                    "container": name,
                }
                problems.append(Finding(problem.code, problem.severity, problem.subject, facts))
        elif limit is not None and request > limit:
            problems.append(
                Finding(
                    Code.INPUT_INVALID,
                    Severity.ERROR,
                    subject=resource,
                    facts={
                        "field": f"{path}.resources.requests.{resource}",
                        "value": str(request),
                        "reason": f"must be less than or equal to {resource} limit",
                        "request": request,
                        "limit": limit,
                        "container": name,
                        "limit_defaulted": f"limit {resource}" in defaulted,
                    },
                )
            )
    return ContainerDemand(name, kind, str(raw.get("image") or ""), requests, limits, tuple(defaulted))


def pod_totals(containers: Sequence[ContainerDemand], attr: str) -> ResourceList:
    """component-helpers PodRequests/PodLimits: the sum of app containers and sidecars vs.
    the peak of the init sequence (an init container plus the sidecars started before it)."""
    total: ResourceList = {}
    for c in containers:
        if c.kind == KIND_CONTAINER:
            add_into(total, getattr(c, attr))
    sidecars: ResourceList = {}
    init_peak: ResourceList = {}
    for c in containers:
        values: ResourceList = getattr(c, attr)
        if c.kind == KIND_SIDECAR:
            add_into(total, values)
            add_into(sidecars, values)
            max_into(init_peak, sidecars)
        elif c.kind == KIND_INIT:
            candidate = dict(sidecars)
            add_into(candidate, values)
            max_into(init_peak, candidate)
    max_into(total, init_peak)
    return total


def qos_class(containers: Sequence[ContainerDemand]) -> str:
    """pkg/apis/core/v1/helper/qos: only cpu and memory, only values > 0."""
    requests_set = limits_set = False
    guaranteed = True
    for c in containers:
        for resource in (CPU, MEMORY):
            request = c.requests.get(resource, Decimal(0))
            limit = c.limits.get(resource, Decimal(0))
            requests_set |= request > 0
            limits_set |= limit > 0
            if limit <= 0 or request != limit:
                guaranteed = False
    if not requests_set and not limits_set:
        return "BestEffort"
    return "Guaranteed" if guaranteed else "Burstable"


def build_demand(pod: Mapping[str, Any], limit_ranges: Sequence[LimitRangeInfo] = ()) -> SpawnDemand:
    """Build the demand of ``pod`` as the apiserver would see it after admission defaulting."""
    meta = pod.get("metadata") if isinstance(pod.get("metadata"), Mapping) else {}
    spec = pod.get("spec") if isinstance(pod.get("spec"), Mapping) else {}
    assert isinstance(meta, Mapping) and isinstance(spec, Mapping)
    problems: list[Finding] = field_problems(pod)
    containers: list[ContainerDemand] = []
    for index, raw in enumerate(objects(spec.get("initContainers"))):
        kind = KIND_SIDECAR if raw.get("restartPolicy") == "Always" else KIND_INIT
        containers.append(_container(raw, kind, f"spec.initContainers[{index}]", limit_ranges, problems))
    for index, raw in enumerate(objects(spec.get("containers"))):
        containers.append(
            _container(raw, KIND_CONTAINER, f"spec.containers[{index}]", limit_ranges, problems)
        )

    requests = pod_totals(containers, "requests")
    limits = pod_totals(containers, "limits")
    pod_level = _resources(spec)
    own = {attr: _parse_list(pod_level.get(attr), f"spec.resources.{attr}", problems)
           for attr in ("requests", "limits")}
    problems += pod_level_problems(
        own["requests"], own["limits"], requests, limits,
        [(c.name, c.limits) for c in containers if c.kind == KIND_CONTAINER],
        [c.name for c in containers if c.defaulted],
    )
    explicit = False
    for attr, target in (("requests", requests), ("limits", limits)):
        for name, value in own[attr].items():
            if name in (CPU, MEMORY) or is_hugepages(name):
                target[name] = value
                explicit = True
    requests_plain, limits_plain = dict(requests), dict(limits)
    overhead = _parse_list(spec.get("overhead"), "spec.overhead", problems)
    add_into(requests, overhead)
    for name, value in overhead.items():  # overhead only on limits that exist and are non-zero
        if limits.get(name):
            limits[name] += value

    images: list[str] = []
    for c in containers:
        if c.image and c.image not in images:
            images.append(c.image)
    affinity = mapping(spec.get("affinity"))
    node_affinity = mapping(
        mapping(affinity.get("nodeAffinity")).get("requiredDuringSchedulingIgnoredDuringExecution")
    )
    return SpawnDemand(
        namespace=str(meta.get("namespace") or "default"),
        pod_name=str(meta.get("name") or meta.get("generateName") or ""),
        service_account=str(spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"),
        priority_class=str(spec.get("priorityClassName") or ""),
        terminating_scope=_non_negative_int(spec.get("activeDeadlineSeconds")),
        cross_namespace_affinity=_cross_namespace(affinity),
        containers=tuple(containers),
        requests=requests,
        limits=limits,
        requests_without_overhead=requests_plain,
        limits_without_overhead=limits_plain,
        qos_class=qos_class(containers),
        images=tuple(images),
        image_pull_secrets=tuple(
            str(r.get("name")) for r in objects(spec.get("imagePullSecrets")) if r.get("name")
        ),
        claims=_claims(spec),
        object_refs=object_refs(spec),
        node_selector=string_map(spec.get("nodeSelector")),
        node_affinity_terms=tuple(_node_term(t) for t in objects(node_affinity.get("nodeSelectorTerms"))),
        tolerations=tuple(
            Toleration(
                str(t.get("key") or ""),
                str(t.get("operator") or "Equal"),
                str(t.get("value") or ""),
                str(t.get("effect") or ""),
            )
            for t in objects(spec.get("tolerations"))
        ),
        problems=tuple(problems),
        pod_requests_explicit=explicit,
        node_name=str(spec.get("nodeName") or ""),
        spec_priority=_int_or_none(spec.get("priority")),
        preemption_policy=str(spec.get("preemptionPolicy") or ""),
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _non_negative_int(value: Any) -> bool:
    # An integral float is the integer (kubectl's YAML-to-JSON prints 3600.0 as 3600).
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 0


def _cross_namespace(affinity: Mapping[str, Any]) -> bool:
    for kind in ("podAffinity", "podAntiAffinity"):
        section = mapping(affinity.get(kind))
        terms = objects(section.get("requiredDuringSchedulingIgnoredDuringExecution"))
        terms += [
            mapping(t.get("podAffinityTerm"))
            for t in objects(section.get("preferredDuringSchedulingIgnoredDuringExecution"))
        ]
        if any(t.get("namespaces") or t.get("namespaceSelector") is not None for t in terms):
            return True
    return False


def _node_term(term: Mapping[str, Any]) -> dict[str, Any]:
    """A NodeSelectorTerm as the decoder fills it: requirement lists of objects, values of
    strings (``null`` items are empty ones), so the scheduler filters read plain data."""
    return {
        key: [
            {
                "key": str(r.get("key") or ""),
                "operator": str(r.get("operator") or ""),
                "values": strings(r.get("values")),
            }
            for r in objects(term.get(key))
        ]
        for key in ("matchExpressions", "matchFields")
    }


def _claims(spec: Mapping[str, Any]) -> tuple[ClaimRef, ...]:
    claims = []
    for volume in objects(spec.get("volumes")):
        source = volume.get("persistentVolumeClaim")
        if isinstance(source, Mapping) and source.get("claimName"):
            claims.append(
                ClaimRef(
                    str(volume.get("name") or ""), str(source["claimName"]), bool(source.get("readOnly"))
                )
            )
    return tuple(claims)
