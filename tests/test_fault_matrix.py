"""README's "Faults survived" table cannot drift from the tests: every row names a fault id and
a test (``path::name``) that exists and carries ``@pytest.mark.fault("<id>")``; every test so
marked has its row; no row admits a blocked valid spawn; there are at least 20 rows.

Tests are found by reading their source (ast), not by importing them: the e2e and real-plane
suites import what only a bootstrapped machine has, and this check must run everywhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SECTION = "## Faults survived"
ROW = re.compile(r"^\|(?P<cells>.+)\|\s*$")


def table_rows() -> list[list[str]]:
    text = (ROOT / "README.md").read_text()
    assert SECTION in text, f"README.md has no {SECTION!r} section"
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        match = ROW.match(line.strip())
        if match:
            rows.append([cell.strip() for cell in match.group("cells").split("|")])
    header, rule, *body = rows
    assert [h.lower() for h in header][:5] == [
        "fault",
        "what the user sees",
        "how long",
        "valid spawns blocked",
        "test",
    ], header
    assert set("".join(rule)) <= set("-: "), rule
    return body


def fault_marks(decorators: list[ast.expr]) -> set[str]:
    """The names in ``@pytest.mark.fault("name")`` decorators."""
    names = set()
    for decorator in decorators:
        if (
            isinstance(decorator, ast.Call)
            and ast.unparse(decorator.func) == "pytest.mark.fault"
            and decorator.args
            and isinstance(decorator.args[0], ast.Constant)
        ):
            names.add(str(decorator.args[0].value))
    return names


def marked_tests() -> dict[str, set[str]]:
    """``path::name`` -> fault ids, for every test function in tests/ that carries one."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "tests").rglob("test_*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test_"):
                marks = fault_marks(node.decorator_list)
                if marks:
                    found[f"{path.relative_to(ROOT)}::{node.name}"] = marks
    return found


def row_fault(row: list[str]) -> str:
    ids = re.findall(r"`([a-z0-9-]+)`", row[0])
    assert len(ids) == 1, f"the fault cell names one id in backticks: {row[0]!r}"
    return ids[0]


def row_test(row: list[str]) -> str:
    tests = re.findall(r"`(tests/[^`]+::test_\w+)`", row[4])
    assert len(tests) == 1, f"the test cell names one path::test in backticks: {row[4]!r}"
    return tests[0]


def test_the_table_has_at_least_20_faults_each_blocking_nothing() -> None:
    rows = table_rows()
    assert len(rows) >= 20, len(rows)
    faults = [row_fault(row) for row in rows]
    assert len(set(faults)) == len(faults), "a fault id appears in two rows"
    for row in rows:
        assert row[3] == "0", f"{row_fault(row)}: valid spawns blocked must be 0, the table says {row[3]!r}"
        assert row[1] and row[2], f"{row_fault(row)}: say what the user sees and how long"


def test_every_row_names_an_existing_test_that_carries_its_fault_marker() -> None:
    marked = marked_tests()
    for row in table_rows():
        fault, test = row_fault(row), row_test(row)
        path = test.split("::")[0]
        assert (ROOT / path).is_file(), f"{fault}: {path} does not exist"
        assert test in marked, f"{fault}: {test} does not exist or carries no fault marker"
        assert fault in marked[test], f"{fault}: {test} is marked {sorted(marked[test])}"


def test_every_marked_test_has_its_row() -> None:
    listed = {(row_fault(row), row_test(row)) for row in table_rows()}
    for test, faults in marked_tests().items():
        for fault in faults:
            assert (fault, test) in listed, f"{test} is marked {fault!r} but README's table has no such row"
