"""The pod as the scheduler will see it: kube-apiserver's mutating admission plugins, applied
to the pod as submitted before any check reads it.

Pure, no I/O here. In kube-apiserver's order (pkg/kubeapiserver/options/plugins.go), each from
its source in kubernetes/kubernetes plugin/pkg/admission/:
- PodNodeSelector (podnodeselector/admission.go): the namespace's
  ``scheduler.alpha.kubernetes.io/node-selector`` (else the configured
  ``clusterDefaultNodeSelector``) is merged into the pod's nodeSelector; a key both set
  differently is refused; the result must be in the configured per-namespace whitelist.
- DefaultTolerationSeconds (defaulttolerationseconds/admission.go): 300 s tolerations of the
  not-ready and unreachable NoExecute taints, unless the pod tolerates them already.
- PodTolerationRestriction (podtolerationrestriction/admission.go): the namespace's
  ``defaultTolerations`` (else the configured default) and, for a pod that is not BestEffort,
  the memory-pressure toleration are merged in; every toleration must be covered by the
  namespace's ``tolerationsWhitelist`` (else the configured one).
- ExtendedResourceToleration (extendedresourcetoleration/admission.go): an ``Exists``
  NoSchedule toleration for each extended resource a container requests (``nvidia.com/gpu``).
- RuntimeClass (runtimeclass/admission.go; here runtimeclass.py): the class's ``overhead.podFixed`` becomes
  ``spec.overhead`` (a pod that sets a different one, or sets one without such a class, is
  refused), ``scheduling.nodeSelector`` is merged (a conflicting key is refused) and
  ``scheduling.tolerations`` are merged. A class that does not exist is refused by the plugin,
  and without the plugin the kubelet cannot create the pod's sandbox: an error either way.

A plugin the admin did not state is "auto" (``AdmissionConfig``): its added tolerations are
assumed, because they can only let the pod onto more nodes, but its node selectors and its
refusals are not. The whitelist checks read only the tolerations known to be added, so an
assumed toleration never causes a refusal either. What cannot be read (RBAC) is not decided.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..model.admission import (
    CLUSTER_DEFAULT_NODE_SELECTOR,
    DEFAULT_TOLERATION_SECONDS,
    DEFAULT_TOLERATIONS_ANNOTATION,
    EXTENDED_RESOURCE_TOLERATION,
    NODE_SELECTOR_ANNOTATION,
    POD_NODE_SELECTOR,
    POD_TOLERATION_RESTRICTION,
    TOLERATIONS_WHITELIST_ANNOTATION,
    AdmissionConfig,
)
from ..model.cluster import ClusterView
from ..model.findings import Finding
from ..model.jsonshape import string_map  # a null value is "" to the decoder
from ..model.names import qualified_name_problem
from ..model.objects import LimitRangeInfo
from ..model.resources import CPU, MEMORY, cached_quantity, is_extended
from ..model.settings import Settings
from ..model.tolerations import (
    Tol,
    add_or_update,
    conflict,
    merge,
    not_whitelisted,
    parse_selector_map,
    parse_tolerations,
    whitelisted,
)
from .admitstate import ANY_TAINT, AdmittedPod
from .runtimeclass import runtime_class

NOT_READY = Tol("node.kubernetes.io/not-ready", "Exists", "", "NoExecute", 300)
UNREACHABLE = Tol("node.kubernetes.io/unreachable", "Exists", "", "NoExecute", 300)
MEMORY_PRESSURE = Tol("node.kubernetes.io/memory-pressure", "Exists", "", "NoSchedule")


@dataclass(frozen=True)
class Admitted:
    """The pod after mutating admission, and what the plugins refuse or could not decide."""

    pod: Mapping[str, Any]
    findings: tuple[Finding, ...] = ()


def admit(pod: Mapping[str, Any], cluster: ClusterView, settings: Settings) -> Admitted:
    """``pod`` (shape-checked) as mutating admission leaves it, with the refusals."""
    config = settings.admission
    spec = pod.get("spec")
    meta = pod.get("metadata")
    if not isinstance(spec, Mapping):
        return Admitted(pod)
    ns = str((meta.get("namespace") if isinstance(meta, Mapping) else None) or "default")
    raw_tolerations = [t for t in spec.get("tolerations") or () if isinstance(t, Mapping)]
    own = [Tol.of(t) for t in raw_tolerations]
    selector = spec.get("nodeSelector")
    state = AdmittedPod(
        ns,
        string_map(selector) if isinstance(selector, Mapping) else None,
        own,
        list(own),
    )
    _pod_node_selector(state, cluster, config)
    _default_toleration_seconds(state, config)
    _pod_toleration_restriction(state, cluster, config, _best_effort(spec, cluster.limit_ranges_in(ns)))
    _extended_resource_toleration(state, spec, cluster.limit_ranges_in(ns), config)
    runtime_class(state, spec, cluster, config)
    _whitelists(state, cluster, config)
    findings = tuple(state.findings) if settings.enabled("admission") else ()

    added: list[dict[str, Any]] = []
    for t in [*state.certain, *state.assumed]:
        if t not in own and t.as_dict() not in added:
            added.append(t.as_dict())
    before = string_map(selector) if isinstance(selector, Mapping) else {}
    changed_selector = (state.selector or {}) != before
    if not added and not changed_selector and state.overhead is None:
        return Admitted(pod, findings)
    new_spec = dict(spec)
    if added:
        new_spec["tolerations"] = [*raw_tolerations, *added]
    if changed_selector:
        new_spec["nodeSelector"] = dict(state.selector or {})
    if state.overhead is not None:
        if state.overhead:
            new_spec["overhead"] = dict(state.overhead)
        else:
            new_spec.pop("overhead", None)
    return Admitted({**pod, "spec": new_spec}, findings)


# ---- the plugins, in kube-apiserver's order ----------------------------------------------


def _pod_node_selector(state: AdmittedPod, cluster: ClusterView, config: AdmissionConfig) -> None:
    # Adding a node selector only ever removes nodes, so it is applied only when stated on.
    if not config.on(POD_NODE_SELECTOR) or not cluster.knows("Namespace"):
        return
    annotation = cluster.namespace_annotations.get(state.namespace, {}).get(NODE_SELECTOR_ANNOTATION)
    text = (
        annotation if annotation is not None else config.node_selectors.get(CLUSTER_DEFAULT_NODE_SELECTOR, "")
    )
    try:
        namespace_selector = parse_selector_map(text)
    except ValueError as exc:
        state.refuse(
            POD_NODE_SELECTOR, "annotation-invalid", annotation=NODE_SELECTOR_ANNOTATION, detail=str(exc)
        )
        return
    pod_selector = state.selector or {}
    clash = conflict(namespace_selector, pod_selector)
    if clash:
        key, wanted, asked = clash
        state.refuse(POD_NODE_SELECTOR, "namespace-selector-conflict", key=key, required=wanted, value=asked)
        return
    state.selector = {**namespace_selector, **pod_selector}


def _default_toleration_seconds(state: AdmittedPod, config: AdmissionConfig) -> None:
    if config.off(DEFAULT_TOLERATION_SECONDS):
        return
    added = []
    for default in (NOT_READY, UNREACHABLE):
        if not any(t.key in (default.key, "") and t.effect in ("NoExecute", "") for t in state.own):
            added.append(default)
    if config.on(DEFAULT_TOLERATION_SECONDS):
        state.certain.extend(added)
    else:
        state.assumed.extend(added)


def _best_effort(spec: Mapping[str, Any], ranges: Sequence[LimitRangeInfo]) -> bool:
    """QoS BestEffort after defaulting (a limit fills a missing request, then LimitRanger's
    defaults fill what is still missing; both run before these plugins): no cpu or memory
    request or limit above zero in any container."""
    defaults = [item for r in ranges for item in r.items if item.type == "Container"]
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or ():
            resources = container.get("resources") if isinstance(container, Mapping) else None
            resources = resources if isinstance(resources, Mapping) else {}
            requests, limits = (
                values if isinstance(values, Mapping) else {}
                for values in (resources.get("requests"), resources.get("limits"))
            )
            for name in (CPU, MEMORY):
                request = requests.get(name, limits.get(name))
                for value, attr in ((request, "default_request"), (limits.get(name), "default")):
                    if value is not None:
                        if _positive(value):
                            return False
                    elif any(getattr(item, attr).get(name, Decimal(0)) > 0 for item in defaults):
                        return False
    return True


def _positive(raw: Any) -> bool:
    try:
        return cached_quantity(str(raw).strip()) > 0
    except ValueError:
        return False


def _pod_toleration_restriction(
    state: AdmittedPod, cluster: ClusterView, config: AdmissionConfig, best_effort: bool
) -> None:
    if config.off(POD_TOLERATION_RESTRICTION):
        return
    sure = config.on(POD_TOLERATION_RESTRICTION)
    extra: list[Tol] = []
    if not cluster.knows("Namespace"):
        if sure:  # its default tolerations are unknown: they may tolerate anything
            state.assumed.append(ANY_TAINT)
    else:
        annotation = cluster.namespace_annotations.get(state.namespace, {}).get(
            DEFAULT_TOLERATIONS_ANNOTATION
        )
        if annotation is None:
            extra.extend(config.default_tolerations or ())
        else:
            try:
                extra.extend(parse_tolerations(annotation))
            except ValueError as exc:
                if sure:
                    state.refuse(
                        POD_TOLERATION_RESTRICTION,
                        "annotation-invalid",
                        annotation=DEFAULT_TOLERATIONS_ANNOTATION,
                        detail=str(exc),
                    )
    if not best_effort:
        extra.append(MEMORY_PRESSURE)
    if sure:
        state.certain = merge(state.certain, extra)
    else:
        state.assumed.extend(extra)


def _extended_names(spec: Mapping[str, Any], ranges: Sequence[LimitRangeInfo]) -> list[str]:
    """The extended resources the containers request, after defaulting (a limit is copied into
    a missing request; LimitRanger's defaultRequest fills the rest)."""
    names: set[str] = set()
    defaults = {
        name for r in ranges for item in r.items if item.type == "Container" for name in item.default_request
    }
    for group in ("initContainers", "containers"):
        for container in spec.get(group) or ():
            resources = container.get("resources") if isinstance(container, Mapping) else None
            resources = resources if isinstance(resources, Mapping) else {}
            for which in ("requests", "limits"):
                values = resources.get(which)
                names.update(str(n) for n in (values if isinstance(values, Mapping) else ()))
            names.update(defaults)
    return sorted(n for n in names if is_extended(n) and not qualified_name_problem("requests." + n))


def _extended_resource_toleration(
    state: AdmittedPod, spec: Mapping[str, Any], ranges: Sequence[LimitRangeInfo], config: AdmissionConfig
) -> None:
    if config.off(EXTENDED_RESOURCE_TOLERATION):
        return
    for name in _extended_names(spec, ranges):
        toleration = Tol(name, "Exists", "", "NoSchedule")
        if config.on(EXTENDED_RESOURCE_TOLERATION):
            state.certain = add_or_update(state.certain, toleration)
        else:
            state.assumed.append(toleration)


# ---- what the validating phase checks on the final pod ------------------------------------


def _whitelists(state: AdmittedPod, cluster: ClusterView, config: AdmissionConfig) -> None:
    if config.on(POD_TOLERATION_RESTRICTION) and cluster.knows("Namespace"):
        _toleration_whitelist(state, cluster, config)
    if config.on(POD_NODE_SELECTOR):
        text = config.node_selectors.get(state.namespace, "")
        try:
            allowed = parse_selector_map(text)
        except ValueError:
            return  # the config was checked when it was read
        missing = list(not_whitelisted(state.selector or {}, allowed))
        if missing:
            key = missing[0]
            state.refuse(
                POD_NODE_SELECTOR,
                "node-selector-not-whitelisted",
                key=key,
                value=(state.selector or {})[key],
                allowed=text,
            )


def _toleration_whitelist(state: AdmittedPod, cluster: ClusterView, config: AdmissionConfig) -> None:
    annotation = cluster.namespace_annotations.get(state.namespace, {}).get(TOLERATIONS_WHITELIST_ANNOTATION)
    scope = "namespace"
    if annotation is None:
        whitelist: Sequence[Tol] = config.tolerations_whitelist or ()
        scope = "cluster"
    else:
        try:
            whitelist = parse_tolerations(annotation)
        except ValueError as exc:
            state.refuse(
                POD_TOLERATION_RESTRICTION,
                "annotation-invalid",
                annotation=TOLERATIONS_WHITELIST_ANNOTATION,
                detail=str(exc),
            )
            return
    outside = whitelisted(state.certain, whitelist)
    if outside is not None:
        state.refuse(
            POD_TOLERATION_RESTRICTION,
            "toleration-not-whitelisted",
            toleration=outside.as_dict(),
            added=outside not in state.own,
            scope=scope,
        )
