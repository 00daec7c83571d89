"""Read cluster state from files: ``kubectl get ... -A -o yaml`` output, a pod, node pools.

The I/O edge for the CLI and tests. Unknown kinds and non-Kubernetes documents (kubesim's
``kubesim.prevalidate.dev/*`` settings) are skipped, so one file can feed both.

A file is read as kubectl reads it: YAML turned into JSON (sigs.k8s.io/yaml), so the checks
only ever see JSON types. Anything that cannot be turned into JSON — a YAML error, nesting or
numbers too large to handle, an anchor that contains itself — is an ``InputFileError`` with one
line for the user, never a traceback. Cluster objects whose fields have the wrong types are
skipped with a warning when dropping them can only let more spawns through (a Pod, a
ResourceQuota), and make the file unusable otherwise (a Node, a claim, a secret ...).
"""

from __future__ import annotations

import datetime
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from ..model.cluster import ClusterView
from ..model.jsonshape import clip
from ..model.objects import NodeInfo
from ..model.objshape import SKIPPABLE_KINDS, object_problems
from ..model.podshape import shape_problems
from ..model.request import PodRequest, kubespawner_request

log = logging.getLogger("prevalidate")
Warn = Callable[[str], None]

# libyaml's parser when PyYAML was built with it: the same documents, ten times faster.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
MAX_NODES = 2_000_000  # values in one file after aliases are expanded (YAML "billion laughs")


class InputFileError(Exception):
    """A file that cannot be used; the message is one line for the user."""


def _json_key(key: Any) -> str:
    """A YAML map key as JSON has it (sigs.k8s.io/yaml prints non-string keys: 1 -> "1")."""
    if isinstance(key, str):
        return key
    if isinstance(key, bool):
        return str(key).lower()
    if key is None:
        return "null"
    if isinstance(key, (datetime.date, datetime.datetime)):
        return key.isoformat()
    return str(key) if not isinstance(key, (tuple, frozenset)) else repr(key)


def _json_text(text: str) -> str:
    """Lone surrogates (a YAML ``"\\ud800"`` escape) become U+FFFD, as in Go's strings."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def to_json(document: Any, source: str) -> Any:
    """``document`` with only JSON types, or InputFileError (one line) when it has none."""
    count = 0
    on_path: set[int] = set()

    def convert(value: Any, depth: int) -> Any:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise InputFileError(f"{source} holds too many values (more than {MAX_NODES:,} after aliases)")
        if isinstance(value, str):
            return _json_text(value)
        if value is None or isinstance(value, (bool, int)):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):  # JSON has no NaN or infinity; kubectl refuses them
                raise InputFileError(f"{source}: {value!r} is not a JSON number")
            return value
        if isinstance(value, (datetime.date, datetime.datetime)):
            return value.isoformat()
        if isinstance(value, bytes):  # !!binary: go-yaml decodes it into a string
            return _json_text(value.decode("utf-8", "replace"))
        if isinstance(value, (dict, list, set)):
            if id(value) in on_path:
                raise InputFileError(f"{source}: a YAML anchor contains itself")
            on_path.add(id(value))
            try:
                if isinstance(value, dict):
                    return {_json_text(_json_key(k)): convert(v, depth + 1) for k, v in value.items()}
                if isinstance(value, set):  # !!set: a map of keys to null in go-yaml
                    return {_json_text(_json_key(k)): None for k in value}
                return [convert(v, depth + 1) for v in value]
            finally:
                on_path.discard(id(value))
        raise InputFileError(f"{source}: a value of type {type(value).__name__} has no JSON form")

    return convert(document, 0)


def read_documents(path: Path) -> list[Any]:
    """The YAML documents of ``path`` as JSON values (empty documents dropped)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{path} is not a text file") from None
    try:
        try:
            documents = list(yaml.load_all(text, Loader=_LOADER))
        except yaml.YAMLError:
            # libyaml refuses a few things PyYAML reads, such as the surrogate pairs JSON
            # writes for emoji ("\ud83d\ude00"); only PyYAML's own error is final.
            if _LOADER is yaml.SafeLoader:
                raise
            documents = list(yaml.load_all(text, Loader=yaml.SafeLoader))
        documents = [doc for doc in documents if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problem = clip(str(getattr(exc, "problem", None) or exc).splitlines()[0], 200)
        raise InputFileError(f"{path} is not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise InputFileError(f"{path} is nested too deeply to read") from None
    except UnicodeError:
        raise InputFileError(f"{path} is not valid UTF-8 text") from None
    except ValueError as exc:  # an integer of more than 4300 digits (CPython's limit)
        raise InputFileError(f"{path} holds a value that cannot be read: {clip(str(exc), 120)}") from None
    try:
        return [to_json(doc, str(path)) for doc in documents]
    except RecursionError:
        raise InputFileError(f"{path} is nested too deeply to read") from None


def iter_objects(documents: Iterable[Any]) -> Iterator[Mapping[str, Any]]:
    """Flatten ``kind: List`` (and ``*List``) documents into their items."""
    for doc in documents:
        if not isinstance(doc, Mapping):
            continue
        if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
            yield from iter_objects(doc["items"])
        elif "kind" in doc:
            yield doc


def _describe(obj: Mapping[str, Any]) -> str:
    meta = obj.get("metadata")
    meta = meta if isinstance(meta, Mapping) else {}
    name, ns = meta.get("name"), meta.get("namespace")
    named = f'"{clip(ns, 60)}/{clip(name, 60)}"' if isinstance(ns, str) and ns else f'"{clip(str(name), 60)}"'
    return f"the {obj.get('kind')} {named}"


def cluster_from_objects(
    objects: Iterable[Mapping[str, Any]], source: str, warn: Warn | None = None
) -> ClusterView:
    """A ClusterView from the objects of a dump (see ``load_cluster``)."""
    view = ClusterView()
    count = 0
    for obj in objects:
        if str(obj.get("apiVersion", "")).startswith("kubesim."):
            continue
        problems = object_problems(obj)
        if problems:
            where, what = problems[0]
            line = f"{source}: {_describe(obj)}: {where} {what}"
            if obj.get("kind") not in SKIPPABLE_KINDS:
                raise InputFileError(line)
            (warn or log.warning)(f"{line}; it is ignored")
            continue
        view.apply(obj)
        count += 1
    if count == 0:
        raise InputFileError(
            f"{source} holds no Kubernetes objects (expected `kubectl get ... -o yaml` output)"
        )
    if not view.priority_classes:
        # Every cluster has system-*-critical classes, so none means they were not listed.
        view.mark_unknown("PriorityClass")
    if not view.runtime_classes:
        # `kubectl get runtimeclasses` is not in the documented command; none listed means
        # unknown, so a pod naming one is not called missing.
        view.mark_unknown("RuntimeClass")
    return view


def load_cluster(path: str | Path, warn: Warn | None = None) -> ClusterView:
    """A ClusterView from a dump. Every kind counts as known: the documented kubectl command
    lists them all, so an absent kind means there are none. ``warn`` receives one line per
    object that is ignored (default: the ``prevalidate`` logger)."""
    return cluster_from_objects(iter_objects(read_documents(Path(path))), str(path), warn)


def pod_from_documents(documents: Iterable[Any], source: str) -> dict[str, Any]:
    """The one Pod of a file's documents, its fields of the types the API defines."""
    pods = [o for o in iter_objects(documents) if o.get("kind") == "Pod"]
    if len(pods) != 1:
        raise InputFileError(f"{source} must hold exactly one Pod (found {len(pods)})")
    pod = dict(pods[0])
    problems = shape_problems(pod)
    if problems:
        where, what = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputFileError(f"{source}: the Pod's {where or 'body'} {what}{more}")
    if not (pod.get("spec") or {}).get("containers"):
        raise InputFileError(f"{source}: the Pod has no spec.containers")
    return pod


def load_pod(path: str | Path) -> dict[str, Any]:
    return pod_from_documents(read_documents(Path(path)), str(path))


def load_node_pools(path: str | Path) -> tuple[NodeInfo, ...]:
    nodes = []
    for obj in iter_objects(read_documents(Path(path))):
        if obj.get("kind") != "Node":
            continue
        problems = object_problems(obj)
        if problems:
            where, what = problems[0]
            raise InputFileError(f"{path}: {_describe(obj)}: {where} {what}")
        nodes.append(NodeInfo.from_dict(obj))
    if not nodes:
        raise InputFileError(f"{path} holds no Node templates")
    return tuple(nodes)


def request_from_documents(
    documents: Iterable[Any], source: str, *, from_kubespawner: bool = False
) -> PodRequest:
    """The one Pod of a file's documents as a request (see ``load_request``)."""
    documents = list(documents)
    pod = pod_from_documents(documents, source)
    if not from_kubespawner:
        return PodRequest(pod)
    others = [o for o in iter_objects(documents) if o.get("kind") != "Pod"]
    for obj in others:
        problems = object_problems(obj)
        if problems:
            where, what = problems[0]
            raise InputFileError(f"{source}: {_describe(obj)}: {where} {what}")
    try:
        return kubespawner_request(pod, others)
    except (AttributeError, TypeError, LookupError, ValueError, ArithmeticError) as exc:
        raise InputFileError(
            f"{source}: an object next to the Pod cannot be read ({clip(exc, 200)})"
        ) from None


def load_request(path: str | Path, *, from_kubespawner: bool = False) -> PodRequest:
    """The pod in ``path`` as a request. ``from_kubespawner``: KubeSpawner built it, so what its
    ``_start`` creates around the pod counts as present (``model.request.kubespawner_request``),
    including the objects given in the same file (the PVC it creates, the user namespace)."""
    return request_from_documents(read_documents(Path(path)), str(path), from_kubespawner=from_kubespawner)
