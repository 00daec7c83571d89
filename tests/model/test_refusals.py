"""Reading the apiserver's refusals (model.refusals) and telling them (Rejection.refused), from
Status bodies a real kube-apiserver sent (tests/data/refusals/, see its README)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from prevalidate.messages.rejection import Rejection
from prevalidate.model.findings import Code
from prevalidate.model.refusals import RefusalKind, mask_secrets, one_line, parse_status

DATA = Path(__file__).resolve().parents[1] / "data" / "refusals"


def recorded(name: str) -> tuple[int, str]:
    data = json.loads((DATA / f"{name}.json").read_text())
    return int(data["status"]), str(data["body"])


def told(name: str) -> Rejection:
    return Rejection.refused(parse_status(*recorded(name)), "Questions? hub-admins@example.org")


def test_a_quota_refusal_is_our_quota_sentence_with_every_resource() -> None:
    refusal = parse_status(*recorded("quota-exceeded"))
    assert refusal.kind is RefusalKind.QUOTA_EXCEEDED and refusal.user_caused
    assert [(e.resource, e.requested, e.used, e.limited) for e in refusal.exceeded] == [
        ("limits.cpu", Decimal(6), Decimal(0), Decimal(4)),
        ("requests.cpu", Decimal(6), Decimal(0), Decimal(4))]
    rejection = told("quota-exceeded")
    assert rejection.status == 403 and rejection.codes == ("quota-exceeded",)
    # the request/limit twin is told once, as our own quota check tells it
    assert rejection.sentences() == [
        'You asked for 6 CPUs (CPU guarantee and limit), but the namespace quota "compute" has only '
        "4 CPUs left (0 of 4 in use). Choose at most 4 CPUs."]
    assert rejection.text().endswith("Questions? hub-admins@example.org")


def test_a_claim_over_the_storage_quota() -> None:
    rejection = told("quota-exceeded-claim")
    assert rejection.status == 403
    assert rejection.sentences() == [
        'You asked for 50 GiB, but the namespace quota "compute" has only 20 GiB left '
        "(0 bytes of 20 GiB in use). Choose at most 20 GiB."]


def test_must_specify_names_each_missing_field() -> None:
    rejection = told("quota-must-specify")
    assert rejection.codes == ("quota-must-specify",)
    assert rejection.sentences()[0] == (
        'The namespace quota "compute" requires every container to set a cpu limit, and container '
        "notebook does not. Set a cpu limit for your server.")
    assert len(rejection.sentences()) == 3


def test_limitrange_breaches_are_each_told_with_numbers() -> None:
    rejection = told("limitrange-two")
    assert rejection.status == 403 and rejection.codes == ("create-refused",)
    sentence = rejection.sentences()[0]
    assert "The namespace allows at most 2 CPUs (CPU limit) per container, and your server asked for " \
        "4 CPUs. Choose at most 2 CPUs." in sentence
    assert "at most 4 GiB (memory limit) per container, and your server asked for 8 GiB" in sentence
    assert told("limitrange-min").sentences() == [
        "The namespace allows at least 0.1 CPU (CPU guarantee) per container, and your server "
        "asked for 0.01 CPU. Choose at least 0.1 CPU."]


def test_a_422_lists_the_field_errors() -> None:
    rejection = told("invalid-request-above-limit")
    assert rejection.status == 422
    assert rejection.sentences() == [
        "Kubernetes refused the settings of your server: spec.containers[0].resources.requests: "
        'Invalid value: "2": must be less than or equal to cpu limit of 1. Choose other options.']


def test_a_webhooks_denial_keeps_its_message() -> None:
    refusal = parse_status(*recorded("webhook-denied"))
    assert (refusal.kind, refusal.source) == (RefusalKind.WEBHOOK_DENIED, "deny.prevalidate.test")
    assert refusal.user_caused
    rejection = told("webhook-denied")
    assert rejection.status == 403 and rejection.codes == ("create-refused",)
    assert rejection.sentences() == [
        'The cluster\'s admission check "deny.prevalidate.test" refused your server: Your '
        "server cannot start: You asked for 120 CPUs. The largest node your server can run on has 16 "
        "CPUs allocatable. Choose at most 16 CPUs."]
    assert told("webhook-denied-silent").sentences() == [
        'The cluster\'s admission check "policy.example.com" refused your server.']
    assert told("webhook-denied-silent").status == 400


def test_a_webhook_that_cannot_be_called_is_the_clusters_fault() -> None:
    refusal = parse_status(*recorded("webhook-unavailable"))
    assert refusal.kind is RefusalKind.WEBHOOK_UNAVAILABLE and not refusal.user_caused
    rejection = told("webhook-unavailable")
    assert rejection.status == 503 and rejection.codes == ("admission-unavailable",)
    assert rejection.sentences() == [
        'The cluster\'s admission check "down.prevalidate.test" did not answer, so Kubernetes '
        "would not create your server. This is not caused by your choices; try again in a few minutes."]
    assert "connect: connection refused" in refusal.detail  # for the admin's log line


def test_a_webhook_message_is_one_bounded_line_without_credentials() -> None:
    message = ("admission webhook \"w\" denied the request: line one\nline two\ttoken=abc123secret "
               "Authorization: Bearer eyJhbGciOi.secret " + "x" * 1000)
    refusal = parse_status(403, json.dumps({"message": message, "code": 403}))
    assert "\n" not in refusal.detail and len(refusal.detail) <= 300
    assert "abc123secret" not in refusal.detail and "eyJhbGciOi" not in refusal.detail
    assert refusal.detail.startswith("line one line two token=*** Authorization: Bearer ***")
    sentence = Rejection.refused(refusal).sentences()[0]
    assert "\n" not in sentence and "abc123secret" not in sentence


@pytest.mark.parametrize(("status", "body", "kind"), [
    (403, 'pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != '
          "false", RefusalKind.POD_SECURITY),
    (422, "pods \"x\" is forbidden: ValidatingAdmissionPolicy 'no-latest' with binding 'b' denied request: "
          "images must not use :latest", RefusalKind.POLICY_DENIED),
    (403, 'pods is forbidden: User "system:serviceaccount:jhub:hub" cannot create resource "pods" in API '
          'group "" in the namespace "jhub"', RefusalKind.FORBIDDEN),
    (403, 'pods "x" is forbidden: status unknown for quota: compute, resources: limits.cpu',
     RefusalKind.QUOTA_OTHER),
    (500, "<html>bad gateway</html>", RefusalKind.OTHER),
    (403, "", RefusalKind.FORBIDDEN),
])
def test_other_refusals_are_told_and_classified(status: int, body: str, kind: RefusalKind) -> None:
    payload = json.dumps({"message": body, "code": status}) if "<html>" not in body else body
    refusal = parse_status(status, payload, "Forbidden")
    assert refusal.kind is kind
    rejection = Rejection.refused(refusal)
    assert rejection.sentences() and all("\n" not in s for s in rejection.sentences())
    assert rejection.status == (status if refusal.user_caused else 503 if refusal.transient else 500)


def test_policy_denial_keeps_the_policy_name_and_message() -> None:
    refusal = parse_status(422, json.dumps({"code": 422, "message":
        "pods \"x\" is forbidden: ValidatingAdmissionPolicy 'no-latest' with binding 'b' denied request: "
        "images must not use :latest"}))
    assert Rejection.refused(refusal).sentences() == [
        'The cluster policy "no-latest" refused your server: images must not use :latest']


def test_garbage_never_raises() -> None:
    for body in (None, b"\xff\xfe", "[1, 2]", '{"message": 5}', "{", {"details": "x"}):
        refusal = parse_status(403, body)
        assert Rejection.refused(refusal).sentences()
    assert Code.CREATE_REFUSED.value == "create-refused"
    assert one_line("a\u202eb\x00c") == "abc"


def test_secrets_are_masked_in_any_text() -> None:
    assert mask_secrets('PASSWORD="hunter2" api_key: k-123 Authorization: Basic dXNlcjpw ok') == (
        'PASSWORD="***" api_key: *** Authorization: Basic *** ok')


def test_mangled_statuses_never_raise_and_stay_one_line_each() -> None:
    """Pieces of every refusal text, shuffled and broken (huge numbers, newlines, bidi marks)."""
    import random

    pieces = ['pods "x" is forbidden: ', "exceeded quota: q, requested: ", "used: ", "limited: ", "cpu=",
              "limits.memory=", "1e999999", "9" * 400, "NaN", "-1", "1Ei", ",", "=",
              "failed quota: q: must specify ", " for: ", "; ", "maximum cpu usage per Container is ",
              ", but limit is ", ".  No limit is specified", 'admission webhook "', '" denied the request',
              ": ", 'failed calling webhook "', 'Pod "p" is invalid: ', "[", "]", "\n", "\u202e", "x" * 2000,
              "ValidatingAdmissionPolicy '", "' with binding '", "' denied request: ",
              'violates PodSecurity "', "max limit to request ratio per Container is ", "provided ratio is "]
    rng = random.Random(7)
    for _ in range(2000):
        message = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        status = rng.choice([400, 403, 409, 422, 500, 503, 0, -1])
        details = rng.choice([{}, {"causes": [{"field": message, "message": message}, "junk"]}, "str", None])
        body = rng.choice([json.dumps({"message": message, "code": rng.choice([status, "x", None]),
                                       "details": details}), message, message.encode(), None])
        rejection = Rejection.refused(parse_status(status, body))
        for sentence in rejection.sentences():
            assert "\n" not in sentence and len(sentence) < 5000


def test_a_must_specify_list_that_is_not_the_apiservers_gives_few_bounded_findings() -> None:
    """Regression (atheris, tests/fuzz/atheris/status/regression-must-specify-repeated): a
    garbage "must specify" list gave one finding per "; " piece, 24 copies of one sentence,
    8,213 characters on the spawn page. Now: equal pieces once, at most 8 resources, 10
    containers each (63 characters, a DNS label), and the apiserver's own lists unchanged."""
    from prevalidate.model.refusals import MAX_MISSING, refusal_findings

    prefix = 'pods "x" is forbidden: failed quota: compute: must specify '
    repeated = parse_status(403, {"message": prefix + "; ".join(["x"] * 24)})
    assert len(refusal_findings(repeated)) == 1
    many = "; ".join(f"{chr(97 + i) * 253} for: " + ",".join([chr(98 + i) * 253] * 25) for i in range(20))
    refusal = parse_status(403, {"message": prefix + many})
    assert len(refusal.must_specify) == MAX_MISSING
    assert all(len(c) <= 63 and len(cs) <= 10 for _, cs in refusal.must_specify for c in cs)
    assert len(Rejection.refused(refusal, "Write to admins.").text()) < 8192
    real = "limits.cpu for: notebook; requests.memory for: notebook,sidecar"
    assert parse_status(403, {"message": prefix + real}).must_specify == (
        ("limits.cpu", ("notebook",)),
        ("requests.memory", ("notebook", "sidecar")),
    )
