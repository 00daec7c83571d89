"""A started pod's containers over time: running, a real process's exit, and the behaviours
an `ImageCatalog` entry gives its image — a crash (`exitCode`), an OOM kill (`oomKilled`),
an eviction (`evicted`), after `runSeconds`, printing `logs` on each run; or a command the
image does not have (`startError`: `RunContainerError`, `StartError` exit 128, no `Started`).

A dead container is restarted as its pod's restartPolicy says (KubeSpawner: OnFailure): the
kubelet waits in `CrashLoopBackOff` (`crashLoopBackOffSeconds`, doubling to
`maxCrashLoopBackOffSeconds`; the kubelet's are 10 s and 300 s), then `Pulled` (already
present), `Created`, `Started` with `restartCount` + 1 and the previous run in `lastState`.
An eviction fails the whole pod (phase Failed, reason Evicted) and kills its containers; the
pod object stays, as on a real node, until someone deletes it.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from . import containers, podstatus
from .process import LocalProcess
from .settings import CatalogImage

if TYPE_CHECKING:
    from .kubelet import Kubelet

Obj = dict[str, Any]


async def start(kubelet: Kubelet, pod: Obj, image_ids: dict[str, str], pod_ip: str) -> None:
    uid = pod["metadata"]["uid"]
    specs = pod["spec"].get("containers") or []
    behaviours = {c["name"]: kubelet.resolver.behaviour(c.get("image", "")) for c in specs}
    if kubelet.settings.start_processes and specs and behaviours[specs[0]["name"]] is None:
        env = podstatus.resolve_env(kubelet.store, kubelet.current(pod) or pod, specs[0])
        kubelet.processes[uid] = await LocalProcess.start(specs[0], env, pod_ip, kubelet.settings.python)

    def run(obj: Obj) -> None:
        statuses = []
        for c in specs:
            status = podstatus.running(c, image_ids.get(c["name"], ""))
            behaviour = behaviours.get(c["name"])
            if behaviour is not None and _dies_at_once(behaviour):
                # gone before the kubelet's next status sync: never reported running (or ready)
                status = _dead(status, c, behaviour)
            statuses.append(status)
        obj["status"]["containerStatuses"] = statuses
        obj["status"]["phase"] = containers.pod_phase(obj)
        containers.set_readiness(obj)

    pod = kubelet.update(pod, run)
    process = kubelet.processes.get(uid)
    for index, status in enumerate(pod["status"]["containerStatuses"]):
        behaviour = behaviours.get(status["name"])
        if index == 0 and process is not None:
            kubelet.logs.record(uid, status.get("containerID", ""), process.log_path)
        elif behaviour is not None:
            kubelet.logs.record(uid, status.get("containerID", ""), list(behaviour.logs))
    runs = [_behave(kubelet, pod, index, spec, behaviour)
            for index, spec in enumerate(specs)
            if (behaviour := behaviours.get(spec["name"])) is not None]
    if process is not None:
        runs.append(_wait_process(kubelet, pod, process))
    if runs:
        await asyncio.gather(*runs)


async def _wait_process(kubelet: Kubelet, pod: Obj, process: LocalProcess) -> None:
    code = await process.wait()
    kubelet.processes.pop(pod["metadata"]["uid"], None)

    def finish(obj: Obj) -> None:
        statuses = obj["status"]["containerStatuses"]
        statuses[0] = podstatus.terminated(statuses[0], code)
        obj["status"]["phase"] = "Succeeded" if code == 0 else "Failed"
        for cond in ("Ready", "ContainersReady"):
            podstatus.set_condition(obj, cond, "False", "PodCompleted")

    kubelet.update(pod, finish)


async def _behave(kubelet: Kubelet, pod: Obj, index: int, spec: Obj, behaviour: CatalogImage) -> None:
    if behaviour.evicted:
        await asyncio.sleep(behaviour.run_seconds)
        await evict(kubelet, pod, spec)
        return
    if behaviour.exit_code is None and not behaviour.oom_killed and not behaviour.start_error:
        return  # runs until the pod is deleted; it only prints its logs
    code = _exit_code(behaviour)
    backoff = kubelet.settings.crash_backoff
    name, uid = spec["name"], pod["metadata"]["uid"]
    exited_already = _dies_at_once(behaviour)  # the first run's exit is in the start status
    while True:
        if not exited_already:
            await asyncio.sleep(behaviour.run_seconds)

            def exit_(obj: Obj) -> None:
                statuses = obj["status"]["containerStatuses"]
                statuses[index] = containers.exited(statuses[index], code, behaviour.oom_killed)
                obj["status"]["phase"] = containers.pod_phase(obj)
                containers.set_readiness(obj)

            pod = kubelet.update(pod, exit_)
        if not containers.should_restart(pod, code):
            return
        await asyncio.sleep(min(0.05, backoff / 4))  # the next pod sync finds the back-off
        kubelet.event(pod, "Warning", "BackOff", containers.backoff_event(name, pod), name)

        def wait(obj: Obj, backoff: float = backoff) -> None:
            statuses = obj["status"]["containerStatuses"]
            statuses[index] = containers.crash_loop(statuses[index], obj, backoff)
            obj["status"]["phase"] = containers.pod_phase(obj)
            containers.set_readiness(obj)

        pod = kubelet.update(pod, wait)
        await asyncio.sleep(backoff)
        backoff = min(backoff * 2, kubelet.settings.max_crash_backoff)
        image = spec.get("image", "")
        kubelet.event(pod, "Normal", "Pulled", f'Container image "{image}" already present on machine', name)
        kubelet.event(pod, "Normal", "Created", f"Created container {name}", name)
        if behaviour.start_error:
            kubelet.event(pod, "Warning", "Failed", f"Error: {containers.start_error(spec)}", name)
        else:
            kubelet.event(pod, "Normal", "Started", f"Started container {name}", name)

        def again(obj: Obj) -> None:
            statuses = obj["status"]["containerStatuses"]
            previous = statuses[index]
            fresh = containers.restarted(previous, podstatus.running(spec, previous.get("imageID", "")))
            if _dies_at_once(behaviour):
                fresh = _dead(fresh, spec, behaviour)
            statuses[index] = fresh
            obj["status"]["phase"] = containers.pod_phase(obj)
            containers.set_readiness(obj)

        pod = kubelet.update(pod, again)
        kubelet.logs.record(uid, pod["status"]["containerStatuses"][index].get("containerID", ""),
                            list(behaviour.logs))
        exited_already = _dies_at_once(behaviour)


def _exit_code(behaviour: CatalogImage) -> int:
    if behaviour.start_error:
        return 128
    return 137 if behaviour.oom_killed else int(behaviour.exit_code or 0)


def _dies_at_once(behaviour: CatalogImage) -> bool:
    if behaviour.start_error:
        return True
    return (behaviour.exit_code is not None or behaviour.oom_killed) and not behaviour.evicted and (
        behaviour.run_seconds <= 0)


def _dead(status: Obj, spec: Obj, behaviour: CatalogImage) -> Obj:
    if behaviour.start_error:
        return containers.failed_start(status, containers.start_error(spec))
    return containers.exited(status, _exit_code(behaviour), behaviour.oom_killed)


async def evict(kubelet: Kubelet, pod: Obj, spec: Obj | None = None) -> None:
    """The eviction manager: event and status first, then the containers are killed. `spec`
    is the container blamed for the memory use (default: the first)."""
    spec = spec or (pod["spec"].get("containers") or [{"name": "notebook"}])[0]
    message = containers.eviction_message(spec)
    kubelet.event(pod, "Warning", "Evicted", message)
    pod = kubelet.update(pod, lambda obj: containers.evicted(obj, message))
    for container in pod["spec"].get("containers") or []:
        kubelet.event(pod, "Normal", "Killing", f"Stopping container {container['name']}", container["name"])
    process = kubelet.processes.pop(pod["metadata"]["uid"], None)
    if process is not None:
        await process.stop(0)
