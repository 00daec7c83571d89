"""A finding echoes user input into a sentence, a log line and JSON. The fuzz put 100 kB values
and control characters there; a message now shows at most 200 characters of any value (and
how long it was), and never a raw newline, NUL or bidi override that would break or reorder
the line a user reads. Ordinary values, unicode included, are shown exactly."""

from __future__ import annotations

from typing import Any

import pytest
from factories import base_objects, cluster, container, node, pod

from prevalidate.messages import finding_json, render
from prevalidate.model.findings import MAX_ITEMS, Code, Finding, Severity
from prevalidate.model.settings import Settings
from prevalidate.validators import run_all

HUGE = "A" * 100_000


def messages(the_pod: dict[str, Any]) -> list[str]:
    view = cluster(*base_objects(), node("n1", cpu="8", memory="32Gi"))
    verdict = run_all(the_pod, view, Settings(offline=True))
    assert verdict.findings
    return [render(f) for f in verdict.findings]


HOSTILE = [
    pytest.param(pod(containers=[container(image="quay.io/x/" + HUGE)]), id="image"),
    pytest.param(pod(namespace=HUGE), id="namespace"),
    pytest.param(pod(claims=[HUGE.lower()]), id="claim"),
    pytest.param(pod(containers=[container(name=HUGE)]), id="container-name"),
    pytest.param(pod(containers=[container(requests={"cpu": "1" + HUGE})]), id="quantity"),
    pytest.param(
        pod(
            containers=[
                container(env=[{"name": "A", "valueFrom": {"secretKeyRef": {"name": HUGE, "key": "k"}}}])
            ]
        ),
        id="secret-name",
    ),
]


@pytest.mark.parametrize("the_pod", HOSTILE)
def test_a_100_kb_value_is_never_echoed_whole(the_pod: dict[str, Any]) -> None:
    for message in messages(the_pod):
        assert len(message) < 1500
        assert "A" * 201 not in message


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        pytest.param("claim\nfake line", "claim\\nfake line", id="newline"),
        pytest.param("claim\u202eevil", "claim\\u202eevil", id="bidi-override"),
        pytest.param("a\x00b", "a\\x00b", id="nul"),
        pytest.param("zero\u200bwidth", "zero\\u200bwidth", id="zero-width-space"),
    ],
)
def test_control_and_invisible_characters_are_shown_escaped(value: str, shown: str) -> None:
    finding = Finding(Code.PVC_NOT_FOUND, Severity.ERROR, value, {"claim": value, "existing": [value]})
    assert finding.subject == shown and finding.facts["existing"] == [shown]
    assert "\n" not in render(finding) and shown in render(finding)


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("claim-alice", id="ascii"),
        pytest.param("claim-josé", id="accented"),
        pytest.param("クレーム", id="cjk"),
        pytest.param("data 🚀", id="emoji-and-space"),
        pytest.param("x" * 200, id="exactly-200"),
        pytest.param("e\u0301", id="combining-mark"),
    ],
)
def test_ordinary_values_are_kept_exactly(value: str) -> None:
    finding = Finding(Code.PVC_NOT_FOUND, Severity.ERROR, value, {"claim": value, "namespace": "jhub"})
    assert finding.subject == value and finding.facts["claim"] == value
    assert f'"{value}"' in render(finding)


def test_a_long_value_says_how_long_it_was() -> None:
    finding = Finding(Code.INPUT_INVALID, Severity.ERROR, "x", {"field": "f", "value": HUGE, "reason": "r"})
    assert finding.facts["value"].endswith("... (100,000 characters)")
    assert len(finding.facts["value"]) <= 200
    assert finding_json(finding)["value"] == finding.facts["value"]


def test_lists_in_facts_keep_their_first_items() -> None:
    names = [f"claim-{i}" for i in range(1000)]
    finding = Finding(Code.PVC_NOT_FOUND, Severity.ERROR, "c", {"claim": "c", "existing": names})
    assert finding.facts["existing"] == names[:MAX_ITEMS]
