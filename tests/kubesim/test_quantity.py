"""kubesim's own quantity parser against the vectors computed with Go's ParseQuantity."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from prevalidate.testing.kubesim.quantity import QuantityError, canonical, parse_quantity

from .conftest import FIXTURES

VECTORS: list[dict[str, Any]] = json.loads(
    (FIXTURES / "quantity_vectors.json").read_text())["vectors"]


@pytest.mark.parametrize("vector", [v for v in VECTORS if v["valid"]], ids=lambda v: repr(v["input"]))
def test_valid_quantities_parse_to_go_value_format_and_string(vector: dict[str, Any]) -> None:
    q = parse_quantity(vector["input"])
    assert q.value == Decimal(vector["exact_value"])
    assert q.fmt == vector["format"]
    assert canonical(q.value, q.fmt) == vector["canonical"]
    assert str(q) == vector.get("emitted_by_String", vector["canonical"])


@pytest.mark.parametrize("vector", [v for v in VECTORS if not v["valid"]],
                         ids=lambda v: repr(v["input"]))
def test_invalid_quantities_fail_with_go_error_text(vector: dict[str, Any]) -> None:
    with pytest.raises(QuantityError) as caught:
        parse_quantity(vector["input"])
    assert str(caught.value) == vector["apiserver_error"]
