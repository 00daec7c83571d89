"""The apiserver's field validation (422) of a pod's containers, volumes and mounts and of its
names (pod, containers, volumes): exactly what pkg/apis/core/validation refuses, and nothing it
accepts."""

from __future__ import annotations

from typing import Any

import pytest

from prevalidate.model.podfields import field_problems

from .podfield_cases import nb, spec


def mount(name: str, path: str = "/home/jovyan", **fields: Any) -> dict[str, Any]:
    return {"name": name, "mountPath": path, **fields}


HOME = {"name": "home", "persistentVolumeClaim": {"claimName": "claim-alice"}}
DATA = {"name": "data", "emptyDir": {}}

ALLOWED = [
    pytest.param(spec(), id="plain"),
    pytest.param(spec([nb(volumeMounts=[mount("home")])], volumes=[HOME]), id="mount-of-a-volume"),
    pytest.param(
        spec([nb(volumeMounts=[mount("home"), mount("home", "/srv/data", subPath="alice")])], volumes=[HOME]),
        id="one-volume-twice-at-two-paths",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home"), mount("data", "/home/jovyan/")])], volumes=[HOME, DATA]),
        id="paths-compare-as-strings",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home")]), nb("sidecar", volumeMounts=[mount("home")])], volumes=[HOME]),
        id="same-path-in-two-containers",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home", subPath="users/a..b/x")])], volumes=[HOME]),
        id="dots-inside-a-subpath-segment",
    ),
    pytest.param(spec(initContainers=[nb("init", volumeMounts=[mount("home")])], volumes=[HOME]), id="init"),
    pytest.param(spec(name="jupyter-alice.example"), id="pod-name-with-dots"),
    pytest.param(spec(name=""), id="no-name-left-to-generate-name"),
    pytest.param(spec([nb("a" * 63)]), id="container-name-63"),
]


@pytest.mark.parametrize("pod", ALLOWED)
def test_fields_kubernetes_accepts_pass(pod: dict[str, Any]) -> None:
    assert field_problems(pod) == []


REJECTED = [
    pytest.param(
        spec([nb(volumeMounts=[mount("homee")])], volumes=[HOME]),
        [("spec.containers[0].volumeMounts[0].name", 'Not found: "homee"')],
        id="mount-of-an-undefined-volume",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home")])]),
        [("spec.containers[0].volumeMounts[0].name", 'Not found: "home"')],
        id="mount-without-any-volume",
    ),
    pytest.param(
        spec(initContainers=[nb("init", volumeMounts=[mount("x")])]),
        [("spec.initContainers[0].volumeMounts[0].name", 'Not found: "x"')],
        id="init-container-mount",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home"), mount("data")])], volumes=[HOME, DATA]),
        [("spec.containers[0].volumeMounts[1].mountPath", "must be unique")],
        id="two-mounts-at-one-path",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home", subPath="/etc")])], volumes=[HOME]),
        [("spec.containers[0].volumeMounts[0].subPath", "must be a relative path")],
        id="absolute-subpath",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home", subPath="a/../../b")])], volumes=[HOME]),
        [("spec.containers[0].volumeMounts[0].subPath", "must not contain '..'")],
        id="subpath-backsteps",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home", path="")])], volumes=[HOME]),
        [("spec.containers[0].volumeMounts[0].mountPath", "Required value")],
        id="mount-path-required",
    ),
    pytest.param(
        spec(volumes=[HOME, dict(HOME)]),
        [("spec.volumes[1].name", 'Duplicate value: "home"')],
        id="duplicate-volume",
    ),
    pytest.param(
        spec(volumes=[{"name": "Shared_Data", "emptyDir": {}}]),
        [("spec.volumes[0].name", "a lowercase RFC 1123 label")],
        id="volume-name-not-a-label",
    ),
    pytest.param(
        spec(volumes=[{"name": "my.data", "emptyDir": {}}]),
        [("spec.volumes[0].name", "must not contain dots")],
        id="volume-name-with-dots",
    ),
    pytest.param(spec([]), [("spec.containers", "Required value")], id="no-containers"),
    pytest.param(spec([nb(image="")]), [("spec.containers[0].image", "Required value")], id="image-required"),
    pytest.param(
        spec([nb("Notebook")]),
        [("spec.containers[0].name", "a lowercase RFC 1123 label")],
        id="container-name",
    ),
    pytest.param(
        spec([nb("a" * 64)]),
        [("spec.containers[0].name", "must be no more than 63 characters")],
        id="container-name-64",
    ),
    pytest.param(
        spec([nb(), nb()]),
        [("spec.containers[1].name", 'Duplicate value: "notebook"')],
        id="duplicate-container",
    ),
    pytest.param(
        spec(initContainers=[nb()]),
        [("spec.initContainers[0].name", 'Duplicate value: "notebook"')],
        id="init-container-reuses-a-container-name",
    ),
    pytest.param(
        spec(name="Jupyter-Alice"), [("metadata.name", "a lowercase RFC 1123 subdomain")], id="pod-name"
    ),
]


@pytest.mark.parametrize(("pod", "expected"), REJECTED)
def test_fields_kubernetes_refuses_are_input_invalid_with_the_field_path(
    pod: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    problems = field_problems(pod)
    assert [f.code.value for f in problems] == ["input-invalid"] * len(expected)
    assert all(f.blocks for f in problems)
    got = [(f.facts["field"], f.facts["reason"]) for f in problems]
    assert [
        (path, reason[: len(want)]) for (path, reason), (_, want) in zip(got, expected, strict=True)
    ] == expected
