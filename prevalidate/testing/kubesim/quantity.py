"""kubesim's own strict `resource.Quantity`: parse like Go's ParseQuantity, print like String().

This is a second, independent implementation (kubesim must not share code with the
validators it is used to test). It follows k8s.io/apimachinery pkg/api/resource/quantity.go:
the hand-written scanner (including its quirks: `Gi`, `.` and `-` parse as zero), the
"fast path" that caches the caller's string when it already looks canonical (which is why
the apiserver echoes `100.035k` verbatim), rounding up to 1n, and the 2^63-1 cap for
binary-SI values. Quota error messages print quantities with `String()`, so the echo rule
matters for byte-exact messages.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext

ERR_FORMAT = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
ERR_SUFFIX = "unable to parse quantity's suffix"
ERR_NUMERIC = "unable to parse numeric part of quantity"

DECIMAL_SI = "DecimalSI"
BINARY_SI = "BinarySI"
DECIMAL_EXPONENT = "DecimalExponent"

_DEC_SUFFIXES = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_DEC_BY_EXP = {v: k for k, v in _DEC_SUFFIXES.items()}
_BIN_SUFFIXES = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_BIN_BY_POWER = {0: "", 1: "Ki", 2: "Mi", 3: "Gi", 4: "Ti", 5: "Pi", 6: "Ei"}
_SUFFIX_CHARS = set("eEinumkKMGTP")
_MAX_INT64 = Decimal(2**63 - 1)
_NANO = Decimal("1e-9")
_DIGITS = set("0123456789")
_SLOW_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+|\d*\.?)$")


class QuantityError(ValueError):
    """The text is not a quantity the apiserver accepts; str() is Go's error text."""


@dataclass(frozen=True)
class Quantity:
    """An exact quantity value plus the format family and the string Go would echo."""

    value: Decimal
    fmt: str = DECIMAL_SI
    cached: str | None = None

    def __str__(self) -> str:
        return self.cached if self.cached is not None else canonical(self.value, self.fmt)

    def __add__(self, other: Quantity) -> Quantity:
        # Go's Add keeps the receiver's format unless the receiver is zero and drops the cache.
        fmt = other.fmt if self.value == 0 else self.fmt
        return Quantity(self.value + other.value, fmt)

    def milli_value(self) -> int:
        """Rounded up to whole milli-units, as the scheduler compares cpu."""
        return int((self.value * 1000).to_integral_value(rounding=ROUND_CEILING))

    def int_value(self) -> int:
        """Rounded up to an integer, as the scheduler compares memory and extended resources."""
        return int(self.value.to_integral_value(rounding=ROUND_CEILING))


ZERO = Quantity(Decimal(0))


def _scan(text: str) -> tuple[bool, str, str, str, str]:
    """Go's parseQuantityString: (positive, value, num, denom, suffix) or QuantityError."""
    pos, end, positive = 0, len(text), True
    if text[0] in "+-":
        positive = text[0] == "+"
        pos = 1
    while pos < end and text[pos] == "0":
        pos += 1
    if pos >= end:
        return positive, "0", "0", "", ""
    start = pos
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    num = text[start:pos] or "0"
    denom = ""
    if pos < end and text[pos] == ".":
        pos += 1
        start = pos
        while pos < end and text[pos] in _DIGITS:
            pos += 1
        denom = text[start:pos]
    value = text[:pos]
    suffix_start = pos
    while pos < end and text[pos] in _SUFFIX_CHARS:
        pos += 1
    if pos < end and text[pos] in "+-":
        pos += 1
    while pos < end and text[pos] in _DIGITS:
        pos += 1
    if pos < end:
        raise QuantityError(ERR_FORMAT)
    return positive, value, num, denom, text[suffix_start:]


def _interpret(suffix: str) -> tuple[int, int, str]:
    """(base, exponent, format) of a suffix, like quantitySuffixer.interpret."""
    if suffix in _DEC_SUFFIXES:
        return 10, _DEC_SUFFIXES[suffix], DECIMAL_SI
    if suffix in _BIN_SUFFIXES:
        return 2, _BIN_SUFFIXES[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE" and re.fullmatch(r"[+-]?\d+", suffix[1:]):
        exponent = int(suffix[1:])
        if -(2**63) <= exponent < 2**63:
            return 10, exponent, DECIMAL_EXPONENT
    raise QuantityError(ERR_SUFFIX)


@functools.lru_cache(maxsize=8192)
def parse_quantity(text: str) -> Quantity:
    """Parse exactly as resource.ParseQuantity does; QuantityError with Go's text otherwise.

    Cached: results are immutable and the same few strings recur on every scheduling pass.
    """
    if not text:
        raise QuantityError(ERR_FORMAT)
    if text == "0":
        return Quantity(Decimal(0), DECIMAL_SI, "0")
    positive, value, num, denom, suffix = _scan(text)
    base, exponent, fmt = _interpret(suffix)
    fast = _fast_path(text, positive, num, denom, base, exponent, fmt)
    if fast is not None:
        return fast
    if not _SLOW_NUMBER.match(value):
        raise QuantityError(ERR_NUMERIC)
    digits = value.lstrip("+-") or "0"
    if digits == ".":
        digits = "0"
    with localcontext() as ctx:
        ctx.prec = 200
        amount = Decimal(digits) * (Decimal(10) ** exponent if base == 10 else Decimal(2) ** exponent)
        if amount != 0:
            amount = amount.quantize(_NANO, rounding=ROUND_CEILING)
        if fmt == BINARY_SI and amount > _MAX_INT64:
            amount = _MAX_INT64
        if fmt == BINARY_SI and 0 < amount < 1:
            fmt = DECIMAL_SI
        amount = amount.normalize() if amount != 0 else Decimal(0)
    return Quantity(amount if positive else -amount, fmt)


def _fast_path(
    text: str, positive: bool, num: str, denom: str, base: int, exponent: int, fmt: str
) -> Quantity | None:
    """Go's int64 fast path, which is also where the caller's string gets cached."""
    if fmt == BINARY_SI:
        if exponent < 0 or denom:
            return None
        precision = 15 - len(num) - int(exponent * 3 / 10) - 1
        scale, mantissa = 0, 1 << exponent
    else:
        precision = 18 - (len(num) + len(denom))
        scale, mantissa = exponent, 1
    if precision < 0:
        return None
    scale -= len(denom)
    if scale < -9:
        return None
    shifted = num + denom
    number = int(shifted)
    result = number * mantissa
    if result > 2**63 - 1:
        return None
    signed = result if positive else -result
    with localcontext() as ctx:
        ctx.prec = 200
        value = (Decimal(signed) * (Decimal(10) ** scale)).normalize() if signed else Decimal(0)
    if fmt == BINARY_SI:
        cache = exponent % 10 == 0 and number & 0x07 != 0
    else:
        cache = scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
    return Quantity(value, fmt, text if cache else None)


def canonical(value: Decimal, fmt: str) -> str:
    """Quantity.String() without the cache: CanonicalizeBytes."""
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    magnitude = -value if value < 0 else value
    if fmt == BINARY_SI and (magnitude < 1024 or magnitude != magnitude.to_integral_value()):
        fmt = DECIMAL_SI
    if fmt == BINARY_SI:
        number, power = int(magnitude), 0
        while power < 6 and number % 1024 == 0:
            number //= 1024
            power += 1
        return f"{sign}{number}{_BIN_BY_POWER[power]}"
    mantissa, exp = _decimal_parts(magnitude)
    if fmt == DECIMAL_SI:
        while exp > 18:
            mantissa, exp = mantissa * 10, exp - 1
        return f"{sign}{mantissa}{_DEC_BY_EXP[exp]}"
    return f"{sign}{mantissa}" + (f"e{exp}" if exp else "")


def _decimal_parts(magnitude: Decimal) -> tuple[int, int]:
    """An integer mantissa and an exponent that is a multiple of 3 (AsCanonicalBytes)."""
    sign_digits_exp = magnitude.normalize().as_tuple()
    mantissa = int("".join(map(str, sign_digits_exp.digits)))
    exp = int(sign_digits_exp.exponent)
    while exp % 3 != 0:
        mantissa, exp = mantissa * 10, exp - 1
    return mantissa, exp


def parse_json_quantity(raw: object) -> Quantity:
    """Quantity.UnmarshalJSON: JSON numbers and strings (surrounding ASCII space trimmed)."""
    if raw is None:
        return ZERO
    if isinstance(raw, bool):
        raise QuantityError(ERR_FORMAT)
    if isinstance(raw, (int, float)):
        text = getattr(raw, "raw", None) or repr(raw)
        return parse_quantity(text)
    if isinstance(raw, str):
        return parse_quantity(raw.strip(" \t\n\r\v\f"))
    raise QuantityError(ERR_FORMAT)


def floor_div(a: Decimal, b: Decimal) -> Decimal:
    """Helper for ratio checks: a / b rounded down."""
    return (a / b).to_integral_value(rounding=ROUND_FLOOR)
