"""How kubesim's kubelet (standing in for containerd) resolves an image.

Reference parsing follows distribution/reference's normalisation (`python` →
`docker.io/library/python:latest`). Resolution asks, in order: a registry listed as reachable
over plain HTTP (a real manifest HEAD with all four manifest media types, GET for an index to
check the node's platform), then the `ImageCatalog`; an image on any other host fails the way
containerd does when the name does not resolve. Failures carry containerd's error text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .credentials import Credential
from .registryclient import head_manifest
from .settings import CatalogImage, ImageCatalog

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"{_LABEL}(?:\.{_LABEL})*(?::[0-9]+)?"
_REFERENCE = re.compile(
    rf"^(?:(?P<domain>{_DOMAIN})/)?(?P<path>{_COMPONENT}(?:/{_COMPONENT})*)"
    r"(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}))?$"
)


class InvalidImage(ValueError):
    pass


@dataclass(frozen=True)
class ImageRef:
    host: str
    repository: str
    tag: str | None
    digest: str | None

    def __str__(self) -> str:
        text = f"{self.host}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text

    @property
    def reference(self) -> str:
        return self.digest or self.tag or "latest"


def parse_image(image: str) -> ImageRef:
    """Normalise like ParseNormalizedNamed + default tag; InvalidImage with containerd's text."""
    first, sep, _ = image.partition("/")
    if not sep or ("." not in first and ":" not in first and first != "localhost"):
        image_full = ("docker.io/library/" if not sep else "docker.io/") + image
    else:
        image_full = image
    match = _REFERENCE.match(image_full)
    if not match or not match.group("domain"):
        lower = _REFERENCE.match(image_full.lower())
        if lower:
            raise InvalidImage(
                f'couldn\'t parse image name "{image}": invalid reference format: '
                f"repository name must be lowercase"
            )
        raise InvalidImage(f'couldn\'t parse image name "{image}": invalid reference format')
    tag, digest = match.group("tag"), match.group("digest")
    if not tag and not digest:
        tag = "latest"
    return ImageRef(match.group("domain"), match.group("path"), tag, digest)


@dataclass(frozen=True)
class PullResult:
    ok: bool
    error: str = ""  # containerd's message when not ok
    size: int = 0
    digest: str = ""


def _not_found(ref: ImageRef) -> str:
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
        f'failed to resolve reference "{ref}": {ref}: not found'
    )


def _denied(ref: ImageRef) -> str:
    return (
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": '
        f'failed to resolve reference "{ref}": pull access denied, repository does not exist '
        f"or may require authorization: server message: insufficient_scope: "
        f"authorization failed"
    )


def _unreachable(ref: ImageRef, scheme: str, why: str) -> str:
    return (
        f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": '
        f'failed to resolve reference "{ref}": failed to do request: Head '
        f'"{scheme}://{ref.host}/v2/{ref.repository}/manifests/{ref.reference}": {why}'
    )


def _platform_missing(ref: ImageRef) -> str:
    return (
        f'rpc error: code = NotFound desc = failed to pull and unpack image "{ref}": '
        f"no match for platform in manifest: not found"
    )


def transient_error(ref: ImageRef, kind: str) -> str:
    """Pull failures that go away by themselves (runtime-backstop.md §7): a registry's rate
    limit, a 502 from the token endpoint, the kubelet's own pull throttle, a network timeout."""
    head = f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": '
    url = f"https://{ref.host}/v2/{ref.repository}/manifests/{ref.reference}"
    if kind == "qps":
        return "pull QPS exceeded"
    if kind == "502":
        return (f'{head}failed to resolve reference "{ref}": failed to authorize: failed to fetch '
                f"oauth token: unexpected status from GET request to https://{ref.host}/token?scope="
                f"repository%3A{ref.repository.replace('/', '%2F')}%3Apull: 502 Bad Gateway")
    if kind == "timeout":
        return (f'{head}failed to resolve reference "{ref}": failed to do request: Head "{url}": '
                f"dial tcp {ref.host.split(':')[0]}:443: i/o timeout")
    return (f'{head}failed to resolve reference "{ref}": unexpected status from HEAD request to {url}: '
            "429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate "
            "limit. You may increase the limit by authenticating and upgrading: "
            "https://www.docker.com/increase-rate-limit")


class ImageResolver:
    def __init__(self, catalog: ImageCatalog) -> None:
        self.catalog = catalog

    def entry(self, ref: ImageRef) -> CatalogImage | None:
        """The catalogue's facts about an image (also for one a real registry serves)."""
        return self.catalog.images.get(str(ref))

    def _catalog_entry(self, ref: ImageRef) -> CatalogImage | None:
        return self.catalog.images.get(str(ref))

    def behaviour(self, image: str) -> CatalogImage | None:
        """The catalogue entry of a started container's image when it says what the
        container does (crash, OOM kill, eviction, logs), else None."""
        try:
            entry = self._catalog_entry(parse_image(image))
        except InvalidImage:
            return None
        return entry if entry is not None and entry.behaves else None

    def _known_host(self, host: str) -> bool:
        return any(key.split("/", 1)[0] == host for key in self.catalog.images)

    async def resolve(
        self, ref: ImageRef, platform: str, credentials: list[Credential] | None = None
    ) -> PullResult:
        """Pull `ref` for `platform`, trying `credentials` (from the keyring) in order."""
        credentials = credentials or []
        if ref.host in self.catalog.http_registries:
            return await self._ask_registry(ref, platform, credentials)
        entry = self._catalog_entry(ref)
        if entry is None:
            if self.catalog.unknown_host == "notFound" or self._known_host(ref.host):
                return PullResult(False, _not_found(ref))
            host = ref.host.split(":")[0]
            return PullResult(
                False, _unreachable(ref, "https", f"dial tcp: lookup {host} on 10.96.0.10:53: no such host")
            )
        if entry.denied or (
            entry.credentials
            and not any(f"{user}:{password}" in entry.credentials for user, password in credentials)
        ):
            return PullResult(False, _denied(ref))
        if not entry.exists:
            return PullResult(False, _not_found(ref))
        if platform not in entry.platforms:
            return PullResult(False, _platform_missing(ref))
        return PullResult(True, size=entry.size, digest=entry.digest)

    async def _ask_registry(self, ref: ImageRef, platform: str, credentials: list[Credential]) -> PullResult:
        answer = await head_manifest(ref.host, ref.repository, ref.reference, credentials)
        if answer.status == 200:
            if answer.platforms is not None and platform not in answer.platforms:
                return PullResult(False, _platform_missing(ref))
            return PullResult(True, size=answer.size, digest=answer.digest)
        if answer.status == 404:
            return PullResult(False, _not_found(ref))
        url = f"http://{ref.host}/v2/{ref.repository}/manifests/{ref.reference}"
        if answer.status in (401, 403):
            reason = "401 Unauthorized" if answer.status == 401 else "403 Forbidden"
            return PullResult(
                False,
                (
                    f'rpc error: code = Unknown desc = failed to pull and unpack image "{ref}": '
                    f'failed to resolve reference "{ref}": unexpected status from HEAD request to '
                    f"{url}: {reason}"
                ),
            )
        why = f"unexpected status code {answer.status}" if answer.status else answer.error
        return PullResult(False, _unreachable(ref, "http", why))
