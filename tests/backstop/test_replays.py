"""The replay corpus: every fatal class fails at the deciding input, every trap is never killed."""

from __future__ import annotations

from typing import Any

import pytest

from prevalidate.testing.replays import load_all, run

REPLAYS = load_all()


def test_the_corpus_covers_every_fatal_class_and_every_trap() -> None:
    assert len(REPLAYS) >= 30
    traps = [r for _, r in REPLAYS if r["expect"]["decision"] != "fail"]
    assert len(traps) >= 10


@pytest.mark.parametrize("replay", [r for _, r in REPLAYS], ids=[name for name, _ in REPLAYS])
def test_replay(replay: dict[str, Any]) -> None:
    expect = replay["expect"]
    outcome = run(replay)
    assert outcome.decision == expect["decision"], (replay["name"], outcome)
    if expect["decision"] == "fail":
        assert outcome.code == expect["code"], (replay["name"], outcome)
        assert outcome.at == pytest.approx(float(expect["at"]), abs=0.001), (replay["name"], outcome)
