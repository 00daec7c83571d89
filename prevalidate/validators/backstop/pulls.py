"""Telling image pull failures apart: fatal now, or the registry having a bad minute.

Pure, no I/O here. From the kubelet's ``Failed to pull image`` message / the container's
``state.waiting.message`` (the same CRI error text), matched case-insensitively anywhere
(runtime-backstop.md §7). Transient texts win over fatal ones: a 502 from a token endpoint says
``failed to authorize`` too, and must not kill the spawn (Airflow learned this in three PRs).
"""

from __future__ import annotations

import re
from enum import Enum


class PullClass(str, Enum):
    NOT_FOUND = "not-found"  # the tag or digest is not there (repo readable)
    DENIED = "denied"  # missing or private; bad credentials
    INVALID = "invalid"  # the reference cannot be pulled at all (syntax, platform, schema 1, TLS)
    NO_HOST = "no-host"  # a typo'd host, or DNS down: fatal only after repeats
    TRANSIENT = "transient"  # throttles, rate limits, 5xx, timeouts: wait
    BACKOFF = "backoff"  # the kubelet's pause between attempts, no verdict
    UNKNOWN = "unknown"  # unrecognised: treated as transient (never kill on a guess)


_TRANSIENT = re.compile(
    r"pull qps exceeded|toomanyrequests|429 too many requests|\b50[0-4]\b|bad gateway|"
    r"service unavailable|gateway time-?out|i/o timeout|timeout awaiting|deadline exceeded|"
    r"connection refused|connection reset|tls handshake timeout|\beof\b|temporary failure"
)
_BACKOFF = re.compile(r"^back-off pulling image")
_NOT_FOUND = re.compile(r": not found\b|manifest unknown|\bnot found\b|name unknown")
_DENIED = re.compile(
    r"pull access denied|insufficient_scope|authorization failed|401 unauthorized|unauthorized|"
    r"requested access to the resource is denied|400 bad request|403 forbidden"
)
_INVALID = re.compile(
    r"no match for platform|no image found in manifest list|is no longer supported since containerd|"
    r"x509:|failed to verify certificate|invalid reference format|couldn't parse image"
)
_NO_HOST = re.compile(r"no such host")


def classify_pull(message: str) -> PullClass:
    text = message.lower().strip()
    if _BACKOFF.search(text):
        return PullClass.BACKOFF
    if _TRANSIENT.search(text):
        return PullClass.TRANSIENT
    if _NO_HOST.search(text):
        return PullClass.NO_HOST
    if _INVALID.search(text):
        return PullClass.INVALID
    if _DENIED.search(text):
        return PullClass.DENIED
    if _NOT_FOUND.search(text):
        return PullClass.NOT_FOUND
    return PullClass.UNKNOWN


FATAL_AT_ONCE = frozenset({PullClass.NOT_FOUND, PullClass.DENIED, PullClass.INVALID})
