"""What a request path names: a resource URL (type, namespace, object, subresource) or a
discovery document.

``resolve`` reads `/api/v1/...` and `/apis/<group>/<version>/...` the way the apiserver's
router does (namespaced collections, objects, the `status` subresource, pods' `log`), and
answers `/version`, `/api`, `/apis` and each group's and version's discovery document itself.
Anything else is the apiserver's 404 (``unknown_path``).
"""

from __future__ import annotations

from typing import Any

from . import discovery
from .resources import BY_PLURAL, Resource
from .status import unknown_path

Obj = dict[str, Any]


class Target:
    """What a URL names: a resource type, maybe a namespace, maybe an object, maybe `status`."""

    def __init__(self, resource: Resource, namespace: str | None, name: str | None, sub: str | None) -> None:
        self.resource, self.namespace, self.name, self.sub = resource, namespace, name, sub


def resolve(path: str) -> Target | Obj:
    """A Target for resource URLs, or the discovery document to return; ApiError if unknown."""
    parts = [p for p in path.split("/") if p]
    if parts == ["version"]:
        return discovery.version()
    if parts == ["api"]:
        return discovery.core_versions()
    if parts == ["apis"]:
        return discovery.group_list()
    if len(parts) >= 2 and parts[:2] == ["api", "v1"]:
        group, version, rest = "", "v1", parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    elif len(parts) == 2 and parts[0] == "apis":
        doc = discovery.group(parts[1])
        if doc is None:
            raise unknown_path()
        return doc
    else:
        raise unknown_path()
    if not rest:
        doc = discovery.resource_list(group, version)
        if doc is None:
            raise unknown_path()
        return doc
    namespace = None
    if rest[0] == "namespaces" and len(rest) >= 3 and rest[2] not in ("status", "finalize"):
        namespace, rest = rest[1], rest[2:]
    resource = BY_PLURAL.get((group, rest[0]))
    if resource is None or len(rest) > 3 or (namespace is not None and not resource.namespaced):
        raise unknown_path()
    name = rest[1] if len(rest) >= 2 else None
    sub = rest[2] if len(rest) == 3 else None
    if sub not in (None, "status") and not (sub == "log" and resource.plural == "pods"):
        raise unknown_path()
    return Target(resource, namespace, name, sub)
