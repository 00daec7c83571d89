"""Which objects of one kind the live view holds, so a relist can remove what vanished.

A watch reports deletions one by one, but after a 410 (the watch fell too far behind) or an
outage, objects deleted meanwhile never produce an event: only comparing the new list with
what we hold finds them. ``ClusterView`` keeps derived data (node usage, claim users), not the
objects, so this records ``namespace -> name -> resourceVersion`` per kind. The version also
lets a relist skip objects that did not change, which is most of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from typing import Any

from ..model.cluster import ClusterView
from .gcpause import gc_paused

Obj = Mapping[str, Any]
# Yield to the event loop this often while applying a big list, so a hub with thousands of
# pods keeps serving requests during a relist.
APPLY_BATCH = 500


def _key(obj: Obj) -> tuple[str, str, str]:
    meta = obj.get("metadata") or {}
    return (
        str(meta.get("namespace") or ""),
        str(meta.get("name") or ""),
        str(meta.get("resourceVersion") or ""),
    )


class Mirror:
    """The (namespace, name) -> resourceVersion index of one kind in one ClusterView."""

    def __init__(self, view: ClusterView, kind: str) -> None:
        self.view = view
        self.kind = kind
        self.held: dict[str, dict[str, str]] = {}
        self._scope: str | None = None
        self._listed: dict[str, set[str]] = {}  # names seen by the relist under way

    def count(self) -> int:
        return sum(len(names) for names in self.held.values())

    def apply(self, obj: Obj) -> None:
        ns, name, rv = _key(obj)
        self.view.apply(obj)
        self.held.setdefault(ns, {})[name] = rv

    def remove(self, obj: Obj) -> None:
        ns, name, _ = _key(obj)
        self._forget(ns, name)

    def _forget(self, ns: str, name: str) -> None:
        self.view.remove({"kind": self.kind, "metadata": {"namespace": ns, "name": name}})
        names = self.held.get(ns)
        if names is not None:
            names.pop(name, None)
            if not names:
                del self.held[ns]

    def _in_scope(self, namespace: str | None) -> Iterable[str]:
        return list(self.held) if namespace is None else [namespace] if namespace in self.held else []

    def begin(self, namespace: str | None) -> None:
        """A relist of ``namespace`` (None: every namespace) starts; pages follow."""
        self._scope = namespace
        self._listed = {}

    async def page(self, items: list[dict[str, Any]]) -> None:
        """Apply one list page: objects whose resourceVersion we hold already are skipped."""
        for start in range(0, len(items), APPLY_BATCH):
            if start:
                await asyncio.sleep(0)
            with gc_paused():  # gcpause.py; synchronous, between the yields
                for obj in items[start : start + APPLY_BATCH]:
                    obj.setdefault("kind", self.kind)  # list items carry no kind; ClusterView needs it
                    ns, name, rv = _key(obj)
                    self._listed.setdefault(ns, set()).add(name)
                    if self.held.get(ns, {}).get(name) != rv or not rv:
                        self.apply(obj)
        await asyncio.sleep(0)

    def finish(self) -> int:
        """The list is complete: forget what it did not hold. Returns how many vanished."""
        listed, self._listed = self._listed, {}
        vanished = [
            (ns, name)
            for ns in self._in_scope(self._scope)
            for name in self.held.get(ns, {})
            if name not in listed.get(ns, ())
        ]
        for ns, name in vanished:
            self._forget(ns, name)
        return len(vanished)

    def clear(self, namespace: str | None) -> None:
        """Forget this scope's objects: they can no longer be kept current (RBAC revoked)."""
        for ns in self._in_scope(namespace):
            for name in list(self.held.get(ns, {})):
                self._forget(ns, name)
