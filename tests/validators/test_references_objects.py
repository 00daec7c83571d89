"""Secrets and config maps a pod needs (reference §6.2): a volume, projected volume, env var or
envFrom naming one that does not exist is refused unless it is optional."""

from __future__ import annotations

from typing import Any

import pytest
from factories import (
    container,
    pairs,
    pod,
    verdict,
)

from .reference_cases import (
    EXISTING,
    configmap_volume,
    env_from,
    env_from_key,
    projected,
    refs,
    secret_volume,
    with_env,
)

ALLOWED = [
    pytest.param(pod(volumes=[secret_volume("creds")]), id="secret-volume-exists"),
    pytest.param(pod(volumes=[configmap_volume("settings")]), id="configmap-volume-exists"),
    pytest.param(pod(volumes=[projected(secret="creds", configMap="settings")]), id="projected-exist"),
    pytest.param(with_env([env_from_key("secret", "creds")]), id="env-secret-key-exists"),
    pytest.param(
        with_env([env_from_key("configmap", "settings")], init=True), id="init-env-configmap-exists"
    ),
    pytest.param(with_env(env_sources=[env_from("configmap", "settings")]), id="env-from-configmap-exists"),
    pytest.param(pod(volumes=[secret_volume("absent", optional=True)]), id="optional-secret-volume-missing"),
    pytest.param(
        pod(volumes=[configmap_volume("absent", optional=True)]), id="optional-configmap-volume-missing"
    ),
    pytest.param(
        pod(volumes=[projected(secret="absent?", configMap="gone?")]), id="optional-projected-missing"
    ),
    pytest.param(
        with_env([env_from_key("secret", "absent", optional=True)]), id="optional-env-secret-missing"
    ),
    pytest.param(
        with_env(env_sources=[env_from("secret", "absent", optional=True)]), id="optional-env-from-missing"
    ),
    pytest.param(pod(), id="no-references"),
]


@pytest.mark.parametrize("the_pod", ALLOWED)
def test_references_allow_existing_or_optional_sources(the_pod: Any) -> None:
    assert refs(the_pod) == []


REJECTED = [
    pytest.param(pod(volumes=[secret_volume("absent")]), "secret-not-found", id="secret-volume"),
    pytest.param(
        pod(volumes=[secret_volume("absent", optional=False)]), "secret-not-found", id="explicitly-required"
    ),
    pytest.param(pod(volumes=[configmap_volume("absent")]), "configmap-not-found", id="configmap-volume"),
    pytest.param(pod(volumes=[projected(secret="absent")]), "secret-not-found", id="projected-secret"),
    pytest.param(
        pod(volumes=[projected(configMap="absent")]), "configmap-not-found", id="projected-configmap"
    ),
    pytest.param(with_env([env_from_key("secret", "absent")]), "secret-not-found", id="env-secret-key"),
    pytest.param(
        with_env([env_from_key("configmap", "absent")], init=True), "configmap-not-found", id="init-env"
    ),
    pytest.param(
        with_env(env_sources=[env_from("configmap", "absent")]), "configmap-not-found", id="env-from"
    ),
    pytest.param(
        with_env(env_sources=[env_from("secret", "absent")]), "secret-not-found", id="env-from-secret"
    ),
]


@pytest.mark.parametrize(("the_pod", "code"), REJECTED)
def test_references_reject_missing_required_sources(the_pod: Any, code: str) -> None:
    v = verdict(the_pod, EXISTING, checks=["references"])
    assert pairs(v) == [(code, "error")]
    assert v.findings[0].subject == "absent"


def test_missing_reference_suggests_a_close_name() -> None:
    (finding,) = verdict(pod(volumes=[secret_volume("cred")]), EXISTING, checks=["references"]).findings
    assert finding.facts["closest"] == "creds"
    assert finding.facts["where"] == "volume s-cred"


def test_one_missing_secret_used_twice_is_reported_once() -> None:
    the_pod = pod(
        volumes=[secret_volume("absent")], containers=[container(env=[env_from_key("secret", "absent")])]
    )
    assert refs(the_pod) == [("secret-not-found", "error")]
