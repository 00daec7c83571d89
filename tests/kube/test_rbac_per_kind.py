"""Fault: RBAC withholds one kind the checks read, for each of the kinds in turn (the hub's
Role is hand-written in many deployments; any rule may be missing). The view gives up on that
kind alone, says so in one warning, and keeps judging with the rest: the valid example pod is
allowed every time, and the pod asking for 120 CPUs is still refused (by the node room or the
quota, whichever is still known)."""

from __future__ import annotations

import logging

import pytest

from prevalidate import Settings, run_all
from prevalidate.kube.dump import load_pod
from prevalidate.kube.watchkinds import WATCH_KINDS
from prevalidate.model.findings import Severity
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim

from .conftest import EXAMPLE_CLUSTER, EXAMPLE_PODS, FAST, LOGGER, StartLive, records
from .helpers import forbid

OFFLINE = Settings(offline=True)
PODS = {path.stem: path for path in EXAMPLE_PODS}


@pytest.mark.fault("rbac-missing-per-kind")
@pytest.mark.parametrize("kind", sorted(WATCH_KINDS))
async def test_each_kind_forbidden_alone_blocks_no_valid_spawn(
    kind: str, start_kubesim: StartKubeSim, start_live: StartLive, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    sim = await start_kubesim(EXAMPLE_CLUSTER, forbid(f"{{resource: {WATCH_KINDS[kind].plural}}}"))
    live = await start_live(sim, **FAST)
    assert await live.wait_ready(10)
    assert not live.view.knows(kind, "jhub")
    assert all(live.view.knows(other, "jhub") for other in WATCH_KINDS if other != kind)
    warnings = records(caplog, logging.WARNING)
    assert len(warnings) == 1 and kind in warnings[0], warnings

    valid = run_all(load_pod(PODS["valid"]), live.view, OFFLINE)
    assert valid.allowed, [f.code.value for f in valid.findings if f.severity is Severity.ERROR]
    # 120 CPUs: too many for any node and for the namespace quota. With one of the two kinds
    # missing, the other still refuses it (and the missing one is a skipped check).
    huge = run_all(load_pod(PODS["too-many-cpus"]), live.view, OFFLINE)
    codes = [f.code.value for f in huge.findings]
    assert not huge.allowed, codes
    if kind in ("Node", "ResourceQuota"):
        assert "check-skipped" in codes, codes
