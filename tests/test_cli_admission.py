"""``prevalidate check`` told which admission plugins the cluster runs: ``--admission-plugin
NAME=on|off|auto`` and ``--admission-config`` (the apiserver's AdmissionConfiguration file),
over tests/data/admission-cluster.yaml."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from prevalidate.cli import main

ROOT = Path(__file__).resolve().parent
CLUSTER = ROOT / "data" / "admission-cluster.yaml"
IMAGE = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"


def write_pod(
    tmp_path: Path, namespace: str = "jhub", limits: dict[str, str] | None = None, **spec: Any
) -> Path:
    container: dict[str, Any] = {"name": "notebook", "image": IMAGE}
    if limits:
        container["resources"] = {"limits": limits}
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "jupyter-alice", "namespace": namespace},
        "spec": {"containers": [container], **spec},
    }
    path = tmp_path / "pod.yaml"
    path.write_text(yaml.safe_dump(pod))
    return path


def check(
    capsys: pytest.CaptureFixture[str], pod: Path, *extra: str, cluster: Path = CLUSTER
) -> tuple[int, Any]:
    code = main(["check", "--cluster", str(cluster), "--pod", str(pod), "--offline", "--json", *extra])
    out, err = capsys.readouterr()
    return code, json.loads(out) if code != 2 else err


def errors(data: dict[str, Any]) -> list[str]:
    return sorted({f["code"] for f in data["findings"] if f["severity"] == "error"})


def test_a_gpu_pod_passes_unless_the_admin_says_extended_resource_toleration_is_off(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    gpu = write_pod(tmp_path, limits={"nvidia.com/gpu": "1"})
    assert check(capsys, gpu) == (0, {"allowed": True, "findings": []})
    code, data = check(capsys, gpu, "--admission-plugin", "ExtendedResourceToleration=off")
    assert (code, errors(data)) == (1, ["no-node-fits"])
    assert check(capsys, gpu, "--admission-plugin", "ExtendedResourceToleration=on")[0] == 0


def test_runtime_classes_from_the_dump(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert check(capsys, write_pod(tmp_path, runtimeClassName="gvisor"))[0] == 0
    code, data = check(capsys, write_pod(tmp_path, runtimeClassName="gvisr"))
    assert (code, errors(data)) == (1, ["runtimeclass-not-found"])
    assert 'Did you mean "gvisor"?' in data["findings"][0]["message"]


def test_a_dump_without_runtime_classes_does_not_call_one_missing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    docs = list(yaml.safe_load_all(CLUSTER.read_text()))
    docs[0]["items"] = [o for o in docs[0]["items"] if o["kind"] != "RuntimeClass"]
    cluster = tmp_path / "cluster.yaml"
    cluster.write_text(yaml.safe_dump_all(docs))
    code, data = check(capsys, write_pod(tmp_path, runtimeClassName="gvisor"), cluster=cluster)
    assert code == 0
    assert [(f["code"], f["kind"]) for f in data["findings"]] == [("check-skipped", "RuntimeClass")]


ADMISSION_CONFIGURATION = """
apiVersion: apiserver.config.k8s.io/v1
kind: AdmissionConfiguration
plugins:
  - name: EventRateLimit
    path: eventconfig.yaml
  - name: PodNodeSelector
    configuration:
      podNodeSelectorPluginConfig:
        clusterDefaultNodeSelector: pool=gpu
  - name: PodTolerationRestriction
    path: ptr.yaml
"""


def test_the_apiservers_admission_configuration_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = tmp_path / "admission.yaml"
    config.write_text(ADMISSION_CONFIGURATION)
    (tmp_path / "ptr.yaml").write_text(
        "apiVersion: podtolerationrestriction.admission.k8s.io/v1alpha1\nkind: Configuration\n"
        "default: [{key: nvidia.com/gpu, operator: Exists}]\n"
    )
    pod = write_pod(tmp_path)
    # auto: the cluster default selector is not applied, the default toleration is harmless
    assert check(capsys, pod, "--admission-config", str(config))[0] == 0
    # on: pool=gpu only; the gpu node's taint is tolerated by PodTolerationRestriction's default
    stated = ("--admission-plugin", "PodNodeSelector=on", "--admission-plugin", "PodTolerationRestriction=on")
    assert check(capsys, pod, "--admission-config", str(config), *stated)[0] == 0
    (tmp_path / "ptr.yaml").write_text("default: []\n")
    code, data = check(capsys, pod, "--admission-config", str(config), *stated)
    assert (code, errors(data)) == (1, ["no-node-fits"])


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("--admission-plugin", "ExtendedResourceToleration"), "NAME=on"),
        (("--admission-plugin", "ExtendedResourceToleration=maybe"), "not one of on, off, auto"),
        (("--admission-plugin", "PodSecurity=on"), "unknown admission plugin"),
    ],
)
def test_unusable_plugin_flags_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    code, err = check(capsys, write_pod(tmp_path), *args)
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("PodNodeSelecter: {}\n", "no configuration is read for"),
        ("PodNodeSelector: {podNodeSelectorPluginConfig: {jhub: 'a b'}}\n", "invalid selector"),
        ("PodTolerationRestriction: {default: [{key: 1}]}\n", "must be a string"),
        ("[1, 2]\n", "must hold an AdmissionConfiguration"),
        ("key: [unclosed\n", "not a valid YAML file"),
    ],
)
def test_unusable_admission_config_files_exit_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, says: str
) -> None:
    config = tmp_path / "admission.yaml"
    config.write_text(text)
    code, err = check(capsys, write_pod(tmp_path), "--admission-config", str(config))
    assert code == 2 and says in err and len(err.strip().splitlines()) == 1
