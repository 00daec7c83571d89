"""A newcomer's clone passes: nothing in the repository reads the project's shared folder next to
the checkout (`../shared`, `/work/shared`), and a fresh `git clone` into an empty directory —
with no such folder anywhere near it — collects the whole test suite and runs the tests that
read copied vectors (tests/data/README.md says where each file came from)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = "sha" + "red"  # spelled in two halves so that this file does not match its own patterns
# A path into the shared folder, however it is written: "../shared", "/work/shared",
# Path(...) / ".." / "shared", parents[N].parent / "shared".
REFERENCES = re.compile(
    rf"""(\.\./{SHARED}\b|/work/{SHARED}\b|["']\.\.["']\s*/\s*["']{SHARED}["']|\.parent\s*/\s*["']{SHARED}["'])"""
)
# Files that run (code, scripts, configuration); prose may cite the shared notes as sources.
RUN_SUFFIXES = {".py", ".toml", ".cfg", ".ini", ".yaml", ".yml", ".json", ".sh", ".in", ".txt", ""}


def _tracked() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout.decode().split("\0")
    return [ROOT / name for name in listed if name and (ROOT / name).is_file()]


needs_git = pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout"
)


def test_the_pattern_finds_every_way_of_writing_the_shared_path() -> None:
    for line in (
        f'VECTORS = Path(__file__).parents[2] / ".." / "{SHARED}" / "vectors"',
        f'VECTORS = Path(__file__).resolve().parents[2].parent / "{SHARED}" / "vectors"',
        f"cat ../{SHARED}/seeds/000.txt",
        f"open('/work/{SHARED}/vectors/quantity.json')",
    ):
        assert REFERENCES.search(line), line
    assert not REFERENCES.search('claims = ["home", "shared", "scratch"]')


@needs_git
def test_no_file_that_runs_refers_to_the_shared_folder() -> None:
    offenders = []
    for path in _tracked():
        if path == Path(__file__).resolve() or path.suffix not in RUN_SUFFIXES:
            continue
        if path.stat().st_size > 5_000_000:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        offenders += [
            f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
            for number, line in enumerate(text.splitlines(), 1)
            if REFERENCES.search(line)
        ]
    assert not offenders, "copy what these read into tests/data/:\n" + "\n".join(offenders)


@needs_git
def test_a_fresh_clone_collects_the_suite_and_reads_its_own_vectors(tmp_path: Path) -> None:
    clone = tmp_path / "newcomer" / "prevalidate"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True, timeout=300)
    # The commit under test may be this checkout's HEAD plus uncommitted work: bring the new files
    # and edits along (as committed they will be), so the clone is what the next commit holds.
    for path in _tracked():
        target = clone / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    assert not (clone.parent.parent / SHARED).exists() and not (clone.parent / SHARED).exists()
    # `python -m pytest` puts the clone first on sys.path, so the clone's package is the one tested.
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:randomly",
         "-p", "no:cacheprovider"],
        cwd=clone, capture_output=True, text=True, timeout=900,
    )
    assert collected.returncode == 0, collected.stdout[-4000:] + collected.stderr[-2000:]
    assert "error" not in collected.stdout.splitlines()[-1].lower(), collected.stdout[-2000:]
    ran = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:cacheprovider",
         "tests/model/test_quantity.py", "tests/registry/test_reference.py"],
        cwd=clone, capture_output=True, text=True, timeout=900,
    )
    assert ran.returncode == 0, ran.stdout[-4000:]
    assert "skipped" not in ran.stdout.splitlines()[-1], ran.stdout[-1000:]
