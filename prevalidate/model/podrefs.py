"""The secrets and config maps a pod reads, and which of their keys (the kubelet resolves
them in pkg/kubelet/kubelet_pods.go and its volume plugins).

Pure, no I/O here. The kubelet resolves these when it starts the pod: a volume source whose
object is missing, or whose ``items`` name a key the object lacks, fails the mount
(FailedMount, the pod stays ContainerCreating); an env source fails the container
(CreateContainerConfigError). ``optional: true`` makes the kubelet skip a missing object *and*
a missing key. The kubelet reads an env ``configMapKeyRef`` from ``data`` only, while volume
``items`` may also name ``binaryData`` keys (pkg/kubelet/kubelet_pods.go and
pkg/volume/configmap).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .jsonshape import mapping, objects


@dataclass(frozen=True)
class ObjectRef:
    """A secret or config map the pod needs; ``where`` says which field asked for it."""

    kind: str  # "secret" | "configmap"
    name: str
    optional: bool
    where: str
    keys: tuple[str, ...] = ()  # the keys it reads (env key refs, volume items); () = none named
    data_only: bool = False  # an env configMapKeyRef: a key only in binaryData does not count


_VOLUME_SOURCES = (("secret", "secret", "secretName"), ("configMap", "configmap", "name"))
_PROJECTED_SOURCES = (("secret", "secret", "name"), ("configMap", "configmap", "name"))
_ENV_SOURCES = (("secretKeyRef", "secret", "name"), ("configMapKeyRef", "configmap", "name"))
_ENV_FROM_SOURCES = (("secretRef", "secret", "name"), ("configMapRef", "configmap", "name"))


def _item_keys(source: Mapping[str, Any]) -> tuple[str, ...]:
    items = source.get("items")
    if not isinstance(items, list):
        return ()
    return tuple(str(i["key"]) for i in items if isinstance(i, Mapping) and isinstance(i.get("key"), str))


def _refs_in(
    holder: Mapping[str, Any], fields: tuple[tuple[str, str, str], ...], where: str, *, env: bool = False
) -> list[ObjectRef]:
    """ObjectRefs from ``holder[field]`` for each (field, kind, name key) present as a map."""
    refs = []
    for field_name, kind, name_key in fields:
        ref = holder.get(field_name)
        if not isinstance(ref, Mapping):
            continue
        if env:
            key = ref.get("key")
            keys: tuple[str, ...] = (key,) if isinstance(key, str) and key else ()
        else:
            keys = _item_keys(ref)
        refs.append(
            ObjectRef(
                kind,
                str(ref.get(name_key) or ""),
                bool(ref.get("optional")),
                where,
                keys,
                data_only=env and kind == "configmap",
            )
        )
    return refs


def object_refs(spec: Mapping[str, Any]) -> tuple[ObjectRef, ...]:
    """Every secret and config map ``spec`` reads, volumes first, then each container's env."""
    refs: list[ObjectRef] = []
    for volume in objects(spec.get("volumes")):
        where = f"volume {volume.get('name')}"
        refs += _refs_in(volume, _VOLUME_SOURCES, where)
        projected = volume.get("projected")
        for source in objects(mapping(projected).get("sources")):
            refs += _refs_in(source, _PROJECTED_SOURCES, where)
    for group in ("initContainers", "containers"):
        for container in objects(spec.get(group)):
            cname = container.get("name")
            for env in objects(container.get("env")):
                value_from = env.get("valueFrom")
                if isinstance(value_from, Mapping):
                    where = f"env {env.get('name')} of container {cname}"
                    refs += _refs_in(value_from, _ENV_SOURCES, where, env=True)
            for env_from in objects(container.get("envFrom")):
                refs += _refs_in(env_from, _ENV_FROM_SOURCES, f"envFrom of container {cname}")
    return tuple(r for r in refs if r.name)
