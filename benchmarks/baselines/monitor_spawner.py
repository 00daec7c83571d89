"""The seeds/000 "event monitor", rebuilt faithfully as the benchmark's middle baseline.

A university hub (seeds/000) made bad spawns fail earlier than `start_timeout` like this:

- a 403 `ApiException` from the pod create (quota exceeded) becomes a short, readable message;
- alongside `start()`, `_check_pod_events_for_errors(timeout=30)` first sleeps 5 s (their fix
  for stale events of a previous pod with the same name: by then `start()` has set
  `self._last_event`, so `self.events` holds only this spawn's events), then looks at the pod's
  events — here every 2 s — and on FailedScheduling, an image pull failure (ErrImagePull /
  ImagePullBackOff), FailedMount or a quota error cancels `start()`, calls `stop()` and fails
  the spawn with an `HTTPError` whose message gives the event's reason and message;
- after 30 s without a fatal event the monitor gives up and `start_timeout` applies as before.

`self.events` is KubeSpawner's own event reflector (one list+watch per hub), as in the seeds:
the monitor adds no API requests of its own. Nothing here is used by prevalidate.

    c.JupyterHub.spawner_class = "benchmarks.baselines.monitor_spawner.MonitorKubeSpawner"
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from kubernetes_asyncio.client.rest import ApiException
from kubespawner import KubeSpawner
from tornado import web
from traitlets import Float, Unicode


def classify_event(event: dict[str, Any]) -> tuple[int, str] | None:
    """(HTTP status, headline) when the event means the spawn cannot succeed, else None."""
    reason = event.get("reason") or ""
    message = event.get("message") or ""
    if "exceeded quota" in message:
        return 403, "Notebook failed to start: Your resource quota has been exceeded."
    if reason == "FailedMount" or (
        reason == "FailedScheduling" and "persistentvolumeclaim" in message and "not found" in message
    ):
        return 404, (
            "Notebook failed to start because the specified PersistentVolumeClaim (PVC) was not found."
        )
    if reason == "FailedScheduling":
        return 409, "Failed to schedule the notebook server due to insufficient resources."
    if (
        reason in ("ErrImagePull", "ImagePullBackOff")
        or "ErrImagePull" in message
        or "ImagePullBackOff" in message
        or (reason == "Failed" and message.startswith("Failed to pull image"))
    ):
        return 404, "Failed to pull the notebook image."
    return None


class MonitorKubeSpawner(KubeSpawner):  # type: ignore[misc]
    monitor_delay = Float(5.0, config=True, help="Seconds to wait before the first look at events.")
    monitor_interval = Float(2.0, config=True, help="Seconds between looks at the pod's events.")
    monitor_timeout = Float(30.0, config=True, help="Seconds after which the monitor gives up.")
    admin_contact = Unicode("your administrator", config=True, help="Who to contact, in messages.")

    def _message(self, headline: str, event: dict[str, Any] | None = None) -> str:
        details = ""
        if event is not None:
            details = f"\n\nReason: {event.get('reason')}\nDetails: {event.get('message')}"
        return f"{headline}{details}\n\nIf this issue persists, please contact {self.admin_contact}."

    async def _start_catching_quota(self) -> Any:
        try:
            return await super()._start()
        except ApiException as exc:
            if exc.status == 403:
                headline = "Notebook failed to start: Your resource quota has been exceeded."
                raise web.HTTPError(403, self._message(headline + " Contact your administrator.")) from exc
            raise

    async def _check_pod_events_for_errors(self, timeout: float = 30.0) -> web.HTTPError | None:
        started = time.perf_counter()
        await asyncio.sleep(self.monitor_delay)
        while True:
            for event in self.events:
                verdict = classify_event(event)
                if verdict is not None:
                    status, headline = verdict
                    self.log.warning("event monitor: %s: %s", event.get("reason"), event.get("message"))
                    return web.HTTPError(status, self._message(headline, event))
            if time.perf_counter() - started >= timeout:
                return None
            await asyncio.sleep(self.monitor_interval)

    async def _start(self) -> Any:
        start = asyncio.ensure_future(self._start_catching_quota())
        monitor = asyncio.ensure_future(self._check_pod_events_for_errors(timeout=self.monitor_timeout))
        try:
            await asyncio.wait({start, monitor}, return_when=asyncio.FIRST_COMPLETED)
            if not start.done() and monitor.exception() is None and monitor.result() is not None:
                error = monitor.result()
                start.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await start
                await self.stop(now=True)
                raise error
            return await start
        finally:
            if not monitor.done():
                monitor.cancel()
