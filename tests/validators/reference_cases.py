"""What the reference tests share: pods that read secrets and config maps (volumes, projected
volumes, env vars, envFrom), the objects that exist, and ``refs`` — the references check alone."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from factories import base_objects, configmap, container, pairs, pod, secret, verdict


def secret_volume(name: str, optional: bool | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"secretName": name}
    if optional is not None:
        source["optional"] = optional
    return {"name": f"s-{name}", "secret": source}


def configmap_volume(name: str, optional: bool | None = None) -> dict[str, Any]:
    source: dict[str, Any] = {"name": name}
    if optional is not None:
        source["optional"] = optional
    return {"name": f"c-{name}", "configMap": source}


def projected(**sources: str) -> dict[str, Any]:
    """``projected(secret="a", configMap="b")``; a name ending in ``?`` is optional."""
    items = []
    for kind, name in sources.items():
        entry: dict[str, Any] = {"name": name.rstrip("?")}
        if name.endswith("?"):
            entry["optional"] = True
        items.append({kind: entry})
    return {"name": "projected", "projected": {"sources": items}}


def env_from_key(kind: str, name: str, optional: bool = False, key: str = "key") -> dict[str, Any]:
    """An env var read from one key; the factories' secrets and config maps have key ``key``."""
    field = "secretKeyRef" if kind == "secret" else "configMapKeyRef"
    ref: dict[str, Any] = {"name": name, "key": key}
    if optional:
        ref["optional"] = True
    return {"name": "VAR", "valueFrom": {field: ref}}


def env_from(kind: str, name: str, optional: bool = False) -> dict[str, Any]:
    key = "secretRef" if kind == "secret" else "configMapRef"
    ref: dict[str, Any] = {"name": name}
    if optional:
        ref["optional"] = True
    return {key: ref}


def with_env(env: Sequence[Any] = (), env_sources: Sequence[Any] = (), init: bool = False) -> dict[str, Any]:
    c = container("init" if init else "notebook", env=list(env), envFrom=list(env_sources))
    return pod(containers=[container()], init_containers=[c]) if init else pod(containers=[c])


EXISTING = [*base_objects(), secret("creds"), configmap("settings")]


def refs(the_pod: Any, objects: Any = EXISTING, **kwargs: Any) -> list[tuple[str, str]]:
    return pairs(verdict(the_pod, objects, checks=["references"], **kwargs))
