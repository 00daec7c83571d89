"""The input-family fuzz (issue 14 item 4): a fixed-seed slice of each family on every test run
(`make fuzz` runs the same seed at full count), and a regression test for each bug the families
found. The families and their rules are in `benchmarks/input_fuzz.py` and
`prevalidate/testing/fuzz/families.py`."""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import pytest
from prevalidate_webhook import review as wire

# The benchmarks package is the repository's (not installed): first on the path, as
# tests/benchmarks/conftest.py does, so `benchmarks` is not that test directory.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from benchmarks.input_fuzz import FAMILIES, SEED, Family, WebhookFuzz, run
from prevalidate.hub.podbuild import options_problem
from prevalidate.messages import render
from prevalidate.model.refusals import _RATIO, RefusalKind, parse_status, refusal_findings
from prevalidate.registry.auth import MAX_EXPIRES_IN, _token_lifetime
from prevalidate.testing.fuzz.families import Tally
from prevalidate.testing.fuzz.hostile import HUGE, MARK

# What each slice must have reached, so a slice that silently stopped early fails.
REACHED = {
    "webhook": {"allowed", "http-400"},
    "registry-parsing": {"challenge-bearer", "challenge-none"},
    "registry": {"exists", "unverified"},
    "refusals": {"limitrange", "invalid", "other"},
    "options": {"400", "allowed"},
    "scalars": {"quantity-valid", "quantity-invalid", "image-valid", "image-invalid"},
}


@pytest.mark.parametrize("family", FAMILIES, ids=[f.name for f in FAMILIES])
def test_a_fixed_seed_slice_of_each_family_finds_nothing(family: Family) -> None:
    tally = run(family, family.slice, SEED)
    assert tally.crashes == 0, tally.summary()
    assert tally.cases == family.slice
    assert REACHED[family.name] <= set(tally.outcomes), tally.summary()


def test_make_fuzz_runs_at_least_100000_inputs_with_the_type_fuzz() -> None:
    from benchmarks.type_fuzz import COUNT

    assert COUNT + sum(f.share for f in FAMILIES) >= 100_000
    assert all(f.share >= 1000 for f in FAMILIES)


# ---- regressions -----------------------------------------------------------------------------


def test_a_100_kb_status_message_is_read_in_one_pass() -> None:
    """The LimitRange ratio pattern started at every position of a long token (O(n^2): a
    minute of the hub's event loop for 100 kB). It now starts only where a name starts."""
    found = _RATIO.search("xcpu max limit to request ratio per Container is 2, but provided ratio is 4")
    assert found is not None and found["res"] == "xcpu"
    for message in ('pods "x" is forbidden: ' + HUGE, HUGE, "a-" * 50_000):
        began = time.process_time()
        refusal = parse_status(403, {"message": message})
        spent = time.process_time() - began  # reported, not asserted: the pattern test above is the proof
        assert refusal.kind is RefusalKind.FORBIDDEN, spent
        for finding in refusal_findings(refusal):
            assert MARK not in render(finding)


def test_a_ratio_breach_is_still_read() -> None:
    message = (
        'pods "x" is forbidden: [cpu max limit to request ratio per Container is 2, but provided ratio '
        "is 4.000000, nvidia.com/gpu max limit to request ratio per Container is 1, but provided ratio is 2]"
    )
    refusal = parse_status(403, {"message": message})
    assert refusal.kind is RefusalKind.LIMITRANGE
    assert [b.resource for b in refusal.breaches] == ["cpu", "nvidia.com/gpu"]


@pytest.mark.parametrize("causes", [7, "field: bad", {"field": "x"}, None, True])
def test_causes_of_any_shape_are_read_without_an_exception(causes: object) -> None:
    """Found by `make fuzz` (refusals, 2 of 8,000): `details.causes` as a number raised."""
    refusal = parse_status(422, {"message": 'Pod "x" is invalid: bad', "details": {"causes": causes}})
    assert refusal.kind is RefusalKind.INVALID and refusal.causes == ()


def test_names_read_from_a_refusal_are_bounded() -> None:
    body = {
        "message": f'admission webhook "{HUGE}" denied the request: no',
        "details": {"name": HUGE, "kind": HUGE},
    }
    refusal = parse_status(403, json.dumps(body))
    assert refusal.kind is RefusalKind.WEBHOOK_DENIED
    assert max(len(refusal.source), len(refusal.name), len(refusal.resource)) <= 253


def test_an_option_the_rest_api_sent_is_not_echoed_whole_in_the_400() -> None:
    sentence = options_problem(ValueError(f"No such profile: {HUGE}\nsecond line"))
    assert sentence.startswith("No such profile: AAAA")
    assert len(sentence) <= 200 and "100,017 characters" in sentence
    assert options_problem(ValueError("No such profile: a\u202eb")) == "No such profile: a\\u202eb"


@pytest.mark.parametrize("expires_in", [10**400, float("nan"), float("inf"), 1e308, True, "300"])
def test_a_token_lifetime_is_finite_whatever_the_token_server_says(expires_in: object) -> None:
    lifetime = _token_lifetime({"token": "t", "expires_in": expires_in}, time.time())
    assert math.isfinite(lifetime) and 0 <= lifetime <= MAX_EXPIRES_IN


def test_a_100_kb_image_in_an_admission_review_is_not_echoed_whole() -> None:
    hook = WebhookFuzz()
    try:
        pod = {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "jupyter-alice", "namespace": "default"},
            "spec": {"containers": [{"name": "notebook", "image": "quay.io/x/" + HUGE.lower()}]},
        }
        body = {
            "apiVersion": "admission.k8s.io/v1",
            "kind": "AdmissionReview",
            "request": {
                "uid": "u-1",
                "kind": {"group": "", "version": "v1", "kind": "Pod"},
                "operation": "CREATE",
                "namespace": "default",
                "object": pod,
            },
        }
        review = wire.read_review(json.dumps(body).encode())
        document = hook.loop.run_until_complete(hook.reviewer.answer(review))
        tally = Tally("webhook")
        hook._answer(review, document, tally)
        assert tally.crashes == 0, tally.summary()
        assert document["response"]["allowed"] is False  # an invalid reference is still denied
        assert "a" * 201 not in json.dumps(document)
    finally:
        hook.close()
