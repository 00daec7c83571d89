"""The registry time budget charges only time the hub's event loop was free to run: a stall of
the loop (JupyterHub's sqlite commits during a login burst) is credited back, capped, once per
validation however many images wait on it (prevalidate/registry/budget.py)."""

from __future__ import annotations

import asyncio
import time

import pytest

from prevalidate.model.image_facts import ImageStatus
from prevalidate.registry import budget as budget_module
from prevalidate.registry.budget import Budget
from prevalidate.testing.registry import RunningRegistry

from .test_real_registry import client_for


def _stall(seconds: float, after: float = 0.01) -> None:
    """Block the event loop, as a synchronous sqlite commit in the hub does."""
    asyncio.get_running_loop().call_later(after, time.sleep, seconds)


async def _round_trips(count: int, each: float = 0.05) -> str:
    for _ in range(count):
        await asyncio.sleep(each)
    return "answer"


async def test_a_stall_of_the_loop_is_not_charged_to_the_budget() -> None:
    budget = Budget(0.3)
    task = asyncio.ensure_future(_round_trips(3))
    _stall(0.6, after=0.06)  # between the first and the second round trip
    assert await budget.wait(task) == "answer"
    assert budget.credit >= 0.4


async def test_without_the_credit_the_same_stall_runs_the_budget_out() -> None:
    budget = Budget(0.3, max_credit=0)
    task = asyncio.ensure_future(_round_trips(3))
    _stall(0.6, after=0.06)
    with pytest.raises(asyncio.TimeoutError):
        await budget.wait(task)
    task.cancel()


async def test_a_slow_answer_on_a_free_loop_still_runs_out() -> None:
    budget = Budget(0.2)
    task = asyncio.ensure_future(_round_trips(1, each=5))
    with pytest.raises(asyncio.TimeoutError):
        await budget.wait(task)
    assert budget.credit < 0.1  # nothing was stalled (a busy machine may be a little late)
    assert not task.done()  # shared work goes on; the next spawn may find it cached
    task.cancel()


async def test_waiters_sharing_a_budget_credit_one_stall_once() -> None:
    budget = Budget(0.3)
    tasks = [asyncio.ensure_future(_round_trips(3)) for _ in range(4)]
    _stall(0.6, after=0.06)
    assert await asyncio.gather(*(budget.wait(t) for t in tasks)) == ["answer"] * 4
    assert 0.4 <= budget.credit < 0.9


async def test_the_credit_is_capped() -> None:
    budget = Budget(0.1, max_credit=0.2)
    task = asyncio.ensure_future(_round_trips(1, each=5))
    _stall(0.8)
    with pytest.raises(asyncio.TimeoutError):
        await budget.wait(task)
    assert budget.credit == pytest.approx(0.2)
    task.cancel()


@pytest.mark.registry
@pytest.mark.fault("hub-loop-stall")
async def test_a_real_registry_answer_across_a_stalled_hub_loop_is_used(
    open_registry: RunningRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry answers while the loop is blocked for longer than the budget; once the
    loop runs again the lookup finishes: the image is verified, not let through unverified."""
    image = f"{open_registry.host}/test/hello:1.2"  # a typo: 1.2 does not exist
    cases = ((0.0, ImageStatus.UNVERIFIED), (budget_module.MAX_CREDIT, ImageStatus.NOT_FOUND))
    for credit, expected in cases:
        monkeypatch.setattr(budget_module, "MAX_CREDIT", credit)
        async with client_for(open_registry, time_budget=0.3) as client:
            lookup = asyncio.ensure_future(client.image_facts(image, want_platforms=False))
            await asyncio.sleep(0)  # the lookup starts, its first request goes out
            _stall(1.0, after=0.0)
            facts = await lookup
        assert facts.status is expected, (credit, facts)
