"""`prevalidate check` (online) against the real registry: the registry's answers become the
findings a user sees, with the pod's pull secret found through the cluster dump."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from prevalidate.cli import main
from prevalidate.testing.registry import RunningRegistry

pytestmark = pytest.mark.registry

REPO = Path(__file__).parents[2]


def check(
    tmp_path: Path, registry: RunningRegistry, image: str, with_secret: bool, capsys
) -> tuple[int, Any]:
    cluster = yaml.safe_load((REPO / "examples" / "cluster.yaml").read_text())
    secret_type, text = registry.pull_secret()
    cluster["items"].append(
        {
            "apiVersion": "v1",
            "kind": "Secret",
            "type": secret_type,
            "metadata": {"name": "regcred", "namespace": "jhub"},
            "data": {".dockerconfigjson": base64.b64encode(text.encode()).decode()},
        }
    )
    pod = yaml.safe_load((REPO / "examples" / "pods" / "valid.yaml").read_text())
    pod["spec"]["containers"][0]["image"] = f"{registry.host}/{image}"
    if with_secret:
        pod["spec"]["imagePullSecrets"] = [{"name": "regcred"}]
    (tmp_path / "cluster.yaml").write_text(yaml.safe_dump(cluster))
    (tmp_path / "pod.yaml").write_text(yaml.safe_dump(pod))
    code = main(
        [
            "check",
            "--cluster",
            str(tmp_path / "cluster.yaml"),
            "--pod",
            str(tmp_path / "pod.yaml"),
            "--json",
            "--allow-registry",
            registry.host,
            "--insecure-registry",
            registry.host,
        ]
    )
    output = json.loads(capsys.readouterr().out)
    return code, {(f["code"], f["severity"]) for f in output["findings"]}


def test_existing_private_image_with_its_pull_secret_is_allowed(tmp_path, basic_registry, capsys):
    assert check(tmp_path, basic_registry, "test/hello:1.0", True, capsys) == (0, set())


def test_missing_tag_is_rejected_as_image_not_found(tmp_path, basic_registry, capsys):
    code, findings = check(tmp_path, basic_registry, "test/hello:1.1", True, capsys)
    assert code == 1 and findings == {("image-not-found", "error")}


def test_arm64_only_image_on_amd64_nodes_is_rejected(tmp_path, basic_registry, capsys):
    code, findings = check(tmp_path, basic_registry, "test/arm:1", True, capsys)
    assert code == 1 and findings == {("image-platform-unsupported", "error")}


def test_private_image_without_a_pull_secret_only_warns(tmp_path, basic_registry, capsys):
    code, findings = check(tmp_path, basic_registry, "test/hello:1.0", False, capsys)
    assert code == 0 and findings == {("image-access-denied", "warning")}
