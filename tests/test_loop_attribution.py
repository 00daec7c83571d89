"""The load benchmark's loop attribution (`benchmarks/loadrun/loopsampler.py`, `hubside.attribute`):
who a sampled stack belongs to, and how samples add up to busy time, long stretches and runs."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path
from types import FrameType

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the top-level `benchmarks` package

from benchmarks.loadrun.hubside import attribute
from benchmarks.loadrun.loopsampler import DATABASE, IDLE, owner_of

STDLIB = sysconfig.get_paths()["stdlib"]


LOOP = f"{STDLIB}/asyncio/base_events.py:_run_once"


def stack(*paths: str) -> FrameType:
    """A real frame stack under the event loop's `_run_once` (this test and pytest lie beyond
    it, as JupyterHub's launch does in the hub) whose functions live in `paths` ("file" or
    "file:function"), outermost first, compiled with those names so `owner_of` sees what it
    would see in the hub; returns the innermost frame."""
    namespace: dict[str, object] = {"sys": sys}
    call = "return sys._getframe()"
    names = []
    for depth, where in enumerate(reversed((LOOP, *paths))):
        path, _, function = where.partition(":")
        name = function or f"f_{depth}"
        names.append(name)
        exec(compile(f"def {name}():\n    {call}\n", path, "exec"), namespace)
        call = f"return {name}()"
    return namespace[names[-1]]()  # type: ignore[operator,no-any-return]


SITE = "/venv/lib/python3.11/site-packages"


@pytest.mark.parametrize(
    ("paths", "owner"),
    [
        # a commit holds the loop for JupyterHub wherever it was called from
        ((f"{SITE}/jupyterhub/handlers/base.py", f"{SITE}/sqlalchemy/orm/session.py"), DATABASE),
        (
            (f"{SITE}/tornado/web.py", "/repo/prevalidate/hub/spawner.py", f"{STDLIB}/sqlite3/dbapi2.py"),
            DATABASE,
        ),
        # the innermost named package; stdlib and other libraries count for their caller
        (
            (f"{SITE}/kubespawner/spawner.py", "/repo/prevalidate/service.py", f"{STDLIB}/json/decoder.py"),
            "prevalidate",
        ),
        (("/repo/prevalidate/hub/spawner.py", f"{SITE}/kubespawner/spawner.py"), "kubespawner"),
        (("/repo/prevalidate/registry/cache.py", f"{SITE}/cachetools/__init__.py"), "prevalidate"),
        ((f"{SITE}/tornado/web.py", f"{SITE}/jupyterhub/apihandlers/users.py"), "jupyterhub"),
        ((f"{STDLIB}/asyncio/events.py", f"{SITE}/kubernetes_asyncio/watch/watch.py"), "kubernetes_asyncio"),
        ((f"{STDLIB}/asyncio/events.py", f"{SITE}/yaml/loader.py"), "other libraries"),
        (
            (f"{STDLIB}/asyncio/base_events.py", f"{STDLIB}/asyncio/events.py"),
            "the event loop itself (asyncio)",
        ),
    ],
)
def test_a_stack_belongs_to_its_innermost_named_package_or_the_database(
    paths: tuple[str, ...], owner: str
) -> None:
    assert owner_of(stack(*paths)) == owner


def test_waiting_in_select_is_idle() -> None:
    assert owner_of(stack(f"{STDLIB}/asyncio/base_events.py", f"{STDLIB}/selectors.py:select")) == IDLE
    assert owner_of(None) == IDLE


def test_samples_add_up_to_busy_time_long_stretches_and_unbroken_runs() -> None:
    ms = 0.001
    # 10 ms idle, a 60 ms stretch (40 database + 20 prevalidate), idle, a 10 ms prevalidate stretch
    owners_by_tick = (
        ["idle"] * 5 + [DATABASE] * 20 + ["prevalidate"] * 10 + ["idle"] * 5 + ["prevalidate"] * 5
    )
    samples = [(i * 2 * ms, owner) for i, owner in enumerate([*owners_by_tick, "idle"])]
    owners, stretches = attribute(samples)
    assert stretches == pytest.approx([60.0, 10.0])
    assert owners[DATABASE].busy_s == pytest.approx(0.040)
    assert owners[DATABASE].in_long_s == pytest.approx(0.040)
    assert owners["prevalidate"].busy_s == pytest.approx(0.030)
    assert owners["prevalidate"].in_long_s == pytest.approx(0.020)  # the 10 ms stretch is short
    assert owners["prevalidate"].runs_ms == pytest.approx([20.0, 10.0])
    assert owners["prevalidate"].longest_ms == pytest.approx(20.0)
    assert IDLE not in owners


def test_a_starved_sampler_does_not_stretch_one_sample_over_its_gap() -> None:
    owners, stretches = attribute([(0.0, "prevalidate"), (2.0, "idle"), (2.002, "idle")])
    assert owners["prevalidate"].busy_s == pytest.approx(0.05)  # capped, not 2 s
    assert stretches == pytest.approx([50.0])
