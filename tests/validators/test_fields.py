"""Field validation through ``run_all``: what the apiserver refuses with 422 is ``input-invalid``
(an error naming the field), never a scheduling finding, and a valid pod gets neither."""

from __future__ import annotations

from typing import Any

import pytest
from factories import base_objects, container, node, pairs, pod, verdict

OBJECTS = [*base_objects(), node(extra={"nvidia.com/gpu": "1"})]
HOME = {"name": "home", "persistentVolumeClaim": {"claimName": "claim-alice"}}


def mounting(*mounts: dict[str, Any], volumes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return pod(containers=[container(volumeMounts=list(mounts))], volumes=volumes or [])


CASES = [
    pytest.param(pod(requests={"cpu": "1", "memory": "1Gi"}), [], id="valid"),
    pytest.param(pod(limits={"nvidia.com/gpu": "1"}), [], id="gpu-the-node-has"),
    pytest.param(
        pod(requests={"foo": "1"}),
        [("input-invalid", "spec.containers[0].resources.requests.foo")],
        id="unknown-unprefixed-resource",
    ),
    pytest.param(
        pod(limits={"gpu": "1"}),
        [("input-invalid", "spec.containers[0].resources.limits.gpu")],
        id="gpu-without-its-domain",
    ),
    pytest.param(
        pod(requests={"cpus": "2", "memory": "1Gi"}, limits={"memory": "1Gi"}),
        [("input-invalid", "spec.containers[0].resources.requests.cpus")],
        id="cpus-typo",
    ),
    pytest.param(
        pod(limits={"nvidia.com/gpus": "1"}),
        [("no-node-fits", "")],
        id="well-formed-extended-resource-no-node-has-is-scheduling",
    ),
    pytest.param(
        mounting({"name": "home", "mountPath": "/home/jovyan"}, volumes=[HOME]), [], id="mount-of-a-volume"
    ),
    pytest.param(
        mounting({"name": "homee", "mountPath": "/home/jovyan"}, volumes=[HOME]),
        [("input-invalid", "spec.containers[0].volumeMounts[0].name")],
        id="mount-of-an-undefined-volume",
    ),
    pytest.param(
        mounting(
            {"name": "home", "mountPath": "/home/jovyan"},
            {"name": "shm", "mountPath": "/home/jovyan"},
            volumes=[HOME, {"name": "shm", "emptyDir": {"medium": "Memory"}}],
        ),
        [("input-invalid", "spec.containers[0].volumeMounts[1].mountPath")],
        id="two-mounts-at-one-path",
    ),
]


@pytest.mark.parametrize(("the_pod", "expected"), CASES)
def test_what_the_apiserver_refuses_is_input_invalid_not_a_scheduling_finding(
    the_pod: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    v = verdict(the_pod, OBJECTS, checks=["capacity", "references", "quota", "limitrange"])
    got = [(f.code.value, str(f.facts.get("field", ""))) for f in v.findings if f.blocks]
    assert got == expected
    assert v.allowed == (not expected)
    assert all(severity == "error" for code, severity in pairs(v) if code == "input-invalid")
