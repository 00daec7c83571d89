"""Image references, parsed exactly as the kubelet parses them.

Pure: no I/O here, and no httpx/kubernetes/traitlets (import-linter enforces it), because the
offline image validator calls it too.

This is a transcription of ``ParseNormalizedNamed`` from github.com/distribution/reference
(commit 0965666, after v0.6.0) with go-digest's validation, which is what Kubernetes'
``pkg/util/parsers.ParseImageName`` calls. We transcribe rather than use a Python library
because the point is to agree with the kubelet on every edge (familiar names such as
``localhost:5000`` being Docker Hub images with tag ``5000``, uppercase "domains", the
255-character path rule, digest error texts); the vectors in
``tests/data/vectors/image-references.json`` were produced by running the Go code.

Go's ``regexp`` is leftmost-first like Python's ``re``, so the captures agree; ``[\\w]`` is
spelled out as ASCII because Python's ``\\w`` is Unicode.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DOCKER_HUB_API_HOST", "DOCKER_HUB_DOMAIN", "ImageReference", "parse_image_reference"]

DOCKER_HUB_DOMAIN = "docker.io"
DOCKER_HUB_API_HOST = "registry-1.docker.io"
_LEGACY_HUB_DOMAIN = "index.docker.io"
_OFFICIAL_PREFIX = "library/"
_NAME_TOTAL_LENGTH_MAX = 255

# regexp.go, verbatim apart from \w.
_ALNUM = r"[a-z0-9]+"
_SEPARATOR = r"(?:[._]|__|[-]+)"
_DOMAIN_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_OPTIONAL_PORT = r"(?::[0-9]+)?"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}"
_IPV6 = r"\[(?:[a-fA-F0-9:]+)\]"
_DOMAIN_NAME = _DOMAIN_COMPONENT + r"(?:\." + _DOMAIN_COMPONENT + r")*"
_HOST = r"(?:" + _DOMAIN_NAME + r"|" + _IPV6 + r")"
_DOMAIN_AND_PORT = _HOST + _OPTIONAL_PORT
_PATH_COMPONENT = _ALNUM + r"(?:" + _SEPARATOR + _ALNUM + r")*"
_REMOTE_NAME = _PATH_COMPONENT + r"(?:/" + _PATH_COMPONENT + r")*"
_NAME = r"(?:" + _DOMAIN_AND_PORT + r"/)?" + _REMOTE_NAME

_REFERENCE_RE = re.compile(r"(" + _NAME + r")(?::(" + _TAG + r"))?(?:@(" + _DIGEST + r"))?")
_ANCHORED_NAME_RE = re.compile(r"(?:(" + _DOMAIN_AND_PORT + r")/)?(" + _REMOTE_NAME + r")")
_IDENTIFIER_RE = re.compile(r"[a-f0-9]{64}")

# go-digest: algorithms available when crypto/sha256 and crypto/sha512 are linked (the
# kubelet links both; crypto/sha512 also provides SHA-384), with their encoded form.
_DIGEST_HEX_LENGTHS: dict[str, int] = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX_RE = re.compile(r"[a-f0-9]+")
_ANCHORED_DIGEST_RE = re.compile(_DIGEST)

# Error texts, as the Go packages spell them (users and admins may search for them).
ERR_REFERENCE_INVALID_FORMAT = "invalid reference format"
ERR_NAME_CONTAINS_UPPERCASE = "repository name must be lowercase"
ERR_NAME_EMPTY = "repository name must have at least one component"
ERR_NAME_TOO_LONG = f"repository name must not be more than {_NAME_TOTAL_LENGTH_MAX} characters"
ERR_DIGEST_INVALID_FORMAT = "invalid checksum digest format"
ERR_DIGEST_INVALID_LENGTH = "invalid checksum digest length"
ERR_DIGEST_UNSUPPORTED = "unsupported digest algorithm"


@dataclass(frozen=True)
class ImageReference:
    """A parsed image reference.

    ``domain`` is what the grammar reports (``docker.io`` for Docker Hub); ``registry_host``
    is where the ``/v2/`` API lives (``registry-1.docker.io`` for Docker Hub). ``name`` is
    ``domain/repository``, the string the kubelet's keyring looks up.
    """

    domain: str
    repository: str
    tag: str | None = None
    digest: str | None = None

    @property
    def registry_host(self) -> str:
        if self.domain == DOCKER_HUB_DOMAIN:
            return DOCKER_HUB_API_HOST
        if not self.domain:
            # Go's grammar reports no domain when the first component is a host only the path
            # grammar accepts ("my_registry.example.com/app": "_" is no domain character), yet
            # containerd's resolver contacts that first component (containerd/reference
            # Spec.Hostname): the policy and the lookup must judge and ask the same host.
            return self.repository.split("/", 1)[0]
        return self.domain

    @property
    def remote_path(self) -> str:
        """The repository as the registry's API names it (the path after ``/v2/``)."""
        if not self.domain:
            return self.repository.split("/", 1)[-1]
        return self.repository

    @property
    def is_docker_hub(self) -> bool:
        return self.domain == DOCKER_HUB_DOMAIN

    @property
    def manifest_reference(self) -> str:
        # containerd and the kubelet pull by digest and ignore the tag when both are given.
        return self.digest or self.tag or "latest"

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.repository}" if self.domain else self.repository

    @property
    def normalized(self) -> str:
        return _with_tag_and_digest(self.name, self.tag, self.digest)

    @property
    def familiar(self) -> str:
        domain, path = self.domain, self.repository
        if domain == DOCKER_HUB_DOMAIN:
            domain = ""
            if path.startswith(_OFFICIAL_PREFIX):
                rest = path[len(_OFFICIAL_PREFIX) :]
                if "/" not in rest:
                    path = rest
        name = f"{domain}/{path}" if domain else path
        return _with_tag_and_digest(name, self.tag, self.digest)

    def __str__(self) -> str:
        return self.normalized


def _with_tag_and_digest(name: str, tag: str | None, digest: str | None) -> str:
    text = name
    if tag:
        text += ":" + tag
    if digest:
        text += "@" + digest
    return text


def parse_image_reference(text: str) -> ImageReference:
    """Parse like ``ParseNormalizedNamed``; ``ValueError`` with the Go error text if invalid."""
    if _IDENTIFIER_RE.fullmatch(text):
        raise ValueError(f"invalid repository name ({text}), cannot specify 64-byte hexadecimal strings")
    domain, remainder = _split_docker_domain(text)
    remote_name = remainder.split(":", 1)[0]
    if remote_name.lower() != remote_name:
        raise ValueError(f"invalid reference format: repository name ({remote_name}) must be lowercase")
    return _parse(domain + "/" + remainder)


def _split_docker_domain(name: str) -> tuple[str, str]:
    maybe_domain, slash, maybe_remote = name.partition("/")
    if not slash:
        # A single element is always a familiar Hub name, even "localhost:5000" (Go FIXME).
        return DOCKER_HUB_DOMAIN, _OFFICIAL_PREFIX + name
    # The order of these cases is Go's switch order: index.docker.io also contains a ".".
    if maybe_domain == "localhost":
        domain, remote = maybe_domain, maybe_remote
    elif maybe_domain == _LEGACY_HUB_DOMAIN:
        domain, remote = DOCKER_HUB_DOMAIN, maybe_remote
    elif any(c in maybe_domain for c in ".:") or maybe_domain.lower() != maybe_domain:
        # A host ("example.com", "test:5000", "[::1]:5000") or an uppercase "namespace",
        # which cannot be a Hub namespace and so may be an unqualified domain.
        domain, remote = maybe_domain, maybe_remote
    else:
        domain, remote = DOCKER_HUB_DOMAIN, name
    if domain == DOCKER_HUB_DOMAIN and "/" not in remote:
        remote = _OFFICIAL_PREFIX + remote
    return domain, remote


def _parse(text: str) -> ImageReference:
    """``reference.Parse``: the grammar, the length rule and the digest check."""
    match = _REFERENCE_RE.fullmatch(text)
    if match is None:
        if text == "":
            raise ValueError(ERR_NAME_EMPTY)
        if _REFERENCE_RE.fullmatch(text.lower()) is not None:
            raise ValueError(ERR_NAME_CONTAINS_UPPERCASE)
        raise ValueError(ERR_REFERENCE_INVALID_FORMAT)
    name, tag, digest = match.group(1), match.group(2), match.group(3)
    name_match = _ANCHORED_NAME_RE.fullmatch(name)
    assert name_match is not None  # the same sub-pattern matched just above
    domain, path = name_match.group(1) or "", name_match.group(2)
    if len(path) > _NAME_TOTAL_LENGTH_MAX:
        raise ValueError(ERR_NAME_TOO_LONG)
    if digest:
        _validate_digest(digest)
    return ImageReference(domain=domain, repository=path, tag=tag or None, digest=digest or None)


def _validate_digest(digest: str) -> None:
    """go-digest ``Digest.Validate``."""
    algorithm, sep, encoded = digest.partition(":")
    if not algorithm or not sep or not encoded:
        raise ValueError(ERR_DIGEST_INVALID_FORMAT)
    length = _DIGEST_HEX_LENGTHS.get(algorithm)
    if length is None:
        if not _ANCHORED_DIGEST_RE.fullmatch(digest):
            raise ValueError(ERR_DIGEST_INVALID_FORMAT)
        raise ValueError(ERR_DIGEST_UNSUPPORTED)
    if len(encoded) != length:
        raise ValueError(ERR_DIGEST_INVALID_LENGTH)
    if not _LOWER_HEX_RE.fullmatch(encoded):
        raise ValueError(ERR_DIGEST_INVALID_FORMAT)
