"""A test kubelet for the real control plane: runs the pods the real scheduler binds.

There is no container runtime here, so no real kubelet can run. This one stands in for the
part of it a JupyterHub spawn needs, and nothing more:

- it watches every pod (list, then watch from that resourceVersion, again after a dropped
  watch) and takes each pod bound to a node (`spec.nodeName`, set by the real scheduler or
  by the pod itself) that is Pending with no podIP: it gives the pod a loopback address
  (127.x.y.z, a private /16 per kubelet, as kubesim's kubelet does), runs the first
  container's `command` + `args` as a local process there (prevalidate/testing/localprocess.py,
  the same code kubesim's kubelet uses, so `jupyterhub-singleuser` really serves at
  `http://<podIP>:8888`), and writes the status a kubelet would: Running, Ready,
  ContainersReady, podIP, hostIP, a running container status;
- when the process exits it writes Succeeded/Failed, as the kubelet does;
- a pod marked for deletion (`deletionTimestamp`) has its process stopped and is then
  deleted with grace period 0 (uid precondition), which is the kubelet's half of a graceful
  deletion: without it the pod would stay Terminating for ever and KubeSpawner's stop hangs.

It pulls no image, mounts no volume and checks no admission (tests/realplane and
tests/agreement judge those stages separately). Node heartbeats are not needed: the plane
does not run the node-lifecycle controller (realplane/plane.py), so nodes stay Ready as the
loader wrote them.

    async with TestKubelet(plane.url, plane.token, plane.ca_file) as kubelet:
        ...                           # pods bound to any node now start
        kubelet.log                   # what it did, one line per step (for failing tests)
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime
import ipaddress
import json
import logging
import random
import socket
import ssl
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from ..localprocess import LocalProcess

log = logging.getLogger("prevalidate.realplane.kubelet")
Obj = dict[str, Any]


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _port_free(ip: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((ip, port))
        except OSError:
            return False
        return True


class TestKubelet:
    __test__ = False  # a helper, not a pytest test class

    def __init__(
        self, url: str, token: str, ca_file: str | Path, *, nodes: set[str] | None = None,
        namespaces: set[str] | None = None, python: str | None = None, termination_seconds: float = 5.0,
    ) -> None:
        # `nodes`/`namespaces` (None: all) keep it off pods another test of the session bound.
        self.url, self.nodes, self.namespaces, self.python = url, nodes, namespaces, python
        self.termination_seconds = termination_seconds
        self._context = ssl.create_default_context(cafile=str(ca_file))
        self._headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.http: httpx.AsyncClient | None = None
        self.processes: dict[str, LocalProcess] = {}  # pod uid -> its container process
        self.started: set[str] = set()  # uids taken (never started twice)
        self.finishing: set[str] = set()  # uids whose deletion is being finished
        self.log: list[str] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._watch: asyncio.Task[None] | None = None
        self._ips = ipaddress.ip_network(f"127.{random.randint(1, 254)}.0.0/16").hosts()

    async def __aenter__(self) -> TestKubelet:
        self.http = httpx.AsyncClient(base_url=self.url, verify=self._context, headers=self._headers,
                                      timeout=httpx.Timeout(30.0, read=None))
        listed = asyncio.get_running_loop().create_future()
        self._watch = asyncio.ensure_future(self._run(listed))
        await listed  # the first list is handled before the caller goes on
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        tasks = [t for t in (self._watch, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for process in list(self.processes.values()):
            await process.stop(self.termination_seconds)
        self.processes.clear()
        if self.http is not None:
            await self.http.aclose()
            self.http = None

    # --- the watch ---------------------------------------------------------------------------
    async def _run(self, listed: asyncio.Future[None]) -> None:
        assert self.http is not None
        while True:
            try:
                response = await self.http.get("/api/v1/pods")
                response.raise_for_status()
                body = response.json()
                for pod in body.get("items") or []:
                    self._consider(pod)
                if not listed.done():
                    listed.set_result(None)
                await self._follow(str(body["metadata"]["resourceVersion"]))
            except (httpx.HTTPError, ValueError, KeyError) as exc:
                # The apiserver went away or the watch expired (410): list again, as a kubelet does.
                self._note(f"watch interrupted ({type(exc).__name__}: {exc}); listing again")
                await asyncio.sleep(0.5)

    async def _follow(self, resource_version: str) -> None:
        assert self.http is not None
        params = {"watch": "true", "resourceVersion": resource_version, "allowWatchBookmarks": "true"}
        async with self.http.stream("GET", "/api/v1/pods", params=params) as stream:
            stream.raise_for_status()
            async for line in stream.aiter_lines():
                if not line.strip():
                    continue
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    raise ValueError(f"watch error: {event.get('object', {}).get('message')}")
                if event.get("type") in ("ADDED", "MODIFIED"):
                    self._consider(event["object"])
                elif event.get("type") == "DELETED":
                    self._forget(event["object"]["metadata"].get("uid", ""))

    def _consider(self, pod: Obj) -> None:
        meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
        uid, node = meta.get("uid", ""), spec.get("nodeName")
        if not node or (self.nodes is not None and node not in self.nodes):
            return
        if self.namespaces is not None and meta.get("namespace") not in self.namespaces:
            return
        if meta.get("deletionTimestamp"):
            if uid not in self.finishing:
                self.finishing.add(uid)
                self._spawn(self._finish_deletion(pod))
            return
        pending = status.get("phase", "Pending") == "Pending" and not status.get("podIP")
        if pending and uid not in self.started:
            self.started.add(uid)
            self._spawn(self._start(pod))

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _forget(self, uid: str) -> None:
        process = self.processes.pop(uid, None)
        if process is not None:
            self._spawn(process.stop(self.termination_seconds))

    def _note(self, line: str) -> None:
        self.log.append(line)
        log.info("%s", line)

    # --- one pod -----------------------------------------------------------------------------
    def _allocate_ip(self, pod: Obj) -> str:
        ports = [int(p["containerPort"]) for c in pod["spec"].get("containers") or []
                 for p in c.get("ports") or [] if p.get("containerPort")] or [8888]
        while True:
            ip = str(next(self._ips))
            if all(_port_free(ip, p) for p in ports):
                return ip

    async def _start(self, pod: Obj) -> None:
        meta = pod["metadata"]
        name, ns, uid = meta["name"], meta["namespace"], meta["uid"]
        containers = pod["spec"].get("containers") or []
        pod_ip = self._allocate_ip(pod)
        try:
            if containers and (containers[0].get("command") or containers[0].get("args")):
                env = await self._resolve_env(pod, containers[0], pod_ip)
                self.processes[uid] = await LocalProcess.start(containers[0], env, pod_ip, self.python)
            self._note(f"{ns}/{name}: running on {pod['spec']['nodeName']} at {pod_ip}")
            await self._patch_status(ns, name, self._running_status(pod, pod_ip))
        except Exception as exc:  # a test kubelet must say what failed, not die silently
            self._note(f"{ns}/{name}: could not start: {type(exc).__name__}: {exc}")
            raise
        process = self.processes.get(uid)
        if process is None:
            return
        code = await process.wait()
        if self.processes.pop(uid, None) is None:
            return  # stopped because the pod is being deleted
        self._note(f"{ns}/{name}: container exited with {code}")
        with contextlib.suppress(httpx.HTTPError):
            await self._patch_status(ns, name, self._exited_status(pod, code))

    async def _finish_deletion(self, pod: Obj) -> None:
        meta = pod["metadata"]
        process = self.processes.pop(meta["uid"], None)
        if process is not None:
            grace = float(meta.get("deletionGracePeriodSeconds") or 0) or 1.0
            await process.stop(min(self.termination_seconds, grace))
        assert self.http is not None
        body = {"kind": "DeleteOptions", "apiVersion": "v1", "gracePeriodSeconds": 0,
                "preconditions": {"uid": meta["uid"]}}
        with contextlib.suppress(httpx.HTTPError):
            await self.http.request(
                "DELETE", f"/api/v1/namespaces/{meta['namespace']}/pods/{meta['name']}", json=body
            )
        self._note(f"{meta['namespace']}/{meta['name']}: deleted")

    async def _patch_status(self, ns: str, name: str, status: Obj) -> None:
        assert self.http is not None
        response = await self.http.patch(
            f"/api/v1/namespaces/{ns}/pods/{name}/status", content=json.dumps({"status": status}),
            headers={"Content-Type": "application/merge-patch+json"},
        )
        if response.status_code != 404:  # gone meanwhile: nothing to report
            response.raise_for_status()

    async def _resolve_env(self, pod: Obj, container: Obj, pod_ip: str) -> dict[str, str]:
        """`env` and `envFrom` as the kubelet resolves them (values, fieldRefs, secret and
        config-map keys read from the apiserver); a reference that cannot be read is left out."""
        ns = pod["metadata"]["namespace"]
        env: dict[str, str] = {}
        for source in container.get("envFrom") or []:
            for key, plural in (("configMapRef", "configmaps"), ("secretRef", "secrets")):
                ref = source.get(key)
                if ref:
                    data = await self._data(plural, ns, ref.get("name", ""))
                    env.update({source.get("prefix", "") + k: v for k, v in data.items()})
        fields = {"metadata.name": pod["metadata"]["name"], "metadata.namespace": ns,
                  "status.podIP": pod_ip, "status.hostIP": "127.0.0.1",
                  "spec.nodeName": pod["spec"].get("nodeName", "")}
        for item in container.get("env") or []:
            if "value" in item:
                env[item["name"]] = str(item["value"])
                continue
            value_from = item.get("valueFrom") or {}
            if "fieldRef" in value_from:
                env[item["name"]] = fields.get(value_from["fieldRef"].get("fieldPath", ""), "")
            for key, plural in (("configMapKeyRef", "configmaps"), ("secretKeyRef", "secrets")):
                ref = value_from.get(key)
                if ref:
                    value = (await self._data(plural, ns, ref.get("name", ""))).get(ref.get("key", ""))
                    if value is not None:
                        env[item["name"]] = value
        return env

    async def _data(self, plural: str, ns: str, name: str) -> dict[str, str]:
        assert self.http is not None
        response = await self.http.get(f"/api/v1/namespaces/{ns}/{plural}/{name}")
        if response.status_code != 200:
            return {}
        data = response.json().get("data") or {}
        if plural == "secrets":
            return {k: base64.b64decode(v).decode(errors="replace") for k, v in data.items()}
        return {k: str(v) for k, v in data.items()}

    # --- statuses ----------------------------------------------------------------------------
    @staticmethod
    def _conditions(ready: str, reason: str = "") -> list[Obj]:
        now = _now()
        conditions = [{"type": t, "status": "True", "lastTransitionTime": now}
                      for t in ("PodReadyToStartContainers", "Initialized", "PodScheduled")]
        for t in ("ContainersReady", "Ready"):
            cond: Obj = {"type": t, "status": ready, "lastTransitionTime": now}
            if reason:
                cond["reason"] = reason
            conditions.append(cond)
        return conditions

    def _running_status(self, pod: Obj, pod_ip: str) -> Obj:
        now = _now()
        return {
            "phase": "Running", "hostIP": "127.0.0.1", "hostIPs": [{"ip": "127.0.0.1"}],
            "podIP": pod_ip, "podIPs": [{"ip": pod_ip}], "startTime": now,
            "conditions": self._conditions("True"),
            "containerStatuses": [
                {"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": True,
                 "started": True, "restartCount": 0, "state": {"running": {"startedAt": now}}}
                for c in pod["spec"].get("containers") or []
            ],
        }

    def _exited_status(self, pod: Obj, code: int) -> Obj:
        now = _now()
        return {
            "phase": "Succeeded" if code == 0 else "Failed",
            "conditions": self._conditions("False", "PodCompleted"),
            "containerStatuses": [
                {"name": c["name"], "image": c.get("image", ""), "imageID": "", "ready": False,
                 "started": False, "restartCount": 0,
                 "state": {"terminated": {"exitCode": code, "finishedAt": now,
                                          "reason": "Completed" if code == 0 else "Error"}}}
                for c in pod["spec"].get("containers") or []
            ],
        }
