"""The apiserver's field validation (422) of the fields a spawn can get wrong: exactly what
pkg/apis/core/validation refuses, and nothing it accepts."""

from __future__ import annotations

from typing import Any

import pytest

from prevalidate.model.podfields import container_resource_name_problem, field_problems

# ---- container resource names (validateContainerResourceName) -------------------------------

ACCEPTED_NAMES = [
    "cpu",
    "memory",
    "ephemeral-storage",
    "hugepages-2Mi",
    "hugepages-1Gi",
    "nvidia.com/gpu",
    "amd.com/gpu",
    "gpu.intel.com/i915",
    "squat.ai/fuse",
    "example.com/foo_bar",
    "example.com/Foo",
    "kubernetes.io/something",  # a prefixed native resource: validation lets it through
    "example.kubernetes.io/thing",
    "example.com/" + "a" * 63,
]


@pytest.mark.parametrize("name", ACCEPTED_NAMES)
def test_resource_names_kubernetes_accepts_pass(name: str) -> None:
    assert container_resource_name_problem(name) is None


REFUSED_NAMES = [
    ("foo", "must be a standard resource for containers"),
    ("cpus", "must be a standard resource for containers"),
    ("Memory", "must be a standard resource for containers"),
    ("gpu", "must be a standard resource for containers"),
    ("pods", "must be a standard resource for containers"),
    ("storage", "must be a standard resource for containers"),
    ("requests.cpu", "must be a standard resource for containers"),
    ("limits.memory", "must be a standard resource for containers"),
    ("requests.nvidia.com/gpu", "doesn't follow extended resource name standard"),
    ("NVIDIA.com/gpu", "prefix part a lowercase RFC 1123 subdomain"),
    ("/gpu", "prefix part must be non-empty"),
    ("nvidia.com/", "name part must be non-empty"),
    ("a/b/c", "a qualified name must consist of"),
    ("nvidia.com/-gpu", "name part must consist of"),
    ("example.com/" + "a" * 64, "name part must be no more than 63 characters"),
    ("hugepages-", "name part must consist of"),
]


@pytest.mark.parametrize(("name", "reason"), REFUSED_NAMES)
def test_resource_names_kubernetes_refuses_fail_with_its_reason(name: str, reason: str) -> None:
    problem = container_resource_name_problem(name)
    assert problem is not None and problem.startswith(reason)


# ---- the pod's fields ----------------------------------------------------------------------


def spec(containers: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": fields.pop("name", "jupyter-alice")},
        "spec": {"containers": containers if containers is not None else [nb()], **fields},
    }


def nb(name: str = "notebook", image: str = "jupyter/base-notebook", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **fields}


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
        spec([nb(volumeMounts=[mount("home")]), nb("sidecar", volumeMounts=[mount("home")])], volumes=[HOME]),
        id="same-volume-in-two-containers",
    ),
    pytest.param(spec(initContainers=[nb("init", volumeMounts=[mount("home")])], volumes=[HOME]), id="init"),
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
        spec([nb(volumeMounts=[mount("home"), mount("data", "/srv")])], volumes=[DATA]),
        [("spec.containers[0].volumeMounts[0].name", 'Not found: "home"')],
        id="one-of-two-mounts",
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
