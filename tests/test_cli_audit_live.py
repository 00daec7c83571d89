"""`prevalidate audit` with what lies outside the process: a real registry (the typo'd image is
``image-not-found``), and the live cluster of the kubeconfig (kubesim serving the GPU-full demo
cluster; an API server that does not answer)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from demo_verdicts import cpu_verdict, without_never_choices
from test_cli_audit import GPU_FULL, audit_json, broken, by_profile, demo_config

from prevalidate.demo import IMAGES
from prevalidate.testing.registry import registry_available, run_registry


@pytest.mark.registry
@pytest.mark.skipif(not registry_available(), reason="docker-registry not installed")
def test_with_the_registry_the_typo_is_an_image_that_does_not_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with run_registry("open") as registry:
        for repository, tag in IMAGES:
            registry.push_image(repository, tag)
        # without the demo's 64-CPU choices, so exit 1 is the typo's doing
        extra = without_never_choices(GPU_FULL) + broken(registry.host)
        config = demo_config(tmp_path, extra, registry=registry.host)
        code, report = audit_json(capsys, "--config", config, "--cluster", str(GPU_FULL))
    assert code == 1
    [entry] = by_profile(report, "broken")
    assert entry["verdict"] == "never"
    assert set(entry["codes"]) == {"no-node-fits", "quota-exceeded", "image-not-found"}
    # the demo's images are in the registry: its choices are as the cluster's CPU numbers say
    for entry in by_profile(report, "custom"):
        assert entry["verdict"] == cpu_verdict(entry["options"]["cpu"], GPU_FULL)[0], entry
        assert "image-not-found" not in entry["codes"]


def test_without_cluster_the_live_cluster_of_the_kubeconfig_is_audited(tmp_path: Path) -> None:
    """A real kubesim serving the GPU-full cluster, reached through $KUBECONFIG (a subprocess:
    kubernetes_asyncio reads $KUBECONFIG when it is imported)."""
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "prevalidate.cli",
            "sim",
            "--cluster",
            str(GPU_FULL),
            "--port",
            "0",
            "--kubeconfig-out",
            str(tmp_path / "kubeconfig"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert server.stdout is not None
        for _ in range(200):
            line = server.stdout.readline()
            if (tmp_path / "kubeconfig").exists() or not line:
                break
        env = {**os.environ, "KUBECONFIG": str(tmp_path / "kubeconfig")}
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "prevalidate.cli",
                "audit",
                "--config",
                demo_config(tmp_path, broken()),
                "--offline",
                "--json",
            ],
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert done.returncode == 1, done.stderr
    verdicts = {e["profile"]: e["verdict"] for e in json.loads(done.stdout)["entries"] if not e["options"]}
    assert verdicts == {"small": "fits", "gpu": "not-now", "broken": "never"}


def test_a_live_cluster_that_cannot_be_listed_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """No API server behind the kubeconfig: the cache's retries are not shown, one line is."""
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\n"
        'clusters: [{name: none, cluster: {server: "http://127.0.0.1:9"}}]\n'
        "users: [{name: none, user: {}}]\n"
        "contexts: [{name: none, context: {cluster: none, user: none}}]\ncurrent-context: none\n"
    )
    done = subprocess.run(
        [sys.executable, "-m", "prevalidate.cli", "audit", "--config", demo_config(tmp_path), "--offline"],
        capture_output=True,
        text=True,
        env={**os.environ, "KUBECONFIG": str(kubeconfig)},
        timeout=300,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith("prevalidate: the cluster could not be listed within 30 s")
