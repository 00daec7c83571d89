"""Hypothesis strategies for hostile input: any JSON value, with the values that broke parsers
before (100 kB strings, 10^400, 200-deep nesting, NaN, control and bidi characters, lone
surrogates) drawn often enough to matter.

Used by the input-family fuzz (``families``, ``make fuzz``) and its fixed-seed slice in
``tests/fuzz``. Hypothesis is a test dependency: import this module only from test tooling.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

HUGE = "A" * 100_000  # a value that must never come back whole in a message
MARK = "A" * 201  # what a message holding more than 200 characters of HUGE contains


def _deep(depth: int) -> Any:
    value: Any = "bottom"
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


SPECIAL_TEXT = (
    HUGE,
    "",
    " ",
    "\n",
    "line\nfake: line",
    "\x00",
    "\u202eevil",
    "zero\u200bwidth",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "😀" * 50,
    "%s%n{0}{value}",
    "../../etc/passwd",
    "http://127.0.0.1:1/token",
    "https://[::1]/token",
    "file:///etc/passwd",
    "javascript:alert(1)",
    "1e400",
    "NaN",
    "-0",
    "0x10",
    "9" * 5000,
)
SPECIAL_VALUES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    2**63,
    10**400,
    -(10**400),
    float("nan"),
    float("inf"),
    -float("inf"),
    1e308,
    0.1,
    [],
    {},
    [[[]]],
    _deep(200),
    ["A" * 1000] * 100,
    {HUGE[:5000]: 1},
)


def texts() -> st.SearchStrategy[str]:
    return st.one_of(st.text(max_size=30), st.sampled_from(SPECIAL_TEXT))


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        texts(),
        st.sampled_from(SPECIAL_VALUES),
    )


def json_values(keys: st.SearchStrategy[str] | None = None) -> st.SearchStrategy[Any]:
    """Any JSON value (and the Python ones json.loads makes: NaN, huge ints); ``keys`` are the
    object keys to draw, mixed with arbitrary text."""
    key = st.one_of(keys, texts()) if keys is not None else texts()
    return st.recursive(
        scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(key, children, max_size=4),
        ),
        max_leaves=12,
    )


def or_hostile(
    valid: st.SearchStrategy[Any], keys: st.SearchStrategy[str] | None = None
) -> st.SearchStrategy[Any]:
    """Mostly ``valid``, sometimes anything at all."""
    return st.one_of(valid, valid, json_values(keys))


def maybe_drop(fields: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """An object with each field present (as drawn) or missing."""
    return st.fixed_dictionaries({}, optional=fields)


__all__ = ["HUGE", "MARK", "json_values", "maybe_drop", "or_hostile", "scalars", "texts"]
