"""Fatal or wait: the backstop's one decision, from the pod's status and its own events.

Pure, no I/O here; deterministic on its inputs (the replay corpus drives it). A ``Judge`` follows
ONE pod (its UID): the edge hands it every snapshot of the pod and every event whose
``involvedObject.uid`` is that pod's — never events matched by name, which is how a previous
pod's ``ImagePullBackOff`` killed the next spawn in seeds/000 — each stamped with the spawn's
clock, and asks ``decide(now)``. Pod status comes first (the kubelet stops writing events after
25 per pod, §6.1); events add what status cannot show (mounts, the autoscaler) and the words.

Fatal only where the facts are decisive (runtime-backstop.md §9): a pull that says not found /
denied / invalid, an autoscaler that refused, a request no node could ever hold, a zone conflict,
a container that ended before it was ready, an eviction, a config error or a failed mount that
persists, an admin's rule. Everything else waits, and says what it waits for.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ...model.findings import Code
from .events import Ev
from .policy import Policy
from .pulls import FATAL_AT_ONCE, PullClass, classify_pull

Obj = Mapping[str, Any]

# Failures the user's own choice caused: they do not count toward consecutive_failure_limit.
USER_CAUSED = frozenset(
    {
        Code.IMAGE_PULL_FAILED,
        Code.SCHEDULING_IMPOSSIBLE,
        Code.AUTOSCALER_REFUSED,
        Code.CONTAINER_CRASHED,
        Code.OOM_KILLED,
    }
)
_SCALE_UP = ("triggeredscaleup", "nominated")
# VolumeBinding's ErrReasonNodeConflict: v1.31 wording, then v1.32+'s (the real plane's v1.37).
_ZONE_CONFLICT = ("volume node affinity conflict", "didn't match persistentvolume's node affinity")
_PROGRESSED = frozenset({"Pulling", "Pulled", "Created", "Started", "SuccessfulAttachVolume"})


@dataclass(frozen=True)
class Decision:
    kind: str  # "wait" | "fail" | "ok"
    code: Code | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    progress: str = ""  # a messages.runtime progress key, for "wait"
    recheck_at: float | None = None  # decide again then, even if nothing arrives

    @property
    def user_caused(self) -> bool:
        return self.code in USER_CAUSED if self.code else False


WAIT = Decision("wait", progress="creating")


def _fail(code: Code, **facts: Any) -> Decision:
    return Decision("fail", code, facts)


class Judge:
    """Follows one pod; see the module docstring. ``fit`` is what the capacity check says of the
    pod against the live view when it is unschedulable: "no-node-fits", "insufficient-capacity",
    or None when it could not tell (then only time decides)."""

    def __init__(self, policy: Policy, uid: str = "") -> None:
        self.policy = policy
        self.uid = uid
        self.pod: Obj | None = None
        self.events: dict[str, Ev] = {}
        self.fit: str | None = None
        self.unschedulable_since: float | None = None
        self.pull_failures = 0
        self._waiting: dict[str, str] = {}

    # ---- input ---------------------------------------------------------------------------

    def see_pod(self, pod: Obj, at: float) -> None:
        meta = pod.get("metadata") or {}
        if self.uid and meta.get("uid") != self.uid:
            return
        self.uid = self.uid or str(meta.get("uid") or "")
        self.pod = pod
        status = pod.get("status") or {}
        for cs in _statuses(status):
            reason = str(((cs.get("state") or {}).get("waiting") or {}).get("reason") or "")
            name = str(cs.get("name"))
            if reason == "ErrImagePull" and self._waiting.get(name) != "ErrImagePull":
                self.pull_failures += 1
            self._waiting[name] = reason
        if _unschedulable(status):
            if self.unschedulable_since is None:
                self.unschedulable_since = at
        elif (status.get("conditions") or []) and _scheduled(status):
            self.unschedulable_since = None

    def see_event(self, obj: Ev) -> None:
        if obj.uid != self.uid:
            return  # another pod's, even of the same name
        self.events[obj.key] = obj
        if obj.reason == "FailedScheduling" and self.unschedulable_since is None:
            self.unschedulable_since = obj.seen

    # ---- the decision --------------------------------------------------------------------

    def decide(self, now: float) -> Decision:
        for rule in self.policy.fatal_events:
            for ev in self._sorted():
                if ev.reason == rule.reason and rule.message.search(ev.message):
                    return _fail(Code.ADMIN_FATAL_EVENT, say=rule.say, reason=ev.reason, message=ev.message)
        pod = self.pod
        if pod is None:
            return WAIT
        status = pod.get("status") or {}
        phase = status.get("phase")
        if (pod.get("metadata") or {}).get("deletionTimestamp"):
            return Decision("wait", progress="deleting")
        if phase == "Failed" and status.get("reason") == "Evicted":
            # Before the containers: an evicted pod's are terminated ContainerStatusUnknown (137),
            # which would read as the user's own crash; the node's pressure is not their fault.
            return _fail(Code.EVICTED, message=str(status.get("message") or ""))
        ended = self._containers(status, now)
        if ended is not None:
            return ended
        if phase == "Failed":
            return _fail(
                Code.POD_FAILED,
                reason=str(status.get("reason") or ""),
                message=str(status.get("message") or ""),
            )
        if phase == "Running" and all(cs.get("ready") for cs in status.get("containerStatuses") or [{}]):
            return Decision("ok")
        if self.unschedulable_since is not None:
            return self._scheduling(status, now)
        return self._volumes(now) or self._progress()

    def _sorted(self) -> list[Ev]:
        return sorted(self.events.values(), key=lambda e: (e.last, e.seen))

    def _latest(self, *reasons: str) -> Ev | None:
        found = [e for e in self._sorted() if e.reason.lower() in reasons]
        return found[-1] if found else None

    def _containers(self, status: Obj, now: float) -> Decision | None:
        limits = _memory_limits(self.pod or {})
        for cs in _statuses(status):
            name = str(cs.get("name"))
            state = cs.get("state") or {}
            waiting = state.get("waiting") or {}
            reason, message = str(waiting.get("reason") or ""), str(waiting.get("message") or "")
            image = str(cs.get("image") or "")
            init = bool(cs.get("_init"))
            last = (cs.get("lastState") or {}).get("terminated") or {}
            terminated = state.get("terminated") or {}
            if reason == "InvalidImageName":
                return _fail(Code.IMAGE_PULL_FAILED, image=image, cause="invalid", detail=message)
            if reason in ("ErrImagePull", "ImagePullBackOff"):
                decision = self._pull(image, message, now)
                if decision is not None:
                    return decision
            if reason in ("CreateContainerConfigError", "CreateContainerError"):
                since = self._first("failed", "createcontainerconfigerror") or now
                if now - since >= self.policy.config_grace:
                    return _fail(Code.CONTAINER_CONFIG_ERROR, container=name, detail=message)
                return Decision(
                    "wait",
                    progress="config",
                    facts={"detail": message},
                    recheck_at=since + self.policy.config_grace,
                )
            for ended in (terminated, last) if not cs.get("ready") else ():
                if not ended or (init and ended.get("exitCode") == 0):
                    continue  # an init container that finished its job
                if ended.get("reason") == "OOMKilled":
                    return _fail(Code.OOM_KILLED, container=name, memory_limit=limits.get(name, ""))
                return _fail(
                    Code.CONTAINER_CRASHED,
                    container=name,
                    exit_code=ended.get("exitCode"),
                    reason=str(ended.get("reason") or ""),
                    detail=str(ended.get("message") or ""),
                )
        return None

    def _first(self, *reasons: str) -> float | None:
        seen = [e.seen for e in self.events.values() if e.reason.lower() in reasons]
        return min(seen) if seen else None

    def _pull(self, image: str, message: str, now: float) -> Decision | None:
        failed = [e for e in self._sorted() if e.reason == "Failed" and "pull" in e.message.lower()]
        texts = [message] + [e.message for e in reversed(failed)]
        classes = [classify_pull(t) for t in texts if t]
        verdict = next(
            (c for c in classes if c not in (PullClass.BACKOFF, PullClass.UNKNOWN)), PullClass.UNKNOWN
        )
        attempts = max(self.pull_failures, max((e.count for e in failed), default=0))
        detail = next((t for t in texts if classify_pull(t) is verdict), message)
        if verdict in FATAL_AT_ONCE:
            return _fail(Code.IMAGE_PULL_FAILED, image=image, cause=verdict.value, detail=detail)
        if attempts >= self.policy.image_pull_attempts:
            if verdict is PullClass.NO_HOST:
                return _fail(Code.IMAGE_PULL_FAILED, image=image, cause=verdict.value, detail=detail)
            return _fail(
                Code.NODE_CANNOT_PULL, image=image, cause=verdict.value, attempts=attempts, detail=detail
            )
        return Decision(
            "wait",
            progress="pull-retry",
            facts={"image": image, "attempt": attempts, "attempts": self.policy.image_pull_attempts},
        )

    def _scheduling(self, status: Obj, now: float) -> Decision:
        since = self.unschedulable_since if self.unschedulable_since is not None else now
        up = self._latest(*_SCALE_UP)
        refused = self._latest("notscaleup", "nottriggerscaleup")
        karpenter = [
            e
            for e in self._sorted()
            if e.reason == "FailedScheduling" and e.message.lower().startswith("failed to schedule pod")
        ]
        if karpenter and (up is None or karpenter[-1].last >= up.last):
            return _fail(Code.AUTOSCALER_REFUSED, detail=karpenter[-1].message)
        if (
            refused
            and (up is None or refused.last > up.last)
            and "max node group size reached" not in refused.message.lower()
        ):
            return _fail(Code.AUTOSCALER_REFUSED, detail=refused.message)
        if up is not None and (refused is None or up.last >= refused.last):
            return Decision("wait", progress="scale-up", facts={"detail": up.message})
        sched = self._latest("failedscheduling")
        text = sched.message if sched else str(_condition(status).get("message") or "")
        lowered = text.lower()
        if any(words in lowered for words in _ZONE_CONFLICT):
            return self._after(
                since + self.policy.volume_zone_grace, now, Code.VOLUME_ZONE_CONFLICT, "volumes", text
            )
        if (
            "unbound immediate persistentvolumeclaims" in lowered
            or "unbound persistentvolumeclaims" in lowered
        ):
            return self._after(since + self.policy.claim_grace, now, Code.CLAIM_UNBOUND, "volumes", text)
        if status.get("nominatedNodeName"):
            return Decision("wait", progress="preempting")
        if self.fit == "no-node-fits":
            return _fail(Code.SCHEDULING_IMPOSSIBLE, detail=sched.message if sched else text)
        deadline = since + self.policy.capacity_wait
        if now >= deadline:
            return _fail(
                Code.CAPACITY_WAIT_EXCEEDED,
                waited=round(now - since),
                detail=sched.message if sched else "",
            )
        return Decision("wait", progress="room", facts={"waited": round(now - since)}, recheck_at=deadline)

    def _after(self, deadline: float, now: float, code: Code, progress: str, detail: str) -> Decision:
        if now >= deadline:
            return _fail(code, detail=detail)
        return Decision("wait", progress=progress, recheck_at=deadline)

    def _volumes(self, now: float) -> Decision | None:
        mounts = [e for e in self._sorted() if e.reason in ("FailedMount", "FailedAttachVolume")]
        if not mounts:
            return None
        later = [e for e in self.events.values() if e.reason in _PROGRESSED and e.last > mounts[-1].last]
        if later:
            return None  # mounted since; the pull or the start is under way
        deadline = mounts[0].seen + self.policy.mount_grace
        if now >= deadline:
            return _fail(Code.MOUNT_FAILED, detail=mounts[-1].message)
        return Decision("wait", progress="volumes", facts={"detail": mounts[-1].message}, recheck_at=deadline)

    def _progress(self) -> Decision:
        latest = next((e for e in reversed(self._sorted()) if e.reason in _LINES), None)
        if latest is None:
            status = (self.pod or {}).get("status") or {}
            return Decision("wait", progress="starting" if _scheduled(status) else "creating")
        return Decision("wait", progress=_LINES[latest.reason], facts={"detail": latest.message})


_LINES = {
    "Scheduled": "scheduled",
    "Pulling": "pulling",
    "Pulled": "pulled",
    "Created": "starting",
    "Started": "starting",
    "SuccessfulAttachVolume": "volumes",
}


def _statuses(status: Obj) -> list[Obj]:
    init = [{**cs, "_init": True} for cs in status.get("initContainerStatuses") or []]
    return init + list(status.get("containerStatuses") or [])


def _condition(status: Obj) -> Obj:
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled":
            return dict(cond)
    return {}


def _unschedulable(status: Obj) -> bool:
    cond = _condition(status)
    return cond.get("status") == "False" and cond.get("reason") == "Unschedulable"


def _scheduled(status: Obj) -> bool:
    return _condition(status).get("status") == "True"


def _memory_limits(pod: Obj) -> dict[str, str]:
    spec = pod.get("spec") or {}
    out = {}
    for c in list(spec.get("containers") or []) + list(spec.get("initContainers") or []):
        limit = ((c.get("resources") or {}).get("limits") or {}).get("memory")
        if limit is not None:
            out[str(c.get("name"))] = str(limit)
    return out
