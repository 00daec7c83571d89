"""``prevalidate check`` on the bundled example cluster: exit codes, text and JSON output, and one
clear line (never a traceback) for files it cannot use."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from prevalidate.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CLUSTER = EXAMPLES / "cluster.yaml"
PODS = EXAMPLES / "pods"


def check(
    capsys: pytest.CaptureFixture[str], pod: Path, *extra: str, cluster: Path = CLUSTER
) -> tuple[int, str, str]:
    code = main(["check", "--cluster", str(cluster), "--pod", str(pod), "--offline", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def check_json(capsys: pytest.CaptureFixture[str], pod: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = check(capsys, pod, "--json", *extra)
    return code, json.loads(out)


def test_every_example_pod_has_a_case_here() -> None:
    assert {p.name for p in PODS.glob("*.yaml")} == set(EXPECTED)


EXPECTED: dict[str, tuple[int, list[str]]] = {
    "valid.yaml": (0, []),
    "quota-exceeded.yaml": (1, ["quota-exceeded"]),
    "too-many-cpus.yaml": (1, ["no-node-fits", "quota-exceeded"]),
    "missing-pvc.yaml": (1, ["pvc-not-found"]),
    "invalid-image.yaml": (1, ["image-reference-invalid"]),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_example_pod_exit_code_and_error_codes(capsys: pytest.CaptureFixture[str], name: str) -> None:
    expected_exit, expected_codes = EXPECTED[name]
    code, data = check_json(capsys, PODS / name)
    assert code == expected_exit
    assert data["allowed"] is (expected_exit == 0)
    assert sorted({f["code"] for f in data["findings"] if f["severity"] == "error"}) == expected_codes


def test_valid_pod_prints_allowed_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = check(capsys, PODS / "valid.yaml")
    assert code == 0
    assert out.startswith("ALLOWED: pod jupyter-alice in namespace jhub.")
    assert err == ""


def test_quota_exceeded_text_names_the_code_and_the_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(capsys, PODS / "quota-exceeded.yaml")
    assert code == 1
    assert out.startswith("REJECTED:")
    assert "[quota-exceeded]" in out
    assert "8 CPUs" in out and "26 of 32" in out and "at most 6 CPUs" in out


def test_too_many_cpus_reports_no_node_fits_with_the_largest_node(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(capsys, PODS / "too-many-cpus.yaml")
    assert code == 1
    assert "[no-node-fits]" in out
    assert "120 CPUs" in out and "62.5 CPUs" in out


def test_missing_pvc_suggests_the_existing_claim(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = check_json(capsys, PODS / "missing-pvc.yaml")
    assert code == 1
    (finding,) = [f for f in data["findings"] if f["code"] == "pvc-not-found"]
    assert finding["closest"] == "claim-alice"
    assert 'Did you mean "claim-alice"?' in finding["message"]


def test_invalid_image_is_reported_offline(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = check(capsys, PODS / "invalid-image.yaml")
    assert code == 1
    assert "[image-reference-invalid]" in out
    assert "quay.io/jupyter/Scipy-Notebook:2024 05 27" in out


def test_json_output_shape(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = check_json(capsys, PODS / "too-many-cpus.yaml")
    assert code == 1
    assert set(data) == {"allowed", "findings"}
    assert data["allowed"] is False
    assert data["findings"]
    for finding in data["findings"]:
        assert {"code", "severity", "message"} <= set(finding)
        assert finding["severity"] in ("error", "warning", "info")
        assert isinstance(finding["message"], str) and finding["message"]


def test_json_for_an_allowed_pod(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_json(capsys, PODS / "valid.yaml") == (0, {"allowed": True, "findings": []})


def test_admin_contact_is_the_last_line_when_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = check(capsys, PODS / "quota-exceeded.yaml", "--admin-contact", "Mail hub-admins@example.org.")
    assert out.rstrip("\n").splitlines()[-1].strip() == "Mail hub-admins@example.org."


def test_allow_list_rejects_an_unlisted_registry(capsys: pytest.CaptureFixture[str]) -> None:
    code, data = check_json(capsys, PODS / "valid.yaml", "--allow-registry", "ghcr.io")
    assert code == 1
    assert [f["code"] for f in data["findings"]] == ["image-registry-not-allowed"]
    code, data = check_json(capsys, PODS / "valid.yaml", "--allow-registry", "quay.io")
    assert (code, data["findings"]) == (0, [])


def test_node_pools_turn_no_node_fits_into_a_warning(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    pools = tmp_path / "pools.yaml"
    pools.write_text(
        "kind: List\nitems:\n- kind: Node\n  metadata: {name: xl-pool, labels: {kubernetes.io/arch: amd64}}\n"
        "  status: {allocatable: {cpu: '128', memory: 512Gi, pods: '110'}}\n"
    )
    code, data = check_json(capsys, PODS / "too-many-cpus.yaml", "--node-pools", str(pools))
    severities = {f["code"]: f["severity"] for f in data["findings"]}
    assert severities["no-node-fits"] == "warning"
    assert code == 1  # the quota still refuses 120 CPUs


# ---- unusable input: exit 2, one line on stderr, no traceback ----------------------------------------


def _binary(path: Path) -> Path:
    path.write_bytes(bytes(range(256)) * 4)
    return path


UNUSABLE = {
    "missing-file": lambda tmp: tmp / "does-not-exist.yaml",
    "directory": lambda tmp: tmp,
    "not-yaml": lambda tmp: _write(tmp / "bad.yaml", "kind: Pod\nmetadata: {name: [unclosed\n"),
    "yaml-without-pod": lambda tmp: _write(
        tmp / "cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
    ),
    "empty-file": lambda tmp: _write(tmp / "empty.yaml", ""),
    "two-pods": lambda tmp: _write(
        tmp / "two.yaml",
        "kind: Pod\nspec: {containers: [{name: a, image: x}]}\n---\n"
        "kind: Pod\nspec: {containers: [{name: b, image: y}]}\n",
    ),
    "pod-without-containers": lambda tmp: _write(
        tmp / "nocont.yaml", "kind: Pod\nmetadata: {name: x}\nspec: {}\n"
    ),
    "binary-file": lambda tmp: _binary(tmp / "image.png"),
}


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _assert_one_clean_line(err: str) -> None:
    assert "Traceback" not in err
    lines = err.strip("\n").splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("prevalidate: ")


@pytest.mark.parametrize("kind", list(UNUSABLE))
def test_unusable_pod_file_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    code, out, err = check(capsys, UNUSABLE[kind](tmp_path))
    assert code == 2
    assert out == ""
    _assert_one_clean_line(err)


@pytest.mark.parametrize(
    "kind", ["missing-file", "not-yaml", "yaml-without-pod", "empty-file", "binary-file"]
)
def test_unusable_cluster_file_exits_2_with_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str
) -> None:
    if kind == "yaml-without-pod":  # a cluster file needs objects, not a Pod: a bare scalar holds none
        path = _write(tmp_path / "scalar.yaml", "just a string\n")
    else:
        path = UNUSABLE[kind](tmp_path)
    code, out, err = check(capsys, PODS / "valid.yaml", cluster=path)
    assert code == 2
    assert out == ""
    _assert_one_clean_line(err)


def test_unusable_node_pools_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = check(capsys, PODS / "valid.yaml", "--node-pools", str(tmp_path / "none.yaml"))
    assert code == 2
    _assert_one_clean_line(err)


@pytest.mark.parametrize(
    "text",
    [
        "kind: Pod\nmetadata: just-a-string\nspec: {containers: [{name: a, image: b}]}\n",
        "kind: Pod\nmetadata: {name: x}\nspec: {containers: [not-a-map]}\n",
        "kind: Pod\nmetadata: {name: x}\nspec: {containers: [{name: a, image: b}], tolerations: [x]}\n",
    ],
    ids=["metadata-string", "container-string", "toleration-string"],
)
def test_pod_with_wrongly_typed_fields_exits_2_not_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str
) -> None:
    try:
        code, _, err = check(capsys, _write(tmp_path / "odd.yaml", text))
    except Exception as exc:  # what a user would see as a traceback
        pytest.fail(f"crashed: {exc!r}")
    assert code == 2
    _assert_one_clean_line(err)


def test_installed_console_script_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "prevalidate"
    if not script.exists():
        pytest.skip(f"console script not installed next to {sys.executable}")
    cmd = [str(script), "check", "--cluster", str(CLUSTER), "--offline", "--json"]
    done = subprocess.run(
        [*cmd, "--pod", str(PODS / "quota-exceeded.yaml")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1, done.stderr
    assert "quota-exceeded" in {f["code"] for f in json.loads(done.stdout)["findings"]}
    broken = _binary(tmp_path / "pod.bin")
    done = subprocess.run([*cmd, "--pod", str(broken)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    _assert_one_clean_line(done.stderr)


def test_warnings_alone_still_exit_0(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (PODS / "valid.yaml").read_text(encoding="utf-8") + "  imagePullSecrets: [{name: regcred}]\n"
    code, out, _ = check(capsys, _write(tmp_path / "pull.yaml", text))
    assert code == 0
    assert out.startswith("ALLOWED:")
    assert "[pull-secret-not-found]" in out


def test_sim_subcommand_runs_kubesim_with_its_own_arguments() -> None:
    from prevalidate.cli import build_parser
    from prevalidate.testing.kubesim import cli as kubesim_cli

    args = build_parser().parse_args(["sim", "--cluster", "c.yaml", "--port", "8099"])
    assert args.run is kubesim_cli.run
    assert (args.cluster, args.port) == ("c.yaml", 8099)
