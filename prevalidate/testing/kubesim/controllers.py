"""Small controllers: the ResourceQuota usage recalculator and the PV binder/provisioner.

- Quota: admission charges `status.used` on create; this controller recalculates it when
  pods or claims go away or finish (the real quota controller's resync), so freed capacity
  shows up in `status.used` within milliseconds.
- Volumes: a claim that does not wait for its first consumer is first matched against the
  PersistentVolumes that exist (static binding, pkg/controller/volume/persistentvolume
  `syncUnboundClaim` -> `findBestMatchForClaim`: same class name, access modes, capacity; a
  class with no StorageClass object counts as Immediate, `IsDelayBindingMode`); else a claim
  whose StorageClass binds `Immediate` and has a real provisioner is bound right away (dynamic
  provisioning); `WaitForFirstConsumer` claims are bound by the scheduler; the rest stay
  Pending (the scheduler then says "unbound immediate") until a volume appears.
"""

from __future__ import annotations

import asyncio
from typing import Any

from . import quota
from .quantity import parse_json_quantity
from .settings import SimSettings
from .store import Change, Store
from .volumebinding import bind_volume, is_active

Obj = dict[str, Any]
NO_PROVISIONER = "kubernetes.io/no-provisioner"


class QuotaController:
    """pkg/controller/resourcequota: writes status.hard = spec.hard and status.used. A quota
    whose spec.hard differs from status.hard (new, or edited) is synced first
    (``addQuota``/``updateQuota`` put it on the missingUsageQueue); ``quotaSyncSeconds``
    models how long that takes. Until it is done, admission enforces the old status.hard."""

    def __init__(self, store: Store, settings: SimSettings | None = None) -> None:
        self.store = store
        self.settings = settings or SimSettings()
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
        elif change.resource == "resourcequotas" and change.type in ("ADDED", "MODIFIED"):
            spec_hard = (change.obj.get("spec") or {}).get("hard") or {}
            status_hard = (change.obj.get("status") or {}).get("hard") or {}
            edited = change.type == "MODIFIED" and (change.old or {}).get("spec") != change.obj.get("spec")
            if edited or spec_hard != status_hard:
                delay = self.settings.quota_sync_seconds
                if delay > 0:
                    asyncio.get_running_loop().call_later(delay, self.recalculate, ns)
                else:
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
        elif (change.resource == "storageclasses" and change.type == "ADDED") or (
            change.resource == "persistentvolumes" and change.type in ("ADDED", "MODIFIED")
        ):
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
            for v in (pod.get("spec") or {}).get("volumes") or []
        }
        for pvc in list(self.store.items("persistentvolumeclaims", namespace)):
            meta = pvc["metadata"]
            if "deletionTimestamp" in meta and meta["name"] not in in_use:
                self.store.delete("persistentvolumeclaims", namespace, meta["name"])

    def provision(self, namespace: str, name: str) -> None:
        pvc = self.store.peek("persistentvolumeclaims", namespace, name)
        if pvc is None or (pvc.get("status") or {}).get("phase") == "Bound":
            return
        klass = quota.pvc_class(pvc) or ""
        sc = self.store.peek("storageclasses", "", klass) if klass else None
        delayed = sc is not None and sc.get("volumeBindingMode", "Immediate") == "WaitForFirstConsumer"
        if not delayed:
            volume = self._best_match(pvc, klass)
            if volume is not None:
                self._bind_static(pvc, volume)
                return
        if sc is None or sc.get("provisioner") == NO_PROVISIONER or delayed:
            return
        self.store.mutate("persistentvolumeclaims", namespace, name, bind_volume)

    def _best_match(self, pvc: Obj, klass: str) -> Obj | None:
        """index.go findMatchingVolume, reduced to what a KubeSpawner claim uses: the volume
        named by spec.volumeName, else the smallest Available volume of the same class name
        (a claim without a class only takes volumes without one) with every requested access
        mode, at least the requested storage, the same volume mode and matching labels."""
        spec = pvc.get("spec") or {}
        meta = pvc["metadata"]
        wanted = spec.get("volumeName")
        raw = ((spec.get("resources") or {}).get("requests") or {}).get("storage", "0")
        need = parse_json_quantity(raw).value
        modes = set(spec.get("accessModes") or [])
        selector = (spec.get("selector") or {}).get("matchLabels") or {}
        best: tuple[Any, Obj] | None = None
        for pv in self.store.items("persistentvolumes"):
            pv_meta, pv_spec = pv["metadata"], pv.get("spec") or {}
            if wanted and pv_meta["name"] != wanted:
                continue
            ref = pv_spec.get("claimRef")
            if ref and (ref.get("namespace"), ref.get("name")) != (meta["namespace"], meta["name"]):
                continue  # bound, or reserved for another claim
            if "deletionTimestamp" in pv_meta:
                continue
            if (pv.get("status") or {}).get("phase") in ("Released", "Failed"):
                continue
            if (pv_spec.get("storageClassName") or "") != klass:
                continue
            if not modes <= set(pv_spec.get("accessModes") or []):
                continue
            if pv_spec.get("volumeMode", "Filesystem") != spec.get("volumeMode", "Filesystem"):
                continue
            labels = pv_meta.get("labels") or {}
            if any(labels.get(k) != v for k, v in selector.items()):
                continue
            size = parse_json_quantity((pv_spec.get("capacity") or {}).get("storage", "0")).value
            if size < need:
                continue
            if best is None or size < best[0]:
                best = (size, pv)
        return best[1] if best else None

    def _bind_static(self, pvc: Obj, volume: Obj) -> None:
        """pv_controller bind(): the volume's claimRef first, then the claim's volumeName."""
        meta = pvc["metadata"]
        capacity = dict((volume.get("spec") or {}).get("capacity") or {})
        modes = list((volume.get("spec") or {}).get("accessModes") or [])

        def claim_volume(pv: Obj) -> None:
            pv["spec"]["claimRef"] = {
                "kind": "PersistentVolumeClaim",
                "apiVersion": "v1",
                "namespace": meta["namespace"],
                "name": meta["name"],
                "uid": meta.get("uid", ""),
            }
            pv["status"] = {"phase": "Bound"}

        def bind_claim(claim: Obj) -> None:
            claim.setdefault("spec", {})["volumeName"] = volume["metadata"]["name"]
            claim["status"] = {"phase": "Bound", "accessModes": modes, "capacity": capacity}

        self.store.mutate("persistentvolumes", "", volume["metadata"]["name"], claim_volume)
        self.store.mutate("persistentvolumeclaims", meta["namespace"], meta["name"], bind_claim)
