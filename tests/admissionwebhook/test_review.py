"""The wire format, read as hostile input and answered as kube-apiserver expects (pure: no
server, no cluster)."""

from __future__ import annotations

import json

import pytest
from prevalidate_webhook.review import MAX_BODY, UnusableReview, allowed, answer, denial_status, read_review

from prevalidate.kube.dump import load_cluster
from prevalidate.messages.rejection import Rejection
from prevalidate.messages.webhook import MAX_WARNING, MAX_WARNINGS_TOTAL, denial_message, review_warnings
from prevalidate.model.findings import Code, Finding, Severity, Verdict
from prevalidate.model.request import PodRequest
from prevalidate.model.settings import Settings
from prevalidate.service import FixedView, ValidationService

from .conftest import EXAMPLE_CLUSTER, example_pod, review


def body(document: object) -> bytes:
    return json.dumps(document).encode()


def unusable(raw: bytes, content_type: str = "application/json") -> UnusableReview:
    with pytest.raises(UnusableReview) as caught:
        read_review(raw, content_type)
    message = caught.value.args[0]
    assert "\n" not in message and message.startswith("prevalidate webhook: ") and len(message) <= 300
    return caught.value


def test_a_pod_create_is_read_with_its_uid_namespace_and_dry_run() -> None:
    parsed = read_review(body(review(example_pod("valid"), dry_run=True)))
    assert parsed.uid == "705ab4f5-6393-11e8-b7cc-42010a800002"
    assert parsed.is_pod_create and parsed.dry_run and parsed.namespace == "jhub"
    assert parsed.pod_request().pod["metadata"]["name"] == "jupyter-alice"


def test_a_pod_without_namespace_gets_the_requests() -> None:
    pod = example_pod("valid")
    del pod["metadata"]["namespace"]
    parsed = read_review(body(review(pod, namespace="team-a")))
    assert parsed.pod_request().namespace == "team-a"


@pytest.mark.parametrize(
    ("raw", "status", "words"),
    [
        (b"", 400, "empty"),
        (b"{not json", 400, "not JSON"),
        (b"\xff\xfe\x00garbage", 400, "not JSON"),
        (b"[" * 100_000 + b"]" * 100_000, 400, "nested too deeply"),
        (b'{"n": ' + b"9" * 100_000 + b"}", 400, "not JSON"),
        (b"[1, 2]", 400, "not a JSON object"),
        (b'{"apiVersion": "v1", "kind": "Pod"}', 400, "AdmissionReview"),
        (b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview"}', 400, "no request"),
        (
            b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": []}',
            400,
            "no request",
        ),
        (b'{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {}}', 400, "no uid"),
        (b'{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":7}}', 400, "no uid"),
    ],
)
def test_what_is_not_a_review_is_one_line_and_a_4xx(raw: bytes, status: int, words: str) -> None:
    error = unusable(raw)
    assert error.status == status and words in error.args[0]


def test_the_content_type_and_size_are_checked_before_parsing() -> None:
    assert unusable(b"{}", "text/plain").status == 415
    assert unusable(b"{}", "").status == 415
    assert unusable(b" " * (MAX_BODY + 1)).status == 413
    # parameters of the media type are fine (the apiserver sends it bare)
    assert read_review(body(review(example_pod("valid"))), "application/json; charset=utf-8").is_pod_create


@pytest.mark.parametrize(
    "changes",
    [
        {"operation": "UPDATE"},
        {"operation": "DELETE"},
        {"operation": "CONNECT"},
        {"kind": {"group": "", "version": "v1", "kind": "Service"}},
        {"kind": {"group": "apps", "version": "v1", "kind": "Pod"}},
        {"kind": "Pod"},
        {"subResource": "ephemeralcontainers"},
        {"operation": 7},
    ],
)
def test_what_is_not_a_pod_create_is_not_judged(changes: dict[str, object]) -> None:
    document = review(example_pod("valid"))
    document["request"].update(changes)
    assert not read_review(body(document)).is_pod_create


def test_wrong_types_inside_the_request_never_raise() -> None:
    document = review("not a pod")
    document["request"].update(namespace=["x"], dryRun="yes", kind=None)
    parsed = read_review(body(document))
    assert parsed.obj is None and parsed.namespace == "" and parsed.dry_run is False


def test_the_v1beta1_version_is_echoed() -> None:
    document = review(example_pod("valid"))
    document["apiVersion"] = "admission.k8s.io/v1beta1"
    assert allowed(read_review(body(document)))["apiVersion"] == "admission.k8s.io/v1beta1"


def finding(code: Code, severity: Severity = Severity.ERROR, **facts: object) -> Finding:
    return Finding(code, severity, "x", facts)


async def verdict_of(pod: str, **changes: object) -> Verdict:
    """The service's verdict on an example pod against the example cluster (a dump)."""
    the_pod = example_pod(pod)
    the_pod["spec"].update(changes)
    service = ValidationService(Settings(offline=True), FixedView(load_cluster(EXAMPLE_CLUSTER)))
    return await service.validate(PodRequest(the_pod))


@pytest.mark.parametrize(
    ("pod", "code", "reason"), [("quota-exceeded", 403, "Forbidden"), ("missing-pvc", 422, "Invalid")]
)
async def test_a_denial_carries_the_apiservers_status_and_our_sentences_in_one_paragraph(
    pod: str, code: int, reason: str
) -> None:
    parsed = read_review(body(review(example_pod("valid"))))
    verdict = await verdict_of(pod)
    response = answer(parsed, verdict, "Ask us.")["response"]
    rejection = Rejection.of(verdict, "Ask us.")
    assert response["allowed"] is False and response["uid"] == parsed.uid
    assert response["status"] == {
        "status": "Failure",
        "code": code,
        "reason": reason,
        "message": " ".join([rejection.headline, *rejection.sentences(), "Ask us."]),
    }
    assert "\n" not in response["status"]["message"]


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (403, (403, "Forbidden")),
        (400, (400, "BadRequest")),
        (422, (422, "Invalid")),
        (409, (422, "Invalid")),
        (500, (422, "Invalid")),
        (200, (422, "Invalid")),
    ],
)
def test_no_denial_is_ever_409_or_a_failure_of_ours(status: int, expected: tuple[int, str]) -> None:
    assert denial_status(status) == expected


def test_warnings_are_one_line_each_and_bounded() -> None:
    long = "a very long image name " * 40 + "\nwith a newline\tand a tab"
    verdicts = [
        finding(Code.PULL_SECRET_NOT_FOUND, Severity.WARNING, name=long, namespace="jhub") for _ in range(40)
    ]
    rejection = Rejection.of(Verdict.of(verdicts))
    warnings = review_warnings(rejection)
    assert warnings and all(len(w) <= MAX_WARNING and w.isprintable() for w in warnings)
    assert sum(map(len, warnings)) <= MAX_WARNINGS_TOTAL
    assert "\n" not in denial_message(rejection)


async def test_an_allowed_pod_with_warnings_carries_them_and_an_error_is_not_a_warning() -> None:
    parsed = read_review(body(review(example_pod("valid"))))
    gone = {"imagePullSecrets": [{"name": "gone"}]}
    verdict = await verdict_of("valid", **gone)
    assert verdict.allowed and verdict.findings
    response = answer(parsed, verdict, "")["response"]
    assert response == {"uid": parsed.uid, "allowed": True, "warnings": Rejection.of(verdict).sentences()}
    denied = answer(parsed, await verdict_of("quota-exceeded", **gone), "")["response"]
    assert denied["allowed"] is False and denied["warnings"] == response["warnings"]
    assert allowed(parsed) == {
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": {"uid": parsed.uid, "allowed": True},
    }
