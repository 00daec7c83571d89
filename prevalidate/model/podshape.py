"""The shape of a pod manifest: the fields the checks read must have the types the API defines.

Pure, no I/O here. The apiserver decodes a pod into Go structs and refuses one whose fields
have the wrong JSON types with a 400 before anything else runs (``json: cannot unmarshal
number into Go struct field EnvVar.spec.containers.env.value of type string``). We do the same
up front, so the checks can trust the shape, a YAML slip (``value: 1``, ``gpu: true`` in a node
selector) is named instead of surfacing as a raw ApiException or a misleading scheduling
finding, and hostile input (``containers: [x]``) becomes ``input-invalid`` instead of a
traceback. A ``null`` field is accepted (Go leaves the zero value), and so is an integral
float where an integer belongs.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

Problems = list[tuple[str, str]]

_STR, _INT, _BOOL = "a string", "an integer", "a boolean"
_CONTAINER_SCALARS = {
    "name": _STR,
    "image": _STR,
    "workingDir": _STR,
    "imagePullPolicy": _STR,
    "restartPolicy": _STR,
}
_CONTAINER_MAPS = ("resources",)
_CONTAINER_LISTS = ("env", "envFrom", "volumeMounts", "ports")
_CONTAINER_STRING_LISTS = ("command", "args")
_ITEM_SCALARS = {
    "env": {"name": _STR, "value": _STR},
    "envFrom": {"prefix": _STR},
    "volumeMounts": {"name": _STR, "mountPath": _STR, "subPath": _STR, "readOnly": _BOOL},
    "ports": {"containerPort": _INT, "name": _STR, "protocol": _STR},
    "tolerations": {"key": _STR, "operator": _STR, "value": _STR, "effect": _STR, "tolerationSeconds": _INT},
    "imagePullSecrets": {"name": _STR},
    "volumes": {"name": _STR},
}
_REF = {"name": _STR, "key": _STR, "optional": _BOOL}
_ITEM_REFS = {  # list -> {field of an item: scalars of that object}
    "envFrom": {"configMapRef": _REF, "secretRef": _REF},
    "volumes": {
        "secret": {"secretName": _STR, "optional": _BOOL},
        "configMap": {"name": _STR, "optional": _BOOL},
        "persistentVolumeClaim": {"claimName": _STR, "readOnly": _BOOL},
    },
}
_SPEC_SCALARS = {
    "serviceAccountName": _STR,
    "serviceAccount": _STR,
    "priorityClassName": _STR,
    "runtimeClassName": _STR,
    "nodeName": _STR,
    "schedulerName": _STR,
    "restartPolicy": _STR,
    "activeDeadlineSeconds": _INT,
}
_SPEC_MAPS = ("nodeSelector", "affinity", "overhead", "resources")
_SPEC_LISTS_OF_MAPS = ("volumes", "tolerations", "imagePullSecrets")


def _kind(value: Any) -> str:
    """What a value is, for a sentence: ``the number 1``, ``the boolean true``, ``an object``."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f'the string "{value[:40]}"' + ("..." if len(value) > 40 else "")
    return type(value).__name__


def _is(value: Any, kind: str) -> bool:
    if value is None:
        return True
    if kind == _STR:  # a YAML date is a string to kubectl's YAML-to-JSON conversion
        return isinstance(value, (str, datetime.date))
    if kind == _BOOL:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _scalars(holder: Mapping[str, Any], fields: Mapping[str, str], path: str, problems: Problems) -> None:
    for key, kind in fields.items():
        value = holder.get(key)
        if not _is(value, kind):
            problems.append((f"{path}.{key}", f"must be {kind}, not {_kind(value)}"))


def _string_map(value: Any, path: str, problems: Problems) -> None:
    """labels, annotations, nodeSelector: a map of strings."""
    if value is None:
        return
    if not isinstance(value, Mapping):
        problems.append((path, f"must be an object, not {_kind(value)}"))
        return
    for key, item in value.items():
        if not _is(item, _STR):
            problems.append((f"{path}.{key}", f"must be a string, not {_kind(item)}"))


def _list_of_maps(value: Any, path: str, problems: Problems) -> list[Mapping[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append((path, f"must be an array, not {_kind(value)}"))
        return []
    good = []
    for index, item in enumerate(value):
        if isinstance(item, Mapping):
            good.append(item)
        else:
            problems.append((f"{path}[{index}]", f"must be an object, not {_kind(item)}"))
    return good


def _map(value: Any, path: str, problems: Problems) -> None:
    if value is not None and not isinstance(value, Mapping):
        problems.append((path, f"must be an object, not {_kind(value)}"))


def _items(holder: Mapping[str, Any], key: str, path: str, problems: Problems) -> None:
    """A list of objects with their scalar fields and nested references typed."""
    for index, item in enumerate(_list_of_maps(holder.get(key), f"{path}.{key}", problems)):
        where = f"{path}.{key}[{index}]"
        _scalars(item, _ITEM_SCALARS[key], where, problems)
        for ref_key, fields in _ITEM_REFS.get(key, {}).items():
            _map(item.get(ref_key), f"{where}.{ref_key}", problems)
            if isinstance(item.get(ref_key), Mapping):
                _scalars(item[ref_key], fields, f"{where}.{ref_key}", problems)
        if key == "env":
            value_from = item.get("valueFrom")
            _map(value_from, f"{where}.valueFrom", problems)
            if isinstance(value_from, Mapping):
                for ref_key in ("secretKeyRef", "configMapKeyRef"):
                    _map(value_from.get(ref_key), f"{where}.valueFrom.{ref_key}", problems)
                    if isinstance(value_from.get(ref_key), Mapping):
                        _scalars(value_from[ref_key], _REF, f"{where}.valueFrom.{ref_key}", problems)


def _container(container: Mapping[str, Any], path: str, problems: Problems) -> None:
    _scalars(container, _CONTAINER_SCALARS, path, problems)
    for key in _CONTAINER_MAPS:
        _map(container.get(key), f"{path}.{key}", problems)
    resources = container.get("resources")
    if isinstance(resources, Mapping):
        for key in ("requests", "limits"):
            _map(resources.get(key), f"{path}.resources.{key}", problems)
    for key in _CONTAINER_LISTS:
        _items(container, key, path, problems)
    for key in _CONTAINER_STRING_LISTS:
        value = container.get(key)
        if value is not None and not isinstance(value, list):
            problems.append((f"{path}.{key}", f"must be an array, not {_kind(value)}"))
        elif value is not None:
            for index, item in enumerate(value):
                if not _is(item, _STR):
                    problems.append((f"{path}.{key}[{index}]", f"must be a string, not {_kind(item)}"))


def shape_problems(pod: Any) -> Problems:
    """(field path, what is wrong) for every mistyped field the checks would read."""
    problems: Problems = []
    if not isinstance(pod, Mapping):
        return [("", f"a Pod must be an object, not {_kind(pod)}")]
    metadata = pod.get("metadata")
    _map(metadata, "metadata", problems)
    if isinstance(metadata, Mapping):
        _scalars(metadata, {"name": _STR, "generateName": _STR, "namespace": _STR}, "metadata", problems)
        for key in ("labels", "annotations"):
            _string_map(metadata.get(key), f"metadata.{key}", problems)
    spec = pod.get("spec")
    if not isinstance(spec, Mapping):
        return [*problems, ("spec", f"must be an object, not {_kind(spec)}")]
    _scalars(spec, _SPEC_SCALARS, "spec", problems)
    for key in _SPEC_MAPS:
        _map(spec.get(key), f"spec.{key}", problems)
    _string_map(spec.get("nodeSelector"), "spec.nodeSelector", problems)
    for key in _SPEC_LISTS_OF_MAPS:
        _items(spec, key, "spec", problems)
    for group in ("initContainers", "containers"):
        for index, container in enumerate(_list_of_maps(spec.get(group), f"spec.{group}", problems)):
            _container(container, f"spec.{group}[{index}]", problems)
    affinity = spec.get("affinity")
    if isinstance(affinity, Mapping):
        for key in ("nodeAffinity", "podAffinity", "podAntiAffinity"):
            _map(affinity.get(key), f"spec.affinity.{key}", problems)
    return problems
