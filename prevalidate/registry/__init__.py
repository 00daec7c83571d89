"""Image existence through the registry API.

``reference`` (the kubelet's image-reference grammar) and ``policy`` (allow-list, SSRF) are
pure; ``keyring`` turns pull secrets into the kubelet's credentials; ``RegistryClient`` asks
the registry (network I/O, caches, time budget). The client is imported lazily so the pure
parts can be used without loading httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prevalidate.registry.reference import ImageReference, parse_image_reference

if TYPE_CHECKING:
    from prevalidate.registry.client import RegistryClient

__all__ = ["ImageReference", "RegistryClient", "parse_image_reference"]


def __getattr__(name: str) -> Any:
    if name == "RegistryClient":
        from prevalidate.registry.client import RegistryClient

        return RegistryClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
