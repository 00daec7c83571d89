"""``messages.rejection.Rejection``: the one message every front end shows for a verdict, and
the metrics a front end counts it with (``prevalidate.metrics.PrometheusObserver``)."""

from __future__ import annotations

from factories import base_objects, node, pod, quota, verdict
from prometheus_client import REGISTRY

from prevalidate.messages import render
from prevalidate.messages.rejection import Rejection
from prevalidate.metrics import PrometheusObserver
from prevalidate.model.findings import Code, Finding, Severity, Verdict

WARNING = Finding(Code.PULL_SECRET_NOT_FOUND, Severity.WARNING, "r", {"name": "r", "namespace": "jhub"})
MEMORY = {"requests.memory": "40Gi", "limits.memory": "40Gi"}


def twin() -> Verdict:
    """Request and limit of memory over one quota by the same amounts (two findings)."""
    the_pod = pod(requests={"memory": "64Gi"}, limits={"memory": "64Gi"})
    used = {"requests.memory": "8Gi", "limits.memory": "8Gi"}
    return verdict(the_pod, [*base_objects(), node(memory="128Gi"), quota(MEMORY, used)])


def test_a_rejection_has_a_headline_one_line_per_finding_the_contact_a_status_and_codes() -> None:
    v = Verdict.of([WARNING, *twin().findings])
    rejection = Rejection.of(v, "Ask <admins>")
    assert len(v.findings) == 3 and len(rejection.lines) == 2  # the twin is one line
    assert [line.severity for line in rejection.lines] == [Severity.ERROR, Severity.WARNING]
    assert rejection.status == 403 and rejection.codes == ("quota-exceeded",) and not rejection.allowed
    assert rejection.text().splitlines() == [
        "Your server cannot start with these options:",
        f"• {rejection.lines[0].text}",
        f"• {render(WARNING)}",
        "Ask <admins>",
    ]
    assert rejection.html().startswith("<p>Your server cannot start with these options:</p><ul><li>")
    assert rejection.html().endswith("</ul><p>Ask &lt;admins&gt;</p>")


def test_an_allowed_verdict_with_warnings_says_so_with_status_200() -> None:
    rejection = Rejection.of(Verdict.of([WARNING]), "Ask us")
    assert rejection.allowed and rejection.status == 200 and rejection.codes == ()
    assert rejection.headline == "Your server can start, with warnings:"
    assert rejection.sentences(Severity.WARNING) == [render(WARNING)]
    assert rejection.sentences(Severity.ERROR) == []


def test_nothing_to_say_has_no_contact_line() -> None:
    rejection = Rejection.of(Verdict(), "Ask us")
    assert rejection.lines == () and rejection.contact == "" and rejection.text() == "Your server can start."


def test_options_the_spawner_cannot_apply_are_a_400() -> None:
    rejection = Rejection.options("No such profile: gpu", "Ask us")
    assert rejection.status == 400 and rejection.codes == ("input-invalid",)
    assert "No such profile: gpu" in rejection.lines[0].text and rejection.contact == "Ask us"


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def test_the_observer_counts_outcomes_findings_and_failures() -> None:
    before = {
        "rejected": sample("prevalidate_validations_total", path="unit", outcome="rejected"),
        "would": sample("prevalidate_validations_total", path="unit", outcome="would_reject"),
        "error": sample("prevalidate_validations_total", path="unit", outcome="error"),
        "quota": sample("prevalidate_findings_total", code="quota-exceeded", severity="error"),
    }
    PrometheusObserver().validated("unit", twin(), 0.001)
    PrometheusObserver(dry_run=True).validated("unit", twin(), 0.001)
    PrometheusObserver().failed("unit")
    assert sample("prevalidate_validations_total", path="unit", outcome="rejected") == before["rejected"] + 1
    assert sample("prevalidate_validations_total", path="unit", outcome="would_reject") == before["would"] + 1
    assert sample("prevalidate_validations_total", path="unit", outcome="error") == before["error"] + 1
    assert (
        sample("prevalidate_findings_total", code="quota-exceeded", severity="error") == before["quota"] + 4
    )
