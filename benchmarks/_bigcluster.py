"""A large cluster file for the scale benchmark: ``nodes`` nodes with ``pods_per_node`` running
pods each (z2jh-like notebook pods, bound and Running), written as one JSON ``kind: List``
(JSON is YAML, and kubectl's ``-o json`` is what big dumps are in practice)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Obj = dict[str, Any]
NAMESPACE = "jhub"


def node(i: int) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": f"node-{i:05d}",
            "labels": {
                "kubernetes.io/hostname": f"node-{i:05d}",
                "hub.jupyter.org/node-purpose": "user",
                "topology.kubernetes.io/zone": f"zone-{i % 3}",
            },
        },
        "spec": {},
        "status": {
            "allocatable": {"cpu": "62500m", "memory": "250Gi", "pods": "110", "ephemeral-storage": "100Gi"},
            "capacity": {"cpu": "64", "memory": "256Gi", "pods": "110", "ephemeral-storage": "120Gi"},
            "conditions": [{"type": "Ready", "status": "True"}],
            "nodeInfo": {"architecture": "amd64", "operatingSystem": "linux"},
        },
    }


def pod(i: int, node_name: str) -> Obj:
    user = f"user-{i:06d}"
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"jupyter-{user}",
            "namespace": NAMESPACE,
            "labels": {
                "app": "jupyterhub",
                "component": "singleuser-server",
                "hub.jupyter.org/username": user,
                "hub.jupyter.org/servername": "",
            },
            "annotations": {"hub.jupyter.org/username": user},
        },
        "spec": {
            "nodeName": node_name,
            "containers": [
                {
                    "name": "notebook",
                    "image": "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0",
                    "args": ["jupyterhub-singleuser"],
                    "env": [{"name": "JUPYTERHUB_USER", "value": user}],
                    "ports": [{"containerPort": 8888, "name": "notebook-port"}],
                    "resources": {
                        "requests": {"cpu": "200m", "memory": "1Gi"},
                        "limits": {"cpu": "2", "memory": "4Gi"},
                    },
                    "volumeMounts": [{"name": "home", "mountPath": "/home/jovyan"}],
                }
            ],
            "volumes": [{"name": "home", "emptyDir": {}}],
            "restartPolicy": "OnFailure",
        },
        "status": {"phase": "Running"},
    }


def cluster(nodes: int, pods_per_node: int) -> Obj:
    items: list[Obj] = [{"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}]
    items += [node(i) for i in range(nodes)]
    items += [pod(i, f"node-{i // pods_per_node:05d}") for i in range(nodes * pods_per_node)]
    return {"apiVersion": "v1", "kind": "List", "items": items}


def write(path: Path, nodes: int, pods_per_node: int) -> Path:
    path.write_text(json.dumps(cluster(nodes, pods_per_node)))
    return path
