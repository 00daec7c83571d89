"""The runtime backstop's edge: follows one spawn's pod from its create to Running+ready and
ends the spawn in seconds when the pure judge (``validators.backstop``) finds it cannot start.

Where it hooks in (runtime-backstop.md §0, facts 1-7): KubeSpawner waits for the pod with
``exponential_backoff(lambda: self.is_pod_running(pod))``, which awaits whatever its function
returns and lets exceptions through. While a ``start()`` is under way (armed), the spawner's
``is_pod_running`` returns ``SpawnWatch.running()``, a coroutine that follows the pod until it
runs (True), the judge fails it (raises ``SpawnBroke`` out of KubeSpawner's wait: no extra task,
KubeSpawner's own cleanup and JupyterHub's failure path run as for any error) or the start
timeout passes (False, as before). ``poll()`` also calls ``is_pod_running``; there it stays
KubeSpawner's.

What it reads: KubeSpawner's two class-level reflectors (pods, and events when
``events_enabled``), shared by every spawner of the hub — memory reads, zero API requests per
spawn. Events are matched by ``involvedObject.uid`` to the pod created by THIS start (a pod of the
same name that existed when the start began is a previous one), never by name.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import AsyncIterator
from typing import Any

from kubespawner import KubeSpawner

from ..messages.rejection import Rejection
from ..messages.runtime import headline, progress_line
from ..metrics import observe_backstop
from ..model.findings import Code, Finding, Severity, Verdict
from ..model.image_facts import ImageStatus
from ..validators.backstop import Decision, Ev, Judge, normalise
from ..validators.backstop.judge import USER_CAUSED, WAIT
from .check import prevalidator_for
from .errors import ClusterBroke, SpawnBroke, not_a_failure
from .podlog import last_lines

log = logging.getLogger("prevalidate")

# How often the pod and its events are re-read from the reflectors' memory while waiting: the
# decision follows the deciding event by at most this (the reflectors themselves are pushed).
STEP = 0.2
# Statuses of a delete we leave to JupyterHub's own cleanup.
_CONFIRMABLE = {"not-found", "denied"}


class SpawnWatch:
    """One start of one spawner; see the module docstring."""

    def __init__(self, spawner: Any, mode: str) -> None:
        config = prevalidator_for(spawner)
        self.spawner = spawner
        self.mode = mode
        self.config = config
        self.judge = Judge(config.backstop_policy())
        self.loop = asyncio.get_running_loop()
        self.t0 = self.loop.time()
        self.appeared: float | None = None
        self.decision: Decision = WAIT
        self.armed = True
        self.explained = False
        self._events: dict[str, Ev] = {}
        self._versions: dict[str, Any] = {}
        self._fit_asked = False
        pod = self._pod()
        self.stale = {pod["metadata"].get("uid")} if pod else set()

    @property
    def ref_key(self) -> str:
        return f"{self.spawner.namespace}/{self.spawner.pod_name}"

    def _pod(self) -> dict[str, Any] | None:
        reflector = getattr(self.spawner, "pod_reflector", None)
        pods = getattr(reflector, "pods", None) or {}
        pod = pods.get(self.ref_key)
        return pod if isinstance(pod, dict) else None

    def now(self) -> float:
        return self.loop.time() - self.t0

    def refresh(self) -> Decision:
        """Hand the judge what the reflectors hold now, and ask it."""
        now = self.now()
        pod = self._pod()
        meta = (pod or {}).get("metadata") or {}
        uid = meta.get("uid")
        if pod and not self.judge.uid and uid and uid not in self.stale and not meta.get("deletionTimestamp"):
            self.judge.uid = str(uid)
            self.appeared = now
        if pod and self.judge.uid and uid == self.judge.uid:
            self.judge.see_pod(pod, now)
        if self.judge.uid:
            self._read_events(now)
        if self.judge.unschedulable_since is not None and not self._fit_asked:
            self._fit_asked = True
            self.judge.fit = self._fit(pod)
        self.decision = self.judge.decide(now)
        return self.decision

    def _read_events(self, now: float) -> None:
        reflector = getattr(self.spawner, "event_reflector", None)
        resources = getattr(reflector, "resources", None) or {}
        for obj in _by_pod(resources, self.loop.time()).get(self.judge.uid, ()):
            meta = obj.get("metadata") or {}
            key = str(meta.get("name") or "")
            version = (meta.get("resourceVersion"), obj.get("count"), str(obj.get("series")))
            if self._versions.get(key) == version:
                continue
            self._versions[key] = version
            self._events[key] = normalise(obj, now, self._events.get(key))
            self.judge.see_event(self._events[key])

    def _fit(self, pod: dict[str, Any] | None) -> str | None:
        """What the capacity check says of this pod against the live view: no-node-fits means
        the scheduler's "no room" can never clear. None when it cannot tell."""
        if pod is None:
            return None
        try:
            from ..validators import run_all
            from .service import service_for

            service = service_for(self.spawner, self.config)
            if not service.source.ready:
                return None
            settings = dataclasses.replace(
                service.settings,
                disabled_checks=frozenset(
                    {"quota", "limitrange", "pvc", "references", "image", "namespace", "admission"}
                ),
            )
            codes = {f.code for f in run_all(pod, service.source.view, settings).errors}
        except Exception:
            log.debug("prevalidate backstop: capacity check failed", exc_info=True)
            return None
        if Code.NO_NODE_FITS in codes:
            return "no-node-fits"
        return "insufficient-capacity" if Code.INSUFFICIENT_CAPACITY in codes else None

    # ---- the hook in KubeSpawner's wait ---------------------------------------------------

    async def running(self) -> bool:
        deadline = self.t0 + float(self.spawner.start_timeout)
        while True:
            if KubeSpawner.is_pod_running(self.spawner, self._pod()):
                self.armed = False
                observe_backstop("started")
                return True
            decision = self.refresh()
            if decision.kind == "fail":
                if self.mode == "fail":
                    await self.fail(decision)
                elif not self.explained:
                    self.explained = True
                    observe_backstop("would_fail")
                    log.warning(
                        "prevalidate backstop (explain) would fail %s: %s",
                        self.ref_key,
                        decision.code.value if decision.code else "?",
                    )
            if self.loop.time() >= deadline:
                return False
            await asyncio.sleep(STEP)

    async def fail(self, decision: Decision) -> None:
        self.armed = False
        assert decision.code is not None
        code, facts = decision.code, dict(decision.facts)
        confirmable = code is Code.IMAGE_PULL_FAILED and facts.get("cause") in _CONFIRMABLE
        if confirmable and await self._registry_has(str(facts.get("image", ""))):
            code, facts = Code.NODE_CANNOT_PULL, {**facts, "registry_has_it": True}
        if code in (Code.CONTAINER_CRASHED, Code.OOM_KILLED):
            # Read before the delete below removes the pod and its logs.
            tail = await last_lines(self.spawner, self._pod(), str(facts.get("container", "")))
            if tail:
                facts["log"] = tail
        user_caused = code in USER_CAUSED or (
            code is Code.ADMIN_FATAL_EVENT and self._rule_user_caused(facts)
        )
        seconds = self.now() - (self.appeared or 0.0)
        observe_backstop(code.value, seconds)
        verdict = Verdict.of([Finding(code, Severity.ERROR, facts=facts)])
        rejection = Rejection.of(verdict, self.config.admin_contact, self.config.messages)
        rejection = dataclasses.replace(
            rejection, headline=headline(user_caused), status=422 if user_caused else 503
        )
        log.warning(
            "prevalidate backstop: failing the spawn of %s after %.1f s: %s",
            self.ref_key,
            seconds,
            code.value,
        )
        await self._delete_pod()
        if user_caused:
            not_a_failure(self.spawner)  # five typos must not restart a JupyterHub 5 hub
            raise SpawnBroke(rejection, verdict=verdict, user_caused=True)
        raise ClusterBroke(rejection, verdict=verdict)

    def _rule_user_caused(self, facts: dict[str, Any]) -> bool:
        return any(r.say == facts.get("say") and r.user_caused for r in self.judge.policy.fatal_events)

    async def _registry_has(self, image: str) -> bool:
        """Ask the registry ourselves before telling a user their image does not exist."""
        if not image or not self.config.registry_checks:
            return False
        try:
            from .service import service_for

            registry = service_for(self.spawner, self.config).registry
            if registry is None:
                return False
            facts = await asyncio.wait_for(registry.images_facts([image]), self.config.time_budget + 1)
        except Exception:
            return False
        found = facts.get(image)
        return bool(found and found.status is ImageStatus.EXISTS)

    async def _delete_pod(self) -> None:
        """A Failed pod is not deleted by JupyterHub's cleanup (poll() says it exited): we do."""
        from kubernetes_asyncio.client.models import V1DeleteOptions

        spawner = self.spawner
        try:
            await spawner._make_delete_pod_request(
                spawner.pod_name,
                V1DeleteOptions(
                    grace_period_seconds=spawner.delete_grace_period, propagation_policy="Background"
                ),
                spawner.delete_grace_period,
                spawner.k8s_api_request_timeout,
            )
        except Exception as exc:
            log.warning("prevalidate backstop: could not delete pod %s: %s", self.ref_key, type(exc).__name__)

    # ---- progress ---------------------------------------------------------------------------

    async def progress(self, start_future: Any) -> AsyncIterator[dict[str, Any]]:
        """Human lines for the progress page, one per change, until the start ends."""
        said, progress = "", 0.0
        while True:
            done = start_future is not None and start_future.done()
            decision = self.decision if self.decision.kind == "wait" else WAIT
            line = progress_line(decision.progress, decision.facts)
            if line != said and self.decision.kind == "wait":
                said, progress = line, progress + (90 - progress) / 3
                yield {"progress": int(progress), "message": line}
            if done:
                return
            await asyncio.sleep(0.5)


# One index of the namespace's events by pod UID per process and STEP, shared by every waiting
# spawn: a hub with 200 spawns in flight reads the event list 5 times a second, not 1,000.
_index: dict[str, Any] = {"of": None, "at": -1.0, "uids": {}}


def _by_pod(resources: dict[str, Any], now: float) -> dict[str, list[dict[str, Any]]]:
    if _index["of"] is not resources or now - _index["at"] >= STEP / 2:
        uids: dict[str, list[dict[str, Any]]] = {}
        for obj in list(resources.values()):
            uid = (obj.get("involvedObject") or {}).get("uid")
            if uid:
                uids.setdefault(str(uid), []).append(obj)
        _index.update({"of": resources, "at": now, "uids": uids})
    index: dict[str, list[dict[str, Any]]] = _index["uids"]
    return index


def arm(spawner: Any) -> SpawnWatch | None:
    """A watch for the start that begins now, or None when the backstop is off."""
    config = prevalidator_for(spawner)
    if not config.enabled or config.backstop == "off":
        return None
    return SpawnWatch(spawner, config.backstop.lower())
