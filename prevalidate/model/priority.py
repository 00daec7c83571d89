"""Pod priority, as the apiserver's Priority admission plugin resolves it and the scheduler and
the kubelet read it.

Pure, no I/O here. The rules (plugin/pkg/admission/priority/admission.go, ``admitPod``):

- a pod naming no class gets the global-default PriorityClass (the one with the lowest value
  when several claim to be the default), its name, value and preemptionPolicy; with no default
  class its priority is 0;
- a pod naming a class gets that class's value and preemptionPolicy; a class that does not
  exist makes the apiserver refuse the pod (403 ``no PriorityClass with name X was found``).
  ``system-node-critical`` and ``system-cluster-critical`` always exist (the apiserver creates
  them at start-up, pkg/apis/scheduling ``SystemPriorityClasses``);
- a PriorityClass without ``preemptionPolicy`` is defaulted to ``PreemptLowerPriority``
  (pkg/apis/scheduling/v1 ``SetDefaults_PriorityClass``).

An existing pod's priority is ``spec.priority``, or 0 when it is unset (component-helpers
scheduling/corev1 ``PodPriority``: a pod created before any default class existed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PREEMPT_LOWER = "PreemptLowerPriority"
PREEMPT_NEVER = "Never"
SYSTEM_PRIORITY_CLASSES = {"system-node-critical": 2_000_001_000, "system-cluster-critical": 2_000_000_000}
# The kubelet treats pods at or above this as critical (pkg/kubelet/types IsCriticalPodBasedOnPriority)
# and evicts other pods to admit them (pkg/kubelet/preemption).
SYSTEM_CRITICAL_PRIORITY = 2_000_000_000


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


@dataclass(frozen=True)
class PriorityClassInfo:
    name: str
    value: int
    global_default: bool
    preemption_policy: str

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> PriorityClassInfo:
        meta = obj.get("metadata")
        name = str(meta.get("name") or "") if isinstance(meta, Mapping) else ""
        return cls(
            name=name,
            value=_int(obj.get("value")) or 0,
            global_default=obj.get("globalDefault") is True,
            preemption_policy=str(obj.get("preemptionPolicy") or PREEMPT_LOWER),
        )


def pod_priority(pod: Mapping[str, Any]) -> int:
    """An existing pod's priority: ``spec.priority``, 0 when unset."""
    spec = pod.get("spec")
    value = _int(spec.get("priority")) if isinstance(spec, Mapping) else None
    return 0 if value is None else value


def global_default(classes: Mapping[str, PriorityClassInfo]) -> PriorityClassInfo | None:
    """The class a pod naming none gets; the lowest value wins a tie, as in the plugin."""
    defaults = [c for c in classes.values() if c.global_default]
    return min(defaults, key=lambda c: (c.value, c.name)) if defaults else None


@dataclass(frozen=True)
class Priority:
    """The incoming pod's priority after admission. ``value`` is None when it cannot be known
    (the PriorityClass list could not be read); ``missing_class`` names a class the apiserver
    will not find."""

    value: int | None
    class_name: str
    preempts: bool
    missing_class: str = ""


def resolve(
    class_name: str,
    spec_priority: int | None,
    spec_policy: str,
    classes: Mapping[str, PriorityClassInfo],
    classes_known: bool,
) -> Priority:
    """The pod's priority as the Priority plugin sets it. ``spec_priority``/``spec_policy`` are
    what the manifest itself carries (a copy of a stored pod has both); the plugin refuses a
    pod whose values differ from its class's, so the class's win here."""
    own = spec_policy != PREEMPT_NEVER
    chosen: PriorityClassInfo | None
    if class_name in SYSTEM_PRIORITY_CLASSES:
        chosen = classes.get(class_name) or PriorityClassInfo(
            class_name, SYSTEM_PRIORITY_CLASSES[class_name], False, PREEMPT_LOWER
        )
    elif not classes_known:
        return Priority(spec_priority, class_name, own)
    elif class_name:
        chosen = classes.get(class_name)
        if chosen is None:
            return Priority(spec_priority, class_name, own, missing_class=class_name)
    else:
        chosen = global_default(classes)
        if chosen is None:
            return Priority(0, "", own)
    return Priority(chosen.value, chosen.name, chosen.preemption_policy != PREEMPT_NEVER)
