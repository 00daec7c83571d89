"""Secrets and config maps keep their key names, never their values."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from prevalidate.model.objects import ConfigMapInfo, SecretInfo

CANARY = "aHVudGVyMi1jYW5hcnk="  # base64 of "hunter2-canary"


def _secret(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "jhub"}, **fields}


def _configmap(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "jhub"}, **fields}


@pytest.mark.parametrize(
    ("obj", "keys"),
    [
        pytest.param(_secret(type="Opaque", data={"token": CANARY}), {"token"}, id="data"),
        pytest.param(_secret(stringData={"user": "alice"}), {"user"}, id="string-data"),
        pytest.param(_secret(data={"a": CANARY}, stringData={"b": "x"}), {"a", "b"}, id="both"),
        pytest.param(_secret(type="Opaque", data={}), set(), id="empty-data-is-known-empty"),
        pytest.param(_secret(type="Opaque"), None, id="no-data-is-unknown"),
        pytest.param(_secret(type="Opaque", data=None), None, id="null-data-is-unknown"),
    ],
)
def test_secret_keeps_key_names(obj: dict[str, Any], keys: set[str] | None) -> None:
    info = SecretInfo.from_dict(obj)
    assert info.keys == (None if keys is None else frozenset(keys))


def test_secret_keeps_no_value() -> None:
    info = SecretInfo.from_dict(_secret(type="Opaque", data={"token": CANARY}, stringData={"p": "hunter2"}))
    kept = repr(info) + str(dataclasses.astuple(info))
    assert CANARY not in kept and "hunter2" not in kept
    assert info.docker_config is None


@pytest.mark.parametrize(
    ("obj", "keys", "binary"),
    [
        pytest.param(_configmap(data={"mode": "lab"}), {"mode"}, set(), id="data"),
        pytest.param(_configmap(binaryData={"blob": "AAE="}), {"blob"}, {"blob"}, id="binary-data"),
        pytest.param(
            _configmap(data={"a": "1"}, binaryData={"b": "AAE="}),
            {"a", "b"},
            {"b"},
            id="data-and-binary-data",
        ),
        pytest.param(_configmap(data={}), set(), set(), id="empty-data-is-known-empty"),
        pytest.param(_configmap(), None, set(), id="no-data-is-unknown"),
    ],
)
def test_configmap_keeps_key_names_and_which_are_binary(
    obj: dict[str, Any], keys: set[str] | None, binary: set[str]
) -> None:
    info = ConfigMapInfo.from_dict(obj)
    assert info.keys == (None if keys is None else frozenset(keys))
    assert info.binary_keys == frozenset(binary)


def test_configmap_keeps_no_value() -> None:
    info = ConfigMapInfo.from_dict(_configmap(data={"password": "hunter2"}))
    assert "hunter2" not in repr(info)
