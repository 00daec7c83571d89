"""The JSON types of a pod's fields, as the apiserver's decoder checks them (400 before anything
else): a YAML slip like ``value: 1`` is named, and what Go decodes is never refused."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from prevalidate.model.podshape import shape_problems


def pod(
    containers: list[dict[str, Any]] | None = None, meta: dict[str, Any] | None = None, **spec: Any
) -> Any:
    return {
        "metadata": {"name": "jupyter-alice", **(meta or {})},
        "spec": {"containers": containers or [{"name": "notebook", "image": "x"}], **spec},
    }


def nb(**fields: Any) -> dict[str, Any]:
    return {"name": "notebook", "image": "jupyter/base-notebook", **fields}


SECRET_REF = {"secretKeyRef": {"name": "s", "key": "k", "optional": True}}
TOLERATION = {"key": "k", "operator": "Equal", "value": "v", "effect": "NoExecute", "tolerationSeconds": 300}

ACCEPTED = [
    pytest.param(pod(), id="plain"),
    pytest.param(
        pod([nb(env=[{"name": "A", "value": "1"}, {"name": "B", "value": None}])]), id="env-strings-and-null"
    ),
    pytest.param(
        pod([nb(env=[{"name": "D", "value": datetime.date(2024, 1, 1)}])]), id="yaml-date-is-a-string"
    ),
    pytest.param(pod([nb(env=[{"name": "S", "valueFrom": SECRET_REF}])]), id="env-value-from"),
    pytest.param(
        pod([nb(command=["jupyterhub-singleuser"], args=["--port", "8888"])]), id="command-and-args"
    ),
    pytest.param(pod([nb(ports=[{"containerPort": 8888, "name": "notebook-port"}])]), id="port"),
    pytest.param(pod([nb(ports=[{"containerPort": 8888.0}])]), id="integral-float-port"),
    pytest.param(pod(nodeSelector={"gpu": "true", "pool": "user"}), id="node-selector-strings"),
    pytest.param(pod(tolerations=[TOLERATION]), id="toleration"),
    pytest.param(pod(meta={"labels": {"a": "1"}, "annotations": {"b": "x"}}), id="labels-and-annotations"),
    pytest.param(
        pod(volumes=[{"name": "v", "secret": {"secretName": "s", "optional": False}}]), id="secret-volume"
    ),
    pytest.param(pod([nb(volumeMounts=[{"name": "v", "mountPath": "/v", "readOnly": True}])]), id="mount"),
    pytest.param(pod(activeDeadlineSeconds=None, serviceAccountName=None), id="null-fields"),
]


@pytest.mark.parametrize("the_pod", ACCEPTED)
def test_types_go_decodes_pass(the_pod: Any) -> None:
    assert shape_problems(the_pod) == []


REFUSED = [
    pytest.param(
        pod([nb(env=[{"name": "A", "value": 1}])]),
        ("spec.containers[0].env[0].value", "must be a string, not the number 1"),
        id="env-value-number",
    ),
    pytest.param(
        pod([nb(env=[{"name": "A", "value": True}])]),
        ("spec.containers[0].env[0].value", "must be a string, not the boolean true"),
        id="env-value-boolean",
    ),
    pytest.param(
        pod(nodeSelector={"gpu": True}),
        ("spec.nodeSelector.gpu", "must be a string, not the boolean true"),
        id="node-selector-boolean",
    ),
    pytest.param(
        pod(meta={"labels": {"team": 42}}),
        ("metadata.labels.team", "must be a string, not the number 42"),
        id="label",
    ),
    pytest.param(
        pod(meta={"annotations": {"x": False}}),
        ("metadata.annotations.x", "must be a string, not the boolean false"),
        id="annotation",
    ),
    pytest.param(
        pod([nb(args=["--port", 8888])]),
        ("spec.containers[0].args[1]", "must be a string, not the number 8888"),
        id="args-number",
    ),
    pytest.param(
        pod([nb(command="start.sh")]),
        ("spec.containers[0].command", 'must be an array, not the string "start.sh"'),
        id="command-string",
    ),
    pytest.param(
        pod([nb(ports=[{"containerPort": "8888"}])]),
        ("spec.containers[0].ports[0].containerPort", 'must be an integer, not the string "8888"'),
        id="port-string",
    ),
    pytest.param(
        pod(tolerations=[{**TOLERATION, "tolerationSeconds": "300"}]),
        ("spec.tolerations[0].tolerationSeconds", 'must be an integer, not the string "300"'),
        id="toleration-seconds-string",
    ),
    pytest.param(
        pod(tolerations=[{**TOLERATION, "value": True}]),
        ("spec.tolerations[0].value", "must be a string, not the boolean true"),
        id="toleration-value-boolean",
    ),
    pytest.param(
        pod(
            [
                nb(
                    env=[
                        {
                            "name": "S",
                            "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "optional": "yes"}},
                        }
                    ]
                )
            ]
        ),
        (
            "spec.containers[0].env[0].valueFrom.secretKeyRef.optional",
            'must be a boolean, not the string "yes"',
        ),
        id="optional-string",
    ),
    pytest.param(
        pod([nb(envFrom=[{"configMapRef": "settings"}])]),
        ("spec.containers[0].envFrom[0].configMapRef", 'must be an object, not the string "settings"'),
        id="env-from-ref-string",
    ),
    pytest.param(
        pod(volumes=[{"name": "v", "persistentVolumeClaim": {"claimName": 7}}]),
        ("spec.volumes[0].persistentVolumeClaim.claimName", "must be a string, not the number 7"),
        id="claim-name-number",
    ),
    pytest.param(
        pod([nb(volumeMounts=[{"name": "v", "mountPath": "/v", "readOnly": "true"}])]),
        ("spec.containers[0].volumeMounts[0].readOnly", 'must be a boolean, not the string "true"'),
        id="read-only-string",
    ),
    pytest.param(
        pod([nb(imagePullPolicy=1)]),
        ("spec.containers[0].imagePullPolicy", "must be a string, not the number 1"),
        id="pull-policy-number",
    ),
    pytest.param(
        pod(activeDeadlineSeconds="3600"),
        ("spec.activeDeadlineSeconds", 'must be an integer, not the string "3600"'),
        id="deadline-string",
    ),
    pytest.param(
        pod([nb(ports=[{"containerPort": 8888.5}])]),
        ("spec.containers[0].ports[0].containerPort", "must be an integer, not the number 8888.5"),
        id="fractional-port",
    ),
]


@pytest.mark.parametrize(("the_pod", "problem"), REFUSED)
def test_types_go_refuses_name_the_field(the_pod: Any, problem: tuple[str, str]) -> None:
    assert shape_problems(the_pod) == [problem]
