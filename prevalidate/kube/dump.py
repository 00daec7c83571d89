"""Read cluster state from files: ``kubectl get ... -A -o yaml`` output, a pod, node pools.

The I/O edge for the CLI and tests. Unknown kinds and non-Kubernetes documents (kubesim's
``kubesim.prevalidate.dev/*`` settings) are skipped, so one file can feed both.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

from ..model.cluster import ClusterView
from ..model.objects import NodeInfo
from ..model.podshape import shape_problems
from ..model.request import PodRequest, kubespawner_request


class InputFileError(Exception):
    """A file that cannot be used; the message is one line for the user."""


def _documents(path: Path) -> list[Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{path} is not a text file") from None
    try:
        return [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        raise InputFileError(f"{path} is not valid YAML{where}: {getattr(exc, 'problem', exc)}") from None


def iter_objects(documents: list[Any]) -> Iterator[Mapping[str, Any]]:
    """Flatten ``kind: List`` (and ``*List``) documents into their items."""
    for doc in documents:
        if not isinstance(doc, Mapping):
            continue
        if str(doc.get("kind", "")).endswith("List") and isinstance(doc.get("items"), list):
            yield from iter_objects(doc["items"])
        elif "kind" in doc:
            yield doc


def load_cluster(path: str | Path) -> ClusterView:
    """A ClusterView from a dump. Every kind counts as known: the documented kubectl command
    lists them all, so an absent kind means there are none."""
    view = ClusterView()
    count = 0
    for obj in iter_objects(_documents(Path(path))):
        if str(obj.get("apiVersion", "")).startswith("kubesim."):
            continue
        view.apply(obj)
        count += 1
    if count == 0:
        raise InputFileError(
            f"{path} holds no Kubernetes objects (expected `kubectl get ... -o yaml` output)"
        )
    if not view.priority_classes:
        # Every cluster has system-*-critical classes, so none means they were not listed.
        view.mark_unknown("PriorityClass")
    if not view.runtime_classes:
        # `kubectl get runtimeclasses` is not in the documented command; none listed means
        # unknown, so a pod naming one is not called missing.
        view.mark_unknown("RuntimeClass")
    return view


def load_pod(path: str | Path) -> dict[str, Any]:
    pods = [o for o in iter_objects(_documents(Path(path))) if o.get("kind") == "Pod"]
    if len(pods) != 1:
        raise InputFileError(f"{path} must hold exactly one Pod (found {len(pods)})")
    pod = dict(pods[0])
    problems = shape_problems(pod)
    if problems:
        where, what = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise InputFileError(f"{path}: the Pod's {where or 'body'} {what}{more}")
    if not pod["spec"].get("containers"):
        raise InputFileError(f"{path}: the Pod has no spec.containers")
    return pod


def load_node_pools(path: str | Path) -> tuple[NodeInfo, ...]:
    nodes = [NodeInfo.from_dict(o) for o in iter_objects(_documents(Path(path))) if o.get("kind") == "Node"]
    if not nodes:
        raise InputFileError(f"{path} holds no Node templates")
    return tuple(nodes)


def load_request(path: str | Path, *, from_kubespawner: bool = False) -> PodRequest:
    """The pod in ``path`` as a request. ``from_kubespawner``: KubeSpawner built it, so what its
    ``_start`` creates around the pod counts as present (``model.request.kubespawner_request``),
    including the objects given in the same file (the PVC it creates, the user namespace)."""
    pod = load_pod(path)
    if not from_kubespawner:
        return PodRequest(pod)
    others = [o for o in iter_objects(_documents(Path(path))) if o.get("kind") != "Pod"]
    try:
        return kubespawner_request(pod, others)
    except (AttributeError, TypeError, LookupError, ValueError, ArithmeticError) as exc:
        raise InputFileError(f"{path}: an object next to the Pod cannot be read ({exc})") from None
