"""Recording core/v1 Events the way client-go's recorder does, including aggregation.

A repeat of the same (object, type, reason, message, component) updates the existing Event
(`count` + 1, new `lastTimestamp`) instead of creating another, as the real correlator does.
Every Event carries `involvedObject.{kind,name,namespace,uid}`, `firstTimestamp`,
`lastTimestamp`, `eventTime`, `source.component` and `reportingComponent`, and `related` when
the recorder's `Eventf(regarding, related, …)` names a second object.
"""

from __future__ import annotations

import secrets
from typing import Any

from .store import Store, now_micro, now_rfc3339

Obj = dict[str, Any]
MESSAGE_LIMIT = 1024


class EventRecorder:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._seen: dict[tuple[str, ...], tuple[str, str]] = {}

    def record(
        self,
        obj: Obj,
        type_: str,
        reason: str,
        message: str,
        component: str,
        *,
        host: str | None = None,
        field_path: str | None = None,
        action: str | None = None,
        related: Obj | None = None,
    ) -> Obj | None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        if len(message) > MESSAGE_LIMIT:
            message = message[: MESSAGE_LIMIT - 4] + " ..."
        key = (meta.get("uid", ""), type_, reason, message, component, field_path or "")
        existing = self._seen.get(key)
        now, micro = now_rfc3339(), now_micro()
        if existing is not None and self.store.peek("events", *existing) is not None:

            def bump(event: Obj) -> None:
                event["count"] = int(event.get("count", 1)) + 1
                event["lastTimestamp"] = now

            return self.store.mutate("events", existing[0], existing[1], bump)
        involved: Obj = {
            "kind": obj.get("kind", "Pod"),
            "namespace": meta.get("namespace"),
            "name": meta["name"],
            "uid": meta.get("uid"),
            "apiVersion": obj.get("apiVersion", "v1"),
            "resourceVersion": meta.get("resourceVersion"),
        }
        if field_path:
            involved["fieldPath"] = field_path
        source: Obj = {"component": component}
        if host:
            source["host"] = host
        name = f"{meta['name']}.{secrets.token_hex(8)}"
        event: Obj = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": involved,
            "reason": reason,
            "message": message,
            "source": source,
            "firstTimestamp": now,
            "lastTimestamp": now,
            "eventTime": micro,
            "count": 1,
            "type": type_,
            "reportingComponent": component,
            "reportingInstance": host or component,
        }
        if action:
            event["action"] = action
        if related is not None:  # the other object an action involved (the preemptor, for Preempted)
            rel = related["metadata"]
            event["related"] = {
                "kind": related.get("kind", "Pod"),
                "namespace": rel.get("namespace"),
                "name": rel.get("name"),
                "uid": rel.get("uid"),
                "apiVersion": related.get("apiVersion", "v1"),
            }
        self._seen[key] = (namespace, name)
        return self.store.create("events", event)

    def forget(self, uid: str) -> None:
        """Drop aggregation state for a deleted object."""
        for key in [k for k in self._seen if k[0] == uid]:
            del self._seen[key]
