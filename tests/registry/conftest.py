"""Real registries for the registry tests: Debian's docker-registry on 127.0.0.1, one per
auth mode, started once per session with the standard images pushed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from prevalidate.testing.registry import RunningRegistry, registry_available, run_registry

# name -> (kind, platforms); "private/" repositories are private in token mode.
STANDARD_IMAGES: dict[str, tuple[str, tuple[str, ...]]] = {
    "test/hello:1.0": ("oci", ("linux/amd64",)),
    "test/hello:1.2.0": ("oci", ("linux/amd64",)),
    "test/hello:latest": ("oci", ("linux/amd64",)),
    "test/multi:1": ("oci-index", ("linux/amd64", "linux/arm64")),
    "test/list:1": ("docker-list", ("linux/amd64", "linux/arm64/v8")),
    "test/arm:1": ("docker", ("linux/arm64",)),
    "test/ppc:1": ("oci-index", ("linux/ppc64le",)),
    "private/secret:1": ("oci", ("linux/amd64",)),
}


def _start(mode: str) -> Iterator[RunningRegistry]:
    if not registry_available():
        pytest.skip("docker-registry/htpasswd not installed (run scripts/bootstrap)")
    with run_registry(mode) as registry:
        for name, (kind, platforms) in STANDARD_IMAGES.items():
            repository, tag = name.rsplit(":", 1)
            registry.push_image(repository, tag, kind=kind, platforms=platforms)
        yield registry


@pytest.fixture(scope="session")
def open_registry() -> Iterator[RunningRegistry]:
    yield from _start("open")


@pytest.fixture(scope="session")
def basic_registry() -> Iterator[RunningRegistry]:
    yield from _start("htpasswd")


@pytest.fixture(scope="session")
def token_registry() -> Iterator[RunningRegistry]:
    yield from _start("token")
