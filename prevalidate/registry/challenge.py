"""``WWW-Authenticate`` challenges (RFC 7235 §4.1, RFC 6750 §3). No I/O here.

A registry answers an unauthenticated request with ``401`` and one or more challenges,
``Basic realm="..."`` or ``Bearer realm="...",service="...",scope="..."``. Several challenges
may share one header, and parameter values may be tokens or quoted strings with escapes,
which is why this is a small tokenizer rather than a regular expression over the header.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

__all__ = ["Challenge", "parse_challenges", "pick_challenge"]

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


@dataclass(frozen=True)
class Challenge:
    scheme: str  # lower-cased: "basic" or "bearer" (others are ignored by the client)
    params: dict[str, str] = field(default_factory=dict, hash=False, compare=True)

    @property
    def realm(self) -> str:
        return self.params.get("realm", "")

    @property
    def service(self) -> str:
        return self.params.get("service", "")

    @property
    def scope(self) -> str:
        return self.params.get("scope", "")

    @property
    def error(self) -> str:
        return self.params.get("error", "")


def _skip(text: str, pos: int, chars: str = " \t") -> int:
    while pos < len(text) and text[pos] in chars:
        pos += 1
    return pos


def _quoted(text: str, pos: int) -> tuple[str, int]:
    """A quoted-string starting at ``text[pos] == '"'``; returns (value, position after)."""
    out, pos = [], pos + 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            out.append(text[pos + 1])
            pos += 2
            continue
        if char == '"':
            return "".join(out), pos + 1
        out.append(char)
        pos += 1
    return "".join(out), pos  # unterminated: take what is there


def _parse_one_header(text: str) -> list[Challenge]:
    challenges: list[Challenge] = []
    pos = _skip(text, 0, " \t,")
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            break
        scheme, pos = match.group().lower(), match.end()
        params: dict[str, str] = {}
        pos = _skip(text, pos)
        while pos < len(text):
            name_match = _TOKEN.match(text, pos)
            if name_match is None:
                pos = _skip(text, pos, " \t,")
                break
            after = _skip(text, name_match.end())
            if after >= len(text) or text[after] != "=":
                break  # a new challenge's scheme
            value_pos = _skip(text, after + 1)
            if value_pos < len(text) and text[value_pos] == '"':
                value, pos = _quoted(text, value_pos)
            else:
                value_match = _TOKEN.match(text, value_pos) or _TOKEN68.match(text, value_pos)
                value = value_match.group() if value_match else ""
                pos = value_match.end() if value_match else value_pos
            params[name_match.group().lower()] = value
            pos = _skip(text, pos, " \t,")
        challenges.append(Challenge(scheme, params))
    return challenges


def parse_challenges(headers: Iterable[str]) -> list[Challenge]:
    """All challenges from the ``WWW-Authenticate`` header values, in order."""
    return [c for header in headers for c in _parse_one_header(header)]


def pick_challenge(challenges: Iterable[Challenge]) -> Challenge | None:
    """Bearer when offered (registries list it for token auth), else Basic, else None."""
    usable = [c for c in challenges if c.scheme in ("bearer", "basic")]
    for challenge in usable:
        if challenge.scheme == "bearer" and challenge.realm:
            return challenge
    return next((c for c in usable if c.scheme == "basic"), None)
