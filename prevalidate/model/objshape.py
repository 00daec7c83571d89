"""The shape of the cluster objects the checks read (nodes, quotas, claims ...), as the API
defines their fields (k8s.io/api core/v1, storage/v1, scheduling/v1, node/v1).

Pure, no I/O here. Objects listed from a live API server always have these types; a cluster
*file* may not (a hand-edited dump), and ``objects.py`` trusts the types it reads. So a file's
objects are checked first, with quantities parsed too (the apiserver never stores one it
cannot parse), and the caller decides what a mistyped object costs: dropping a Pod or a
ResourceQuota can only let more spawns through (fail open); dropping a Node, a claim or a
secret could reject a valid spawn, so those make the file unusable instead
(``SKIPPABLE_KINDS``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .jsonshape import BOOL, INT, QTY, STR, ListOf, MapOf, Problems, Shape, kind_of, obj, problems
from .podshape import METADATA, POD_SPEC
from .quantity import parse_quantity

_QUANTITIES = MapOf(QTY)
_SCOPE_REQUIREMENT = obj(scopeName=STR, operator=STR, values=ListOf(STR))

SHAPES: dict[str, Shape] = {
    "Node": obj(
        spec=obj(taints=ListOf(obj(key=STR, value=STR, effect=STR)), unschedulable=BOOL),
        status=obj(allocatable=_QUANTITIES, capacity=_QUANTITIES),
    ),
    "Pod": obj(spec=POD_SPEC, status=obj(phase=STR)),
    "Namespace": obj(status=obj(phase=STR)),
    "ResourceQuota": obj(
        spec=obj(
            hard=_QUANTITIES,
            scopes=ListOf(STR),
            scopeSelector=obj(matchExpressions=ListOf(_SCOPE_REQUIREMENT)),
        ),
        status=obj(hard=_QUANTITIES, used=_QUANTITIES),
    ),
    "LimitRange": obj(
        spec=obj(
            limits=ListOf(
                obj(
                    type=STR,
                    min=_QUANTITIES,
                    max=_QUANTITIES,
                    default=_QUANTITIES,
                    defaultRequest=_QUANTITIES,
                    maxLimitRequestRatio=_QUANTITIES,
                )
            )
        )
    ),
    "PersistentVolumeClaim": obj(
        spec=obj(
            storageClassName=STR,
            accessModes=ListOf(STR),
            volumeName=STR,
            resources=obj(requests=_QUANTITIES, limits=_QUANTITIES),
        ),
        status=obj(phase=STR),
    ),
    "StorageClass": obj(volumeBindingMode=STR),
    "ServiceAccount": obj(imagePullSecrets=ListOf(obj(name=STR))),
    "Secret": obj(type=STR, data=MapOf(STR), stringData=MapOf(STR)),
    "ConfigMap": obj(data=MapOf(STR), binaryData=MapOf(STR)),
    "PriorityClass": obj(value=INT, globalDefault=BOOL, preemptionPolicy=STR),
    "RuntimeClass": obj(  # node.k8s.io/v1
        handler=STR,
        overhead=obj(podFixed=_QUANTITIES),
        scheduling=obj(
            nodeSelector=MapOf(STR),
            tolerations=ListOf(obj(key=STR, operator=STR, value=STR, effect=STR, tolerationSeconds=INT)),
        ),
    ),
}

# Without these an object only lifts a limit: fewer pods on the nodes, one quota fewer.
SKIPPABLE_KINDS = frozenset({"Pod", "ResourceQuota"})


def _quantity_problem(value: Any) -> str | None:
    if isinstance(value, bool):
        return f"must be a quantity, not {kind_of(value)}"
    text = (
        value.strip() if isinstance(value, str) else repr(value) if isinstance(value, float) else str(value)
    )
    try:
        parse_quantity(text)
    except ValueError as exc:
        return f"is not a quantity ({kind_of(value)}: {exc})"
    return None


def object_problems(obj_: Mapping[str, Any]) -> Problems:
    """(field path, what is wrong) for the fields of a cluster object the checks read; kinds
    the checks do not read have none."""
    shape = SHAPES.get(str(obj_.get("kind")))
    if shape is None:
        return []
    found = problems(obj_.get("metadata"), METADATA, "metadata", strict=True)
    return found + problems(obj_, shape, strict=True, quantity=_quantity_problem)
