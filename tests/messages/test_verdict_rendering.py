"""A verdict told to the user: an administrator's wording overrides, errors before warnings and
then the admin contact, one sentence for a request and limit over one quota by the same
amount, and the plain JSON form of a finding."""

from __future__ import annotations

import json

import pytest
from factories import base_objects, node, pod, quota, verdict

from prevalidate.messages import finding_json, headline, ordered, render, render_verdict, sentences
from prevalidate.model.findings import Code, Finding, Severity, Verdict

from .resource_scenarios import RESOURCE_SCENARIOS
from .scenario import finding_of

QUOTA = RESOURCE_SCENARIOS["quota-exceeded-cpu"]


def test_override_formats_the_findings_facts() -> None:
    overrides = {
        "quota-exceeded": "Asked {requested} of {resource}; {used}/{hard} used in {quota} ({subject})."
    }
    assert (
        render(finding_of(QUOTA), overrides)
        == "Asked 8 of requests.cpu; 26/32 used in compute (requests.cpu)."
    )


@pytest.mark.parametrize("template", ["{no_such_fact}", "{0}", "{requested:Z}", ""])
def test_broken_or_empty_override_falls_back_to_our_message(template: str) -> None:
    finding = finding_of(QUOTA)
    assert render(finding, {"quota-exceeded": template}) == render(finding)


def test_override_for_another_code_is_not_used() -> None:
    finding = finding_of(QUOTA)
    assert render(finding, {"quota-must-specify": "nope"}) == render(finding)


def test_verdict_lists_errors_first_then_the_admin_contact() -> None:
    warning = Finding(Code.PULL_SECRET_NOT_FOUND, Severity.WARNING, "r", {"name": "r", "namespace": "jhub"})
    error = finding_of(QUOTA)
    v = Verdict.of([warning, error])
    assert ordered(v) == [error, warning]
    lines = render_verdict(v, admin_contact="Write to hub@example.org.")
    assert lines == [render(error), render(warning), "Write to hub@example.org."]
    assert headline(v) == "Your server cannot start:"


def test_no_admin_contact_line_when_nothing_is_wrong() -> None:
    assert render_verdict(Verdict(), admin_contact="Write to hub@example.org.") == []
    assert headline(Verdict()) == "Your server can start."


def test_finding_json_is_plain_json_with_code_severity_message_and_numbers() -> None:
    data = finding_json(finding_of(QUOTA))
    assert json.loads(json.dumps(data)) == data
    assert (data["code"], data["severity"], data["subject"]) == ("quota-exceeded", "error", "requests.cpu")
    assert (data["requested"], data["used"], data["hard"], data["available"]) == (8, 26, 32, 6)
    assert data["message"] == render(finding_of(QUOTA))


def test_fractional_facts_stay_exact_enough_in_json() -> None:
    v = verdict(
        pod(requests={"cpu": "500m"}),
        [quota({"requests.cpu": "1"}, {"requests.cpu": "750m"})],
        checks=["quota"],
    )
    data = finding_json(v.findings[0])
    assert (data["requested"], data["used"], data["available"]) == (0.5, 0.75, 0.25)


def test_a_request_and_limit_over_one_quota_by_the_same_amount_read_as_one_sentence() -> None:
    hard = {"requests.memory": "40Gi", "limits.memory": "40Gi"}
    used = {"requests.memory": "8Gi", "limits.memory": "8Gi"}
    the_pod = pod(requests={"memory": "64Gi"}, limits={"memory": "64Gi"})
    result = verdict(the_pod, [*base_objects(), node(memory="256Gi"), quota(hard, used)])
    assert [f.code.value for f in result.findings] == ["quota-exceeded", "quota-exceeded"]
    (line,) = sentences(result)
    assert "You asked for 64 GiB (memory guarantee and limit)" in line and "32 GiB left" in line
    # Different amounts are different problems: both are said.
    the_pod = pod(requests={"memory": "34Gi"}, limits={"memory": "64Gi"})
    assert len(sentences(verdict(the_pod, [*base_objects(), node(memory="256Gi"), quota(hard, used)]))) == 2
