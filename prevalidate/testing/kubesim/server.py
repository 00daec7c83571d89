"""KubeSim: the store, the controllers and the HTTP server, started and stopped together.

    async with KubeSim(load_cluster("cluster.yaml")) as sim:
        sim.url            # http://127.0.0.1:<port>
        sim.store          # the objects, for assertions
        sim.write_kubeconfig(path)

Seeding from a cluster file skips admission (the objects already exist in the cluster) but
applies what the apiserver and controllers would have: quantity normalisation, pod and
LimitRange defaults, a `default` ServiceAccount per namespace, namespaces that objects live
in, quota `status.hard`/`status.used` recalculated from the pods and claims present.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets

from . import limitranger, quota, validation
from .apiserver import make_app
from .autoscaler import Autoscaler
from .cluster import Cluster, ClusterFileError
from .controllers import QuotaController, VolumeController
from .events import EventRecorder
from .gcpause import gc_paused
from .images import ImageResolver
from .kubelet import Kubelet
from .nodeadmit import PodGC
from .podresources import qos_class
from .registry import Registry
from .resources import BY_KIND
from .scheduler import Scheduler
from .status import ApiError
from .store import Store
from .webhookconfig import default as default_webhook_config
from .webhooks import WebhookDispatcher

log = logging.getLogger("kubesim")
Obj = dict[str, Any]
SEED_ORDER = [
    "Namespace",
    "PriorityClass",
    "RuntimeClass",
    "StorageClass",
    "Node",
    "ServiceAccount",
    "Secret",
    "ConfigMap",
    "LimitRange",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Service",
    "Pod",
    "Event",
    "ResourceQuota",
    "ValidatingWebhookConfiguration",
]


class KubeSim:
    def __init__(self, cluster: Cluster | None = None, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.cluster = cluster or Cluster()
        self.settings = self.cluster.config.settings
        self.host, self.port = host, port
        self.store = Store(history=self.settings.history)
        self.registry = Registry(self.store, self.settings)
        self.webhooks = WebhookDispatcher(self.store, self.settings)
        self.recorder = EventRecorder(self.store, self.settings)
        self.request_log: list[str] = []
        self.scheduler = Scheduler(
            self.store,
            self.recorder,
            self.settings,
            evict=lambda ns, name: self.registry.delete(BY_KIND["Pod"], ns, name, None),
        )
        self.kubelet = Kubelet(
            self.store, self.recorder, self.settings, ImageResolver(self.cluster.config.catalog)
        )
        self.quota_controller = QuotaController(self.store, self.settings)
        self.volume_controller = VolumeController(self.store)
        self.pod_gc = PodGC(self.store, self.settings)
        self.autoscaler = Autoscaler(self.store, self.recorder, self.settings, self.cluster.config.pools)
        self._server: HTTPServer | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- seeding ---------------------------------------------------------------------------
    def seed(self, objects: list[Obj]) -> None:
        """Put existing objects into the store (no admission); ClusterFileError if unusable."""
        with gc_paused():  # gcpause.py: 150,000 pods of acyclic JSON
            self._seed(objects)

    def _seed(self, objects: list[Obj]) -> None:
        # No copy here: validation.decode (schema.conform) returns a copy the store then owns.
        objects = list(objects)
        for obj in objects:
            if obj["kind"] not in BY_KIND:
                raise ClusterFileError(f"kubesim does not serve kind {obj['kind']!r}")
        namespaces = {"default", "kube-system"}
        namespaces |= {
            o["metadata"]["namespace"]
            for o in objects
            if BY_KIND[o["kind"]].namespaced and o["metadata"].get("namespace")
        }
        present = {o["metadata"]["name"] for o in objects if o["kind"] == "Namespace"}
        for ns in sorted(namespaces - present):
            objects.append({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        objects.sort(key=lambda o: SEED_ORDER.index(o["kind"]) if o["kind"] in SEED_ORDER else 99)
        for obj in objects:
            self._seed_one(obj)
        for ns in sorted(namespaces | present):
            self.registry.ensure_default_service_account(ns)
        # Encode each seeded object once now, as the apiserver's watch cache keeps serialisations
        # (store.py): the first list of a big cluster then joins bytes instead of running
        # json.dumps over every object (4 of the 10 s of a 150,000-pod first list).
        for resource, bucket in self.store.objects.items():
            for obj in bucket.values():
                self.store.encoded(resource, obj)

    def _seed_one(self, obj: Obj) -> None:
        resource = BY_KIND[obj["kind"]]
        meta = obj["metadata"]
        where = f"{obj['kind']} {meta.get('namespace', '')}/{meta['name']}".replace(" /", " ")
        try:
            obj = validation.decode(resource.kind, obj)
        except ApiError as exc:
            raise ClusterFileError(f"{where}: {exc.message}") from None
        meta = obj["metadata"]
        obj["apiVersion"] = resource.api_version
        if resource.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        meta.pop("resourceVersion", None)
        if resource.kind == "Namespace":
            obj.setdefault("status", {"phase": "Active"})
            # the apiserver labels every namespace with its name (webhooks select on it)
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
        elif resource.kind == "Pod":
            validation.default_pod(obj)
            status = obj.setdefault("status", {})
            status.setdefault("phase", "Pending")
            status.setdefault("qosClass", qos_class(obj))
        elif resource.kind == "Node":
            validation.default_node(obj)
        elif resource.kind == "LimitRange":
            limitranger.default_limitrange(obj)
        elif resource.kind == "ValidatingWebhookConfiguration":
            default_webhook_config(obj)
        elif resource.kind == "PersistentVolumeClaim":
            obj.setdefault("status", {"phase": "Pending"})
        elif resource.kind == "ResourceQuota":
            hard = dict((obj.get("spec") or {}).get("hard") or {})
            if self.settings.quota_sync_seconds > 0:
                # A dump taken before the quota controller ran: keep its status.hard as it is
                # (the controller syncs it later); only status.used is recomputed, as below.
                hard = dict((obj.get("status") or {}).get("hard") or {})
            obj["status"] = {"hard": hard} if hard else {}
            if hard:
                obj["status"]["used"] = quota.recompute(
                    obj,
                    self.store.items("pods", meta["namespace"]),
                    self.store.items("persistentvolumeclaims", meta["namespace"]),
                )
        if self.store.peek(resource.plural, meta.get("namespace", ""), meta["name"]) is None:
            self.store.create(resource.plural, obj, owned=True)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> KubeSim:
        self.seed(self.cluster.objects)
        self._serve()
        self._tasks = [asyncio.ensure_future(self.scheduler.run())]
        if self.cluster.config.pools:
            self._tasks.append(asyncio.ensure_future(self.autoscaler.run()))
        log.debug("kubesim serving %s", self.url)
        return self

    def _serve(self) -> None:
        app = make_app(
            self.store, self.registry, self.request_log, self.settings, self.kubelet.logs, self.webhooks
        )
        sockets = bind_sockets(self.port, self.host, family=socket.AF_INET)  # SO_REUSEADDR
        self.port = sockets[0].getsockname()[1]
        self._server = HTTPServer(app, idle_connection_timeout=3600)
        self._server.add_sockets(sockets)

    async def _stop_serving(self) -> None:
        for watcher in list(self.store.watchers):
            watcher.close()
        if self._server is not None:
            self._server.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.close_all_connections(), 2)
            self._server = None

    # -- faults a real client must survive -------------------------------------------------
    def end_watches(self) -> int:
        """End every open watch as its timeoutSeconds would (pre-timeout BOOKMARK when the
        client allows bookmarks, then a normal end of stream); returns how many ended."""
        watchers = list(self.store.watchers)
        for watcher in watchers:
            watcher.expire()
        return len(watchers)

    def compact(self) -> None:
        """etcd compaction: a watch from an older resourceVersion now gets 410 Gone."""
        self.store.compact()

    async def suspend(self) -> None:
        """The API goes away (apiserver restart, network cut): open watches end, connections
        close, new ones are refused. The store, controllers and kubelet keep running, so
        objects can still change (through `store`/`registry`) while clients cannot see it."""
        await self._stop_serving()

    async def resume(self) -> None:
        """Serve the same store again on the same port."""
        if self._server is None:
            self._serve()

    async def stop(self) -> None:
        await self._stop_serving()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.kubelet.stop_all()
        self.pod_gc.stop()

    async def __aenter__(self) -> KubeSim:
        return await self.start()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    # -- clients ---------------------------------------------------------------------------
    def kubeconfig(self, namespace: str = "default") -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "preferences": {},
            "clusters": [{"name": "kubesim", "cluster": {"server": self.url}}],
            "users": [{"name": "kubesim", "user": {"token": "kubesim"}}],
            "contexts": [
                {
                    "name": "kubesim",
                    "context": {"cluster": "kubesim", "user": "kubesim", "namespace": namespace},
                }
            ],
            "current-context": "kubesim",
        }

    def write_kubeconfig(self, path: str | Path, namespace: str = "default") -> Path:
        path = Path(path)
        path.write_text(yaml.safe_dump(self.kubeconfig(namespace), sort_keys=False))
        return path
