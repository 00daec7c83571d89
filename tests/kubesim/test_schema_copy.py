"""schema.conform, made faster for seeding big cluster files (common cases inline, one copy
instead of a copy and a walk), decodes exactly as the plain walk it replaced: the same object
or the same decoder error, on kubesim's fixtures, the scale benchmark's pods and thousands of
type mutations of them. And its result shares nothing mutable with its input, so seeding may
hand the result to the store without a copy of its own."""

from __future__ import annotations

import random
from typing import Any

import pytest

from prevalidate.testing.kubesim.cluster import load_cluster
from prevalidate.testing.kubesim.schema import (
    INT32,
    SCHEMAS,
    ListOf,
    MapOf,
    Schema,
    ShapeError,
    Struct,
    _fail,
    conform,
)

from .conftest import CLUSTER


def _reference(value: Any, schema: Schema, struct: str, path: str) -> Any:
    """The walk as it was before (schema.py at 60f1e8f), the oracle."""
    if schema == "any" or schema == "quantity":
        return value
    if isinstance(schema, Struct):
        if not isinstance(value, dict):
            raise _fail(value, struct, path, schema)
        out = {}
        for key, item in value.items():
            if item is None:
                continue
            child = schema.fields.get(key)
            sub = f"{path}.{key}" if path else key
            out[key] = item if child is None else _reference(item, child, schema.go_type, sub)
        return out
    if isinstance(schema, ListOf):
        if not isinstance(value, list):
            raise _fail(value, struct, path, schema)
        return [_reference(v, schema.item, struct, path) for v in value if v is not None]
    if isinstance(schema, MapOf):
        if not isinstance(value, dict):
            raise _fail(value, struct, path, schema)
        return {k: _reference(v, schema.value, struct, path) for k, v in value.items() if v is not None}
    if schema == INT32:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise _fail(value, struct, path, schema)
        if not -(2**31) <= value < 2**31:
            raise ShapeError(str(_fail(value, struct, path, schema)).replace(
                "unmarshal number into", f"unmarshal number {value} into"))
        return value
    ok = isinstance(value, schema) and not (schema is int and isinstance(value, bool))
    if schema is int and isinstance(value, float) and value.is_integer():
        return int(value)
    if not ok:
        raise _fail(value, struct, path, schema)
    return value


def _outcome(decode: Any, kind: str, obj: Any) -> tuple[str, Any]:
    try:
        return "ok", decode(kind, obj)
    except ShapeError as exc:
        return "error", str(exc)


def _old(kind: str, obj: Any) -> Any:
    schema = SCHEMAS[kind]
    return _reference(obj, schema, schema.go_type, "")


def _paths(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*at, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*at, index))
    return found


REPLACEMENTS: list[Any] = ["text", 7, 2.5, 3.0, 2**40, True, None, [], ["x", None], {}, {"k": None, "v": "s"}]


def _mutants(obj: dict[str, Any], rng: random.Random, count: int) -> list[dict[str, Any]]:
    paths = [p for p in _paths(obj) if p]
    out = []
    for _ in range(count):
        mutant = conform_free_copy(obj)
        where = rng.choice(paths)
        parent = mutant
        for step in where[:-1]:
            parent = parent[step]
        parent[where[-1]] = rng.choice(REPLACEMENTS)
        out.append(mutant)
    return out


def conform_free_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: conform_free_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [conform_free_copy(v) for v in value]
    return value


# The shapes of benchmarks/_bigcluster.py (the 150,000-pod file): a z2jh notebook pod, a node.
BIG_POD = {
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {"name": "jupyter-user-000001", "namespace": "jhub",
                 "labels": {"app": "jupyterhub", "hub.jupyter.org/servername": ""},
                 "annotations": {"hub.jupyter.org/username": "user-000001"}},
    "spec": {
        "nodeName": "node-00000",
        "containers": [{
            "name": "notebook", "image": "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0",
            "args": ["jupyterhub-singleuser"], "env": [{"name": "JUPYTERHUB_USER", "value": "user-000001"}],
            "ports": [{"containerPort": 8888, "name": "notebook-port"}],
            "resources": {"requests": {"cpu": "200m", "memory": "1Gi"},
                          "limits": {"cpu": 2, "memory": "4Gi"}},
            "volumeMounts": [{"name": "home", "mountPath": "/home/jovyan"}],
        }],
        "volumes": [{"name": "home", "emptyDir": {}}],
        "restartPolicy": "OnFailure",
    },
    "status": {"phase": "Running"},
}
BIG_NODE = {
    "apiVersion": "v1", "kind": "Node",
    "metadata": {"name": "node-00003", "labels": {"topology.kubernetes.io/zone": "zone-0"}},
    "spec": {},
    "status": {"allocatable": {"cpu": "62500m", "memory": "250Gi", "pods": "110"},
               "capacity": {"cpu": "64", "memory": "256Gi", "pods": "110"},
               "conditions": [{"type": "Ready", "status": "True"}],
               "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux"}},
}


def _samples() -> list[dict[str, Any]]:
    objects = [o for o in load_cluster(CLUSTER).objects if o["kind"] in SCHEMAS]
    return [*objects, BIG_POD, BIG_NODE]


@pytest.mark.parametrize("seed", range(4))
def test_the_fast_walk_decodes_as_the_plain_walk_did(seed: int) -> None:
    rng = random.Random(seed)
    for obj in _samples():
        for candidate in [obj, *_mutants(obj, rng, 150)]:
            kind = obj["kind"]  # as the request path names it, whatever the body says
            assert _outcome(conform, kind, candidate) == _outcome(_old, kind, candidate), candidate


def _containers(value: Any) -> list[int]:
    ids = [id(value)] if isinstance(value, (dict, list)) else []
    if isinstance(value, dict):
        for item in value.values():
            ids += _containers(item)
    elif isinstance(value, list):
        for item in value:
            ids += _containers(item)
    return ids


def test_the_result_shares_no_dict_or_list_with_the_input() -> None:
    for obj in _samples():
        obj = conform_free_copy(obj)
        obj["metadata"]["ownerReferences"] = [{"kind": "StatefulSet", "name": "x"}]  # an "any" value
        obj["somethingNew"] = {"nested": ["kept", {"as": "is"}]}  # an unknown field
        result = conform(obj["kind"], obj)
        assert result == _old(obj["kind"], obj)
        assert not set(_containers(result)) & set(_containers(obj))
