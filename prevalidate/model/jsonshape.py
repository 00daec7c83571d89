"""JSON types of Kubernetes API fields, checked the way the apiserver's decoder checks them.

Pure, no I/O here. kube-apiserver decodes a body into Go structs (sigs.k8s.io/json over
encoding/json) before anything else runs, and a value of the wrong JSON type for a typed field
is a 400: ``json: cannot unmarshal array into Go struct field NodeAffinity.spec.affinity.
nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution of type core.NodeSelector``. What
the decoder accepts must pass here too, or we would refuse a pod Kubernetes runs:

- ``null`` anywhere: Go leaves the zero value (an absent field, an empty string, ``false``);
  a ``null`` item of a list of objects decodes to an empty object;
- an integral float where an integer belongs (``8888.0``: kubectl's YAML-to-JSON prints it
  as ``8888``), and a number where a quantity belongs (``resource.Quantity`` parses both);
- fields nobody declared: they are dropped (with a warning under strict field validation),
  never refused, so only the fields listed in a shape are looked at.

A shape is built from ``STR``, ``INT``, ``BOOL``, ``QTY`` and ``Obj``/``ListOf``/``MapOf``;
``problems`` walks a value against it and returns (field path, what is wrong) pairs.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .findings import shown

Problems = list[tuple[str, str]]

STR, INT, BOOL, QTY = "a string", "an integer", "a boolean", "a quantity (a string or a number)"
MAX_PROBLEMS = 20  # the decoder stops at its first error; a few more help, thousands do not
_SHOWN = 60  # characters of a string value shown in a problem (about 30 when clipped)
_KEY_SHOWN = 60  # characters of a map key shown in a field path


@dataclass(frozen=True)
class Obj:
    """A Go struct: each listed field has its shape; others are not looked at."""

    fields: Mapping[str, Shape]


@dataclass(frozen=True)
class ListOf:
    item: Shape


@dataclass(frozen=True)
class MapOf:
    """A Go map with string keys (labels, resource lists)."""

    value: Shape


Shape = str | Obj | ListOf | MapOf


def obj(**fields: Shape) -> Obj:
    return Obj(fields)


def clip(text: Any, most: int = _SHOWN) -> str:
    """``text`` (stringified) on one line and at most about ``most`` characters."""
    return shown(text if isinstance(text, str) else str(text), most)


def kind_of(value: Any) -> str:
    """What a value is, for a sentence: ``the number 1``, ``the boolean true``, ``an object``."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, (list, tuple)):
        return "an array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        text = repr(value) if isinstance(value, float) else _int_text(value)
        return f"the number {clip(text)}"
    if isinstance(value, str):
        return f'the string "{clip(value)}"'
    return type(value).__name__


def _int_text(value: int) -> str:
    # str() of an int above 4300 digits raises ValueError (CPython's conversion limit).
    return str(value) if value.bit_length() < 4000 else f"a {value.bit_length()}-bit integer"


def key_text(key: Any) -> str:
    """A map key as a field path shows it: stringified, clipped."""
    return clip(key if isinstance(key, str) else repr(key), _KEY_SHOWN)


def is_scalar(value: Any, kind: str) -> bool:
    """Does the decoder accept ``value`` for a field of this scalar kind?"""
    if value is None:
        return True
    if kind == STR:  # a YAML date is a string to kubectl's YAML-to-JSON conversion
        return isinstance(value, (str, datetime.date))
    if kind == BOOL:
        return isinstance(value, bool)
    if kind == QTY:  # resource.Quantity's UnmarshalJSON parses any scalar; values are checked later
        return not isinstance(value, (Mapping, list, tuple))
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (
        isinstance(value, float) and math.isfinite(value) and value.is_integer()
    )


class _Walk:
    def __init__(self, strict: bool, quantity: Callable[[Any], str | None] | None) -> None:
        self.strict = strict
        self.quantity = quantity
        self.found: Problems = []

    def add(self, path: str, reason: str) -> None:
        if len(self.found) < MAX_PROBLEMS:
            self.found.append((path, reason))

    def value(self, value: Any, shape: Shape, path: str) -> None:
        if len(self.found) >= MAX_PROBLEMS or value is None:
            return
        if isinstance(shape, str):
            if not is_scalar(value, shape):
                self.add(path, f"must be {shape}, not {kind_of(value)}")
            elif shape == QTY and self.quantity is not None:
                problem = self.quantity(value)
                if problem:
                    self.add(path, problem)
        elif isinstance(shape, Obj):
            if not isinstance(value, Mapping):
                self.add(path, f"must be an object, not {kind_of(value)}")
                return
            for name, field_shape in shape.fields.items():
                self.value(value.get(name), field_shape, f"{path}.{name}" if path else name)
        elif isinstance(shape, ListOf):
            if not isinstance(value, list):
                self.add(path, f"must be an array, not {kind_of(value)}")
                return
            for index, item in enumerate(value):
                if item is None and self.strict and not isinstance(shape.item, str):
                    self.add(f"{path}[{index}]", "must be an object, not null")
                else:
                    self.value(item, shape.item, f"{path}[{index}]")
        else:
            if not isinstance(value, Mapping):
                self.add(path, f"must be an object, not {kind_of(value)}")
                return
            for key, item in value.items():
                if self.strict and not isinstance(key, str):
                    self.add(f"{path}.{key_text(key)}", f"has a key that is {kind_of(key)}, not a string")
                self.value(item, shape.value, f"{path}.{key_text(key)}")


def problems(
    value: Any,
    shape: Shape,
    path: str = "",
    *,
    strict: bool = False,
    quantity: Callable[[Any], str | None] | None = None,
) -> Problems:
    """(field path, what is wrong) for each value of the wrong JSON type, at most MAX_PROBLEMS.

    ``strict`` also refuses what only a hand-made file holds, never an object the API returned:
    ``null`` items of lists of objects (the decoder makes them empty objects) and map keys
    that are not strings (YAML's ``1: x``; JSON keys are strings). ``quantity``
    checks quantity values once their type is right (returns the problem or None).
    """
    walk = _Walk(strict, quantity)
    walk.value(value, shape, path)
    return walk.found


# ---- reading values whose shape was checked -------------------------------------------------


def objects(value: Any) -> list[Mapping[str, Any]]:
    """The items of a list of objects as the decoder fills them: ``null`` -> ``{}``; an absent
    or mistyped list -> no items (the shape check reports it)."""
    if not isinstance(value, list):
        return []
    return [
        item if isinstance(item, Mapping) else {}
        for item in value
        if item is None or isinstance(item, Mapping)
    ]


def mapping(value: Any) -> Mapping[str, Any]:
    """An object field, or ``{}`` when absent, ``null`` or mistyped."""
    return value if isinstance(value, Mapping) else {}


def strings(value: Any) -> list[str]:
    """A ``[]string`` as the decoder fills it: ``null`` items are ``""``, a YAML date is its
    text; items of other types (refused by the shape check) are skipped."""
    if not isinstance(value, list):
        return []
    return [_text(item) for item in value if item is None or is_scalar(item, STR)]


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return "" if value is None else value.isoformat() if isinstance(value, datetime.date) else str(value)


def string_map(value: Any) -> dict[str, str]:
    """A ``map[string]string``: keys as strings, ``null`` values as ``""``."""
    if not isinstance(value, Mapping):
        return {}
    return {str(k): _text(v) for k, v in value.items()}
