"""The kubelet: takes every pod bound to a node from ContainerCreating to Running (or not).

Per pod, in the kubelet's order (image pulls in pulls.py, what happens after `Started` in
lifecycle.py): admission (nodeadmit.py: resources, pod count, node affinity,
NoExecute taints; a refused pod goes Failed with `OutOfcpu` …), sandbox (podIP), volumes (a
missing secret/configMap volume → `FailedMount`, pod stays ContainerCreating), then per container the image
(`Pulling` → `Pulled`, or `Failed` + `Error: ErrImagePull` → `BackOff` + `Error:
ImagePullBackOff`, retried with exponential back-off for as long as the pod exists), then its
env references (missing → `CreateContainerConfigError`), then `Created`/`Started` and phase
Running. With `startProcesses` the container command really runs (see process.py). A pod
marked for deletion is stopped (`Killing`) and then removed from the store.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import random
import socket
from typing import Any

from . import containers, lifecycle, nodeadmit, podstatus, pulls
from .events import EventRecorder
from .images import ImageResolver
from .podlogs import PodLogs
from .process import LocalProcess
from .settings import SimSettings
from .store import Change, Store

log = logging.getLogger("kubesim.kubelet")
Obj = dict[str, Any]
COMPONENT = "kubelet"


class Kubelet:
    """One kubelet serving every node (events name the node as `source.host`)."""

    def __init__(
        self, store: Store, recorder: EventRecorder, settings: SimSettings, resolver: ImageResolver
    ) -> None:
        self.store, self.recorder, self.settings, self.resolver = store, recorder, settings, resolver
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.terminating: dict[str, asyncio.Task[None]] = {}
        self.processes: dict[str, LocalProcess] = {}
        self.present: dict[str, set[str]] = {}  # node -> images already pulled there
        self.admitted: set[str] = set()  # UIDs of the pods admitted (the kubelet's pod manager)
        self.logs = PodLogs()  # what each container run printed (pods/{name}/log)
        self.references_changed = asyncio.Event()
        self._stopping: set[asyncio.Future[None]] = set()
        # Real processes need addresses no other kubesim on this machine uses: a random /16
        # of the loopback /8 (127.0.0.0/16 is left to the hub and the proxy).
        network = (f"127.{random.randint(1, 254)}.0.0/16" if settings.start_processes
                   else "10.244.0.0/16")
        self._ips = ipaddress.ip_network(network).hosts()
        store.listeners.append(self._on_change)

    # -- store callbacks -----------------------------------------------------------------
    def _on_change(self, change: Change) -> None:
        if change.resource in ("secrets", "configmaps") or (
                change.resource == "pods" and change.type == "DELETED"):
            self.references_changed.set()  # a missing reference or a volume user may be gone
        if change.resource in ("secrets", "configmaps"):
            return
        if change.resource == "nodes" and change.type == "ADDED":
            # A node's kubelet registers, then runs the pods already bound to it.
            for pod in list(self.store.items("pods")):
                if (pod.get("spec") or {}).get("nodeName") == change.obj["metadata"]["name"]:
                    self._on_change(Change("MODIFIED", "pods", pod, pod, change.rv))
            return
        if change.resource != "pods":
            return
        pod, uid = change.obj, change.obj["metadata"].get("uid", "")
        if change.type == "DELETED":
            self._forget(uid)
            return
        if not (pod.get("spec") or {}).get("nodeName"):
            return
        if "deletionTimestamp" in pod["metadata"]:
            if uid not in self.terminating:
                self.terminating[uid] = asyncio.ensure_future(self._terminate(pod))
            return
        phase = (pod.get("status") or {}).get("phase")
        if uid not in self.tasks and phase == "Pending" and not (pod.get("status") or {}).get("podIP"):
            self.tasks[uid] = asyncio.ensure_future(self._run_pod(pod))

    def _forget(self, uid: str) -> None:
        task = self.tasks.pop(uid, None)
        if task is not None:
            task.cancel()
        process = self.processes.pop(uid, None)
        if process is not None:
            self._stopping.add(asyncio.ensure_future(process.stop(self.settings.termination_seconds)))
        self.terminating.pop(uid, None)
        self.admitted.discard(uid)
        self.recorder.forget(uid)
        self.logs.forget(uid)

    async def evict(self, namespace: str, name: str) -> None:
        """Evict a running pod now, as node memory pressure would (tests: `sim.kubelet.evict`)."""
        pod = self.store.peek("pods", namespace, name)
        if pod is not None and (pod.get("status") or {}).get("phase") == "Running":
            await lifecycle.evict(self, pod)

    async def stop_all(self) -> None:
        for task in list(self.tasks.values()) + list(self.terminating.values()):
            task.cancel()
        for process in list(self.processes.values()):
            await process.stop(self.settings.termination_seconds)
        self.processes.clear()

    # -- helpers ---------------------------------------------------------------------------
    def _allocate_ip(self, pod: Obj) -> str:
        """The next pod IP; with real processes, one whose container ports are free."""
        ports = [p.get("containerPort") for c in pod["spec"].get("containers") or []
                 for p in c.get("ports") or [] if p.get("containerPort")] or [8888]
        while True:
            ip = str(next(self._ips))
            if not self.settings.start_processes or all(_port_free(ip, int(p)) for p in ports):
                return ip
    def current(self, pod: Obj) -> Obj | None:
        current = self.store.peek("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
        if current is None or current["metadata"].get("uid") != pod["metadata"].get("uid"):
            raise asyncio.CancelledError  # the pod is gone: stop working on it
        return current

    def update(self, pod: Obj, change: Any) -> Obj:
        updated = self.store.mutate("pods", pod["metadata"]["namespace"], pod["metadata"]["name"], change)
        if updated is None:
            raise asyncio.CancelledError
        return updated

    def event(self, pod: Obj, type_: str, reason: str, message: str, container: str | None = None) -> None:
        field_path = f"spec.containers{{{container}}}" if container else None
        self.recorder.record(
            self.current(pod) or pod,
            type_,
            reason,
            message,
            COMPONENT,
            host=pod["spec"].get("nodeName"),
            field_path=field_path,
        )

    def set_container(self, pod: Obj, key: str, index: int, status: Obj) -> Obj:
        def change(obj: Obj) -> None:
            obj["status"][key][index] = status

        return self.update(pod, change)

    async def _wait_for_references(self) -> None:
        self.references_changed.clear()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self.references_changed.wait(), self.settings.retry_seconds)

    # -- the pod lifecycle -----------------------------------------------------------------
    async def _run_pod(self, pod: Obj) -> None:
        uid = pod["metadata"]["uid"]
        try:
            await asyncio.sleep(self.settings.kubelet_delay)
            pod = self.current(pod) or pod
            node = self.store.peek("nodes", "", pod["spec"]["nodeName"])
            if node is None:
                return  # bound to a node that does not exist: no kubelet will ever run it
            if not self._admit(pod, node):
                return
            await self._runtime_handler(pod)
            pod_ip = self._allocate_ip(pod)
            pod = self.update(pod, lambda obj: podstatus.sandbox_ready(obj, node, pod_ip))
            await self._mount_volumes(pod)
            image_ids: dict[str, str] = {}
            for key, status_key in (
                ("initContainers", "initContainerStatuses"),
                ("containers", "containerStatuses"),
            ):
                for index, container in enumerate(pod["spec"].get(key) or []):
                    image_ids[container["name"]] = await pulls.ensure_image(
                        self, pod, container, status_key, index, node
                    )
                    await self._check_config(pod, container, status_key, index)
                    self.event(
                        pod, "Normal", "Created", f"Created container {container['name']}", container["name"]
                    )
                    behaviour = self.resolver.behaviour(container.get("image", ""))
                    if key == "containers" and behaviour is not None and behaviour.start_error:
                        message = f"Error: {containers.start_error(container)}"
                        self.event(pod, "Warning", "Failed", message, container["name"])
                    else:
                        self.event(pod, "Normal", "Started", f"Started container {container['name']}",
                                   container["name"])
                    if key == "initContainers":
                        done = podstatus.terminated(
                            podstatus.running(container, image_ids[container["name"]]), 0
                        )
                        pod = self.set_container(pod, status_key, index, done)
            await lifecycle.start(self, pod, image_ids, pod_ip)
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("kubelet failed on pod %s", pod["metadata"].get("name"))
        finally:
            if self.tasks.get(uid) is asyncio.current_task():
                self.tasks.pop(uid, None)

    async def _runtime_handler(self, pod: Obj) -> None:
        """kuberuntime_sandbox.go createPodSandbox looks up the RuntimeClass's handler first; a
        class that does not exist (the RuntimeClass admission plugin is off) fails the sandbox,
        retried until the class appears."""
        name = pod["spec"].get("runtimeClassName")
        while name and self.store.peek("runtimeclasses", "", name) is None:
            self.event(
                pod,
                "Warning",
                "FailedCreatePodSandBox",
                f'Failed to create pod sandbox: runtimeclass.node.k8s.io "{name}" not found',
            )
            await self._wait_for_references()

    def _admit(self, pod: Obj, node: Obj) -> bool:
        """canAdmitPod against the pods this kubelet already runs there (admitted ones, and the
        ones found running), in the order pods arrive."""
        uid = pod["metadata"]["uid"]
        refused = nodeadmit.admit(pod, node, nodeadmit.running_on(self.store, node, uid, self.admitted))
        if refused is None:
            self.admitted.add(uid)
            return True
        reason, message = refused
        self.event(pod, "Warning", reason, message)
        self.update(pod, lambda obj: nodeadmit.rejected(obj, reason, message))
        return False

    async def _mount_volumes(self, pod: Obj) -> None:
        attach_reported = False
        while True:
            attach = podstatus.multi_attach_conflict(self.store, self.current(pod) or pod)
            if attach:
                if not attach_reported:  # the attach/detach controller reports it once
                    self.recorder.record(pod, "Warning", "FailedAttachVolume", attach,
                                         "attachdetach-controller")
                    attach_reported = True
                await self._wait_for_references()
                continue
            problems = podstatus.missing_volume_sources(self.store, self.current(pod) or pod)
            if not problems:
                return
            for volume, error in problems:
                self.event(
                    pod, "Warning", "FailedMount", f'MountVolume.SetUp failed for volume "{volume}" : {error}'
                )
            await self._wait_for_references()

    async def _check_config(self, pod: Obj, container: Obj, status_key: str, index: int) -> None:
        while True:
            error = podstatus.env_error(self.store, self.current(pod) or pod, container)
            if error is None:
                return
            self.event(pod, "Warning", "Failed", f"Error: {error}", container["name"])
            self.set_container(
                pod, status_key, index, podstatus.waiting(container, "CreateContainerConfigError", error)
            )
            await self._wait_for_references()

    async def _terminate(self, pod: Obj) -> None:
        uid = pod["metadata"]["uid"]
        task = self.tasks.pop(uid, None)
        if task is not None:
            task.cancel()
        for container in pod["spec"].get("containers") or []:
            self.recorder.record(
                pod,
                "Normal",
                "Killing",
                f"Stopping container {container['name']}",
                COMPONENT,
                host=pod["spec"].get("nodeName"),
                field_path=f"spec.containers{{{container['name']}}}",
            )
        grace = min(
            float(pod["metadata"].get("deletionGracePeriodSeconds") or 0), self.settings.termination_seconds
        )
        process = self.processes.pop(uid, None)
        if process is not None:
            await process.stop(grace)
        else:
            await asyncio.sleep(min(grace, 0.05))
        current = self.store.peek("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])
        if current is not None and current["metadata"].get("uid") == uid:
            self.store.delete("pods", pod["metadata"]["namespace"], pod["metadata"]["name"])


def _port_free(ip: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((ip, port))
        except OSError:
            return False
    return True
