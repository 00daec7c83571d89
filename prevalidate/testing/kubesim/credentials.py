"""The kubelet's keyring: which pull-secret credentials it tries for an image.

Written from pkg/credentialprovider (config.go, keyring.go) as summarised in the registry facts:
secrets of type `kubernetes.io/dockerconfigjson` (`.dockerconfigjson`, `auths` wrapper) or
`kubernetes.io/dockercfg` (`.dockercfg`); `auth` overrides username/password; keys are
normalised (`https://` added, `/v1/`, `/v2/` dropped) and sorted most specific first; a key
matches when ports are equal, hosts have as many labels and each label glob-matches, and the
key path is a plain prefix of the repository path; Docker Hub images fall back to the
`index.docker.io` entry.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
from typing import Any
from urllib.parse import urlsplit

Obj = dict[str, Any]
Credential = tuple[str, str]


def _decode(data: str) -> str:
    padded = data + "=" * (-len(data) % 4)
    return base64.b64decode(padded).decode()


def _entries(secret: Obj) -> dict[str, Obj]:
    data = secret.get("data") or {}
    kind = secret.get("type")
    try:
        if kind == "kubernetes.io/dockerconfigjson" and data.get(".dockerconfigjson"):
            parsed = json.loads(_decode(data[".dockerconfigjson"]))
            auths = parsed.get("auths") if isinstance(parsed, dict) else None
            return auths if isinstance(auths, dict) else {}
        if kind == "kubernetes.io/dockercfg" and data.get(".dockercfg"):
            parsed = json.loads(_decode(data[".dockercfg"]))
            return parsed if isinstance(parsed, dict) else {}
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return {}
    return {}


def _credential(entry: Obj) -> Credential | None:
    if not isinstance(entry, dict):
        return None
    if entry.get("auth"):
        try:
            user, _, password = _decode(str(entry["auth"])).partition(":")
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None
        return user, password
    if entry.get("username") is not None:
        return str(entry["username"]), str(entry.get("password", ""))
    return None


def _normalise(key: str) -> str:
    if not key.startswith(("http://", "https://")):
        key = "https://" + key
    parts = urlsplit(key)
    path = parts.path
    for prefix in ("/v1/", "/v2/"):
        if path.startswith(prefix):
            path = path[len(prefix) - 1 :]
    path = "" if path in ("", "/") else path
    return (parts.netloc or "") + path


def _matches(key: str, target: str) -> bool:
    k, t = urlsplit("https://" + key), urlsplit("https://" + target)
    if k.port != t.port:
        return False
    k_labels, t_labels = (k.hostname or "").split("."), (t.hostname or "").split(".")
    if len(k_labels) != len(t_labels):
        return False
    if not all(fnmatch.fnmatchcase(tl, kl) for kl, tl in zip(k_labels, t_labels, strict=True)):
        return False
    return t.path.startswith(k.path)


def _docker_hub(repository: str) -> bool:
    first = repository.split("/", 1)[0]
    return (
        first in ("docker.io", "index.docker.io")
        or ("." not in first and ":" not in first)
        or "/" not in repository
    )


def credentials_for(repository: str, secrets: list[Obj]) -> list[Credential]:
    """Credentials to try for `repository` (`host/path`, no tag), most specific key first."""
    keyring: dict[str, list[Credential]] = {}
    for secret in secrets:
        for key, entry in _entries(secret).items():
            cred = _credential(entry)
            if cred is not None:
                keyring.setdefault(_normalise(str(key)), []).append(cred)
    found: list[Credential] = []
    for key in sorted(keyring, reverse=True):
        if _matches(key, repository):
            found.extend(keyring[key])
    if not found and _docker_hub(repository):
        found.extend(keyring.get("index.docker.io", []))
    return found
