"""The object store: one global resourceVersion counter, objects, history and watchers.

Semantics mirror etcd + the apiserver watch cache:
- every write bumps the global counter and stamps it on the object; a list returns the
  counter as `metadata.resourceVersion`;
- a watch from resourceVersion N replays every change after N from a bounded history (so an
  object created between a list and a watch is never missed), then streams live changes;
  N older than the history window gives an ERROR event with a 410 `Expired` Status;
- a watch with no resourceVersion (or "0") starts with synthetic ADDED events for what
  exists now;
- with a selector, an object that stops matching is sent as DELETED and one that starts
  matching as ADDED (what the apiserver's filtered watch does).

Stored dicts are never mutated in place: writes replace them, so readers may hold on to them.
That also lets the store keep each stored object's JSON encoding (``encoded``), as the
apiserver's watch cache keeps an object's serialisation (cachingObject): a list page or a watch
event is then a join of bytes encoded once per version, not a json.dumps of every object for
every request (json.dumps was three quarters of kubesim's CPU serving a 150,000-pod list).
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .resources import GROUP_OF
from .selectors import EVERYTHING, Selector
from .status import already_exists, conflict, gone, not_found

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace or "", name)


def now_rfc3339() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def now_micro() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Change:
    """One write: what a watcher of `resource` may see."""

    type: str  # ADDED, MODIFIED, DELETED
    resource: str
    obj: Obj
    old: Obj | None
    rv: int


# Queued to a watcher to end its stream as a timeout does (see Watcher.expire).
EXPIRED: tuple[str, Obj] = ("EXPIRED", {})


class Watcher:
    """One open watch: a queue of (type, object) already filtered for its selector."""

    def __init__(self, store: Store, resource: str, namespace: str | None, selector: Selector):
        self.store = store
        self.resource = resource
        self.namespace = namespace
        self.selector = selector
        self.queue: asyncio.Queue[tuple[str, Obj] | None] = asyncio.Queue()

    def _in_scope(self, obj: Obj | None) -> bool:
        if obj is None:
            return False
        if self.namespace and obj["metadata"].get("namespace") != self.namespace:
            return False
        return self.selector.matches(obj)

    def offer(self, change: Change) -> None:
        if change.resource != self.resource:
            return
        now_in = self._in_scope(change.obj)
        was_in = self._in_scope(change.old) if change.type == "MODIFIED" else now_in
        if change.type == "MODIFIED" and was_in != now_in:
            self.queue.put_nowait(("ADDED" if now_in else "DELETED", change.obj))
        elif now_in:
            self.queue.put_nowait((change.type, change.obj))

    def close(self) -> None:
        self.store.watchers.discard(self)
        self.queue.put_nowait(None)

    def expire(self) -> None:
        """End the watch as its timeoutSeconds would: the stream sends its pre-timeout
        BOOKMARK (when the client allows bookmarks) and ends normally."""
        self.store.watchers.discard(self)
        self.queue.put_nowait(EXPIRED)


class Store:
    def __init__(self, history: int = 10_000) -> None:
        self.rv = 0
        self.objects: dict[str, dict[Key, Obj]] = {}
        self.history: deque[Change] = deque(maxlen=history)
        # RV of the oldest change a watch can still replay from (exclusive lower bound).
        self.history_floor = 0
        self.watchers: set[Watcher] = set()
        self.listeners: list[Callable[[Change], None]] = []
        # resource -> key -> (the stored object, its JSON): valid while that very object
        # (identity) is the stored one; every write of the key drops the entry.
        self._wire: dict[str, dict[Key, tuple[Obj, bytes]]] = {}

    # -- reading -------------------------------------------------------------------
    def bucket(self, resource: str) -> dict[Key, Obj]:
        return self.objects.setdefault(resource, {})

    def peek(self, resource: str, namespace: str, name: str) -> Obj | None:
        """The stored object itself (do not mutate it), or None."""
        return self.bucket(resource).get((namespace, name))

    def get(self, resource: str, namespace: str, name: str) -> Obj:
        obj = self.peek(resource, namespace, name)
        if obj is None:
            raise not_found(resource, name, GROUP_OF.get(resource, ""))
        return copy.deepcopy(obj)

    def items(self, resource: str, namespace: str | None = None) -> Iterator[Obj]:
        """Stored objects, optionally one namespace (do not mutate them)."""
        for (ns, _), obj in list(self.bucket(resource).items()):
            if namespace is None or ns == namespace:
                yield obj

    def list(
        self, resource: str, namespace: str | None = None, selector: Selector = EVERYTHING
    ) -> tuple[list[Obj], int]:
        objs = [o for o in self.items(resource, namespace) if selector.matches(o)]
        return objs, self.rv

    def encoded(self, resource: str, obj: Obj) -> bytes:
        """``json.dumps(obj)`` as bytes; kept while ``obj`` is the stored version of its key
        (an older version, held by a paged list's snapshot, is encoded and not kept)."""
        meta = obj["metadata"]
        key = (meta.get("namespace", ""), meta["name"])
        wire = self._wire.get(resource)
        hit = wire.get(key) if wire is not None else None
        if hit is not None and hit[0] is obj:
            return hit[1]
        data = json.dumps(obj).encode()
        if self.bucket(resource).get(key) is obj:
            self._wire.setdefault(resource, {})[key] = (obj, data)
        return data

    # -- writing -------------------------------------------------------------------
    def _commit(self, kind: str, resource: str, obj: Obj, old: Obj | None) -> Obj:
        self.rv += 1
        obj["metadata"]["resourceVersion"] = str(self.rv)
        key = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        wire = self._wire.get(resource)
        if wire is not None:
            wire.pop(key, None)
        if kind == "DELETED":
            self.bucket(resource).pop(key, None)
        else:
            self.bucket(resource)[key] = obj
        change = Change(kind, resource, obj, old, self.rv)
        if len(self.history) == self.history.maxlen:
            self.history_floor = self.history[0].rv
        self.history.append(change)
        for watcher in list(self.watchers):
            watcher.offer(change)
        for listener in list(self.listeners):
            listener(change)
        return obj

    def create(self, resource: str, obj: Obj, *, owned: bool = False) -> Obj:
        """Store a new object; a copy unless ``owned`` (the caller hands it over: seeding)."""
        obj = obj if owned else copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        key = (meta.get("namespace", ""), meta["name"])
        if key in self.bucket(resource):
            raise already_exists(resource, meta["name"], GROUP_OF.get(resource, ""))
        meta.setdefault("uid", str(uuid.uuid4()))
        meta.setdefault("creationTimestamp", now_rfc3339())
        return self._commit("ADDED", resource, obj, None)

    def replace(self, resource: str, obj: Obj, check_rv: bool = True) -> Obj:
        """PUT semantics: optimistic concurrency on metadata.resourceVersion when given."""
        obj = copy.deepcopy(obj)
        meta = obj["metadata"]
        old = self.peek(resource, meta.get("namespace", ""), meta["name"])
        if old is None:
            raise not_found(resource, meta["name"], GROUP_OF.get(resource, ""))
        wanted = meta.get("resourceVersion")
        if check_rv and wanted and wanted != old["metadata"]["resourceVersion"]:
            raise conflict(
                resource,
                meta["name"],
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        for immutable in ("uid", "creationTimestamp"):
            meta[immutable] = old["metadata"].get(immutable)
        return self._commit("MODIFIED", resource, obj, old)

    def mutate(self, resource: str, namespace: str, name: str, change: Callable[[Obj], None]) -> Obj | None:
        """Apply `change` to a copy of the object and store it; None when it is gone."""
        old = self.peek(resource, namespace, name)
        if old is None:
            return None
        new = copy.deepcopy(old)
        change(new)
        return self._commit("MODIFIED", resource, new, old)

    def delete(self, resource: str, namespace: str, name: str) -> Obj:
        old = self.peek(resource, namespace, name)
        if old is None:
            raise not_found(resource, name, GROUP_OF.get(resource, ""))
        return self._commit("DELETED", resource, copy.deepcopy(old), old)

    # -- watching ------------------------------------------------------------------
    def watch(
        self,
        resource: str,
        namespace: str | None,
        selector: Selector,
        resource_version: str | None,
    ) -> Watcher:
        """Open a watch; replay is queued before any live change can interleave."""
        watcher = Watcher(self, resource, namespace, selector)
        if not resource_version or resource_version == "0":
            for obj in self.items(resource, namespace):
                if selector.matches(obj):
                    watcher.queue.put_nowait(("ADDED", obj))
        else:
            try:
                since = int(resource_version)
            except ValueError:
                raise gone(
                    f"too old resource version: {resource_version} ({self.history_floor + 1})"
                ) from None
            if since < self.history_floor:
                raise gone(f"too old resource version: {since} ({self.history_floor + 1})")
            for change in self.history:
                if change.rv > since:
                    watcher.offer(change)
        self.watchers.add(watcher)
        return watcher

    def compact(self) -> None:
        """Forget history, as etcd compaction does: older RVs now get 410 Gone."""
        self.history_floor = self.rv
        self.history.clear()
