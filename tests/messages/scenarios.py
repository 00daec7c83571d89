"""Every finding code's scenarios in one table, gathered from the family modules beside this one.

The findings come from the real validators (``run_all`` over small clusters), so a message test
also proves the facts a validator records are the ones its message needs.
"""

from __future__ import annotations

from .admission_scenarios import ADMISSION_SCENARIOS
from .input_scenarios import INPUT_SCENARIOS
from .reference_scenarios import REFERENCE_SCENARIOS
from .resource_scenarios import RESOURCE_SCENARIOS
from .runtime_scenarios import RUNTIME_SCENARIOS
from .scenario import Scenario

SCENARIOS: dict[str, Scenario] = {
    **INPUT_SCENARIOS,
    **RESOURCE_SCENARIOS,
    **REFERENCE_SCENARIOS,
    **ADMISSION_SCENARIOS,
    **RUNTIME_SCENARIOS,
}
# Two families must never name a scenario alike: one would silently replace the other.
assert len(SCENARIOS) == sum(
    map(
        len,
        (INPUT_SCENARIOS, RESOURCE_SCENARIOS, REFERENCE_SCENARIOS, ADMISSION_SCENARIOS, RUNTIME_SCENARIOS),
    )
)
