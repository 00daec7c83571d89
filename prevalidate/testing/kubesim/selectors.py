"""Label and field selectors as the apiserver parses and applies them on list and watch.

Label selectors: `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, `k`, `!k`.
Field selectors: `f=v`, `f==v`, `f!=v` over the fields each resource type supports
(anything else is a 400 `field label not supported`, as in the real registry strategies).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .status import ApiError, bad_request

Obj = dict[str, Any]


@dataclass(frozen=True)
class Requirement:
    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        present = self.key in labels
        value = labels.get(self.key)
        if self.op == "=":
            return present and value == self.values[0]
        if self.op == "!=":
            return not present or value != self.values[0]
        if self.op == "in":
            return present and value in self.values
        if self.op == "notin":
            return not present or value not in self.values
        if self.op == "exists":
            return present
        return not present


_SET_RE = re.compile(r"^\s*(!?)\s*([A-Za-z0-9_./-]+)\s*(?:(in|notin)\s*\(([^)]*)\)|(==|=|!=)\s*(\S*))?\s*$")


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside `( … )`."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        if char == "," and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def parse_label_selector(text: str | None) -> list[Requirement]:
    if not text:
        return []
    requirements = []
    for part in _split_top_level(text):
        match = _SET_RE.match(part)
        if not match:
            raise bad_request(f"unable to parse requirement: {part.strip()!r}")
        negate, key, set_op, set_values, eq_op, eq_value = match.groups()
        if negate and (set_op or eq_op):
            raise bad_request(f"unable to parse requirement: {part.strip()!r}")
        if set_op:
            values = tuple(v.strip() for v in set_values.split(",") if v.strip())
            requirements.append(Requirement(key, set_op, values))
        elif eq_op:
            requirements.append(Requirement(key, "!=" if eq_op == "!=" else "=", (eq_value,)))
        else:
            requirements.append(Requirement(key, "!" if negate else "exists"))
    return requirements


def labels_match(requirements: list[Requirement], obj: Obj) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(r.matches(labels) for r in requirements)


def _path(*keys: str) -> Callable[[Obj], str]:
    def get(obj: Obj) -> str:
        value: Any = obj
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    return get


_COMMON = {"metadata.name": _path("metadata", "name"), "metadata.namespace": _path("metadata", "namespace")}

FIELDS: dict[str, dict[str, Callable[[Obj], str]]] = {
    "pods": {
        **_COMMON,
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "spec.hostNetwork": _path("spec", "hostNetwork"),
        "status.phase": _path("status", "phase"),
        "status.podIP": _path("status", "podIP"),
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    "events": {
        **_COMMON,
        **{
            f"involvedObject.{f}": _path("involvedObject", f)
            for f in ("kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath")
        },
        "reason": _path("reason"),
        "reportingComponent": _path("reportingComponent"),
        "source": _path("source", "component"),
        "type": _path("type"),
    },
    "namespaces": {**_COMMON, "status.phase": _path("status", "phase")},
    "nodes": {**_COMMON, "spec.unschedulable": _path("spec", "unschedulable")},
    "secrets": {**_COMMON, "type": _path("type")},
    "persistentvolumeclaims": {**_COMMON},
}


@dataclass(frozen=True)
class FieldRequirement:
    getter: Callable[[Obj], str]
    equal: bool
    value: str

    def matches(self, obj: Obj) -> bool:
        return (self.getter(obj) == self.value) == self.equal


def parse_field_selector(resource: str, text: str | None) -> list[FieldRequirement]:
    if not text:
        return []
    supported = FIELDS.get(resource, _COMMON)
    requirements = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        match = re.match(r"^([^=!]+)(==|=|!=)(.*)$", part)
        if not match:
            raise bad_request(f"invalid selector: '{text}'; can't understand '{part}'")
        field, op, value = match.groups()
        field = field.strip()
        if field not in supported:
            raise bad_request(f"field label not supported: {field}")
        requirements.append(FieldRequirement(supported[field], op != "!=", value.strip()))
    return requirements


def fields_match(requirements: list[FieldRequirement], obj: Obj) -> bool:
    return all(r.matches(obj) for r in requirements)


@dataclass(frozen=True)
class Selector:
    """A parsed `labelSelector` + `fieldSelector` pair for one resource type."""

    labels: list[Requirement]
    fields: list[FieldRequirement]

    @classmethod
    def parse(cls, resource: str, label: str | None, field: str | None) -> Selector:
        try:
            return cls(parse_label_selector(label), parse_field_selector(resource, field))
        except ApiError:
            raise
        except Exception as exc:  # never a traceback for a bad selector
            raise bad_request(f"invalid selector: {exc}") from exc

    def matches(self, obj: Obj) -> bool:
        return labels_match(self.labels, obj) and fields_match(self.fields, obj)


EVERYTHING = Selector([], [])
