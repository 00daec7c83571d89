"""`Lt`/`Gt` tolerations as kube-scheduler compares them with TaintTolerationComparisonOperators
on (staging/src/k8s.io/api/core/v1/toleration.go ``ToleratesTaint`` and
``compareNumericValues``: ``Gt`` tolerates a taint whose value is greater than the
toleration's, ``Lt`` one whose value is less; both values must be decimal integers as
apimachinery's ``content.IsDecimalInteger`` says, else no match).

Found by the documentation pods (tests/agreement/test_corpus.py): kubernetes/website's
pods/pod-with-numeric-toleration.yaml tolerates `agreed-service-level Gt 900`. prevalidate
treated Lt/Gt as matching nothing, so on a cluster with the gate on it said no node fits a pod
the scheduler binds to a node tainted 950 (tests/agreement/test_corpus.py
::test_numeric_tolerations_with_the_gate_on judges it on a real plane with the gate on).
"""

from __future__ import annotations

import pytest

from prevalidate.model.demand import Toleration
from prevalidate.model.objects import Taint
from prevalidate.validators.nodefilter import tolerates

KEY = "servicelevel.organization.example/agreed-service-level"


@pytest.mark.parametrize(
    ("operator", "wanted", "offered", "expected"),
    [
        ("Gt", "900", "950", True),  # the documentation's example: an SLA above 900
        ("Gt", "900", "901", True),
        ("Gt", "-5", "0", True),
        ("Lt", "20", "10", True),
        ("Lt", "0", "-3", True),
        ("Gt", "900", "900", False),  # strictly greater
        ("Gt", "900", "800", False),
        ("Lt", "20", "20", False),
        ("Gt", "900", "0950", False),  # leading zero: not a decimal integer, no match
        ("Gt", "0900", "950", False),
        ("Gt", "900", "+950", False),
        ("Gt", "-0", "950", False),
        ("Gt", "900", "high", False),
        ("Gt", "900", "99999999999999999999", False),  # beyond int64
    ],
)
def test_numeric_operators(operator: str, wanted: str, offered: str, expected: bool) -> None:
    toleration = Toleration(KEY, operator, wanted, "NoSchedule")
    assert tolerates(toleration, Taint(KEY, offered, "NoSchedule")) is expected


def test_key_and_effect_still_decide_first() -> None:
    assert not tolerates(Toleration(KEY, "Gt", "900", "NoSchedule"), Taint("other", "950", "NoSchedule"))
    assert not tolerates(Toleration(KEY, "Gt", "900", "NoExecute"), Taint(KEY, "950", "NoSchedule"))
    assert tolerates(Toleration(KEY, "Gt", "900", ""), Taint(KEY, "950", "NoExecute"))
