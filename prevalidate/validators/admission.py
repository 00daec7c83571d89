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
- RuntimeClass (runtimeclass/admission.go): the class's ``overhead.podFixed`` becomes
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
from dataclasses import dataclass, field
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
    RUNTIME_CLASS,
    TOLERATIONS_WHITELIST_ANNOTATION,
    AdmissionConfig,
)
from ..model.cluster import ClusterView
from ..model.findings import Code, Finding, Severity
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
from .context import closest, skipped

NOT_READY = Tol("node.kubernetes.io/not-ready", "Exists", "", "NoExecute", 300)
UNREACHABLE = Tol("node.kubernetes.io/unreachable", "Exists", "", "NoExecute", 300)
MEMORY_PRESSURE = Tol("node.kubernetes.io/memory-pressure", "Exists", "", "NoSchedule")
# Tolerates every taint: stands for tolerations a plugin adds that we cannot read (RBAC).
ANY_TAINT = Tol(operator="Exists")


@dataclass(frozen=True)
class Admitted:
    """The pod after mutating admission, and what the plugins refuse or could not decide."""

    pod: Mapping[str, Any]
    findings: tuple[Finding, ...] = ()


@dataclass
class _Pod:
    """The fields admission changes. ``certain`` is the toleration list as the apiserver
    builds it from the plugins known to run; ``assumed`` are added by plugins that may run."""

    namespace: str
    selector: dict[str, str] | None
    own: list[Tol]
    certain: list[Tol]
    assumed: list[Tol] = field(default_factory=list)
    overhead: Mapping[str, Any] | None = None  # spec.overhead to set; None: unchanged
    findings: list[Finding] = field(default_factory=list)

    def refuse(self, plugin: str, reason: str, **facts: Any) -> None:
        facts = {"plugin": plugin, "reason": reason, "namespace": self.namespace, **facts}
        self.findings.append(Finding(Code.ADMISSION_REFUSED, Severity.ERROR, plugin, facts))


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
    state = _Pod(
        ns,
        {str(k): str(v) for k, v in selector.items()} if isinstance(selector, Mapping) else None,
        own,
        list(own),
    )
    _pod_node_selector(state, cluster, config)
    _default_toleration_seconds(state, config)
    _pod_toleration_restriction(state, cluster, config, _best_effort(spec, cluster.limit_ranges_in(ns)))
    _extended_resource_toleration(state, spec, cluster.limit_ranges_in(ns), config)
    _runtime_class(state, spec, cluster, config)
    _whitelists(state, cluster, config)
    findings = tuple(state.findings) if settings.enabled("admission") else ()

    added: list[dict[str, Any]] = []
    for t in [*state.certain, *state.assumed]:
        if t not in own and t.as_dict() not in added:
            added.append(t.as_dict())
    before = {str(k): str(v) for k, v in selector.items()} if isinstance(selector, Mapping) else {}
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


def _pod_node_selector(state: _Pod, cluster: ClusterView, config: AdmissionConfig) -> None:
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


def _default_toleration_seconds(state: _Pod, config: AdmissionConfig) -> None:
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
    state: _Pod, cluster: ClusterView, config: AdmissionConfig, best_effort: bool
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
    state: _Pod, spec: Mapping[str, Any], ranges: Sequence[LimitRangeInfo], config: AdmissionConfig
) -> None:
    if config.off(EXTENDED_RESOURCE_TOLERATION):
        return
    for name in _extended_names(spec, ranges):
        toleration = Tol(name, "Exists", "", "NoSchedule")
        if config.on(EXTENDED_RESOURCE_TOLERATION):
            state.certain = add_or_update(state.certain, toleration)
        else:
            state.assumed.append(toleration)


def _runtime_class(
    state: _Pod, spec: Mapping[str, Any], cluster: ClusterView, config: AdmissionConfig
) -> None:
    name = spec.get("runtimeClassName")
    name = name if isinstance(name, str) else ""
    sure = config.on(RUNTIME_CLASS)
    own_overhead = spec.get("overhead") if isinstance(spec.get("overhead"), Mapping) else {}
    if name and not cluster.knows("RuntimeClass"):
        state.findings.append(skipped("admission", "RuntimeClass"))
        if not config.off(RUNTIME_CLASS):  # the class's tolerations are unknown
            state.assumed.append(ANY_TAINT)
        return
    klass = cluster.runtime_classes.get(name) if name else None
    if name and klass is None:
        # Refused by the plugin; without it the kubelet fails the sandbox for good
        # (kuberuntime_sandbox.go createPodSandbox: LookupRuntimeHandler not found).
        state.findings.append(
            Finding(
                Code.RUNTIMECLASS_NOT_FOUND,
                Severity.ERROR,
                name,
                {"name": name, "closest": closest(name, cluster.runtime_classes), "admission": sure},
            )
        )
        return
    if klass is None or config.off(RUNTIME_CLASS):
        if sure and own_overhead:  # validateOverhead: an overhead needs a class that sets one
            state.refuse(RUNTIME_CLASS, "overhead-without-class", runtime_class=name)
        return
    if not sure:  # auto: only its tolerations, which can only add nodes
        state.assumed.extend(klass.tolerations)
        return
    if klass.overhead is not None:
        if own_overhead and _resource_list(own_overhead) != klass.overhead:
            state.refuse(
                RUNTIME_CLASS,
                "overhead-mismatch",
                runtime_class=name,
                overhead=dict(klass.overhead_raw or {}),
            )
        else:
            state.overhead = dict(klass.overhead_raw or {})
    elif own_overhead:
        state.refuse(RUNTIME_CLASS, "overhead-without-class", runtime_class=name)
    if klass.node_selector:
        clash = conflict(klass.node_selector, state.selector or {})
        if clash:
            key, wanted, asked = clash
            state.refuse(
                RUNTIME_CLASS,
                "runtimeclass-selector-conflict",
                runtime_class=name,
                key=key,
                required=wanted,
                value=asked,
            )
        else:
            state.selector = {**(state.selector or {}), **klass.node_selector}
    state.certain = merge(state.certain, klass.tolerations)


def _resource_list(raw: Mapping[str, Any]) -> dict[str, Decimal] | None:
    """Semantic equality of quantities (``100m`` equals ``0.1``); None when one is unparsable."""
    out: dict[str, Decimal] = {}
    for key, value in raw.items():
        try:
            out[str(key)] = cached_quantity(str(value).strip())
        except ValueError:
            return None
    return out


# ---- what the validating phase checks on the final pod ------------------------------------


def _whitelists(state: _Pod, cluster: ClusterView, config: AdmissionConfig) -> None:
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


def _toleration_whitelist(state: _Pod, cluster: ClusterView, config: AdmissionConfig) -> None:
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
