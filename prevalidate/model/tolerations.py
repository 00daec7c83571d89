"""Toleration and node-label set arithmetic of the apiserver's admission plugins.

Pure, no I/O here. Rule for rule from kubernetes/kubernetes:
- pkg/util/tolerations/tolerations.go: ``isSuperset``, ``MergeTolerations`` (a toleration that
  another one covers is dropped; equal ones keep the first), ``VerifyAgainstWhitelist``;
- pkg/apis/core/helper/helpers.go: ``AddOrUpdateTolerationInPod`` (ExtendedResourceToleration);
- staging/src/k8s.io/apimachinery/pkg/labels/labels.go: ``ConvertSelectorToLabelsMap``,
  ``Conflicts``, ``Merge``, ``AreLabelsInWhiteList`` (PodNodeSelector).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .names import label_value_problem, qualified_name_problem


@dataclass(frozen=True)
class Tol:
    """One toleration, every field as the API spells it ("" when absent)."""

    key: str = ""
    operator: str = ""
    value: str = ""
    effect: str = ""
    seconds: int | None = None  # tolerationSeconds

    @classmethod
    def of(cls, raw: Mapping[str, Any]) -> Tol:
        seconds = raw.get("tolerationSeconds")
        return cls(
            _text(raw.get("key")),
            _text(raw.get("operator")),
            _text(raw.get("value")),
            _text(raw.get("effect")),
            seconds if isinstance(seconds, int) and not isinstance(seconds, bool) else None,
        )

    def as_dict(self) -> dict[str, Any]:
        """The JSON form, without the empty fields (as the API serialises it)."""
        out: dict[str, Any] = {}
        for name, value in (("key", self.key), ("operator", self.operator), ("value", self.value)):
            if value:
                out[name] = value
        if self.effect:
            out["effect"] = self.effect
        if self.seconds is not None:
            out["tolerationSeconds"] = self.seconds
        return out

    def matches(self, other: Tol) -> bool:
        """``Toleration.MatchToleration``: the same toleration but for tolerationSeconds."""
        return (self.key, self.effect, self.operator, self.value) == (
            other.key,
            other.effect,
            other.operator,
            other.value,
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def is_superset(ss: Tol, t: Tol) -> bool:
    """``isSuperset``: ``ss`` tolerates everything ``t`` tolerates."""
    if ss == t:
        return True
    # An empty key with Exists matches every key.
    if t.key != ss.key and (ss.key != "" or ss.operator != "Exists"):
        return False
    if t.effect != ss.effect and ss.effect != "":  # an empty effect matches every effect
        return False
    if ss.effect == "NoExecute" and ss.seconds is not None and (t.seconds is None or t.seconds > ss.seconds):
        return False
    if ss.operator in ("Equal", ""):
        return t.operator == "Equal" and t.value == ss.value
    return ss.operator == "Exists"


def merge(first: Sequence[Tol], second: Sequence[Tol]) -> list[Tol]:
    """``MergeTolerations``: first then second, without the ones another one covers."""
    everything = [*first, *second]
    merged: list[Tol] = []
    for index, t in enumerate(everything):
        if any(is_superset(kept, t) for kept in merged):
            continue
        if any(later != t and is_superset(later, t) for later in everything[index + 1 :]):
            continue
        merged.append(t)
    return merged


def whitelisted(tolerations: Sequence[Tol], whitelist: Sequence[Tol]) -> Tol | None:
    """``VerifyAgainstWhitelist``: the first toleration no whitelist entry covers, or None."""
    if not whitelist:
        return None
    for t in tolerations:
        if not any(is_superset(w, t) for w in whitelist):
            return t
    return None


def add_or_update(tolerations: Sequence[Tol], toleration: Tol) -> list[Tol]:
    """``AddOrUpdateTolerationInPod``: replace the ones that match it, else append it."""
    out: list[Tol] = []
    updated = False
    for t in tolerations:
        if toleration.matches(t):
            if t == toleration:
                return list(tolerations)
            out.append(toleration)
            updated = True
        else:
            out.append(t)
    if not updated:
        out.append(toleration)
    return out


def parse_tolerations(text: str) -> list[Tol]:
    """A namespace annotation's JSON list of v1 Tolerations; ValueError with the reason when
    Go's decoder would refuse it. An empty value is an empty list (``extractNSTolerations``)."""
    if text == "":
        return []
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"not valid JSON ({exc})") from None
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ValueError("not a JSON array of tolerations")
    return [parse_toleration(item) for item in raw if item is not None]


def parse_toleration(item: Any) -> Tol:
    """One v1 Toleration object; ValueError when a field has the wrong type."""
    if not isinstance(item, Mapping):
        raise ValueError("a toleration must be a JSON object")
    for name in ("key", "operator", "value", "effect"):
        if item.get(name) is not None and not isinstance(item[name], str):
            raise ValueError(f"toleration field {name} must be a string")
    seconds = item.get("tolerationSeconds")
    if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, int)):
        raise ValueError("toleration field tolerationSeconds must be an integer")
    return Tol.of(item)


# ---- node labels (PodNodeSelector, RuntimeClass) ------------------------------------------


def parse_selector_map(selector: str) -> dict[str, str]:
    """``ConvertSelectorToLabelsMap``: "k1=v1,k2=v2" (spaces trimmed); ValueError when invalid."""
    out: dict[str, str] = {}
    if not selector:
        return out
    for part in selector.split(","):
        pieces = part.split("=")
        if len(pieces) != 2:
            raise ValueError(f"invalid selector: {part!r}")
        key, value = pieces[0].strip(), pieces[1].strip()
        problem = qualified_name_problem(key)
        if problem:
            raise ValueError(f"invalid label key {key!r}: {problem}")
        problem = label_value_problem(value)
        if problem:
            raise ValueError(f"invalid label value {value!r}: {problem}")
        out[key] = value
    return out


def conflict(first: Mapping[str, str], second: Mapping[str, str]) -> tuple[str, str, str] | None:
    """``labels.Conflicts``: (key, first's value, second's value) of a key both set differently."""
    for key in sorted(first):
        if key in second and second[key] != first[key]:
            return key, first[key], second[key]
    return None


def not_whitelisted(labels: Mapping[str, str], whitelist: Mapping[str, str]) -> Iterable[str]:
    """``AreLabelsInWhiteList``'s misses: the keys whose label the whitelist does not allow."""
    if not whitelist:
        return []
    return [key for key in sorted(labels) if whitelist.get(key) != labels[key]]
