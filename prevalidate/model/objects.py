"""Slim, parsed forms of the Kubernetes objects the validators read.

Pure, no I/O here. Each ``from_dict`` takes the JSON/YAML form of an object (as
``kubectl get -o yaml`` or a watch event gives it) and keeps only what a check needs. Secret
data is dropped, except the docker config of pull secrets, which the registry client needs to
ask with the credentials the kubelet would use. Secrets and config maps keep their key names,
so a reference to a key that does not exist can be found before the kubelet fails on it.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .resources import ResourceList, parse_resource_list

PULL_SECRET_KEYS = {
    "kubernetes.io/dockerconfigjson": ".dockerconfigjson",
    "kubernetes.io/dockercfg": ".dockercfg",
}


def _meta(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    return meta if isinstance(meta, Mapping) else {}


def _spec(obj: Mapping[str, Any], key: str = "spec") -> Mapping[str, Any]:
    spec = obj.get(key)
    return spec if isinstance(spec, Mapping) else {}


def name_of(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("name") or "")


def namespace_of(obj: Mapping[str, Any]) -> str:
    return str(_meta(obj).get("namespace") or "")


@dataclass(frozen=True)
class Taint:
    key: str
    value: str
    effect: str


@dataclass(frozen=True)
class NodeInfo:
    name: str
    labels: Mapping[str, str]
    taints: tuple[Taint, ...]
    unschedulable: bool
    allocatable: ResourceList

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> NodeInfo:
        spec, status = _spec(obj), _spec(obj, "status")
        taints = tuple(
            Taint(str(t.get("key", "")), str(t.get("value") or ""), str(t.get("effect", "")))
            for t in spec.get("taints") or ()
            if isinstance(t, Mapping)
        )
        return cls(
            name=name_of(obj),
            labels=dict(_meta(obj).get("labels") or {}),
            taints=taints,
            unschedulable=bool(spec.get("unschedulable")),
            allocatable=parse_resource_list(status.get("allocatable") or status.get("capacity")),
        )

    def static_shape(self) -> tuple[object, ...]:
        """What the static (empty-node) checks depend on; a change here invalidates caches."""
        return (
            tuple(sorted(self.labels.items())),
            self.taints,
            self.unschedulable,
            tuple(sorted(self.allocatable.items())),
        )


@dataclass(frozen=True)
class ScopeRequirement:
    scope_name: str
    operator: str  # In, NotIn, Exists, DoesNotExist
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuotaInfo:
    """A ResourceQuota as quota admission reads it.

    ``hard`` holds what admission enforces. kube-apiserver's quota plugin reads only
    ``status.hard`` and ``status.used`` (``CheckRequest`` in
    staging/src/k8s.io/apiserver/pkg/admission/plugin/resourcequota/controller.go, and
    ``generic.Matches``): a resource in ``spec.hard`` that the resourcequota controller has
    not yet copied into ``status.hard`` is not enforced, and a quota whose ``status.hard``
    is still empty matches no object at all. While the controller catches up on a change
    (``spec.hard`` and ``status.hard`` differ) a resource is kept only when both list it,
    at the larger of the two values: the more permissive of the states the quota is
    moving between, so a quota being edited never rejects what it is about to allow.
    ``unsynced`` names the ``spec.hard`` resources that are not (yet) enforced as written.
    """

    name: str
    namespace: str
    hard: ResourceList
    used: ResourceList
    scopes: tuple[ScopeRequirement, ...]
    unsynced: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> QuotaInfo:
        spec, status = _spec(obj), _spec(obj, "status")
        scopes = [ScopeRequirement(str(s), "Exists") for s in spec.get("scopes") or ()]
        selector = spec.get("scopeSelector") or {}
        for expr in selector.get("matchExpressions") or ():
            scopes.append(
                ScopeRequirement(
                    str(expr.get("scopeName", "")),
                    str(expr.get("operator", "")),
                    tuple(str(v) for v in expr.get("values") or ()),
                )
            )
        enforced = parse_resource_list(status.get("hard"))
        written = parse_resource_list(spec.get("hard")) if isinstance(spec.get("hard"), Mapping) else None
        hard = enforced
        if written is not None and written != enforced:
            hard = {k: max(v, written[k]) for k, v in enforced.items() if k in written}
        unsynced = () if written is None else tuple(sorted(k for k in written if k not in hard))
        return cls(
            name_of(obj),
            namespace_of(obj),
            hard,
            parse_resource_list(status.get("used")),
            tuple(scopes),
            unsynced,
        )


@dataclass(frozen=True)
class LimitRangeItem:
    type: str  # Container, Pod, PersistentVolumeClaim
    min: ResourceList
    max: ResourceList
    default: ResourceList
    default_request: ResourceList
    max_ratio: ResourceList


@dataclass(frozen=True)
class LimitRangeInfo:
    name: str
    namespace: str
    items: tuple[LimitRangeItem, ...]

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> LimitRangeInfo:
        items = []
        for raw in _spec(obj).get("limits") or ():
            kind = str(raw.get("type", ""))
            mins = parse_resource_list(raw.get("min"))
            maxs = parse_resource_list(raw.get("max"))
            default = parse_resource_list(raw.get("default"))
            default_request = parse_resource_list(raw.get("defaultRequest"))
            if kind == "Container":
                # LimitRange object defaulting (SetDefaults_LimitRange): default <- max,
                # defaultRequest <- default, then <- min.
                for name, value in maxs.items():
                    default.setdefault(name, value)
                for name, value in default.items():
                    default_request.setdefault(name, value)
                for name, value in mins.items():
                    default_request.setdefault(name, value)
            items.append(
                LimitRangeItem(
                    kind,
                    mins,
                    maxs,
                    default,
                    default_request,
                    parse_resource_list(raw.get("maxLimitRequestRatio")),
                )
            )
        return cls(name_of(obj), namespace_of(obj), tuple(items))


@dataclass(frozen=True)
class PVCInfo:
    name: str
    namespace: str
    phase: str
    storage_class: str | None
    access_modes: tuple[str, ...]
    terminating: bool
    volume_name: str
    storage_request: Decimal | None

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> PVCInfo:
        meta, spec = _meta(obj), _spec(obj)
        annotations = meta.get("annotations") or {}
        storage_class = spec.get("storageClassName")
        if storage_class is None:
            storage_class = annotations.get("volume.beta.kubernetes.io/storage-class")
        requests = parse_resource_list((spec.get("resources") or {}).get("requests"))
        return cls(
            name=name_of(obj),
            namespace=namespace_of(obj),
            phase=str(_spec(obj, "status").get("phase") or "Pending"),
            storage_class=storage_class,
            access_modes=tuple(str(m) for m in spec.get("accessModes") or ()),
            terminating=bool(meta.get("deletionTimestamp")),
            volume_name=str(spec.get("volumeName") or ""),
            storage_request=requests.get("storage"),
        )


@dataclass(frozen=True)
class StorageClassInfo:
    name: str
    binding_mode: str
    is_default: bool
    created: str = ""  # metadata.creationTimestamp (RFC 3339, UTC: sorts as text)

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> StorageClassInfo:
        annotations = _meta(obj).get("annotations") or {}
        default = any(
            annotations.get(key) == "true"
            for key in (
                "storageclass.kubernetes.io/is-default-class",
                "storageclass.beta.kubernetes.io/is-default-class",
            )
        )
        created = str(_meta(obj).get("creationTimestamp") or "")
        return cls(name_of(obj), str(obj.get("volumeBindingMode") or "Immediate"), default, created)


def _key_names(obj: Mapping[str, Any], *fields: str) -> frozenset[str] | None:
    """The key names of ``obj``'s data maps, or None when it carries none of them.

    A Secret or ConfigMap without its data maps may be empty, or may come from a source that
    lists metadata only; the two look alike, so a check must not call a key missing then.
    """
    maps = [data for data in (obj.get(name) for name in fields) if isinstance(data, Mapping)]
    if not maps:
        return None
    return frozenset(str(key) for data in maps for key in data)


@dataclass(frozen=True)
class SecretInfo:
    """A secret's name, type and key names; of its values only a pull secret's docker config
    is kept (the registry client needs it). Values are never stored, logged or shown."""

    name: str
    namespace: str
    type: str
    keys: frozenset[str] | None  # names in data/stringData; None: the source gave no data
    docker_config: str | None = field(default=None, repr=False)

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> SecretInfo:
        secret_type = str(obj.get("type") or "Opaque")
        data = obj.get("data") or {}
        string_data = obj.get("stringData") or {}
        docker_config = None
        key = PULL_SECRET_KEYS.get(secret_type)
        if key and key in data:
            try:
                docker_config = base64.b64decode(str(data[key]), validate=False).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                docker_config = None
        elif key and key in string_data:
            docker_config = str(string_data[key])
        return cls(
            name_of(obj),
            namespace_of(obj),
            secret_type,
            _key_names(obj, "data", "stringData"),
            docker_config,
        )


@dataclass(frozen=True)
class ConfigMapInfo:
    """A config map's name and key names (never its values)."""

    name: str
    namespace: str
    keys: frozenset[str] | None  # names in data and binaryData; None: the source gave neither
    binary_keys: frozenset[str] = frozenset()  # the names that are in binaryData only

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> ConfigMapInfo:
        keys = _key_names(obj, "data", "binaryData")
        text_keys = _key_names(obj, "data") or frozenset()
        binary = (_key_names(obj, "binaryData") or frozenset()) - text_keys
        return cls(name_of(obj), namespace_of(obj), keys, binary)


@dataclass(frozen=True)
class ServiceAccountInfo:
    name: str
    namespace: str
    image_pull_secrets: tuple[str, ...]

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> ServiceAccountInfo:
        names = tuple(str(ref.get("name")) for ref in obj.get("imagePullSecrets") or () if ref.get("name"))
        return cls(name_of(obj), namespace_of(obj), names)
