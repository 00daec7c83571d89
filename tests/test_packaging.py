"""The package builds as a wheel and an sdist (`python -m build`), the wheel installs into a clean
venv, and the installed package works: `prevalidate --help`, and a real JupyterHub starts with
`c.JupyterHub.spawner_class = "prevalidate.PrevalidatingKubeSpawner"` (reached at /hub/api).

The build is offline (`--no-isolation`, with the backend from this venv's test extras); the clean
venv gets only the wheel (`--no-deps --no-index`) and sees this venv's site-packages for the
dependencies through a plain path line, so this checkout's editable install is *not* visible
(its finder is a `.pth` hook, which only site directories run)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from prevalidate.testing.hubprocess import configurable_http_proxy_available, start_hub

ROOT = Path(__file__).resolve().parents[1]
NAME = "jupyterhub_prevalidate"


def _tracked_tree(target: Path) -> Path:
    """This checkout's tracked and new (not ignored) files, as they are now, in `target`."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout (an sdist's tests cannot rebuild it)")
    source = _tracked_tree(tmp_path_factory.mktemp("source"))
    out = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=600,
    )
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    where = tmp_path_factory.mktemp("venv") / "clean"
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, timeout=300)
    python = where / "bin" / "python"
    site = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip())
    # The dependencies (jupyterhub, kubespawner, httpx, ...) from this venv, after the venv's own.
    (site / "zz_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (wheel,) = dist.glob("*.whl")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )
    assert installed.returncode == 0, installed.stderr[-3000:]
    return where


def test_the_wheel_and_sdist_carry_the_license_the_types_and_the_data(dist: Path) -> None:
    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = set(archive.namelist())
        (metadata_name,) = [n for n in in_wheel if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()
    assert {"prevalidate/py.typed", "prevalidate/demo/cluster.yaml", "prevalidate/service.py"} <= in_wheel
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in in_wheel)
    assert "License-Expression: BSD-3-Clause" in metadata
    assert "Requires-Dist: kubernetes_asyncio" in metadata.replace("kubernetes-asyncio", "kubernetes_asyncio")
    assert not any(n.startswith("tests/") for n in in_wheel)
    with tarfile.open(sdist) as archive:
        in_sdist = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    assert {"README.md", "LICENSE", "pyproject.toml", "prevalidate/py.typed", "prevalidate/demo/cluster.yaml",
            "examples/cluster.yaml", "deploy/hub-rbac.yaml"} <= in_sdist


def test_the_installed_cli_answers_help_from_the_wheel(venv: Path) -> None:
    python = venv / "bin" / "python"
    where = subprocess.run(
        [str(python), "-c", "import prevalidate; print(prevalidate.__file__)"],
        capture_output=True, text=True, check=True, cwd=venv,
    ).stdout.strip()
    assert where.startswith(str(venv)), f"prevalidate imported from {where}, not the wheel"
    helped = subprocess.run(
        [str(venv / "bin" / "prevalidate"), "--help"], capture_output=True, text=True, timeout=120, cwd=venv
    )
    assert helped.returncode == 0, helped.stderr
    assert "check" in helped.stdout and "sim" in helped.stdout
    checked = subprocess.run(  # the bundled demo cluster is package data: reading it proves it shipped
        [str(python), "-c", "import prevalidate.demo as d, importlib.resources as r;"
         "print(r.files(d).joinpath('cluster.yaml').read_text()[:20])"],
        capture_output=True, text=True, timeout=120, cwd=venv,
    )
    assert checked.returncode == 0 and checked.stdout.strip(), checked.stderr


@pytest.mark.e2e
@pytest.mark.skipif(not configurable_http_proxy_available(), reason="configurable-http-proxy not installed")
async def test_jupyterhub_starts_with_the_installed_spawner(venv: Path) -> None:
    config = 'c.JupyterHub.spawner_class = "prevalidate.PrevalidatingKubeSpawner"\n'
    async with start_hub(config, python=str(venv / "bin" / "python"), timeout=120) as hub:
        answer = await hub.api("GET", "/")
        assert answer.status_code == 200, answer.text
        assert "version" in answer.json()
        # JupyterHub names the spawner class it loaded (from the wheel: see the venv fixture).
        loaded = "Using Spawner: prevalidate.hub.spawner.PrevalidatingKubeSpawner"
        assert loaded in hub.log(), hub.log()[-3000:]
