"""What a message test is made of: a Scenario (a finding made by the real validators and what
its sentence must say) and the helpers every message test shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from prevalidate.model.findings import Code, Finding, Verdict


@dataclass(frozen=True)
class Scenario:
    code: Code
    make: Callable[[], Verdict]
    numbers: tuple[str, ...]  # what the message must say
    forward: str | None  # the phrase that tells the user what would pass (None: it has none yet)


def finding_of(scenario: Scenario) -> Finding:
    """The one finding of the scenario's code among those its verdict holds."""
    found = [f for f in scenario.make().findings if f.code is scenario.code]
    assert len(found) == 1, found
    return found[0]
