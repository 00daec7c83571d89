"""Kubernetes quantities, pinned to the vectors computed by the real ``resource.ParseQuantity``
(tests/data/vectors/quantity.json) and to reference §3: exact value, format family, canonical
string, Go's error texts, and what the apiserver does with quantities in a request body."""

from __future__ import annotations

import json
from decimal import Context, Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from prevalidate.model.demand import build_demand
from prevalidate.model.quantity import (
    ERR_FORMAT,
    ERR_NUMERIC,
    ERR_SUFFIX,
    QuantityFormat,
    canonical_quantity,
    parse_quantity,
    parse_quantity_full,
)

VECTORS_DIR = Path(__file__).resolve().parents[1] / "data" / "vectors"
VECTORS_FILE = VECTORS_DIR / "quantity.json"


# The vectors ship with the repository (tests/data/README.md): a missing file fails, never skips.
DATA: dict[str, Any] = json.loads(VECTORS_FILE.read_text(encoding="utf-8"))
VECTORS: list[dict[str, Any]] = DATA.get("vectors", [])
VALID = [v for v in VECTORS if v["valid"]]
INVALID = [v for v in VECTORS if not v["valid"]]
JSON_BODY: list[dict[str, str]] = DATA.get("json_body_vectors", {}).get("vectors", [])


def _id(vector: dict[str, Any]) -> str:
    return repr(vector.get("input", vector.get("json")))


def test_the_vector_file_holds_all_62_vectors() -> None:
    assert len(VECTORS) == 62
    assert len(VALID) + len(INVALID) == 62


@pytest.mark.parametrize("vector", VALID, ids=_id)
def test_valid_quantity_parses_to_the_exact_value_go_gives(vector: dict[str, Any]) -> None:
    assert parse_quantity(vector["input"]) == Decimal(vector["exact_value"])


@pytest.mark.parametrize("vector", VALID, ids=_id)
def test_valid_quantity_keeps_the_format_family_go_gives(vector: dict[str, Any]) -> None:
    assert parse_quantity_full(vector["input"]).format.value == vector["format"]


@pytest.mark.parametrize("vector", VALID, ids=_id)
def test_valid_quantity_prints_the_canonical_string_go_prints(vector: dict[str, Any]) -> None:
    parsed = parse_quantity_full(vector["input"])
    assert canonical_quantity(parsed.value, parsed.format) == vector["canonical"]
    assert str(parsed) == vector["canonical"]


@pytest.mark.parametrize("vector", INVALID, ids=_id)
def test_invalid_quantity_is_rejected_with_go_error_text(vector: dict[str, Any]) -> None:
    with pytest.raises(ValueError) as caught:
        parse_quantity_full(vector["input"])
    assert str(caught.value) == vector["apiserver_error"]


def test_error_texts_are_the_apiserver_texts() -> None:
    texts = DATA["error_texts"]
    assert (texts["format"], texts["suffix"], texts["numeric"]) == (ERR_FORMAT, ERR_SUFFIX, ERR_NUMERIC)


@pytest.mark.parametrize("vector", [v for v in VECTORS if v.get("disagreement")], ids=_id)
def test_inputs_where_the_python_client_is_wrong_follow_go(vector: dict[str, Any]) -> None:
    # §3.7: the client's parse_quantity must not be our oracle; these are exactly its mistakes.
    if vector["valid"]:
        assert parse_quantity(vector["input"]) == Decimal(vector["exact_value"])
    else:
        with pytest.raises(ValueError):
            parse_quantity(vector["input"])


# ---- §3.6: quantities inside a pod the spawner sends as JSON ---------------------------------


def _memory_request(value: Any) -> tuple[Decimal | None, list[str]]:
    pod = {
        "metadata": {"name": "p", "namespace": "jhub"},
        "spec": {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"memory": value}}}]},
    }
    demand = build_demand(pod)
    return demand.containers[0].requests.get("memory"), [p.code.value for p in demand.problems]


def _json_expectation(result: str) -> Decimal | None:
    """The vector's ``result`` as an exact value (None = the apiserver refuses the body)."""
    if result.startswith("invalid"):
        return None
    if result.startswith("0 (zero"):
        return Decimal(0)
    return parse_quantity(result)


@pytest.mark.parametrize("vector", JSON_BODY, ids=lambda v: v["json"])
def test_a_quantity_in_a_json_body_is_read_as_the_apiserver_reads_it(vector: dict[str, str]) -> None:
    # The pod dict is JSON-encoded on its way to the apiserver; json.loads gives the Python
    # value a spawner would hold for that JSON text.
    value = json.loads(vector["json"])
    expected = _json_expectation(vector["result"])
    parsed, problems = _memory_request(value)
    if expected is None:
        assert problems == ["input-invalid"]
        assert parsed is None
    else:
        assert problems == []
        assert parsed == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (2, Decimal(2)),
        (0.5, Decimal("0.5")),
        (1e-10, Decimal("1e-9")),  # rounded up to 1n like any other quantity
        ("512Mi", Decimal(512 * 2**20)),
    ],
    ids=["int", "float", "tiny-float", "string"],
)
def test_numbers_and_strings_in_a_pod_are_both_quantities(value: Any, expected: Decimal) -> None:
    assert _memory_request(value) == (expected, [])


@pytest.mark.parametrize("value", ["1K", "NaN", "1e3Gi", "-1Gi", "1 Gi", True, float("inf")])
def test_a_value_the_apiserver_refuses_becomes_input_invalid(value: Any) -> None:
    parsed, problems = _memory_request(value)
    assert parsed is None
    assert problems == ["input-invalid"]


# ---- properties ----------------------------------------------------------------------------

_PRECISE = Context(prec=200)
_SUFFIXES = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]


@st.composite
def quantity_texts(draw: st.DrawFn) -> str:
    sign = draw(st.sampled_from(["", "", "-", "+"]))
    whole = draw(st.integers(min_value=0, max_value=10**12))
    frac = draw(st.one_of(st.just(""), st.from_regex(r"\.[0-9]{0,12}", fullmatch=True)))
    if draw(st.booleans()):
        suffix = draw(st.sampled_from(_SUFFIXES))
    else:
        suffix = "e" + str(draw(st.integers(min_value=-15, max_value=20)))
    return f"{sign}{whole}{frac}{suffix}"


@settings(max_examples=300, deadline=None)
@given(quantity_texts())
def test_canonical_string_parses_back_to_the_same_value(text: str) -> None:
    parsed = parse_quantity_full(text)
    canonical = canonical_quantity(parsed.value, parsed.format)
    assert parse_quantity(canonical) == parsed.value
    # and canonical is a fixed point: printing it again gives the same string
    again = parse_quantity_full(canonical)
    assert canonical_quantity(again.value, again.format) == canonical


@settings(max_examples=300, deadline=None)
@given(st.decimals(min_value=-(10**15), max_value=10**15, places=9, allow_nan=False, allow_infinity=False))
def test_any_value_at_1n_resolution_prints_a_string_that_parses_back_exactly(value: Decimal) -> None:
    for fmt in QuantityFormat:
        assert parse_quantity(canonical_quantity(value, fmt)) == value


@settings(max_examples=200, deadline=None)
@given(quantity_texts())
def test_parsed_values_are_never_finer_than_one_nano(text: str) -> None:
    nanos = parse_quantity(text).scaleb(9, _PRECISE)
    assert nanos == nanos.to_integral_value()


# ---- rules stated in reference §3 beyond the vector file ----------------------------------------------


@pytest.mark.parametrize("text", [".", "-.", "+", "-", "Gi", "Mi", "k", "m", "E", "e3", "0Gi", "+0"])
def test_degenerate_forms_without_digits_parse_as_zero(text: str) -> None:
    # §3.2: Go's fast scanner accepts a valid suffix with no digits as 0.
    assert parse_quantity(text) == 0


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("1E3k", ERR_FORMAT),
        ("1e3Gi", ERR_FORMAT),
        ("1e", ERR_SUFFIX),
        ("1e+", ERR_SUFFIX),
        ("1Ki2", ERR_SUFFIX),
        ("1.5.5", ERR_FORMAT),
        ("\t1", ERR_FORMAT),
        ("1\n", ERR_FORMAT),
        ("Infinity", ERR_FORMAT),
        ("1KiB", ERR_FORMAT),
    ],
)
def test_forms_go_rejects_are_rejected(text: str, error: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_quantity(text)
    assert str(caught.value) == error


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1.5", "1500m"),
        ("1.5Gi", "1536Mi"),
        ("1024Mi", "1Gi"),
        ("1000M", "1G"),
        ("0.5Mi", "512Ki"),
        (".001Ki", "1024m"),
        ("100.035Ki", "102435840m"),
        ("1.3E+6", "1300e3"),
        ("1e19", "10e18"),
        ("0.05Gi", "53687091200m"),
        ("12E", "12E"),
        ("2048Ki", "2Mi"),
        ("1025Ki", "1025Ki"),
    ],
)
def test_canonical_form_examples_from_the_reference(text: str, canonical: str) -> None:
    parsed = parse_quantity_full(text)
    assert str(parsed) == canonical


@pytest.mark.parametrize(
    ("value", "fmt", "text"),
    [
        (Decimal(1025), QuantityFormat.BINARY_SI, "1025"),  # not exact in base 1024: decimal digits
        (Decimal(1000), QuantityFormat.BINARY_SI, "1k"),  # below 1024: DecimalSI
        (Decimal(-2048), QuantityFormat.BINARY_SI, "-2Ki"),
        (Decimal("0.5"), QuantityFormat.BINARY_SI, "500m"),
        (Decimal(0), QuantityFormat.DECIMAL_EXPONENT, "0"),
    ],
)
def test_binary_values_that_are_not_whole_kibibytes_print_in_decimal(
    value: Decimal, fmt: QuantityFormat, text: str
) -> None:
    assert canonical_quantity(value, fmt) == text


def test_decimal_values_are_not_capped_but_binary_values_are() -> None:
    assert parse_quantity("12E") == Decimal(12 * 10**18)
    assert parse_quantity("16Ei") == Decimal(2**63 - 1)
    assert parse_quantity("-9Ei") == -Decimal(2**63 - 1)


# ---- absurd exponents: Go's grammar allows them; we must neither crash nor stall ------------------


@pytest.mark.parametrize("text", ["1e-2000000000", "123e-1000000", "0.5e-999999"])
def test_vanishingly_small_values_round_up_to_one_nano(text: str) -> None:
    assert parse_quantity(text) == Decimal("1e-9")


@pytest.mark.parametrize("text", ["0e5000", "-0e2000000000"])
def test_zero_with_any_exponent_is_zero(text: str) -> None:
    assert parse_quantity(text) == 0


@pytest.mark.parametrize("text", ["1e1000", "1e999999", "1e1000000", "-1e2000000000", "1000e997"])
def test_astronomical_values_are_refused_with_a_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        parse_quantity(text)


def test_a_huge_but_usable_value_still_parses_exactly() -> None:
    assert parse_quantity("1e999") == Decimal(10) ** 999


@pytest.mark.parametrize(
    ("text", "value", "canonical"),
    [
        ("9" * 30, "9" * 30, "9" * 30),
        (
            "123456789012345678901234567890m",
            "123456789012345678901234567.89",
            "123456789012345678901234567890m",
        ),
        ("1" * 40 + ".5", "1" * 40 + ".5", "1" * 40 + "500m"),
        ("1" * 300 + "n", "1" * 300 + "e-9", "1" * 300 + "n"),
        # found by atheris after the first fix: unary minus rounded a negative value again
        (
            "-0" + "1" * 34 + "0" * 14 + "14825483150825619457",
            "-" + "1" * 34 + "0" * 14 + "14825483150825619457",
            "-" + "1" * 34 + "0" * 14 + "14825483150825619457",
        ),
    ],
)
def test_many_significant_digits_are_kept_exactly_as_go_keeps_them(
    text: str, value: str, canonical: str
) -> None:
    """Regression (found while writing the atheris quantity target, the last by atheris):
    ``abs()`` and unary minus rounded every value to Python's default 28 digits, so ``999…9``
    (30 nines) became ``1000000000000E``.
    Go's slow path (inf.Dec) is exact, and so is CanonicalizeBytes on it."""
    parsed = parse_quantity_full(text)
    assert parsed.value == Decimal(value)
    assert canonical_quantity(parsed.value, parsed.format) == canonical


def test_a_long_exact_quantity_is_told_in_a_message() -> None:
    """Regression (atheris, status/regression-long-limitrange-value and
    webhook/regression-many-findings-long-cpu): once quantities kept every digit, ``trim``'s
    ``quantize`` (28 digits of context) raised on a 30-digit value with a fraction."""
    from prevalidate.amounts import amount, trim

    assert trim(Decimal("11111111111111111111111111111.5")) == "11111111111111111111111111111.5"
    assert amount("cpu", parse_quantity("1" * 40 + "250m")) == "1" * 40 + ".25 CPUs"
