"""Each scenario family of families.py, judged on its own by the real control plane: only the
rounds that draw the family and only the pods that use it, so each test shows the family is
exercised (its outcomes occur) and that prevalidate agrees with Kubernetes on it, with no false
rejection."""

from __future__ import annotations

import collections
import os
from collections.abc import Callable

import pytest

from prevalidate.testing.realplane import ControlPlane, RealCluster

from .judge import Comparison, run_rounds
from .known import explain
from .scenarios import Generator, Obj, Round

SEED = int(os.environ.get("PREVALIDATE_AGREE_SEED", "11"))
ROUNDS = 12  # of each family (the rounds that do not draw it are skipped)


def family_rounds(wanted: Callable[[Round], bool], belongs: Callable[[Obj], bool]) -> list[Round]:
    gen, rounds, index = Generator(SEED), [], 0
    while len(rounds) < ROUNDS:
        rnd = gen.round(index, 20)
        index += 1
        rnd.pods = [p for p in rnd.pods if belongs(p)]
        if wanted(rnd) and rnd.pods:
            rounds.append(rnd)
    return rounds


def judge(plane: ControlPlane, rounds: list[Round]) -> tuple[collections.Counter[str], list[Comparison]]:
    tally: collections.Counter[str] = collections.Counter()
    wrong = []
    results = run_rounds(lambda: RealCluster(plane), rounds)
    for c in results:
        if c.false_rejection and not explain(c):
            tally["false rejection"] += 1
            wrong.append(c)
        elif c.agree:
            tally["preempted" if c.real.preempted else "allowed" if c.real.allowed else "refused"] += 1
            tally.update(f"refused: {f}" for f in c.real.families)
            if c.ours.kubelet_only:
                tally["kubelet-stage"] += 1
        elif explain(c):
            tally["known"] += 1
        else:
            tally["disagreement"] += 1
            wrong.append(c)
    print(f"\n{len(results)} scenarios: {dict(sorted(tally.items()))}")
    return tally, wrong


@pytest.mark.parametrize("family", ["priority", "runtimeclass", "nodename"])
def test_a_family_agrees_with_the_real_control_plane(real_plane: ControlPlane, family: str) -> None:
    if family == "priority":
        rounds = family_rounds(lambda r: r.priorities, lambda p: "priorityClassName" in p["spec"])
    elif family == "runtimeclass":
        rounds = family_rounds(lambda r: r.runtimes, lambda p: "runtimeClassName" in p["spec"])
    else:
        rounds = family_rounds(lambda r: True, lambda p: "nodeName" in p["spec"])
    tally, wrong = judge(real_plane, rounds)
    assert not wrong, "\n".join(c.describe() for c in wrong[:5])
    # The family's own outcomes occurred (the generator reaches them):
    if family == "priority":
        assert tally["preempted"] > 0  # a `high` pod made room by preemption
        assert tally["refused: priorityclass"] > 0  # `urgent` does not exist: 403
    elif family == "runtimeclass":
        assert tally["refused: runtimeclass"] > 0  # `wasm` does not exist: 403
        assert tally["allowed"] > 0
    else:
        assert tally["allowed"] > 0 and tally["kubelet-stage"] > 0
