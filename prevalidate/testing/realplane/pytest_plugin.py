"""pytest fixtures for tests judged by a real Kubernetes control plane.

    pytest_plugins = ["prevalidate.testing.realplane.pytest_plugin"]   # in tests/conftest.py

    def test_x(real_cluster):
        real_cluster.load(Path("examples/cluster.yaml"))       # namespaces renamed per test
        admission, scheduling = schedule(real_cluster.api, real_cluster.in_namespace(pod))

One plane per test session (`real_plane`, started on first use), a clean cluster per test
(`real_cluster`). Without the binaries the tests are skipped, unless PREVALIDATE_REQUIRE_K8S
is set (scripts/test sets it after building them), when they fail: CI never skips silently.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from .binaries import BinariesMissing, binaries_dir
from .plane import ControlPlane
from .session import RealCluster

_started: list[ControlPlane] = []


def binaries_or_skip() -> Path:
    """The control plane's binaries; a skip when they are not built, a failure when the run
    demands them (PREVALIDATE_REQUIRE_K8S, as CI sets)."""
    try:
        return binaries_dir()
    except BinariesMissing as exc:
        if os.environ.get("PREVALIDATE_REQUIRE_K8S"):
            pytest.fail(f"PREVALIDATE_REQUIRE_K8S is set but {exc}")
        pytest.skip(f"no real Kubernetes control plane: {exc}")


@pytest.fixture(scope="session")
def real_plane() -> Iterator[ControlPlane]:
    plane = ControlPlane(binaries_or_skip()).start()
    _started.append(plane)
    try:
        yield plane
    finally:
        plane.stop()


@pytest.fixture
def real_cluster(real_plane: ControlPlane) -> Iterator[RealCluster]:
    cluster = RealCluster(real_plane)
    try:
        yield cluster
    finally:
        cluster.clean()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for plane in _started:
        terminalreporter.write_line(
            f"real Kubernetes control plane ({plane.bin_dir.name}): started in {plane.started_in:.1f}s"
        )
