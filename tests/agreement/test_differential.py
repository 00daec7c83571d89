"""Differential agreement: prevalidate check vs a real kube-apiserver + kube-scheduler (v1.37).

A fixed-seed run of generated scenarios (tests/agreement/scenarios.py); each pod is judged by
`run_all` over a dump of the real cluster and by the real control plane (judge.py). They must
agree on allowed vs refused and, when refused, on the error family; a false rejection (we
refuse a pod the real plane admitted and bound) is the worst outcome and fails the run.
Disagreements already understood are listed in known.py with the reason and the Kubernetes
source that decides them; each has its own regression case in test_regressions.py.

The generator draws the families of families.py too (priority classes and preemption,
RuntimeClass overhead/selector/tolerations, spec.nodeName pods); test_families.py judges each
alone. PREVALIDATE_AGREE_SCENARIOS (default 1000) and PREVALIDATE_AGREE_SEED (default 11) size the run;
`make agree` runs 10,000.
"""

from __future__ import annotations

import collections
import os
import time

from prevalidate.testing.realplane import ControlPlane, RealCluster

from .judge import run_rounds
from .known import explain
from .scenarios import generate

SCENARIOS = int(os.environ.get("PREVALIDATE_AGREE_SCENARIOS", "1000"))
SEED = int(os.environ.get("PREVALIDATE_AGREE_SEED", "11"))


def test_prevalidate_agrees_with_the_real_control_plane(real_plane: ControlPlane) -> None:
    began = time.monotonic()
    results = run_rounds(lambda: RealCluster(real_plane), generate(SEED, SCENARIOS))
    elapsed = time.monotonic() - began
    tally: collections.Counter[str] = collections.Counter()
    unexplained = []
    for c in results:
        if c.agree:
            tally["agree, refused" if not c.real.allowed else
                  "agree, allowed by preemption" if c.real.preempted else "agree, allowed"] += 1
            if c.ours.kubelet_only:
                tally["kubelet-stage refusal (out of the plane's reach)"] += 1
            continue
        reason = explain(c)
        if reason:
            tally[f"known: {reason}"] += 1
        else:
            tally["false rejection" if c.false_rejection else "disagreement"] += 1
            unexplained.append(c)
    summary = "\n".join(f"  {n:6d}  {what}" for what, n in sorted(tally.items()))
    print(f"\n{len(results)} scenarios (seed {SEED}) in {elapsed:.1f}s:\n{summary}")
    assert len(results) == SCENARIOS
    assert not unexplained, "\n".join(c.describe() for c in unexplained[:10])
