"""kubesim's keyring follows the kubelet's matching rules (registry facts §4)."""

from __future__ import annotations

import base64
import json

import pytest

from prevalidate.testing.kubesim.credentials import credentials_for


def secret(auths: dict[str, dict[str, str]], kind: str = "kubernetes.io/dockerconfigjson") -> dict:
    text = json.dumps({"auths": auths} if kind.endswith("json") else auths)
    key = ".dockerconfigjson" if kind.endswith("json") else ".dockercfg"
    return {"type": kind, "data": {key: base64.b64encode(text.encode()).decode()}}


@pytest.mark.parametrize(("key", "repository", "matches"), [
    ("quay.io", "quay.io/org/app", True),
    ("https://quay.io/v2/", "quay.io/org/app", True),
    ("quay.io/org", "quay.io/org/app", True),
    ("quay.io/org", "quay.io/org2/app", True),  # a plain string prefix, not segment-wise
    ("quay.io/other", "quay.io/org/app", False),
    ("*.example.com", "registry.example.com/app", True),
    ("*.example.com", "example.com/app", False),
    ("*.example.com", "a.b.example.com/app", False),
    ("registry:5000", "registry/app", False),  # ports must be equal
    ("https://index.docker.io/v1/", "docker.io/library/python", True),  # Docker Hub fallback
])
def test_keys_match_like_the_kubelet(key: str, repository: str, matches: bool) -> None:
    found = credentials_for(repository, [secret({key: {"username": "u", "password": "p"}})])
    assert (found == [("u", "p")]) is matches


def test_auth_overrides_username_and_most_specific_key_comes_first() -> None:
    auth = base64.b64encode(b"from-auth:pw").decode().rstrip("=")
    secrets = [secret({"quay.io": {"username": "broad", "password": "x"},
                       "quay.io/org": {"username": "ignored", "password": "y", "auth": auth}})]
    assert credentials_for("quay.io/org/app", secrets) == [("from-auth", "pw"), ("broad", "x")]


def test_secrets_of_the_wrong_type_are_skipped() -> None:
    wrong = secret({"quay.io": {"username": "u", "password": "p"}}, kind="Opaque")
    legacy = secret({"quay.io": {"username": "l", "password": "p"}}, kind="kubernetes.io/dockercfg")
    assert credentials_for("quay.io/org/app", [wrong, legacy]) == [("l", "p")]
