"""Recording Events the way client-go's two recorders do, including aggregation.

The core/v1 recorder (kubelet, controllers, cluster-autoscaler): a repeat of the same (object,
type, reason, message, component) updates the existing Event (`count` + 1, new
`lastTimestamp`) instead of creating another, as the real correlator does. Every Event carries
`involvedObject.{kind,name,namespace,uid}`, `firstTimestamp`, `lastTimestamp`, `eventTime`,
`source.component` and `reportingComponent`, and `related` when the recorder's
`Eventf(regarding, related, …)` names a second object.

The events.k8s.io/v1 recorder (kube-scheduler; `series=True`; runtime-backstop.md §6.2): seen
through core/v1, `count`, `firstTimestamp` and `lastTimestamp` are null and `source` is empty;
a repeat with the same (object *and its resourceVersion*, type, reason, action, component) —
not the message — sets `series: {count: 2, lastObservedTime}` once; later repeats only bump the
recorder's cached series (flushed every 30 minutes, which no test lives to see), and the
message of a series is never updated.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from .settings import SimSettings
from .store import Store, now_micro, now_rfc3339

Obj = dict[str, Any]
MESSAGE_LIMIT = 1024


class EventRecorder:
    def __init__(self, store: Store, settings: SimSettings | None = None) -> None:
        self.store = store
        self.settings = settings or SimSettings()
        self._seen: dict[tuple[str, ...], tuple[str, str]] = {}
        self._series_counts: dict[tuple[str, ...], int] = {}
        self._buckets: dict[tuple[str, ...], tuple[float, float]] = {}  # spam key -> (tokens, when)

    def _spam_allowed(self, component: str, host: str | None, involved: Obj) -> bool:
        """client-go's EventSourceObjectSpamFilter: a token bucket per (source, object) — burst
        `eventBurst` (25), one token back per `eventRefillSeconds` (300) — spent by new events
        and by count updates alike; an event without a token is not written at all."""
        key = (component, host or "", str(involved.get("kind")), str(involved.get("namespace")),
               str(involved.get("name")), str(involved.get("uid")))
        burst, refill = float(self.settings.event_burst), self.settings.event_refill_seconds
        now = time.monotonic()
        tokens, when = self._buckets.get(key, (burst, now))
        tokens = min(burst, tokens + ((now - when) / refill if refill > 0 else burst))
        if tokens < 1:
            self._buckets[key] = (tokens, now)
            return False
        self._buckets[key] = (tokens - 1, now)
        return True

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
        series: bool = False,
    ) -> Obj | None:
        meta = obj["metadata"]
        namespace = meta.get("namespace") or "default"
        if len(message) > MESSAGE_LIMIT:
            message = message[: MESSAGE_LIMIT - 4] + " ..."
        key: tuple[str, ...]
        if series:
            key = (meta.get("uid", ""), "series", str(meta.get("resourceVersion")), type_, reason,
                   action or "", component)
        else:
            key = (meta.get("uid", ""), type_, reason, message, component, field_path or "")
        existing = self._seen.get(key)
        now, micro = now_rfc3339(), now_micro()
        if not series and not self._spam_allowed(component, host, {
                "kind": obj.get("kind", "Pod"), "namespace": meta.get("namespace"), "name": meta["name"],
                "uid": meta.get("uid")}):
            return None
        if existing is not None and self.store.peek("events", *existing) is not None:
            if series:
                return self._repeat_series(key, existing, micro)

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
            "source": {} if series else source,
            "firstTimestamp": None if series else now,
            "lastTimestamp": None if series else now,
            "eventTime": micro,
            "count": None if series else 1,
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

    def _repeat_series(self, key: tuple[str, ...], existing: tuple[str, str], micro: str) -> Obj | None:
        count = self._series_counts.get(key, 1) + 1
        self._series_counts[key] = count
        if count > 2:  # cached in the recorder until its 30-minute flush
            return self.store.peek("events", *existing)

        def start_series(event: Obj) -> None:
            event["series"] = {"count": 2, "lastObservedTime": micro}

        return self.store.mutate("events", existing[0], existing[1], start_series)

    def forget(self, uid: str) -> None:
        """Drop aggregation state for a deleted object."""
        for key in [k for k in self._seen if k[0] == uid]:
            del self._seen[key]
            self._series_counts.pop(key, None)
        for spam in [k for k in self._buckets if k[5] == uid]:
            del self._buckets[spam]
