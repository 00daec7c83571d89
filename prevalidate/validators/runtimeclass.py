"""The RuntimeClass admission plugin (plugin/pkg/admission/runtimeclass/admission.go): the
class's ``overhead.podFixed`` becomes ``spec.overhead`` (a pod that sets a different one, or
sets one without such a class, is refused), ``scheduling.nodeSelector`` is merged (a
conflicting key is refused) and ``scheduling.tolerations`` are merged. A class that does not
exist is refused by the plugin, and without the plugin the kubelet cannot create the pod's
sandbox: an error either way. Unstated ("auto"): only its tolerations are assumed.

Pure, no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from ..model.admission import RUNTIME_CLASS, AdmissionConfig
from ..model.cluster import ClusterView
from ..model.findings import Code, Finding, Severity
from ..model.resources import cached_quantity
from ..model.tolerations import conflict, merge
from .admitstate import ANY_TAINT, AdmittedPod
from .context import closest, skipped


def runtime_class(
    state: AdmittedPod, spec: Mapping[str, Any], cluster: ClusterView, config: AdmissionConfig
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
