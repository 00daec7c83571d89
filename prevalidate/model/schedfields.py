"""The apiserver's validation (422) of the labels and scheduling fields of a pod: labels and
node selector (ValidateLabels), tolerations (ValidateTolerations), node affinity
(ValidateNodeSelector). Profiles set these; a typo used to pass, or read as "no node fits".

Pure, no I/O here. Never stricter than Kubernetes: toleration operators Gt/Lt (newer clusters)
and node affinity values (validated only by newer releases) are left alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .findings import Finding
from .jsonshape import objects, strings
from .names import field_invalid, label_value_problem, qualified_name_problem, supported
from .names import text as _str

_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
_SELECTOR_OPERATORS = ("In", "NotIn", "Exists", "DoesNotExist", "Gt", "Lt")


def _label_problems(labels: Any, where: str, rule: str) -> list[Finding]:
    """ValidateLabels: qualified-name keys, label values (both reported at the map's path)."""
    problems: list[Finding] = []
    for key, value in labels.items() if isinstance(labels, Mapping) else ():
        key_problem = qualified_name_problem(str(key))
        if key_problem:
            problems.append(field_invalid(rule, where, key, key_problem))
        value_problem = label_value_problem(_str(value))
        if value_problem:
            problems.append(field_invalid(rule, where, value, value_problem, key=str(key)))
    return problems


def _toleration_problems(tolerations: list[Mapping[str, Any]]) -> list[Finding]:
    problems: list[Finding] = []
    for index, toleration in enumerate(tolerations):
        path = f"spec.tolerations[{index}]"
        key, operator = _str(toleration.get("key")), _str(toleration.get("operator"))
        value, effect = _str(toleration.get("value")), _str(toleration.get("effect"))
        if key and qualified_name_problem(key):
            problems.append(field_invalid("toleration", f"{path}.key", key, str(qualified_name_problem(key))))
        if not key and operator != "Exists":
            reason = (
                'operator must be Exists when `key` is empty, which means "match all values and all keys"'
            )
            problems.append(field_invalid("toleration", f"{path}.operator", operator, reason))
        if toleration.get("tolerationSeconds") is not None and effect != "NoExecute":
            reason = "effect must be 'NoExecute' when `tolerationSeconds` is set"
            problems.append(field_invalid("toleration", f"{path}.effect", effect, reason))
        if operator in ("Equal", ""):
            if label_value_problem(value):
                problems.append(
                    field_invalid("toleration", f"{path}.operator", value, str(label_value_problem(value)))
                )
        elif operator == "Exists":
            if value:
                reason = "value must be empty when `operator` is 'Exists'"
                problems.append(field_invalid("toleration", f"{path}.operator", value, reason))
        elif operator not in ("Gt", "Lt"):  # newer clusters may allow numeric comparisons: never stricter
            problems.append(
                field_invalid(
                    "toleration", f"{path}.operator", operator, supported(operator, ("Equal", "Exists"))
                )
            )
        if effect and effect not in _EFFECTS:
            problems.append(
                field_invalid("toleration", f"{path}.effect", effect, supported(effect, _EFFECTS))
            )
    return problems


def _requirement_problems(requirements: Any, path: str) -> list[Finding]:
    """ValidateNodeSelectorRequirement for matchExpressions."""
    problems: list[Finding] = []
    for index, requirement in enumerate(objects(requirements)):
        where = f"{path}[{index}]"
        operator, key = _str(requirement.get("operator")), _str(requirement.get("key"))
        count = len(strings(requirement.get("values")))
        reason = None
        if operator in ("In", "NotIn") and count == 0:
            reason = "Required value: must be specified when `operator` is 'In' or 'NotIn'"
        elif operator in ("Exists", "DoesNotExist") and count > 0:
            reason = "Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'"
        elif operator in ("Gt", "Lt") and count != 1:
            reason = "Required value: must be specified single value when `operator` is 'Lt' or 'Gt'"
        if reason:
            problems.append(field_invalid("node-affinity", f"{where}.values", "", reason))
        if operator not in _SELECTOR_OPERATORS:
            problems.append(
                field_invalid("node-affinity", f"{where}.operator", operator, "not a valid selector operator")
            )
        if qualified_name_problem(key):
            problems.append(
                field_invalid("node-affinity", f"{where}.key", key, str(qualified_name_problem(key)))
            )
    return problems


def _affinity_problems(affinity: Any) -> list[Finding]:
    node_affinity = affinity.get("nodeAffinity") if isinstance(affinity, Mapping) else None
    if not isinstance(node_affinity, Mapping):
        return []
    problems: list[Finding] = []
    base = "spec.affinity.nodeAffinity"
    required = node_affinity.get("requiredDuringSchedulingIgnoredDuringExecution")
    if isinstance(required, Mapping):
        path = f"{base}.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms"
        terms = required.get("nodeSelectorTerms")
        if not terms:
            problems.append(
                field_invalid(
                    "node-affinity", path, "", "Required value: must have at least one node selector term"
                )
            )
        for index, term in enumerate(objects(terms)):
            where = f"{path}[{index}].matchExpressions"
            problems += _requirement_problems(term.get("matchExpressions"), where)
    preferred = node_affinity.get("preferredDuringSchedulingIgnoredDuringExecution")
    for index, item in enumerate(objects(preferred)):
        path = f"{base}.preferredDuringSchedulingIgnoredDuringExecution[{index}]"
        weight = item.get("weight")
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not 1 <= weight <= 100:
            problems.append(
                field_invalid("node-affinity", f"{path}.weight", weight, "must be in the range 1-100")
            )
        preference = item.get("preference")
        if isinstance(preference, Mapping):
            problems += _requirement_problems(
                preference.get("matchExpressions"), f"{path}.preference.matchExpressions"
            )
    return problems


def scheduling_problems(meta: Mapping[str, Any], spec: Mapping[str, Any]) -> list[Finding]:
    """Every 422 for ``metadata.labels``, ``nodeSelector``, ``tolerations`` and node affinity."""
    problems = _label_problems(meta.get("labels"), "metadata.labels", "label")
    problems += _label_problems(spec.get("nodeSelector"), "spec.nodeSelector", "node-selector")
    problems += _toleration_problems(objects(spec.get("tolerations")))
    problems += _affinity_problems(spec.get("affinity"))
    return problems
