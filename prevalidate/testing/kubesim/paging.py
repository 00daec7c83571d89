"""Paginated lists, as kube-apiserver serves them (`limit` and `continue`,
k8s.io/apiserver/pkg/storage/etcd3/store.go GetList, apimachinery/pkg/storage/continue.go).

A list with `limit` returns at most that many items in key order (`<namespace>/<name>`), and
when more remain a `metadata.continue` token and `remainingItemCount` (left out when a label or
field selector filters the list, as the apiserver leaves it out). Every page of one list is read
at the first page's resourceVersion, so the pages are one consistent snapshot: kubesim stores
objects copy-on-write, so the snapshot is a list of references, kept for the few lists being
paged. A token whose resourceVersion has been compacted away (`Store.compact`, or the watch
history rolling over) gets etcd's answer: 410 `Expired`, "The provided continue parameter is
too old ...". The token is the apiserver's own format: base64 of
`{"v":"meta.k8s.io/v1","rv":N,"start":"<key>\\u0000"}`.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import json
from collections import OrderedDict
from typing import Any

from .selectors import Selector
from .status import ApiError, bad_request
from .store import Store

Obj = dict[str, Any]
SNAPSHOTS_KEPT = 16  # lists being paged at once; an evicted one is re-read, never refused

EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start "
    "a new list without the continue parameter, or use the continue token in this response to "
    "retrieve the remainder of the results. Continuing with the provided token results in an "
    "inconsistent list - objects that were created, modified, or deleted between the time the "
    "first chunk was returned and now may show up in the list."
)


def encode_token(rv: int, start: str) -> str:
    raw = json.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": start}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if data.get("v") != "meta.k8s.io/v1":
            raise ValueError
        rv, start = int(data["rv"]), str(data["start"])
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise bad_request("continue key is not valid: incorrect encoded start resourceVersion") from None
    if rv <= 0:
        raise bad_request("continue key is not valid: incorrect encoded start resourceVersion (version 1)")
    return rv, start


def _key(obj: Obj) -> str:
    meta = obj["metadata"]
    namespace = meta.get("namespace") or ""
    return f"{namespace}/{meta['name']}" if namespace else meta["name"]


class Pager:
    """Serves `list` with `limit`/`continue` from a Store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.snapshots: OrderedDict[tuple[Any, ...], tuple[list[str], list[Obj]]] = OrderedDict()

    def _snapshot(self, ident: tuple[Any, ...], resource: str, namespace: str | None,
                  selector: Selector) -> tuple[list[str], list[Obj]]:
        kept = self.snapshots.get(ident)
        if kept is None:
            objs, _ = self.store.list(resource, namespace, selector)
            pairs = sorted((_key(o), o) for o in objs) if objs else []
            kept = ([k for k, _ in pairs], [o for _, o in pairs])
            self.snapshots[ident] = kept
            while len(self.snapshots) > SNAPSHOTS_KEPT:
                self.snapshots.popitem(last=False)
        else:
            self.snapshots.move_to_end(ident)
        return kept

    def page(
        self,
        resource: str,
        namespace: str | None,
        selector: Selector,
        selector_text: tuple[str, str],
        limit: int,
        token: str | None,
    ) -> tuple[list[Obj], int, str | None, int | None]:
        """(items, resourceVersion, continue token or None, remainingItemCount or None)."""
        if token:
            rv, start = decode_token(token)
            if rv < self.store.history_floor or rv > self.store.rv:
                raise ApiError(410, "Expired", EXPIRED)
        else:
            rv, start = self.store.rv, ""
        ident = (resource, namespace, selector_text, rv)
        if token and ident not in self.snapshots and rv != self.store.rv:
            # Not kept (too many lists at once): the apiserver would read etcd at rv; we can only
            # read now, so pages may mix two states, as the 410's own words warn.
            ident = (resource, namespace, selector_text, self.store.rv)
        keys, objs = self._snapshot(ident, resource, namespace, selector)
        first = bisect.bisect_left(keys, start.rstrip("\x00") + "\x00") if start else 0
        last = len(keys) if limit <= 0 else min(len(keys), first + limit)
        items = objs[first:last]
        if last >= len(keys):
            self.snapshots.pop(ident, None)
            return items, rv, None, None
        remaining = None if any(selector_text) else len(keys) - last
        return items, rv, encode_token(rv, keys[last - 1] + "\x00"), remaining
