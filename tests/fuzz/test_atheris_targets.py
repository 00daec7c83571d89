"""The atheris targets without atheris: every seed and every saved regression input of
``tests/fuzz/atheris/<target>/`` through its target as a plain call, so ``make test`` covers
the harness code and keeps each crash atheris found fixed. ``make fuzz`` runs the same
targets coverage-guided (``benchmarks/atheris_fuzz.py``)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

# The benchmarks package is the repository's (not installed): first on the path, as
# tests/fuzz/test_input_families.py does, so `benchmarks` is not tests/benchmarks.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.atheris_fuzz import NAMES, SEEDS, target
from prevalidate.testing.fuzz.atheris_targets import TARGETS, TargetFailure

INPUTS = [
    pytest.param(name, path, id=f"{name}/{path.name}")
    for name in NAMES
    for path in sorted((SEEDS / name).iterdir())
]


@pytest.fixture(scope="module")
def runners():
    made: dict[str, object] = {}

    def get(name: str):
        if name not in made:
            made[name] = target(name)
        return made[name]

    return get


def test_every_target_has_a_seed_corpus_and_make_test_needs_no_atheris() -> None:
    assert set(NAMES) == set(TARGETS) | {"webhook"}
    for name in NAMES:
        assert len(list((SEEDS / name).glob("seed-*"))) >= 5, name
    assert "atheris" not in sys.modules


@pytest.mark.parametrize(("name", "path"), INPUTS)
def test_a_seed_or_regression_input_passes_its_target(name: str, path: Path, runners) -> None:
    outcome = runners(name)(path.read_bytes())
    assert isinstance(outcome, str) and outcome


@pytest.mark.parametrize("name", NAMES)
def test_the_seed_corpus_reaches_more_than_one_outcome(name: str, runners) -> None:
    """A corpus of one kind of input gives the fuzzer one region to start from."""
    outcomes = Counter(runners(name)(p.read_bytes()) for p in (SEEDS / name).glob("seed-*"))
    assert len(outcomes) >= 2, outcomes


def test_a_target_reports_a_broken_invariant_as_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    """The targets can fail: a parser that stops re-parsing its own normal form is caught."""
    import prevalidate.testing.fuzz.atheris_targets as targets
    from prevalidate.registry.reference import ImageReference

    monkeypatch.setattr(ImageReference, "normalized", property(lambda self: self.name + ":other"))
    with pytest.raises(TargetFailure, match="normal form"):
        targets.image_reference(b"quay.io/team/app:1")


def test_an_unbounded_message_is_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    import prevalidate.testing.fuzz.atheris_targets as targets

    monkeypatch.setattr(targets, "render", lambda finding: "x" * 10_000)
    with pytest.raises(TargetFailure, match="10,000 characters"):
        targets.image_reference(b"Bad:Tag")
