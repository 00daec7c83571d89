"""The shape of a pod manifest: the fields the checks read must have the types the API defines.

Pure, no I/O here. The apiserver refuses a pod whose fields have the wrong JSON types with a
400 before anything else runs; we do the same up front, so the checks can trust the shape and
hostile input (``containers: [x]``, ``metadata: foo``) becomes a clear ``input-invalid`` finding
instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_CONTAINER_MAPS = ("resources",)
_CONTAINER_LISTS = ("env", "envFrom", "volumeMounts", "ports")
_SPEC_MAPS = ("nodeSelector", "affinity", "overhead", "resources")
_SPEC_LISTS_OF_MAPS = ("volumes", "tolerations", "imagePullSecrets")


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "object"
    if isinstance(value, list):
        return "array"
    return type(value).__name__ if value is not None else "null"


def _list_of_maps(value: Any, path: str, problems: list[tuple[str, str]]) -> list[Mapping[str, Any]]:
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


def _map(value: Any, path: str, problems: list[tuple[str, str]]) -> None:
    if value is not None and not isinstance(value, Mapping):
        problems.append((path, f"must be an object, not {_kind(value)}"))


def shape_problems(pod: Any) -> list[tuple[str, str]]:
    """(field path, what is wrong) for every mistyped field the checks would read."""
    problems: list[tuple[str, str]] = []
    if not isinstance(pod, Mapping):
        return [("", f"a Pod must be an object, not {_kind(pod)}")]
    _map(pod.get("metadata"), "metadata", problems)
    spec = pod.get("spec")
    if not isinstance(spec, Mapping):
        return [*problems, ("spec", f"must be an object, not {_kind(spec)}")]
    for key in _SPEC_MAPS:
        _map(spec.get(key), f"spec.{key}", problems)
    for key in _SPEC_LISTS_OF_MAPS:
        _list_of_maps(spec.get(key), f"spec.{key}", problems)
    for group in ("initContainers", "containers"):
        for index, container in enumerate(_list_of_maps(spec.get(group), f"spec.{group}", problems)):
            path = f"spec.{group}[{index}]"
            for key in _CONTAINER_MAPS:
                _map(container.get(key), f"{path}.{key}", problems)
            resources = container.get("resources")
            if isinstance(resources, Mapping):
                for key in ("requests", "limits"):
                    _map(resources.get(key), f"{path}.resources.{key}", problems)
            for key in _CONTAINER_LISTS:
                _list_of_maps(container.get(key), f"{path}.{key}", problems)
            for key in ("name", "image"):
                value = container.get(key)
                if value is not None and not isinstance(value, str):
                    problems.append((f"{path}.{key}", f"must be a string, not {_kind(value)}"))
    affinity = spec.get("affinity")
    if isinstance(affinity, Mapping):
        for key in ("nodeAffinity", "podAffinity", "podAntiAffinity"):
            _map(affinity.get(key), f"spec.affinity.{key}", problems)
    return problems
