"""What the registry said about one image: the input of the image validator.

Pure data, no I/O here. ``prevalidate.registry`` produces these (network edge); the pure
``validators.image`` turns them into findings together with the candidate nodes'
platforms, so the decision logic stays testable without a registry.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class ImageStatus(str, Enum):
    EXISTS = "exists"
    NOT_FOUND = "not-found"  # the registry said the manifest does not exist (404)
    ACCESS_DENIED = "access-denied"  # refused with the credentials the kubelet would use
    NOT_FOUND_OR_DENIED = "not-found-or-denied"  # 401/403 after a token: private or missing
    NOT_ALLOWED = "not-allowed"  # registry policy (allow-list / SSRF) forbids contacting it
    UNVERIFIED = "unverified"  # 429, 5xx, timeout, TLS, garbage: cannot decide, fail open


@dataclass(frozen=True)
class Platform:
    """An image platform, as in an OCI index entry (``architecture`` per GOARCH)."""

    os: str
    architecture: str
    variant: str | None = None

    def __str__(self) -> str:
        base = f"{self.os}/{self.architecture}"
        return f"{base}/{self.variant}" if self.variant else base


@dataclass(frozen=True)
class ImageFacts:
    """The registry's answer for one image reference.

    ``platforms`` is None when unknown (not inspected, or a single-arch manifest whose
    config was not read); an empty set never means "runs nowhere". ``detail`` is a short,
    credential-free reason for the admin ("HTTP 429", "timed out after 2.0 s").
    ``suggestions`` are existing tags close to the requested one (for NOT_FOUND).
    """

    image: str
    status: ImageStatus
    detail: str = ""
    platforms: frozenset[Platform] | None = None
    suggestions: tuple[str, ...] = ()
    digest: str | None = None
    registry_host: str = ""
