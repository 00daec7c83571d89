"""Kubernetes ``resource.Quantity``: parse and print exactly as apimachinery does.

Pure, no I/O here. The Python client's ``kubernetes.utils.quantity.parse_quantity`` is lax
(it accepts ``1K``, ``NaN``, ``1 Gi`` and ``1e3Gi``, does not round to 1n and does not cap
binary values), so a validator that used it would accept what the apiserver rejects and get
values wrong at the edges. This module follows ``ParseQuantity`` in
kubernetes/apimachinery ``pkg/api/resource/quantity.go`` step by step instead; the vectors in
``tests/data/vectors/quantity.json`` (computed by the real Go code) pin it down.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import MAX_EMAX, MIN_EMIN, ROUND_CEILING, ROUND_UP, Decimal, InvalidOperation, localcontext
from enum import Enum

ERR_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
ERR_SUFFIX = "unable to parse quantity's suffix"
ERR_NUMERIC = "unable to parse numeric part of quantity"
# Ours, not Go's: Go accepts exponents up to 2^31, but no cluster can honour such a value and exact
# arithmetic on it (a million-digit integer per check) would stall or crash every validation.
ERR_TOO_LARGE = "quantities of 10^1000 or more cannot be used"

_DIGITS = frozenset("0123456789")
_SUFFIX_CHARS = frozenset("eEinumkKMGTP")
_MAX_INT64 = Decimal(2**63 - 1)
_NANO = Decimal("1e-9")


class QuantityFormat(str, Enum):
    DECIMAL_SI = "DecimalSI"
    BINARY_SI = "BinarySI"
    DECIMAL_EXPONENT = "DecimalExponent"


_DECIMAL_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXPONENT = {v: k for k, v in _DECIMAL_SUFFIXES.items()}
_BINARY_BY_EXPONENT = {v: k for k, v in _BINARY_SUFFIXES.items()}


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity: its exact value and the format family it was written in."""

    value: Decimal
    format: QuantityFormat

    def __str__(self) -> str:
        return canonical_quantity(self.value, self.format)


def _split(text: str) -> tuple[str, str, str, str]:
    """``parseQuantityString``: returns (value, numerator, denominator, suffix).

    Mirrors the Go scanner, including its quirks: a string with no digits but a valid
    suffix is zero (``.``, ``Gi``, ``+``), leading zeros and a trailing dot are fine.
    """
    pos, end = 0, len(text)
    if pos < end and text[0] in "+-":
        pos += 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return text, "0", "", ""
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos] or "0"
    if pos >= end:
        return text, num, "", ""
    denom = ""
    if text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
        if pos >= end:
            return text, num, denom, ""
    value = text[:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos >= end:
        return value, num, denom, text[suffix_start:]
    if text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise ValueError(ERR_FORMAT)
    return value, num, denom, text[suffix_start:]


def _interpret_suffix(suffix: str) -> tuple[int, int, QuantityFormat]:
    """``quantitySuffixer.interpret``: (base, exponent, format)."""
    if suffix in _DECIMAL_SUFFIXES:
        return 10, _DECIMAL_SUFFIXES[suffix], QuantityFormat.DECIMAL_SI
    if suffix in _BINARY_SUFFIXES:
        return 2, _BINARY_SUFFIXES[suffix], QuantityFormat.BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE":
        exponent = suffix[1:]
        digits = exponent[1:] if exponent[0] in "+-" else exponent
        # strconv.ParseInt(s, 10, 32): optional sign, at least one digit, fits in int32.
        if digits and set(digits) <= _DIGITS and -(2**31) <= int(exponent) < 2**31:
            return 10, int(exponent), QuantityFormat.DECIMAL_EXPONENT
    raise ValueError(ERR_SUFFIX)


def parse_quantity_full(text: str) -> Quantity:
    """Parse like ``resource.ParseQuantity``; ``ValueError`` with Go's message when invalid."""
    if not isinstance(text, str) or text == "":
        raise ValueError(ERR_FORMAT)
    if text == "0":
        return Quantity(Decimal(0), QuantityFormat.DECIMAL_SI)
    value, _num, _denom, suffix = _split(text)
    base, exponent, fmt = _interpret_suffix(suffix)
    # Go's fast path builds the number from ``num + denom``; its slow path parses ``value``
    # with inf.Dec, which refuses a lone "." — both give the same value when they succeed.
    negative = text[0] == "-"
    if value.lstrip("+-") in ("", "."):
        amount = Decimal(0)
    else:
        try:
            amount = Decimal(value).copy_abs()  # exact: abs() would round to the context's 28 digits
        except InvalidOperation as exc:  # pragma: no cover - the scanner admits digits only
            raise ValueError(ERR_NUMERIC) from exc
    with localcontext() as ctx:
        # Exact, as Go's inf.Dec is: room for every digit written plus 2^60's nineteen.
        # "1e-2000000000" is 1n, as in Go.
        ctx.prec, ctx.Emax, ctx.Emin = _precision(len(value) + 20), MAX_EMAX, MIN_EMIN
        amount = amount.scaleb(exponent) if base == 10 else amount * (2**exponent)
        if amount != 0 and _exponent(amount) < -9:
            # Round up (away from zero) to 1n: "if you want some resources, you get some".
            amount = amount.quantize(_NANO, rounding=ROUND_UP)
    if amount != 0 and amount.adjusted() >= 1000:
        raise ValueError(ERR_TOO_LARGE)
    if fmt is QuantityFormat.BINARY_SI:
        if amount > _MAX_INT64:
            amount = _MAX_INT64
        if 0 < amount < 1:
            fmt = QuantityFormat.DECIMAL_SI
    amount = amount.copy_negate() if negative and amount != 0 else amount  # exact, unlike unary minus
    return Quantity(_normalize(amount), fmt)


def _precision(digits: int) -> int:
    """Context precision that keeps a value of ``digits`` significant digits exact."""
    return max(200, digits + 20)


def _exponent(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _normalize(value: Decimal) -> Decimal:
    """Drop trailing zeros; keep ordinary integers out of exponent notation (``1E+3``)."""
    if value == 0:
        return Decimal(0)
    with localcontext() as ctx:
        ctx.prec = _precision(len(value.as_tuple().digits) + 60)  # + 60: quantize below
        normal = value.normalize()
        if 0 < _exponent(normal) <= 60:
            return normal.quantize(Decimal(1))
    return normal


def parse_quantity(text: str) -> Decimal:
    """The exact value of a Kubernetes quantity string, as ``resource.ParseQuantity`` gives it.

    Rounded up to 1n, binary values capped at 2^63-1; ``ValueError`` for what the apiserver
    rejects (``1K``, ``1 Gi``, ``NaN``, ``1e3Gi``, ``""``) and for magnitudes of 10^1000 or more.
    """
    return parse_quantity_full(text).value


def canonical_quantity(value: Decimal, fmt: QuantityFormat = QuantityFormat.DECIMAL_SI) -> str:
    """``Quantity.String()`` in canonical form (``1.5Gi`` -> ``1536Mi``, ``1.5`` -> ``1500m``)."""
    if value == 0:
        return "0"
    if fmt is QuantityFormat.BINARY_SI and (abs(value) < 1024 or value != value.to_integral_value()):
        fmt = QuantityFormat.DECIMAL_SI
    sign = "-" if value < 0 else ""
    magnitude = value.copy_abs()  # exact: abs() would round to the context's 28 digits
    if fmt is QuantityFormat.BINARY_SI:
        mantissa, exponent = int(magnitude), 0
        while mantissa % 1024 == 0 and exponent < 60:
            mantissa //= 1024
            exponent += 10
        return f"{sign}{mantissa}{_BINARY_BY_EXPONENT.get(exponent, '')}"
    # Decimal: the largest exponent (a multiple of 3) that keeps an integer mantissa.
    with localcontext() as ctx:
        ctx.prec = _precision(len(magnitude.as_tuple().digits))
        _sign, digits, exp = magnitude.normalize().as_tuple()
    mantissa = int("".join(map(str, digits)))
    exponent = exp if isinstance(exp, int) else 0
    if exponent < -9:  # parse_quantity already rounded to 1n; be safe for callers
        with localcontext() as ctx:
            ctx.prec = _precision(len(digits) + 10)
            return canonical_quantity(magnitude.quantize(_NANO, rounding=ROUND_CEILING), fmt)
    shift = exponent % 3
    mantissa, exponent = mantissa * 10**shift, exponent - shift
    if fmt is QuantityFormat.DECIMAL_SI and exponent > 18:
        if exponent - 18 > 300:  # absurd values: keep the text short instead of 10^N digits
            fmt = QuantityFormat.DECIMAL_EXPONENT
        else:
            mantissa, exponent = mantissa * 10 ** (exponent - 18), 18
    if fmt is QuantityFormat.DECIMAL_EXPONENT:
        suffix = f"e{exponent}" if exponent != 0 else ""
    else:
        suffix = _DECIMAL_BY_EXPONENT[exponent]
    return f"{sign}{mantissa}{suffix}"
