"""JSON on the wire: request bodies decoded as Go decodes them, and list bodies and watch
event lines assembled from each object's cached JSON (Store.encoded).

The bytes sent are exactly ``json.dumps`` of the whole answer (same separators, same key order),
so a client cannot tell a cached page from one encoded afresh; tests/kubesim/test_wire.py holds
them to that after creates, updates and deletes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

Obj = dict[str, Any]


class RawFloat(float):
    """A JSON number that remembers its text, so `1e3` decodes as Go would (not `1000.0`)."""

    raw: str

    def __new__(cls, text: str) -> RawFloat:
        value = super().__new__(cls, float(text))
        value.raw = text
        return value


def loads(body: bytes) -> Any:
    return json.loads(body, parse_float=RawFloat)


def list_body(kind: str, api_version: str, metadata: Obj, items: Iterable[bytes]) -> bytes:
    """``json.dumps({"kind", "apiVersion", "metadata", "items"}).encode()`` with the items
    already encoded."""
    head = json.dumps({"kind": kind, "apiVersion": api_version, "metadata": metadata, "items": []})
    assert head.endswith("[]}")
    return b"".join((head[:-3].encode(), b"[", b", ".join(items), b"]}"))


def event_line(kind: str, obj: bytes) -> bytes:
    """One watch event, ``json.dumps({"type": kind, "object": obj}) + "\\n"``, from the
    object's encoding."""
    return b"".join((b'{"type": ', json.dumps(kind).encode(), b', "object": ', obj, b"}\n"))
