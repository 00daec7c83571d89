"""Small controllers: the ResourceQuota usage recalculator and the PV binder/provisioner.

- Quota: admission charges `status.used` on create; this controller recalculates it when
  pods or claims go away or finish (the real quota controller's resync), so freed capacity
  shows up in `status.used` within milliseconds.
- Volumes: a claim whose StorageClass binds `Immediate` and has a real provisioner is bound
  right away (dynamic provisioning); `WaitForFirstConsumer` claims are bound by the scheduler;
  claims with no usable class stay Pending (the scheduler then says "unbound immediate").
"""

from __future__ import annotations

import asyncio
from typing import Any

from . import quota
from .scheduler import bind_volume, is_active
from .store import Change, Store

Obj = dict[str, Any]
NO_PROVISIONER = "kubernetes.io/no-provisioner"


class QuotaController:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._dirty: set[str] = set()
        store.listeners.append(self._on_change)

    def _on_change(self, change: Change) -> None:
        ns = change.obj["metadata"].get("namespace", "")
        if change.resource in ("pods", "persistentvolumeclaims"):
            finished = (
                change.type == "MODIFIED"
                and change.old is not None
                and is_active(change.old)
                and not is_active(change.obj)
            )
            if change.type == "DELETED" or finished:
                self._mark(ns)
        elif (
            change.resource == "resourcequotas"
            and change.type == "MODIFIED"
            and (change.old or {}).get("spec") != change.obj.get("spec")
        ):
            self._mark(ns)

    def _mark(self, namespace: str) -> None:
        if not self._dirty:
            asyncio.get_running_loop().call_soon(self.sync)
        self._dirty.add(namespace)

    def sync(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for ns in dirty:
            self.recalculate(ns)

    def recalculate(self, namespace: str) -> None:
        pods = list(self.store.items("pods", namespace))
        pvcs = list(self.store.items("persistentvolumeclaims", namespace))
        for rq in list(self.store.items("resourcequotas", namespace)):
            hard = dict((rq.get("spec") or {}).get("hard") or {})

            def write(obj: Obj, hard: dict[str, Any] = hard) -> None:
                obj.setdefault("status", {})["hard"] = hard
                obj["status"]["used"] = quota.recompute(obj, pods, pvcs)

            probe = {**rq, "status": {"hard": hard}}
            used = quota.recompute(probe, pods, pvcs)
            status = rq.get("status") or {}
            if status.get("used") != used or status.get("hard") != hard:
                self.store.mutate("resourcequotas", namespace, rq["metadata"]["name"], write)


class VolumeController:
    def __init__(self, store: Store) -> None:
        self.store = store
        store.listeners.append(self._on_change)

    def _on_change(self, change: Change) -> None:
        if change.resource == "pods" and (change.type == "DELETED" or not is_active(change.obj)):
            ns = change.obj["metadata"].get("namespace", "")
            asyncio.get_running_loop().call_soon(self.release_terminating, ns)
        if change.resource == "persistentvolumeclaims" and change.type == "ADDED":
            meta = change.obj["metadata"]
            asyncio.get_running_loop().call_soon(self.provision, meta["namespace"], meta["name"])
        elif change.resource == "storageclasses" and change.type == "ADDED":
            for pvc in list(self.store.items("persistentvolumeclaims")):
                meta = pvc["metadata"]
                asyncio.get_running_loop().call_soon(self.provision, meta["namespace"], meta["name"])

    def release_terminating(self, namespace: str) -> None:
        """The pvc-protection controller: a Terminating claim no live pod uses is removed."""
        in_use = {
            (v.get("persistentVolumeClaim") or {}).get("claimName")
            # only scheduled pods count: an unscheduled one will never start with a
            # terminating claim (pvc_protection_controller podUsesPVC)
            for pod in self.store.items("pods", namespace)
            if is_active(pod) and (pod.get("spec") or {}).get("nodeName")
            for v in (pod.get("spec") or {}).get("volumes") or []}
        for pvc in list(self.store.items("persistentvolumeclaims", namespace)):
            meta = pvc["metadata"]
            if "deletionTimestamp" in meta and meta["name"] not in in_use:
                self.store.delete("persistentvolumeclaims", namespace, meta["name"])

    def provision(self, namespace: str, name: str) -> None:
        pvc = self.store.peek("persistentvolumeclaims", namespace, name)
        if pvc is None or (pvc.get("status") or {}).get("phase") == "Bound":
            return
        klass = quota.pvc_class(pvc)
        sc = self.store.peek("storageclasses", "", klass) if klass else None
        if sc is None or sc.get("provisioner") == NO_PROVISIONER:
            return
        if sc.get("volumeBindingMode", "Immediate") != "Immediate":
            return
        self.store.mutate("persistentvolumeclaims", namespace, name, bind_volume)
