"""The service account and pull secrets a pod needs (reference §6.2): a missing account is
refused; a missing pull secret only warns, since the image may pull without it."""

from __future__ import annotations

from typing import Any

import pytest
from factories import (
    namespace,
    pairs,
    pod,
    secret,
    service_account,
    verdict,
    with_code,
)

from .reference_cases import (
    EXISTING,
)

# ---- service account and pull secrets ----------------------------------------------------------

ACCOUNT_CASES = [
    pytest.param(pod(), EXISTING, {}, [], id="default-account-exists"),
    pytest.param(
        pod(serviceAccountName="notebook"),
        [*EXISTING, service_account("notebook")],
        {},
        [],
        id="named-account-exists",
    ),
    pytest.param(
        pod(), [namespace()], {"creates_namespace": True}, [], id="creates-namespace-account-follows"
    ),
    pytest.param(pod(), [], {}, [], id="namespace-missing-is-the-namespace-checks-finding"),
    pytest.param(
        pod(imagePullSecrets=[{"name": "regcred"}]),
        [*EXISTING, secret("regcred")],
        {},
        [],
        id="pull-secret-exists",
    ),
    pytest.param(
        pod(),
        [namespace(), service_account(pull_secrets=["regcred"]), secret("regcred")],
        {},
        [],
        id="account-pull-secret-exists",
    ),
    pytest.param(
        pod(imagePullSecrets=[{"name": "regcred"}]),
        EXISTING,
        {},
        [("pull-secret-not-found", "warning")],
        id="pod-pull-secret-missing-warns",
    ),
    pytest.param(
        pod(),
        [namespace(), service_account(pull_secrets=["regcred"])],
        {},
        [("pull-secret-not-found", "warning")],
        id="account-pull-secret-missing-warns",
    ),
]


@pytest.mark.parametrize(("the_pod", "objects", "kwargs", "expected"), ACCOUNT_CASES)
def test_service_account_and_pull_secrets_never_block_when_they_may_work(
    the_pod: Any, objects: Any, kwargs: Any, expected: Any
) -> None:
    v = verdict(the_pod, objects, checks=["references"], **kwargs)
    assert pairs(v) == expected
    assert v.allowed


@pytest.mark.parametrize(
    ("the_pod", "objects"),
    [
        pytest.param(pod(serviceAccountName="notebook"), EXISTING, id="named-account-missing"),
        pytest.param(pod(), [namespace()], id="default-account-missing"),
        pytest.param(pod(serviceAccount="legacy"), EXISTING, id="deprecated-field-account-missing"),
    ],
)
def test_missing_service_account_rejects(the_pod: Any, objects: Any) -> None:
    v = verdict(the_pod, objects, checks=["references"])
    assert pairs(v) == [("serviceaccount-not-found", "error")]


def test_pull_secret_named_by_pod_and_account_is_reported_once() -> None:
    objects = [namespace(), service_account(pull_secrets=["regcred"])]
    v = verdict(pod(imagePullSecrets=[{"name": "regcred"}]), objects, checks=["references"])
    assert [f.subject for f in with_code(v, "pull-secret-not-found")] == ["regcred"]
