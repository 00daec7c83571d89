"""`prevalidate check` without --offline asks a real registry (Debian's docker-registry on
127.0.0.1) — the fifth classic failure, an image that does not exist, end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from prevalidate.cli import main
from prevalidate.testing.registry import RunningRegistry, registry_available, run_registry

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture(scope="module")
def registry() -> Iterator[RunningRegistry]:
    if not registry_available():
        pytest.skip("docker-registry not installed (scripts/bootstrap installs it)")
    with run_registry("open") as reg:
        reg.push_image("jupyter/scipy", "2024-05-27")
        reg.push_image("jupyter/scipy", "2024-06-03")
        reg.push_image("jupyter/arm-only", "1", kind="docker", platforms=("linux/arm64",))
        yield reg


def _pod_file(tmp_path: Path, image: str) -> Path:
    pod = yaml.safe_load((EXAMPLES / "pods" / "valid.yaml").read_text())
    pod["spec"]["containers"][0]["image"] = image
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump(pod))
    return path


def _check(
    pod: Path, host: str, capsys: pytest.CaptureFixture[str], allow: str | None = None
) -> tuple[int, dict]:
    """Run the CLI on the example cluster; ``host`` is allowed (and plain HTTP) unless
    ``allow`` names another registry."""
    flags = ["--allow-registry", allow] if allow else ["--allow-registry", host, "--insecure-registry", host]
    code = main(["check", "--cluster", str(EXAMPLES / "cluster.yaml"), "--pod", str(pod), "--json", *flags])
    return code, json.loads(capsys.readouterr().out)


def test_existing_image_is_allowed(registry, tmp_path, capsys):
    code, out = _check(
        _pod_file(tmp_path, f"{registry.host}/jupyter/scipy:2024-05-27"), registry.host, capsys
    )
    assert code == 0 and out["allowed"] is True and out["findings"] == []


def test_missing_tag_is_rejected_with_the_tags_that_exist(registry, tmp_path, capsys):
    code, out = _check(
        _pod_file(tmp_path, f"{registry.host}/jupyter/scipy:2024-05-72"), registry.host, capsys
    )
    assert code == 1
    [finding] = out["findings"]
    assert finding["code"] == "image-not-found" and finding["severity"] == "error"
    assert "2024-05-27" in finding["suggestions"]
    assert "2024-05-27" in finding["message"]


def test_missing_repository_is_rejected(registry, tmp_path, capsys):
    code, out = _check(_pod_file(tmp_path, f"{registry.host}/jupyter/scipyy:latest"), registry.host, capsys)
    assert code == 1 and [f["code"] for f in out["findings"]] == ["image-not-found"]


def test_image_for_another_architecture_is_rejected(registry, tmp_path, capsys):
    code, out = _check(_pod_file(tmp_path, f"{registry.host}/jupyter/arm-only:1"), registry.host, capsys)
    assert code == 1
    [finding] = out["findings"]
    assert finding["code"] == "image-platform-unsupported"
    assert finding["node_platforms"] == ["linux/amd64"]


def test_registry_that_is_down_only_warns(tmp_path, capsys):
    # A port nothing listens on: the registry cannot be asked, so the spawn must go on.
    host = "127.0.0.1:9"
    code, out = _check(_pod_file(tmp_path, f"{host}/jupyter/scipy:1"), host, capsys)
    assert code == 0 and out["allowed"] is True
    assert [f["code"] for f in out["findings"]] == ["image-unverified"]


def test_registry_outside_the_allow_list_is_rejected_without_contact(registry, tmp_path, capsys):
    pod = _pod_file(tmp_path, f"{registry.host}/jupyter/scipy:2024-05-27")
    before = len(registry.request_lines())
    code, out = _check(pod, registry.host, capsys, allow="quay.io")
    assert code == 1 and [f["code"] for f in out["findings"]] == ["image-registry-not-allowed"]
    assert len(registry.request_lines()) == before
