"""Keys a pod reads from secrets and config maps (reference §6.2): the object exists but lacks
a key the pod needs (kubelet: couldn't find key ...), without any secret value ever kept or shown."""

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
    pairs,
    pod,
    secret,
    verdict,
)

from prevalidate.messages import finding_json, render

from .reference_cases import (
    env_from,
    env_from_key,
    refs,
    secret_volume,
    with_env,
)

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
    assert refs(the_pod, KEYED) == []


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
    assert refs(the_pod, [*base_objects(), obj]) == []


def test_keys_are_not_checked_where_secrets_could_not_be_listed() -> None:
    view = cluster(*KEYED, known={"Namespace", "ServiceAccount", "ConfigMap"})
    v = verdict(with_env([env_from_key("secret", "creds", key="tokn")]), view=view, checks=["references"])
    assert pairs(v) == []
