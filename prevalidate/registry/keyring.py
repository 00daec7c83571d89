"""Pull-secret credentials, chosen exactly as the kubelet chooses them.

No network here. A transcription of kubernetes ``pkg/credentialprovider`` (``config.go``,
``keyring.go``) and ``pkg/credentialprovider/secrets``: which secrets count (type *and* data
key), how ``auth`` overrides ``username``/``password``, how keys are normalised, the
reverse-sorted index, the host-glob/port/path-prefix matching, and the Docker Hub fallback
to the ``index.docker.io`` entry. The kubelet also has the node's own docker config and
credential-provider plugins; a validator in the hub pod cannot see those, which is why the
client reports "cannot verify" rather than "missing" when no visible credential works.

Credentials never appear in ``repr``, exceptions or logs: ``Credential.__repr__`` hides the
password and ``KeyringError`` messages name the secret position, never its content.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "DOCKERCFG",
    "DOCKERCONFIGJSON",
    "Credential",
    "Keyring",
    "KeyringError",
    "build_keyring",
    "go_filepath_match",
    "urls_match",
]

DOCKERCONFIGJSON = "kubernetes.io/dockerconfigjson"
DOCKERCFG = "kubernetes.io/dockercfg"
_DEFAULT_REGISTRY_KEY = "index.docker.io"


class KeyringError(ValueError):
    """A pull secret the kubelet cannot parse: it then fails the whole pull (no fallback)."""


@dataclass(frozen=True)
class Credential:
    """One username/password pair from a pull secret (``auth`` already decoded)."""

    username: str
    password: str = field(repr=False)
    key: str = ""  # the normalised keyring key it was stored under, e.g. "index.docker.io"

    @property
    def is_empty(self) -> bool:
        # containerd treats an entry with neither as "no credentials": an anonymous pull.
        return not self.username and not self.password

    @property
    def fingerprint(self) -> str:
        """A stable, non-reversible identity for cache keys (never the secret itself)."""
        digest = hashlib.sha256(f"{self.username}\0{self.password}".encode()).hexdigest()
        return digest[:16]

    def __repr__(self) -> str:
        return f"Credential(username={self.username!r}, key={self.key!r})"


def _go_json_field(obj: Mapping[str, Any], name: str) -> Any:
    """Go's encoding/json matches struct fields case-insensitively; the last match wins."""
    value = None
    for key, item in obj.items():
        if key.lower() == name:
            value = item
    return value


def _string_field(obj: Mapping[str, Any], name: str, where: str) -> str:
    value = _go_json_field(obj, name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise KeyringError(f"{where}: field {name!r} is not a string")
    return value


def _decode_auth(field_value: str, where: str) -> tuple[str, str]:
    """``decodeDockerConfigFieldAuth``: padded → StdEncoding, else RawStdEncoding."""
    text = field_value.replace("\r", "").replace("\n", "")  # Go's decoder skips these
    if not field_value.strip().endswith("="):
        if len(text) % 4 == 1:
            raise KeyringError(f"{where}: the auth field is not valid base64")
        text += "=" * (-len(text) % 4)
    try:
        decoded = base64.b64decode(text, validate=True).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        raise KeyringError(f"{where}: the auth field is not valid base64") from None
    username, sep, password = decoded.partition(":")
    if not sep:
        raise KeyringError(
            f"{where}: unable to parse auth field, must be formatted as base64(username:password)"
        )
    return username, password


def _entries(secret_type: str, text: str, position: int) -> dict[str, Credential] | None:
    """The registry entries of one secret, or None when the kubelet skips it."""
    if secret_type not in (DOCKERCONFIGJSON, DOCKERCFG) or not text:
        return None
    where = f"pull secret #{position + 1} ({secret_type})"
    try:
        document = json.loads(text)
    except ValueError:
        raise KeyringError(f"{where} is not valid JSON") from None
    if secret_type == DOCKERCONFIGJSON:
        if not isinstance(document, dict):
            raise KeyringError(f"{where} is not a JSON object")
        document = _go_json_field(document, "auths") or {}
    if not isinstance(document, dict):
        raise KeyringError(f"{where}: the registry map is not a JSON object")
    entries: dict[str, Credential] = {}
    for registry, entry in document.items():
        if entry is None:
            entry = {}
        if not isinstance(entry, dict):
            raise KeyringError(f"{where}: the entry for {registry!r} is not a JSON object")
        username = _string_field(entry, "username", where)
        password = _string_field(entry, "password", where)
        auth = _string_field(entry, "auth", where)
        if auth:
            username, password = _decode_auth(auth, where)
        entries[registry] = Credential(username, password)
    return entries


def _normalise_key(registry: str) -> str | None:
    """``BasicDockerKeyring.Add``: add https://, parse, drop a leading /v1/ or /v2/."""
    value = registry if registry.startswith(("https://", "http://")) else "https://" + registry
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - Go's url.Parse rejects a non-numeric port; so do we
    except ValueError:
        return None
    path = parts.path
    if path.startswith(("/v2/", "/v1/")):
        path = path[3:]
    host = parts.netloc.rpartition("@")[2]
    return host + path if path and path != "/" else host


def go_filepath_match(pattern: str, name: str) -> bool:
    """Go ``path/filepath.Match`` on one host label (``*``, ``?``, ``[...]``/``[^...]``,
    backslash escapes); a malformed pattern matches nothing, as the kubelet ignores the error.
    Written out because ``fnmatch`` negates with ``[!`` and lets ``*`` cross separators."""
    regex, i = [], 0
    while i < len(pattern):
        char = pattern[i]
        if char == "*":
            regex.append("[^/]*")
        elif char == "?":
            regex.append("[^/]")
        elif char == "\\":
            if i + 1 >= len(pattern):
                return False
            i += 1
            regex.append(re.escape(pattern[i]))
        elif char == "[":
            end = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] == "^" else i + 1)
            if end < 0:
                return False
            body = pattern[i + 1 : end]
            negate = body.startswith("^")
            body = body[1:] if negate else body
            if not body:
                return False
            regex.append("[" + ("^" if negate else "") + body.replace("\\", "\\\\") + "]")
            i = end
        else:
            regex.append(re.escape(char))
        i += 1
    try:
        return re.fullmatch("".join(regex), name) is not None
    except re.error:
        return False


def _split_url(schemeless: str) -> tuple[list[str], str, str] | None:
    try:
        parts = urlsplit("https://" + schemeless)
    except ValueError:
        return None
    hostport = parts.netloc.rpartition("@")[2]
    host, port = hostport, ""
    match = re.fullmatch(r"(\[[^\]]*\]|[^:]*):([0-9]*)", hostport)
    if match:  # net.SplitHostPort succeeded
        host, port = match.group(1).strip("[]"), match.group(2)
    return host.split("."), port, parts.path


def urls_match(glob: str, target: str) -> bool:
    """``URLsMatchStr``: same port, same number of host labels, each label glob-matched,
    and the key's path a plain string prefix of the target's path."""
    glob_parts, target_parts = _split_url(glob), _split_url(target)
    if glob_parts is None or target_parts is None:
        return False
    glob_labels, glob_port, glob_path = glob_parts
    target_labels, target_port, target_path = target_parts
    if glob_port != target_port or len(glob_labels) != len(target_labels):
        return False
    if not target_path.startswith(glob_path):
        return False
    return all(go_filepath_match(g, t) for g, t in zip(glob_labels, target_labels, strict=True))


def _is_default_registry_match(image: str) -> bool:
    first, slash, _rest = image.partition("/")
    if not first:
        return False
    if not slash or first in ("docker.io", "index.docker.io"):
        return True
    return not any(c in first for c in ".:")


class Keyring:
    """The credentials of a pod's pull secrets, looked up as the kubelet does."""

    def __init__(self) -> None:
        self._creds: dict[str, list[Credential]] = {}
        self._index: list[str] = []

    def add(self, entries: Mapping[str, Credential]) -> None:
        for registry, credential in entries.items():
            key = _normalise_key(registry)
            if key is None:
                continue  # the kubelet logs and ignores an unparsable key
            stored = Credential(credential.username, credential.password, key)
            self._creds.setdefault(key, []).append(stored)
        # Reverse lexicographic order puts more specific paths first (quay.io/org > quay.io).
        self._index = sorted(self._creds, reverse=True)

    def lookup(self, name: str) -> list[Credential]:
        """All credentials for ``name`` (``ImageReference.name``), most specific first."""
        found = [c for key in self._index if urls_match(key, name) for c in self._creds[key]]
        if found:
            return found
        if _is_default_registry_match(name):
            return list(self._creds.get(_DEFAULT_REGISTRY_KEY, ()))
        return []

    def __len__(self) -> int:
        return sum(len(v) for v in self._creds.values())

    def __repr__(self) -> str:
        return f"Keyring(keys={self._index!r})"


def build_keyring(secrets: Sequence[tuple[str, str]]) -> Keyring:
    """``MakeDockerKeyring`` over ``(secret type, .dockerconfigjson/.dockercfg text)`` pairs,
    in the order the kubelet sees them (the pod's imagePullSecrets, then the service
    account's). Raises ``KeyringError`` where the kubelet would fail the pull."""
    keyring = Keyring()
    for position, (secret_type, text) in enumerate(secrets):
        entries = _entries(secret_type, text, position)
        if entries is not None:
            keyring.add(entries)
    return keyring
