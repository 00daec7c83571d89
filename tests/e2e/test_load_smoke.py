"""The load benchmark's harness at 20 users (`benchmarks/loadrun`, run in full by
`python -m benchmarks load`): a real JupyterHub + PrevalidatingKubeSpawner on kubesim (own
process, running each good pod's stand-in server) and a real registry; 20 logged-in users submit
the spawn form within 2 s, every third one bad. Correctness only, no timing: every bad one is
answered inline (the form again, a 4xx, its sentence), every good server starts, no 5xx; the
hub's loop sampler (the `load_attribution` run's) records the burst."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import needs_hub, needs_registry

# The harness is the repository's top-level `benchmarks` package, which is not installed (and
# tests/benchmarks/ would shadow it as a namespace package): the repository goes first on the path.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.load import measure
from benchmarks.loadrun.hubside import attribute
from benchmarks.loadrun.loopsampler import DATABASE
from benchmarks.loadrun.report import inline, verdict

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]

# What each bad kind's sentence must name (the rest of the wording is messages/' to change).
NAMED = {"quota": "quota", "cpu": "120 CPUs", "image": "4.0-typo", "pvc": '"lol"'}


async def test_twenty_users_at_once_every_bad_one_inline_every_good_one_started() -> None:
    run = (await measure(20, 2.0, ("prevalidate",), sample=True))["prevalidate"]
    counts = verdict(run)
    assert counts == {"bad": 7, "bad_inline": 7, "good": 13, "good_started": 13, "server_errors": 0}, [
        a for a in run.answers if (a.kind == "good") == inline(a) or a.status >= 500
    ]
    for answer in run.answers:
        if answer.kind != "good":
            assert NAMED[answer.kind] in answer.message, answer
            assert "Traceback" not in answer.message and "HTTP response" not in answer.message, answer
    assert run.ready_servers == 13  # the hub itself says so, not only the progress streams
    assert run.hub_errors == []  # no 5xx in the hub's request log
    assert run.loop is not None and run.loop.ticks > 0  # the loop-lag probe was read
    assert run.probe_ms  # the /hub/api probe got answers during the burst
    # the loop sampler ran in the hub across the burst and saw it both waiting and working
    owners, stretches = attribute(run.samples)
    assert len(run.samples) > 100 and stretches, run.samples[:5]
    assert DATABASE in owners and "jupyterhub" in owners, owners
