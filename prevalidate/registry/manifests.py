"""Manifest media types and the platforms they declare. No I/O here.

An index (OCI) or manifest list (Docker) names its platforms in ``manifests[].platform``; a
single image manifest names only its config blob, whose JSON carries ``os`` and
``architecture`` (OCI image spec: image-index.md, config.md). BuildKit attestation entries
(``unknown/unknown``) are not platforms. An empty result is ``None`` ("unknown"), never
"runs nowhere", so a strange manifest can only ever produce a warning.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from prevalidate.model.image_facts import Platform

__all__ = [
    "ACCEPT",
    "INDEX_TYPES",
    "MANIFEST_TYPES",
    "config_digest",
    "digest_matches",
    "media_type_of",
    "platform_of_config",
    "platforms_of_index",
]

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
# All four, or distribution 2.8 answers 404/400 for manifests it does have (a false "missing").
ACCEPT = ", ".join((OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST))

_ATTESTATION = "attestation-manifest"


def media_type_of(content_type: str | None, body: bytes = b"") -> str:
    """The manifest's media type: ``Content-Type`` without parameters, else ``mediaType``."""
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in INDEX_TYPES or media_type in MANIFEST_TYPES or not body:
        return media_type
    document = _json_object(body)
    value = document.get("mediaType") if document else None
    return value if isinstance(value, str) else media_type


def _json_object(body: bytes) -> dict[str, Any] | None:
    try:
        document = json.loads(body)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _platform(data: Any) -> Platform | None:
    if not isinstance(data, dict):
        return None
    os_name, arch = data.get("os"), data.get("architecture")
    if not isinstance(os_name, str) or not isinstance(arch, str) or not os_name or not arch:
        return None
    if os_name == "unknown" or arch == "unknown":
        return None
    variant = data.get("variant")
    return Platform(os_name, arch, variant if isinstance(variant, str) and variant else None)


def platforms_of_index(body: bytes) -> frozenset[Platform] | None:
    """Platforms listed by an OCI index or Docker manifest list; None if none are usable."""
    document = _json_object(body)
    entries = document.get("manifests") if document else None
    if not isinstance(entries, list):
        return None
    found = set()
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        annotations = entry.get("annotations")
        if isinstance(annotations, dict) and (annotations.get("vnd.docker.reference.type") == _ATTESTATION):
            continue
        platform = _platform(entry.get("platform"))
        if platform is not None:
            found.add(platform)
    return frozenset(found) or None


def config_digest(body: bytes) -> str | None:
    """The config blob digest of a single image manifest."""
    document = _json_object(body)
    config = document.get("config") if document else None
    digest = config.get("digest") if isinstance(config, dict) else None
    return digest if isinstance(digest, str) and ":" in digest else None


def platform_of_config(body: bytes) -> frozenset[Platform] | None:
    platform = _platform(_json_object(body))
    return frozenset({platform}) if platform else None


def digest_matches(digest: str, body: bytes) -> bool:
    """Content addressed by ``digest`` is what we got (so caching it by digest is sound)."""
    algorithm, _, expected = digest.partition(":")
    if algorithm not in ("sha256", "sha384", "sha512"):
        return False
    return hashlib.new(algorithm, body).hexdigest() == expected
