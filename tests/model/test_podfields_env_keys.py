"""The apiserver's field validation (422) of env key selectors (validateSecretKeySelector /
validateConfigMapKeySelector): exactly what pkg/apis/core/validation refuses, and nothing it
accepts."""

from __future__ import annotations

from typing import Any

import pytest

from prevalidate.model.podfields import field_problems

from .podfield_cases import nb, spec

# ---- env key selectors (validateSecretKeySelector / validateConfigMapKeySelector) ---------------


def env_ref(kind: str = "secretKeyRef", **ref: Any) -> dict[str, Any]:
    return spec([nb(env=[{"name": "TOKEN", "valueFrom": {kind: ref}}])])


@pytest.mark.parametrize(
    "pod",
    [
        pytest.param(env_ref(name="hub-secret", key="token"), id="secret-key"),
        pytest.param(env_ref("configMapKeyRef", name="settings", key="jupyter_config.py"), id="config-key"),
        pytest.param(env_ref(name="pull", key=".dockerconfigjson"), id="key-starting-with-one-dot"),
        pytest.param(env_ref(name="s", key="KEY_NAME-1.x"), id="key-characters"),
    ],
)
def test_env_key_selectors_kubernetes_accepts_pass(pod: dict[str, Any]) -> None:
    assert field_problems(pod) == []


ENV = "spec.containers[0].env[0].valueFrom"


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        pytest.param(env_ref(name="s"), (f"{ENV}.secretKeyRef.key", "Required value"), id="key-forgotten"),
        pytest.param(
            env_ref("configMapKeyRef", name="c", key="my key"),
            (f"{ENV}.configMapKeyRef.key", "a valid config key must consist"),
            id="key-with-space",
        ),
        pytest.param(
            env_ref(name="s", key=".."), (f"{ENV}.secretKeyRef.key", "must not be '..'"), id="dot-dot"
        ),
        pytest.param(
            env_ref(name="s", key="..data"),
            (f"{ENV}.secretKeyRef.key", "must not start with '..'"),
            id="dot-dot-x",
        ),
        pytest.param(
            env_ref(name="Hub_Secret", key="k"),
            (f"{ENV}.secretKeyRef.name", "a lowercase RFC 1123 subdomain"),
            id="name-not-a-subdomain",
        ),
    ],
)
def test_env_key_selectors_kubernetes_refuses_are_input_invalid(
    pod: dict[str, Any], expected: tuple[str, str]
) -> None:
    (problem,) = field_problems(pod)
    assert (problem.facts["field"], problem.facts["reason"][: len(expected[1])]) == expected
