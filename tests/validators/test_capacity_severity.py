"""How sure a capacity finding is: node pools an autoscaler could add and ``capacity_policy``
turn a shortfall into a warning; a pool that could not hold the pod leaves it an error."""

from __future__ import annotations

from typing import Any

import pytest
from factories import node, pod, pool

from .capacity_cases import GPU_TAINT, NO_FIT, ON, capacity

# ---- severity: node pools and capacity_policy ---------------------------------------------------


@pytest.mark.parametrize(
    ("the_pod", "objects", "pools", "policy", "expected"),
    [
        pytest.param(
            pod(requests={"cpu": "8"}),
            [node()],
            [pool(cpu="16")],
            "reject",
            [("no-node-fits", "warning")],
            id="pool-can-hold-what-no-node-can",
        ),
        pytest.param(
            pod(requests={"cpu": "8"}),
            [],
            [pool(cpu="16")],
            "reject",
            [("no-node-fits", "warning")],
            id="scale-from-zero",
        ),
        pytest.param(
            pod(requests={"cpu": "2"}),
            [node(), pod("a", requests={"cpu": "3"}, node_name=ON, phase="Running")],
            [pool()],
            "reject",
            [("insufficient-capacity", "warning")],
            id="pool-turns-no-room-into-warning",
        ),
        pytest.param(
            pod(requests={"cpu": "2"}),
            [node(), pod("a", requests={"cpu": "3"}, node_name=ON, phase="Running")],
            [],
            "warn",
            [("insufficient-capacity", "warning")],
            id="policy-warn-turns-no-room-into-warning",
        ),
        pytest.param(
            pod(requests={"cpu": "8"}),
            [node()],
            [pool(cpu="4")],
            "reject",
            NO_FIT,
            id="pool-too-small-stays-error",
        ),
        pytest.param(
            pod(requests={"cpu": "8"}, nodeSelector={"pool": "gpu"}),
            [node()],
            [pool(cpu="16", labels={"pool": "cpu"})],
            "reject",
            NO_FIT,
            id="pool-not-matching-selector-stays-error",
        ),
        pytest.param(
            pod(requests={"cpu": "8"}),
            [node()],
            [pool(cpu="16", taints=[GPU_TAINT])],
            "reject",
            NO_FIT,
            id="tainted-pool-stays-error",
        ),
        pytest.param(
            pod(requests={"cpu": "8"}), [node()], [], "warn", NO_FIT, id="policy-warn-keeps-no-fit-an-error"
        ),
    ],
)
def test_severity_follows_node_pools_and_capacity_policy(
    the_pod: Any, objects: Any, pools: Any, policy: str, expected: Any
) -> None:
    assert capacity(the_pod, objects, node_pools=tuple(pools), capacity_policy=policy) == expected
