"""Secrets, config maps, pull secrets and the service account a pod needs (reference §6.2)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from factories import (
    base_objects,
    configmap,
    container,
    namespace,
    pairs,
    pod,
    secret,
    service_account,
    verdict,
    with_code,
)


def secret_volume(name: str, optional: bool | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"secretName": name}
    if optional is not None:
        source["optional"] = optional
    return {"name": f"s-{name}", "secret": source}


def configmap_volume(name: str, optional: bool | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"name": name}
    if optional is not None:
        source["optional"] = optional
    return {"name": f"c-{name}", "configMap": source}


def projected(**sources: str) -> dict[str, Any]:
    """``projected(secret="a", configMap="b")``; a name ending in ``?`` is optional."""
    items = []
    for kind, name in sources.items():
        entry: dict[str, Any] = {"name": name.rstrip("?")}
        if name.endswith("?"):
            entry["optional"] = True
        items.append({kind: entry})
    return {"name": "projected", "projected": {"sources": items}}


def env_from_key(kind: str, name: str, optional: bool = False) -> dict[str, Any]:
    key = "secretKeyRef" if kind == "secret" else "configMapKeyRef"
    ref: dict[str, Any] = {"name": name, "key": "k"}
    if optional:
        ref["optional"] = True
    return {"name": "VAR", "valueFrom": {key: ref}}


def env_from(kind: str, name: str, optional: bool = False) -> dict[str, Any]:
    key = "secretRef" if kind == "secret" else "configMapRef"
    ref: dict[str, Any] = {"name": name}
    if optional:
        ref["optional"] = True
    return {key: ref}


def with_env(env: Sequence[Any] = (), env_sources: Sequence[Any] = (), init: bool = False) -> dict[str, Any]:
    c = container("init" if init else "notebook", env=list(env), envFrom=list(env_sources))
    return pod(containers=[container()], init_containers=[c]) if init else pod(containers=[c])


EXISTING = [*base_objects(), secret("creds"), configmap("settings")]


def _refs(the_pod: Any, objects: Any = EXISTING, **kwargs: Any) -> list[tuple[str, str]]:
    return pairs(verdict(the_pod, objects, checks=["references"], **kwargs))


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
    assert _refs(the_pod) == []


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
    assert _refs(the_pod) == [("secret-not-found", "error")]


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
