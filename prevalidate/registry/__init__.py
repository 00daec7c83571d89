"""Image existence through the registry API: reference grammar, SSRF policy, kubelet keyring,
async client with caches. ``reference`` and ``policy`` are pure; the rest does network I/O."""

from prevalidate.registry.reference import ImageReference, parse_image_reference

__all__ = ["ImageReference", "parse_image_reference"]
