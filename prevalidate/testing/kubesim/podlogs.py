"""`GET /api/v1/namespaces/{ns}/pods/{name}/log`: container logs, as kube-apiserver and the
kubelet serve them.

The apiserver (pkg/registry/core/pod/strategy.go `LogLocation`) picks the container: the only
one, or 400 `a container name must be specified for pod %s, choose one of: [%s]` (`or one of
the init containers: [%s]`), or 400 `container %s is not valid for pod %s`; a pod with no node
yet answers 200 with an empty body. The kubelet (kubelet_pods.go `validateContainerLogStatus`)
then picks the run from the container status — `previous` is `lastState.terminated`, else the
running or terminated run — or refuses with the texts below, which the apiserver relays as
400 BadRequest (`GenericHttpResponseChecker`). Lines are the run's output; `tailLines` keeps
the last N, `limitBytes` cuts the result. `follow` is accepted and returns what exists.

Each run of a container is keyed by its containerID: the kubelet records the lines a catalogue
image prints (`ImageCatalog` `logs`) or the file a real process writes (`startProcesses`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .status import ApiError, bad_request, not_found

Obj = dict[str, Any]


class PodLogs:
    """What each container run printed, by containerID (`containerd://…`)."""

    def __init__(self) -> None:
        self._runs: dict[str, list[str] | Path] = {}
        self._by_pod: dict[str, list[str]] = {}

    def record(self, pod_uid: str, container_id: str, output: list[str] | Path) -> None:
        if container_id:
            self._runs[container_id] = output
            self._by_pod.setdefault(pod_uid, []).append(container_id)

    def forget(self, pod_uid: str) -> None:
        """The pod is gone, and its logs with it."""
        for cid in self._by_pod.pop(pod_uid, []):
            self._runs.pop(cid, None)

    def text(self, container_id: str) -> str:
        output = self._runs.get(container_id)
        if output is None:
            return ""
        if isinstance(output, Path):
            try:
                return output.read_text(errors="replace")
            except OSError:
                return ""
        return "".join(line + "\n" for line in output)


def _names(containers: list[Obj]) -> str:
    return " ".join(c.get("name", "") for c in containers)


def _choose_container(pod: Obj, name: str, wanted: str | None) -> str:
    spec = pod.get("spec") or {}
    containers = spec.get("containers") or []
    if not wanted:
        if len(containers) == 1:
            return str(containers[0]["name"])
        if not containers:
            raise bad_request(f"a container name must be specified for pod {name}")
        message = f"a container name must be specified for pod {name}, choose one of: [{_names(containers)}]"
        if spec.get("initContainers"):
            message += f" or one of the init containers: [{_names(spec['initContainers'])}]"
        raise bad_request(message)
    every = containers + (spec.get("initContainers") or [])
    if not any(c.get("name") == wanted for c in every):
        raise bad_request(f"container {wanted} is not valid for pod {name}")
    return wanted


def _container_id(pod: Obj, name: str, container: str, previous: bool) -> str:
    """validateContainerLogStatus: which run to read, or the kubelet's refusal."""
    status = pod.get("status") or {}
    statuses = (status.get("containerStatuses") or []) + (status.get("initContainerStatuses") or [])
    cs = next((s for s in statuses if s.get("name") == container), None)
    if cs is None:
        raise bad_request(f'container "{container}" in pod "{name}" is not available')
    last = (cs.get("lastState") or {}).get("terminated")
    state = cs.get("state") or {}
    if previous:
        if not last or not last.get("containerID"):
            raise bad_request(f'previous terminated container "{container}" in pod "{name}" not found')
        return str(last["containerID"])
    if "running" in state:
        return str(cs.get("containerID", ""))
    if "terminated" in state:
        cid = state["terminated"].get("containerID")
        if cid:
            return str(cid)
        if last and last.get("containerID"):
            return str(last["containerID"])
        raise bad_request(f'container "{container}" in pod "{name}" is terminated')
    if last is not None:
        if not last.get("containerID"):
            raise bad_request(f'container "{container}" in pod "{name}" is terminated')
        return str(last["containerID"])
    if "waiting" in state:
        reason = state["waiting"].get("reason", "")
        why = {"ErrImagePull": "image can't be pulled",
               "ImagePullBackOff": "trying and failing to pull image"}.get(reason, reason)
        raise bad_request(f'container "{container}" in pod "{name}" is waiting to start: {why}')
    raise bad_request(f'container "{container}" in pod "{name}" is waiting to start - no logs yet')


def _int_arg(args: dict[str, str], key: str) -> int | None:
    value = args.get(key)
    if value in (None, ""):
        return None
    try:
        number = int(str(value))
    except ValueError:
        raise bad_request(f'invalid value for {key}: "{value}"') from None
    return number


def read_log(pod: Obj | None, logs: PodLogs, name: str, args: dict[str, str]) -> str:
    """The body of a log request for `pod` (None: 404), or ApiError."""
    if pod is None:
        raise not_found("pods", name)
    tail = _int_arg(args, "tailLines")
    limit = _int_arg(args, "limitBytes")
    for key, value in (("tailLines", tail), ("limitBytes", limit)):
        if value is not None and value < (0 if key == "tailLines" else 1):
            bound = "0" if key == "tailLines" else "1"
            raise ApiError(422, "Invalid", f'PodLogOptions "{name}" is invalid: {key}: Invalid value: '
                           f"{value}: must be greater than or equal to {bound}",
                           {"name": name, "kind": "PodLogOptions"})
    container = _choose_container(pod, name, args.get("container"))
    if not (pod.get("spec") or {}).get("nodeName"):
        return ""
    previous = str(args.get("previous", "")).lower() in ("true", "1")
    text = logs.text(_container_id(pod, name, container, previous))
    if tail is not None:
        lines = text.splitlines(keepends=True)
        text = "".join(lines[-tail:]) if tail else ""
    if limit is not None:
        text = text.encode()[:limit].decode(errors="ignore")
    return text
