"""Cluster files: the initial state of a kubesim cluster.

Format (shared with `prevalidate check --cluster`): what
`kubectl get nodes,pods,resourcequotas,limitranges,persistentvolumeclaims,storageclasses,
namespaces,serviceaccounts,secrets,configmaps -A -o yaml` prints — a `kind: List` with
`items` — or several YAML documents, each an object or a List. kubesim-only settings are
extra documents with `apiVersion: kubesim.prevalidate.dev/v1` (other tools ignore them):

    apiVersion: kubesim.prevalidate.dev/v1
    kind: ImageCatalog
    spec:
      images:                       # what the simulated registries hold
        - image: quay.io/jupyterhub/k8s-singleuser-sample:4.0.0
          platforms: [linux/amd64, linux/arm64]     # default: both
          size: 123456789                           # bytes, for the Pulled event
        - image: docker.io/library/private:1
          denied: true                              # pull access denied, whoever asks
        - image: quay.io/org/team:1
          credentials: ["alice:s3cret"]             # private: needs a matching pull secret
        - image: ghcr.io/org/gone:1
          exists: false                             # registry answers not found
        - image: quay.io/org/crashes:1              # once started (lifecycle.py):
          exitCode: 1                               #   exits 1 -> CrashLoopBackOff
          runSeconds: 0.2                           #   after running this long
          logs: ["Traceback (most recent call last):", "ImportError: no module named x"]
        - image: quay.io/org/hungry:1
          oomKilled: true                           # OOMKilled, exit 137 (or evicted: true)
      httpRegistries: ["127.0.0.1:5000"]   # really asked: HEAD /v2/<name>/manifests/<ref>
      unknownHosts: unreachable            # or notFound: images on hosts never mentioned
    ---
    apiVersion: kubesim.prevalidate.dev/v1
    kind: NodePool                  # cluster-autoscaler node group
    metadata: {name: gpu-pool}
    spec:
      maxCount: 3
      provisionSeconds: 2
      readySeconds: 1               # registers NotReady (taint not-ready:NoSchedule) first
      template: {metadata: {labels: {...}}, spec: {taints: [...]}, status: {allocatable: {...}}}
    ---
    apiVersion: kubesim.prevalidate.dev/v1
    kind: SimSettings
    spec: {startProcesses: true, imagePullBackOffSeconds: 1, kubeletDelaySeconds: 0.02}

Images are matched after normalisation (`python:3.11` = `docker.io/library/python:3.11`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .gcpause import gc_paused
from .images import InvalidImage, parse_image
from .settings import API_VERSION, CatalogImage, NodePool, SimConfig

Obj = dict[str, Any]


class ClusterFileError(ValueError):
    """The cluster file cannot be used; the message is one line for the user."""


@dataclass
class Cluster:
    objects: list[Obj] = field(default_factory=list)
    config: SimConfig = field(default_factory=SimConfig)


def _flatten(doc: Any, where: str) -> list[Obj]:
    if doc is None:
        return []
    if not isinstance(doc, dict):
        raise ClusterFileError(f"{where}: expected a Kubernetes object or List, got {type(doc).__name__}")
    if doc.get("kind") == "List" or (doc.get("kind", "").endswith("List") and "items" in doc):
        items: list[Obj] = []
        for item in doc.get("items") or []:
            items.extend(_flatten(item, where))
        return items
    return [doc]


def _catalog(spec: Obj, config: SimConfig) -> None:
    for entry in spec.get("images") or []:
        image = entry.get("image") or entry.get("reference")
        if not image:
            raise ClusterFileError("ImageCatalog: every image needs `image:`")
        try:
            ref = parse_image(str(image))
        except InvalidImage as exc:
            raise ClusterFileError(f"ImageCatalog: {exc}") from None
        facts = CatalogImage(exists=bool(entry.get("exists", True)), denied=bool(entry.get("denied", False)))
        if entry.get("platforms"):
            facts.platforms = tuple(entry["platforms"])
        if entry.get("size"):
            facts.size = int(entry["size"])
        if entry.get("credentials"):
            facts.credentials = tuple(str(c) for c in entry["credentials"])
        if entry.get("digest"):
            facts.digest = str(entry["digest"])
        _behaviour(entry, facts)
        config.catalog.images[str(ref)] = facts
    config.catalog.http_registries.extend(spec.get("httpRegistries") or [])
    unknown = spec.get("unknownHosts", "unreachable")
    if unknown not in ("unreachable", "notFound"):
        raise ClusterFileError("ImageCatalog: unknownHosts must be unreachable or notFound")
    config.catalog.unknown_host = unknown


def _behaviour(entry: Obj, facts: CatalogImage) -> None:
    """What a container of the image does once started (lifecycle.py)."""
    try:
        if entry.get("exitCode") is not None:
            facts.exit_code = int(entry["exitCode"])
        facts.oom_killed = bool(entry.get("oomKilled", False))
        facts.evicted = bool(entry.get("evicted", False))
        facts.start_error = bool(entry.get("startError", False))
        facts.run_seconds = float(entry.get("runSeconds", 0.0))
        facts.transient_failures = int(entry.get("transientPullFailures", 0))
        if entry.get("pullSeconds") is not None:
            facts.pull_seconds = float(entry["pullSeconds"])
    except (TypeError, ValueError):
        raise ClusterFileError(
            f"ImageCatalog: {entry.get('image')}: exitCode and transientPullFailures must be integers, "
            "runSeconds and pullSeconds numbers"
        ) from None
    kind = str(entry.get("transientPullError", "429"))
    if kind not in ("429", "502", "qps", "timeout"):
        raise ClusterFileError(
            f"ImageCatalog: transientPullError must be 429, 502, qps or timeout, not {kind}")
    facts.transient_error = kind
    logs = entry.get("logs") or []
    if isinstance(logs, str):
        logs = logs.splitlines()
    facts.logs = tuple(str(line) for line in logs)


def _sim_document(doc: Obj, config: SimConfig) -> None:
    kind, spec = doc.get("kind"), doc.get("spec") or {}
    if kind == "ImageCatalog":
        _catalog(spec, config)
    elif kind == "NodePool":
        name = (doc.get("metadata") or {}).get("name") or spec.get("name")
        if not name or not isinstance(spec.get("template"), dict):
            raise ClusterFileError("NodePool: needs metadata.name and spec.template (a Node)")
        config.pools.append(
            NodePool(
                str(name),
                spec["template"],
                int(spec.get("maxCount", 1)),
                float(spec.get("provisionSeconds", 1.0)),
                float(spec.get("readySeconds", 0.0)),
            )
        )
    elif kind == "SimSettings":
        try:
            config.settings.update(spec)
        except ValueError as exc:
            raise ClusterFileError(str(exc)) from None
    else:
        raise ClusterFileError(f"unknown {API_VERSION} kind {kind!r} (ImageCatalog, NodePool or SimSettings)")


def _documents(text: str) -> list[Any]:
    """The file's documents. A JSON file (``kubectl get ... -o json``, how big clusters are
    dumped) is read by the json module, about 100 times faster than PyYAML's pure-Python
    loader (0.15 MB/s); JSON is YAML, so anything json refuses is read as YAML."""
    with gc_paused():
        if text.lstrip()[:1] in ("{", "["):
            try:
                return [json.loads(text)]
            except ValueError:
                pass
        return list(yaml.safe_load_all(text))


def parse_cluster(text: str, where: str = "cluster file") -> Cluster:
    cluster = Cluster()
    try:
        docs = _documents(text)
    except yaml.YAMLError as exc:
        raise ClusterFileError(f"{where}: not valid YAML: {exc}".splitlines()[0]) from None
    for doc in docs:
        for obj in _flatten(doc, where):
            if obj.get("apiVersion") == API_VERSION:
                _sim_document(obj, cluster.config)
            elif not obj.get("kind") or not (obj.get("metadata") or {}).get("name"):
                raise ClusterFileError(f"{where}: every object needs kind and metadata.name")
            else:
                cluster.objects.append(obj)
    return cluster


def load_cluster(path: str | Path) -> Cluster:
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as exc:
        raise ClusterFileError(f"cannot read {path}: {exc.strerror}") from None
    return parse_cluster(text, str(path))
