"""Amounts as a person writes them in a spawn form (``8 CPUs``, ``1.5 GiB``), lists of names,
and facts as JSON. Pure, no I/O here; the sentences themselves live in ``messages``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal, localcontext
from typing import Any

_BYTES = ("memory", "ephemeral-storage", "storage")
_BINARY = (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10))


def trim(value: Decimal, places: int = 2) -> str:
    if value != value.to_integral_value():
        with localcontext() as ctx:
            # Quantities keep every digit written (as Go does); quantize refuses a result
            # longer than the context's precision (28 digits by default).
            ctx.prec = max(28, value.adjusted() + places + 2)
            text = f"{value.quantize(Decimal(1).scaleb(-places)):f}"
    else:
        text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def base_resource(name: str) -> str:
    """``requests.cpu`` -> ``cpu``; ``gold.storageclass.storage.k8s.io/requests.storage`` -> ``storage``."""
    name = name.rsplit("/", 1)[-1] if ".storageclass.storage.k8s.io/" in name else name
    for prefix in ("requests.", "limits.", "count/"):
        if name.startswith(prefix):
            return name[len(prefix) :]
    return name


def amount(resource: str, value: Decimal | int | float | None, *, milli: bool = False) -> str:
    """A value as a person would write it: ``8 CPUs``, ``0.5 CPU``, ``1.5 GiB``, ``3 pods``."""
    if value is None:
        return "nothing"
    number = Decimal(str(value))
    base = base_resource(resource)
    if base == "cpu":
        if milli:
            number = number / 1000
        text = trim(number, 3)
        return f"{text} CPU" if number <= 1 else f"{text} CPUs"
    if base in _BYTES or base.startswith("hugepages-"):
        for unit, size in _BINARY:
            if abs(number) >= size:
                return f"{trim(number / size)} {unit}"
        return f"{trim(number)} bytes"
    if base in ("pods", "persistentvolumeclaims"):
        noun = "pod" if base == "pods" else "volume claim"
        return f"{trim(number)} {noun}{'' if number == 1 else 's'}"
    return f"{trim(number)} {base}"


def names_list(items: Iterable[str], limit: int = 8) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def json_safe(value: Any) -> Any:
    """Facts as JSON: exact decimals become int or float, tuples lists."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_safe(v) for v in value]
    return value
