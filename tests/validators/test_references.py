"""Secrets, config maps, pull secrets and the service account a pod needs (reference §6.2)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from factories import (
    base_objects,
    cluster,
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

from prevalidate.messages import finding_json, render


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


def env_from_key(kind: str, name: str, optional: bool = False, key: str = "key") -> dict[str, Any]:
    """An env var read from one key; the factories' secrets and config maps have key ``key``."""
    field = "secretKeyRef" if kind == "secret" else "configMapKeyRef"
    ref: dict[str, Any] = {"name": name, "key": key}
    if optional:
        ref["optional"] = True
    return {"name": "VAR", "valueFrom": {field: ref}}


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


# ---- keys: the object exists but lacks a key the pod reads (kubelet: couldn't find key ...) ---------


CANARY = "aHVudGVyMi1jYW5hcnk="  # base64 of "hunter2-canary": must never show up anywhere


def keyed_secret(name: str = "creds", **data: str) -> dict[str, Any]:
    obj = secret(name)
    obj["data"] = dict(data or {"token": CANARY, "user": "YWxpY2U="})
    return obj


def keyed_configmap(name: str = "settings", binary: Sequence[str] = (), **data: str) -> dict[str, Any]:
    obj = configmap(name)
    obj["data"] = dict(data or {"mode": "lab", "theme": "dark"})
    if binary:
        obj["binaryData"] = {key: "AAE=" for key in binary}
    return obj


def items(*keys: str) -> list[dict[str, str]]:
    return [{"key": key, "path": key.replace(".", "-")} for key in keys]


def secret_items_volume(name: str, *keys: str, optional: bool = False) -> dict[str, Any]:
    source: dict[str, Any] = {"secretName": name, "items": items(*keys)}
    if optional:
        source["optional"] = True
    return {"name": f"s-{name}", "secret": source}


def configmap_items_volume(name: str, *keys: str, optional: bool = False) -> dict[str, Any]:
    source: dict[str, Any] = {"name": name, "items": items(*keys)}
    if optional:
        source["optional"] = True
    return {"name": f"c-{name}", "configMap": source}


def projected_items(kind: str, name: str, *keys: str, optional: bool = False) -> dict[str, Any]:
    source: dict[str, Any] = {"name": name, "items": items(*keys)}
    if optional:
        source["optional"] = True
    return {"name": "projected", "projected": {"sources": [{kind: source}]}}


KEYED = [*base_objects(), keyed_secret(), keyed_configmap(binary=["blob"])]

KEYS_ALLOWED = [
    pytest.param(with_env([env_from_key("secret", "creds", key="token")]), id="env-secret-key-exists"),
    pytest.param(
        with_env([env_from_key("configmap", "settings", key="mode")]), id="env-configmap-key-exists"
    ),
    pytest.param(
        with_env([env_from_key("secret", "creds", key="tokn", optional=True)]),
        id="optional-env-secret-key-missing",
    ),
    pytest.param(
        with_env([env_from_key("configmap", "settings", key="nope", optional=True)], init=True),
        id="optional-init-env-configmap-key-missing",
    ),
    pytest.param(pod(volumes=[secret_items_volume("creds", "token", "user")]), id="secret-items-exist"),
    pytest.param(pod(volumes=[secret_volume("creds")]), id="secret-volume-without-items-reads-all"),
    pytest.param(pod(volumes=[configmap_items_volume("settings", "mode")]), id="configmap-items-exist"),
    pytest.param(
        pod(volumes=[configmap_items_volume("settings", "blob")]), id="configmap-items-may-name-binary-data"
    ),
    pytest.param(
        pod(volumes=[secret_items_volume("creds", "absent", optional=True)]),
        id="optional-secret-items-missing",
    ),
    pytest.param(
        pod(volumes=[configmap_items_volume("settings", "absent", optional=True)]),
        id="optional-configmap-items-missing",
    ),
    pytest.param(
        pod(volumes=[projected_items("secret", "creds", "user")]), id="projected-secret-items-exist"
    ),
    pytest.param(
        pod(volumes=[projected_items("configMap", "settings", "absent", optional=True)]),
        id="optional-projected-items-missing",
    ),
    pytest.param(with_env(env_sources=[env_from("secret", "creds")]), id="env-from-names-no-key"),
    pytest.param(with_env([{"name": "A", "value": "1"}]), id="plain-env-value"),
]


@pytest.mark.parametrize("the_pod", KEYS_ALLOWED)
def test_keys_that_exist_or_are_optional_are_allowed(the_pod: Any) -> None:
    assert _refs(the_pod, KEYED) == []


KEYS_REJECTED = [
    pytest.param(
        with_env([env_from_key("secret", "creds", key="tokn")]),
        "secret-key-not-found",
        "tokn",
        "env VAR of container notebook",
        id="env-secret-key",
    ),
    pytest.param(
        with_env([env_from_key("secret", "creds", key="tokn", optional=False)], init=True),
        "secret-key-not-found",
        "tokn",
        "env VAR of container init",
        id="init-env-secret-key-explicitly-required",
    ),
    pytest.param(
        with_env([env_from_key("configmap", "settings", key="mod")]),
        "configmap-key-not-found",
        "mod",
        "env VAR of container notebook",
        id="env-configmap-key",
    ),
    pytest.param(
        with_env([env_from_key("configmap", "settings", key="blob")]),
        "configmap-key-not-found",
        "blob",
        "env VAR of container notebook",
        id="env-reads-data-not-binary-data",
    ),
    pytest.param(
        pod(volumes=[secret_items_volume("creds", "token", "cert.pem")]),
        "secret-key-not-found",
        "cert.pem",
        "volume s-creds",
        id="secret-volume-items",
    ),
    pytest.param(
        pod(volumes=[configmap_items_volume("settings", "jupyter_config.py")]),
        "configmap-key-not-found",
        "jupyter_config.py",
        "volume c-settings",
        id="configmap-volume-items",
    ),
    pytest.param(
        pod(volumes=[projected_items("secret", "creds", "ca.crt")]),
        "secret-key-not-found",
        "ca.crt",
        "volume projected",
        id="projected-secret-items",
    ),
    pytest.param(
        pod(volumes=[projected_items("configMap", "settings", "extra")]),
        "configmap-key-not-found",
        "extra",
        "volume projected",
        id="projected-configmap-items",
    ),
]


@pytest.mark.parametrize(("the_pod", "code", "key", "where"), KEYS_REJECTED)
def test_a_missing_key_the_pod_needs_rejects(the_pod: Any, code: str, key: str, where: str) -> None:
    v = verdict(the_pod, KEYED, checks=["references"])
    assert pairs(v) == [(code, "error")]
    (finding,) = v.findings
    assert (finding.facts["key"], finding.facts["where"]) == (key, where)


def test_a_missing_key_lists_the_key_names_and_suggests_the_closest() -> None:
    (finding,) = verdict(
        with_env([env_from_key("secret", "creds", key="tokn")]), KEYED, checks=["references"]
    ).findings
    assert finding.facts["keys"] == ["token", "user"]
    assert finding.facts["closest"] == "token"
    assert finding.facts["namespace"] == "jhub"


def test_neither_the_view_nor_a_finding_keeps_a_secret_value() -> None:
    view = cluster(*KEYED)
    v = verdict(with_env([env_from_key("secret", "creds", key="tokn")]), view=view, checks=["references"])
    shown = repr(view.secrets) + repr(v) + json.dumps(finding_json(v.findings[0])) + render(v.findings[0])
    assert CANARY not in shown and "hunter2" not in shown


def test_a_binary_only_config_map_key_says_env_cannot_read_it() -> None:
    (finding,) = verdict(
        with_env([env_from_key("configmap", "settings", key="blob")]), KEYED, checks=["references"]
    ).findings
    assert finding.facts["binary_only"] is True
    assert "blob" not in finding.facts["keys"]


def test_one_missing_key_used_twice_is_reported_once_and_each_missing_key_once() -> None:
    the_pod = pod(
        volumes=[secret_items_volume("creds", "a", "b")],
        containers=[container(env=[env_from_key("secret", "creds", key="a")])],
    )
    v = verdict(the_pod, KEYED, checks=["references"])
    assert [f.facts["key"] for f in v.findings] == ["a", "b"]


def test_a_missing_object_is_reported_as_missing_not_its_keys() -> None:
    v = verdict(with_env([env_from_key("secret", "absent", key="token")]), KEYED, checks=["references"])
    assert pairs(v) == [("secret-not-found", "error")]


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param({**keyed_secret(), "data": None}, id="secret-without-data"),
        pytest.param(
            {k: v for k, v in keyed_configmap().items() if k != "data"}, id="configmap-without-data"
        ),
    ],
)
def test_an_object_listed_without_its_data_never_rejects_a_key(obj: dict[str, Any]) -> None:
    # A metadata-only source, or an empty object: we cannot tell, so we do not decide.
    kind = "secret" if obj["kind"] == "Secret" else "configmap"
    the_pod = with_env([env_from_key(kind, obj["metadata"]["name"], key="anything")])
    assert _refs(the_pod, [*base_objects(), obj]) == []


def test_keys_are_not_checked_where_secrets_could_not_be_listed() -> None:
    view = cluster(*KEYED, known={"Namespace", "ServiceAccount", "ConfigMap"})
    v = verdict(with_env([env_from_key("secret", "creds", key="tokn")]), view=view, checks=["references"])
    assert pairs(v) == []
