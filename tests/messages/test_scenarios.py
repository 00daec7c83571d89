"""Every finding code's sentence: it states the numbers, says what would pass, tells the user
what to do about an error, and never prints a blank where a number should be.

The findings come from the real validators (scenarios.py), so a message test also proves the
facts a validator records are the ones its message needs.
"""

from __future__ import annotations

import re

import pytest
from factories import node, only, pod, pool, verdict

from prevalidate.messages import render
from prevalidate.model.findings import Code, Severity

from .scenario import finding_of
from .scenarios import SCENARIOS


def test_every_code_has_a_scenario_and_a_renderer() -> None:
    covered = {s.code for s in SCENARIOS.values()}
    assert covered == set(Code)
    for scenario in SCENARIOS.values():
        assert render(finding_of(scenario)).strip()


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_message_states_the_numbers(name: str) -> None:
    scenario = SCENARIOS[name]
    message = render(finding_of(scenario))
    for part in scenario.numbers:
        assert part in message, f"{part!r} missing from {message!r}"


_HAS_FORWARD = [name for name, s in SCENARIOS.items() if s.forward]


@pytest.mark.parametrize("name", _HAS_FORWARD)
def test_message_says_what_would_pass(name: str) -> None:
    scenario = SCENARIOS[name]
    assert scenario.forward is not None
    assert scenario.forward in render(finding_of(scenario))


_WAY_FORWARD = re.compile(
    r"\b(Choose|Set|Use|Stop|Did you mean|Check|Raise|Ask|Delete|Remove|Pick|Select|try again|contact)\b"
)


@pytest.mark.parametrize(
    "name", [name for name, s in SCENARIOS.items() if finding_of(s).severity is Severity.ERROR]
)
def test_every_error_message_says_what_to_do(name: str) -> None:
    assert _WAY_FORWARD.search(render(finding_of(SCENARIOS[name])))


# ---- no empty slots: a message never prints a blank where a number should be ------------------------

_EMPTY_SLOT = re.compile(r"  |\(\)| [.,]|\bfor\s+right\b|\bis \.")


def test_a_gpu_typo_is_not_offered_cpu() -> None:
    message = render(finding_of(SCENARIOS["input-invalid-gpu-resource-name"]))
    assert '"cpu"' not in message


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_message_has_no_empty_slots(name: str) -> None:
    message = render(finding_of(SCENARIOS[name]))
    assert not _EMPTY_SLOT.search(message), message


_ONE_POD_NODE = [node(pods="1"), pod("bob", node_name="node-1", phase="Running")]
EDGE_CASES = {
    "insufficient-capacity-pod-count-full": lambda: verdict(
        pod(requests={"cpu": "1"}), _ONE_POD_NODE, checks=["capacity"]
    ),
    "insufficient-capacity-pod-requests-nothing": lambda: verdict(pod(), _ONE_POD_NODE, checks=["capacity"]),
    "no-node-fits-node-allows-no-pods": lambda: verdict(
        pod(requests={"cpu": "1"}), [node(pods="0")], checks=["capacity"]
    ),
    "no-node-fits-only-a-pool-could": lambda: verdict(
        pod(requests={"cpu": "1"}), [], settings=only("capacity", node_pools=(pool(),))
    ),
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_capacity_message_when_the_shortfall_is_not_a_resource(name: str) -> None:
    (finding,) = EDGE_CASES[name]().findings
    message = render(finding)
    assert not _EMPTY_SLOT.search(message), message
    assert "Choose at most 4 CPUs" not in message  # the pod asked for 1 CPU; room for pods is what lacks
