"""PodRequest: the pod to validate and what its spawner creates around it.

Pure data, no I/O here. A pod on its own (``kubectl apply``, an admission webhook) is a
``PodRequest(pod)``. A spawner such as KubeSpawner creates more than the pod, and the pod may
name those objects before they exist; prevalidate must count them as present, or it refuses a
spawn Kubernetes would run. What KubeSpawner 7.x's ``KubeSpawner._start`` creates, in order
(kubespawner/spawner.py):

1. the user's namespace (``_ensure_namespace``, with ``enable_user_namespaces``; the
   ServiceAccount controller then adds its ``default`` account);
2. the home PVC (``_make_create_pvc_request``, with ``storage_pvc_ensure``; a 409 — or a 403
   for a claim that already exists — means it is reused, so an existing claim is not created
   and not charged to quota again);
3. the pod;
4. once the pod has a UID (their owner reference needs it): the ``internal_ssl`` Secret
   (``get_secret_manifest``, named ``secret_name``) that the pod mounts at
   ``secret_mount_path`` — the kubelet waits for it (FailedMount, retried) — and the Service
   (``get_service_manifest``, named ``pod_name``) with ``internal_ssl`` or
   ``services_enabled``;
5. whatever ``after_pod_created_hook`` creates, which nobody can name in advance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .objects import PVCInfo, name_of

# Kinds a pod may name that Kubernetes lets appear after the pod: the scheduler retries a
# pod whose PVC is missing, the kubelet retries a missing volume or env source. (A missing
# namespace or service account makes the apiserver refuse the pod itself: it cannot come later.)
LATE_KINDS = frozenset({"Secret", "ConfigMap", "PersistentVolumeClaim"})


@dataclass(frozen=True)
class PodRequest:
    """One pod to validate and the objects its spawner creates with it.

    ``claims``: PVCs the spawner creates just before the pod unless they exist (their storage
    counts against PVC quotas and LimitRanges). ``creates_namespace``: the spawner creates
    the pod's namespace first. ``companions``: ``(kind, name)`` of other objects the spawner
    creates in the pod's namespace (before or after the pod); a pod naming one of them is not
    missing anything. ``open_ended``: the spawner runs code that may create more objects
    (KubeSpawner's ``after_pod_created_hook``), so any Secret, ConfigMap or PVC the pod names
    may still appear: those are not reported missing (fail open)."""

    pod: Mapping[str, Any]
    claims: tuple[PVCInfo, ...] = ()
    creates_namespace: bool = False
    companions: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    open_ended: bool = False

    @classmethod
    def of(cls, pod_or_request: PodRequest | Mapping[str, Any]) -> PodRequest:
        """A bare pod is a request that creates nothing else."""
        return pod_or_request if isinstance(pod_or_request, PodRequest) else cls(pod_or_request)

    @property
    def namespace(self) -> str:
        meta = self.pod.get("metadata")
        ns = meta.get("namespace") if isinstance(meta, Mapping) else None
        return str(ns or "default")

    def creates(self, kind: str, name: str) -> bool:
        """Will the spawner create ``kind``/``name`` in the pod's namespace (or may it)?"""
        if (kind, name) in self.companions:
            return True
        if kind == "PersistentVolumeClaim" and any(c.name == name for c in self.claims):
            return True
        return self.open_ended and kind in LATE_KINDS


# kubespawner/objects.py make_pod: with internal_ssl, the certificates' Secret is mounted
# through a volume of this name (``secret.secretName`` = the spawner's ``secret_name``).
KUBESPAWNER_CERTS_VOLUME = "jupyterhub-internal-certs"


def kubespawner_request(pod: Mapping[str, Any], alongside: Iterable[Mapping[str, Any]] = ()) -> PodRequest:
    """The request for a pod KubeSpawner built (``get_pod_manifest``), with what ``_start``
    creates around it as far as the pod and the objects given ``alongside`` it tell:

    - the ``internal_ssl`` Secret, named by the pod's certificates volume, and the Service
      named after the pod (both created once the pod exists);
    - objects given alongside: a PersistentVolumeClaim (``get_pvc_manifest``: created before
      the pod unless it exists), the pod's Namespace (``enable_user_namespaces``), any other
      kind the spawner creates (a Secret or Service, say)."""
    spec = pod.get("spec")
    volumes = spec.get("volumes") if isinstance(spec, Mapping) else None
    found: set[tuple[str, str]] = set()
    for volume in volumes if isinstance(volumes, list) else ():
        if not isinstance(volume, Mapping) or volume.get("name") != KUBESPAWNER_CERTS_VOLUME:
            continue
        secret = volume.get("secret")
        if isinstance(secret, Mapping):
            found.add(("Secret", str(secret.get("secretName") or "")))
            found.add(("Service", name_of(pod)))
    request = PodRequest(pod)
    claims: list[PVCInfo] = []
    creates_namespace = False
    for obj in alongside:
        kind, name = str(obj.get("kind") or ""), name_of(obj)
        if kind == "PersistentVolumeClaim":
            claims.append(PVCInfo.from_dict(obj))
        elif kind == "Namespace":
            creates_namespace = creates_namespace or name == request.namespace
        elif kind and kind != "Pod":
            found.add((kind, name))
    return PodRequest(
        pod,
        tuple(claims),
        creates_namespace,
        frozenset((kind, name) for kind, name in found if name),
    )
