"""The image reference parser agrees with distribution/reference on every shared vector."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from prevalidate.registry.reference import parse_image_reference

VECTORS_FILE = Path(__file__).resolve().parents[1] / "data" / "vectors" / "image-references.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTORS_FILE.read_text())["vectors"]
FIELDS = (
    "domain",
    "registry_host",
    "repository",
    "tag",
    "digest",
    "manifest_reference",
    "normalized",
    "familiar",
)


def test_vector_file_is_not_empty() -> None:
    assert len(VECTORS) >= 40


@pytest.mark.parametrize("vector", VECTORS, ids=[repr(v["input"])[:60] for v in VECTORS])
def test_parser_agrees_with_go_parser(vector: dict[str, Any]) -> None:
    if not vector["valid"]:
        with pytest.raises(ValueError) as excinfo:
            parse_image_reference(vector["input"])
        assert str(excinfo.value) == vector["error"]
        return
    ref = parse_image_reference(vector["input"])
    got = {field: getattr(ref, field) for field in FIELDS}
    assert got == {field: vector[field] for field in FIELDS}


def test_name_is_what_the_kubelet_keyring_looks_up() -> None:
    assert parse_image_reference("jupyter/base:1").name == "docker.io/jupyter/base"
    assert parse_image_reference("quay.io/org/img@sha256:" + "a" * 64).name == "quay.io/org/img"


def test_bare_64_hex_identifier_is_rejected() -> None:
    with pytest.raises(ValueError, match="cannot specify 64-byte hexadecimal strings"):
        parse_image_reference("f" * 64)


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("repo@sha256:" + "F" * 64, "invalid checksum digest format"),
        ("repo@sha512:" + "f" * 64, "invalid checksum digest length"),
        ("repo@sha512:" + "f" * 128, None),
        ("repo@sha384:" + "f" * 96, None),
        ("example.com/" + "a" * 256, "repository name must not be more than 255 characters"),
        ("localhost/Foo", "invalid reference format: repository name (Foo) must be lowercase"),
        ("a\n", "invalid reference format"),
        ("ubuntu:latest\n", "invalid reference format"),
        ("ubuntu:tag٣", "invalid reference format"),
    ],
)
def test_edges_beyond_the_vectors(text: str, error: str | None) -> None:
    if error is None:
        assert parse_image_reference(text).digest == text.split("@")[1]
    else:
        with pytest.raises(ValueError) as excinfo:
            parse_image_reference(text)
        assert str(excinfo.value) == error


def test_tag_and_digest_together_check_the_digest() -> None:
    ref = parse_image_reference("example.com/a/b:1.0@sha256:" + "0" * 64)
    assert ref.tag == "1.0"
    assert ref.manifest_reference == "sha256:" + "0" * 64
    assert ref.normalized == "example.com/a/b:1.0@sha256:" + "0" * 64
