"""``prevalidate check`` on a dump of a z2jh cluster whose only node is held by a user placeholder
(as `kubectl get nodes,pods,priorityclasses -A -o yaml` prints it: the running pods carry
`spec.priority`, set by the Priority admission plugin when they were created), and on a pod
pinned with `spec.nodeName`."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from prevalidate.cli import main

NODE = {
    "apiVersion": "v1",
    "kind": "Node",
    "metadata": {"name": "worker-1"},
    "spec": {"unschedulable": True},
    "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}},
}
CLASSES = [
    {
        "apiVersion": "scheduling.k8s.io/v1",
        "kind": "PriorityClass",
        "metadata": {"name": name},
        "value": value,
    }
    for name, value in (("jhub-default-priority", 0), ("jhub-user-placeholder-priority", -10))
]
PLACEHOLDER = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "user-placeholder-0", "namespace": "jhub"},
    "spec": {
        "nodeName": "worker-1",
        "priorityClassName": "jhub-user-placeholder-priority",
        "priority": -10,
        "containers": [
            {
                "name": "pause",
                "image": "registry.k8s.io/pause:3.10.2",
                "resources": {"requests": {"cpu": "3"}},
            }
        ],
    },
    "status": {"phase": "Running"},
}
BASE = [
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "jhub"}, "status": {"phase": "Active"}},
    {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "jhub"}},
]


def run(capsys: pytest.CaptureFixture[str], tmp_path: Path, node: dict, pod_spec: dict) -> tuple[int, str]:
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(
        yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [*BASE, node, *CLASSES, PLACEHOLDER]})
    )
    pod = tmp_path / "pod.yaml"
    container = {
        "name": "notebook",
        "image": "quay.io/jupyter/base-notebook:2024-05-27",
        "resources": {"requests": {"cpu": "2"}},
    }
    pod.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "jupyter-alice", "namespace": "jhub"},
                "spec": {"containers": [container], **pod_spec},
            }
        )
    )
    code = main(["check", "--cluster", str(cluster), "--pod", str(pod), "--offline"])
    return code, capsys.readouterr().out


def test_a_user_pod_that_displaces_a_placeholder_is_allowed_with_a_note(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    node = {**NODE, "spec": {}}
    code, out = run(capsys, tmp_path, node, {"priorityClassName": "jhub-default-priority"})
    assert code == 0, out
    assert out.startswith("ALLOWED") and "Your server can start:" in out and "[preemption-expected]" in out
    assert "hub administrator" not in out  # a note is not a problem: no contact line


def test_the_same_pod_at_the_placeholders_priority_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    node = {**NODE, "spec": {}}
    code, out = run(capsys, tmp_path, node, {"priorityClassName": "jhub-user-placeholder-priority"})
    assert code == 1 and "[insufficient-capacity]" in out, out


def test_a_pod_pinned_to_a_cordoned_node_with_room_is_allowed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out = run(
        capsys,
        tmp_path,
        NODE,
        {
            "nodeName": "worker-1",
            "containers": [
                {
                    "name": "notebook",
                    "image": "quay.io/jupyter/base-notebook:2024-05-27",
                    "resources": {"requests": {"cpu": "1"}},
                }
            ],
        },
    )
    assert code == 0, out


def test_a_pod_pinned_to_a_full_node_is_refused_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out = run(capsys, tmp_path, NODE, {"nodeName": "worker-1"})
    assert code == 1, out
    assert "[insufficient-capacity]" in out and 'node "worker-1"' in out
