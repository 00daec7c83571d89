"""Container states after start, as the kubelet reports them: exits, OOM kills, crash-loop
back-off, eviction. Pure functions over the pod's JSON; `lifecycle.py` drives them in time.

Sources (kubernetes/kubernetes, read through the facts document
`runtime-backstop.md` §1.1, §5.2, §5.3):
- pkg/kubelet/kuberuntime `doBackOff`: waiting reason `CrashLoopBackOff`, message
  `back-off %s restarting failed container=%s pod=%s` (format.Pod = `name_namespace(uid)`), and
  the Warning event `BackOff` `Back-off restarting failed container %s in pod %s`;
- the OOM kill: `lastState.terminated.reason: OOMKilled`, `exitCode: 137`;
- pkg/kubelet/eviction/helpers.go: reason `Evicted`, message pieces
  `The node was low on resource: %v. `, `Threshold quantity: %v, available: %v. `,
  `Container %s was using %s, request is %s, has larger consumption of %v. `; phase Failed;
  condition `DisruptionTarget` reason `TerminationByKubelet`;
- pkg/kubelet/kubelet_pods.go `getPhase` (ported in `pod_phase`).
"""

from __future__ import annotations

from typing import Any

from .scheduler import set_condition
from .store import now_rfc3339

Obj = dict[str, Any]

# The kubelet's default hard eviction threshold for memory (`memory.available<100Mi`).
EVICTION_THRESHOLD = "100Mi"


def go_duration(seconds: float) -> str:
    """time.Duration.String() for the back-off periods kubesim uses (`10s`, `5m0s`, `500ms`)."""
    if seconds <= 0:
        return "0s"
    if seconds < 1:
        millis = seconds * 1000
        text = f"{millis:.6f}".rstrip("0").rstrip(".")
        return f"{text}ms"
    whole_minutes, rest = divmod(seconds, 60)
    hours, minutes = divmod(int(whole_minutes), 60)
    secs = f"{rest:.9f}".rstrip("0").rstrip(".")
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


def format_pod(pod: Obj) -> str:
    """kubelet's format.Pod: `name_namespace(uid)`."""
    meta = pod["metadata"]
    return f"{meta['name']}_{meta['namespace']}({meta.get('uid', '')})"


def should_restart(pod: Obj, exit_code: int) -> bool:
    """RestartPolicy: Always restarts every exit, OnFailure only a non-zero one (KubeSpawner
    creates its pods with OnFailure), Never none."""
    policy = (pod.get("spec") or {}).get("restartPolicy") or "Always"
    return policy == "Always" or (policy == "OnFailure" and exit_code != 0)


def start_error(container: Obj) -> str:
    """containerd's refusal to start a command the image does not have (facts §5.2; the
    middle part as runc words it)."""
    argv = list(container.get("command") or []) + list(container.get("args") or [])
    command = argv[0] if argv else "jupyterhub-singleuser"
    return ("failed to create containerd task: failed to create shim task: OCI runtime create failed: "
            "runc create failed: unable to start container process: exec: "
            f'"{command}": executable file not found in $PATH: unknown')


def failed_start(status: Obj, message: str) -> Obj:
    """The kubelet's view right after the runtime refused to start the container: waiting
    `RunContainerError`, the attempt in lastState as `StartError` (exit 128)."""
    failed = exited(status, 128, start_failure=message)
    failed["lastState"] = {"terminated": failed["state"]["terminated"]}
    failed["state"] = {"waiting": {"reason": "RunContainerError", "message": message}}
    return failed


def exited(status: Obj, exit_code: int, oom: bool = False, start_failure: str | None = None) -> Obj:
    """The container status once its process ended (or never started: `start_failure`, exit
    128, reason StartError); the restart count is unchanged."""
    done = dict(status)
    started = (status.get("state") or {}).get("running", {}).get("startedAt", now_rfc3339())
    reason = "OOMKilled" if oom else ("Completed" if exit_code == 0 else "Error")
    terminated: Obj = {
        "exitCode": exit_code,
        "reason": reason,
        "startedAt": started,
        "finishedAt": now_rfc3339(),
        "containerID": status.get("containerID", ""),
    }
    if start_failure is not None:
        terminated.update(exitCode=128, reason="StartError", message=start_failure,
                          startedAt="1970-01-01T00:00:00Z")
    done["state"] = {"terminated": terminated}
    done["ready"] = False
    done["started"] = False
    return done


def crash_loop(status: Obj, pod: Obj, backoff: float) -> Obj:
    """The status while the kubelet waits `backoff` before restarting a dead container: the
    last run moves to lastState, the state is waiting/CrashLoopBackOff."""
    waiting = dict(status)
    last = (status.get("state") or {}).get("terminated")
    if last is not None:
        waiting["lastState"] = {"terminated": last}
    waiting["state"] = {"waiting": {
        "reason": "CrashLoopBackOff",
        "message": f"back-off {go_duration(backoff)} restarting failed "
                   f"container={status['name']} pod={format_pod(pod)}",
    }}
    waiting["ready"] = False
    waiting["started"] = False
    return waiting


def backoff_event(container: str, pod: Obj) -> str:
    return f"Back-off restarting failed container {container} in pod {format_pod(pod)}"


def restarted(previous: Obj, fresh: Obj) -> Obj:
    """A new run of the container: `fresh` (podstatus.running) with the restart count bumped
    and the previous run kept as lastState."""
    status = dict(fresh)
    status["restartCount"] = int(previous.get("restartCount", 0)) + 1
    last = (previous.get("lastState") or {}).get("terminated") or (
        (previous.get("state") or {}).get("terminated"))
    status["lastState"] = {"terminated": last} if last else {}
    return status


def pod_phase(pod: Obj) -> str:
    """getPhase for the regular containers (init containers have all finished here)."""
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    by_name = {s.get("name"): s for s in status.get("containerStatuses") or []}
    running = waiting = stopped = succeeded = unknown = 0
    for container in spec.get("containers") or []:
        cs = by_name.get(container["name"])
        state = (cs or {}).get("state") or {}
        if cs is None:
            unknown += 1
        elif "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            succeeded += state["terminated"].get("exitCode") == 0
        elif "waiting" in state:
            if ((cs.get("lastState") or {}).get("terminated")) is not None:
                stopped += 1
            else:
                waiting += 1
        else:
            unknown += 1
    policy = spec.get("restartPolicy") or "Always"
    if waiting:
        return "Pending"
    if running and not unknown:
        return "Running"
    if not running and stopped and not unknown:
        if policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


def set_readiness(pod: Obj) -> None:
    """Ready/ContainersReady from the container statuses (no readiness probes in kubesim)."""
    statuses = (pod.get("status") or {}).get("containerStatuses") or []
    unready = [s["name"] for s in statuses if not s.get("ready")]
    if not unready:
        for cond in ("Ready", "ContainersReady"):
            set_condition(pod, cond, "True")
        return
    reason = "PodCompleted" if pod["status"].get("phase") in ("Succeeded", "Failed") else "ContainersNotReady"
    message = None if reason == "PodCompleted" else f"containers with unready status: [{' '.join(unready)}]"
    for cond in ("Ready", "ContainersReady"):
        set_condition(pod, cond, "False", reason, message)


def eviction_message(container: Obj, resource: str = "memory") -> str:
    """The node-pressure eviction message for a pod whose `container` used the most memory.
    Usage is made up (kubesim has no cgroups): the container's limit, else twice its request."""
    resources = container.get("resources") or {}
    request = (resources.get("requests") or {}).get(resource) or "0"
    usage = (resources.get("limits") or {}).get(resource) or _twice(request)
    return (f"The node was low on resource: {resource}. "
            f"Threshold quantity: {EVICTION_THRESHOLD}, available: 51200Ki. "
            f"Container {container['name']} was using {usage}, request is {request}, "
            f"has larger consumption of {resource}. ")


def _twice(quantity: str) -> str:
    digits = "".join(ch for ch in quantity if ch.isdigit())
    suffix = quantity[len(digits):] if quantity.startswith(digits) else ""
    return f"{int(digits) * 2}{suffix}" if digits else "1Gi"


def evicted(pod: Obj, message: str) -> None:
    """What the eviction manager writes: phase Failed, reason Evicted, the message, the
    DisruptionTarget condition; the killed containers cannot be found any more, so the status
    manager reports them as ContainerStatusUnknown (exit 137) [inf, as seen in dumps]."""
    status = pod.setdefault("status", {})
    status.update(phase="Failed", reason="Evicted", message=message)
    set_condition(pod, "DisruptionTarget", "True", "TerminationByKubelet", message)
    for cs in status.get("containerStatuses") or []:
        started = ((cs.get("state") or {}).get("running") or {}).get("startedAt")
        terminated: Obj = {
            "exitCode": 137,
            "reason": "ContainerStatusUnknown",
            "message": "The container could not be located when the pod was terminated",
            "finishedAt": now_rfc3339(),
        }
        if started:
            terminated["startedAt"] = started
        cs["state"] = {"terminated": terminated}
        cs["ready"] = False
        cs["started"] = False
    set_readiness(pod)
