"""Rebuild ``corpus/kubespawner/*.yaml``: the pods a real KubeSpawner builds for configurations
taken from the zero-to-jupyterhub (z2jh) chart and the KubeSpawner documentation.

Run with the project's venv (it needs the ``hub`` extra):
    .venv/bin/python tests/fuzz/build_kubespawner_corpus.py

Each configuration below is what z2jh's ``jupyterhub_config.py`` sets on ``c.KubeSpawner`` for
the chart values named in its comment (defaults of chart 4.x: the sample image, 1G memory
guarantee, dynamic home storage ``claim-{username}{servername}`` at /home/jovyan, the
``block-cloud-metadata`` init container of ``singleuser.cloudMetadata.blockWithIptables``,
uid 1000 / fs_gid 100, the dedicated-node tolerations and ``matchNodePurpose: prefer``
affinity), or a KubeSpawner trait documented in ``kubespawner/spawner.py``. The pod is what
``get_pod_manifest()`` returns, serialised by the kubernetes client exactly as KubeSpawner
sends it; nothing is edited by hand. Not collected by pytest (no ``test_`` prefix).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import yaml
from traitlets.config import Config

OUT = Path(__file__).parent / "corpus" / "kubespawner"
KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: none, user: {}}]
contexts: [{name: none, context: {cluster: none, user: none, namespace: jhub}}]
current-context: none
"""

NETWORK_TOOLS = {  # z2jh singleuser.cloudMetadata.blockWithIptables (the default)
    "name": "block-cloud-metadata",
    "image": "quay.io/jupyterhub/k8s-network-tools:4.1.0",
    "command": [
        "iptables",
        "--append",
        "OUTPUT",
        "--protocol",
        "tcp",
        "--destination",
        "169.254.169.254",
        "--destination-port",
        "80",
        "--jump",
        "DROP",
    ],
    "securityContext": {"runAsUser": 0, "privileged": True, "capabilities": {"add": ["NET_ADMIN"]}},
}
DEDICATED = [  # z2jh: scheduling.userPods.tolerations are always added
    {"key": "hub.jupyter.org/dedicated", "operator": "Equal", "value": "user", "effect": "NoSchedule"},
    {"key": "hub.jupyter.org_dedicated", "operator": "Equal", "value": "user", "effect": "NoSchedule"},
]
NODE_PURPOSE = {
    "weight": 100,
    "preference": {
        "matchExpressions": [{"key": "hub.jupyter.org/node-purpose", "operator": "In", "values": ["user"]}]
    },
}

Z2JH_DEFAULT: dict[str, Any] = {
    "image": "quay.io/jupyterhub/k8s-singleuser-sample:4.1.0",
    "mem_guarantee": "1G",
    "uid": 1000,
    "fs_gid": 100,
    "storage_pvc_ensure": True,
    "storage_capacity": "10Gi",
    "pvc_name_template": "claim-{username}{servername}",
    "volumes": [
        {"name": "volume-{username}{servername}", "persistentVolumeClaim": {"claimName": "{pvc_name}"}}
    ],
    "volume_mounts": [{"mountPath": "/home/jovyan", "name": "volume-{username}{servername}"}],
    "init_containers": [NETWORK_TOOLS],
    "tolerations": DEDICATED,
    "node_affinity_preferred": [NODE_PURPOSE],
    "scheduler_name": "jhub-user-scheduler",  # scheduling.userScheduler.enabled (default true)
    "extra_labels": {"hub.jupyter.org/network-access-hub": "true"},
    "start_timeout": 300,
}

CONFIGS: dict[str, dict[str, Any]] = {
    "z2jh-default": Z2JH_DEFAULT,
    # z2jh "Optimizations": scheduling.podPriority.enabled + userPlaceholder
    "z2jh-pod-priority": {**Z2JH_DEFAULT, "priority_class_name": "jhub-default-priority"},
    # z2jh "Customizing User Resources": cpu/memory guarantees and limits as numbers
    "z2jh-resources": {
        **Z2JH_DEFAULT,
        "cpu_limit": 2,
        "cpu_guarantee": 0.5,
        "mem_limit": "4G",
        "mem_guarantee": "2G",
    },
    # z2jh GPU example: extraResource limits plus the node pool's taint and selector
    "z2jh-gpu": {
        **Z2JH_DEFAULT,
        "extra_resource_limits": {"nvidia.com/gpu": "1"},
        "node_selector": {"cloud.google.com/gke-accelerator": "nvidia-tesla-k80"},
        "tolerations": [*DEDICATED, {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
    },
    # z2jh singleuser.storage.type: static with a shared claim and a per-user subPath
    "z2jh-static-storage": {
        **{k: v for k, v in Z2JH_DEFAULT.items() if k not in ("storage_pvc_ensure", "pvc_name_template")},
        "volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": "home-nfs"}}],
        "volume_mounts": [{"mountPath": "/home/jovyan", "name": "home", "subPath": "home/{username}"}],
    },
    # z2jh singleuser.storage.type: none, cloudMetadata.blockWithIptables: false
    "z2jh-no-storage": {
        "image": "quay.io/jupyterhub/k8s-singleuser-sample:4.1.0",
        "mem_guarantee": "1G",
        "tolerations": DEDICATED,
        "node_affinity_preferred": [NODE_PURPOSE],
    },
    # z2jh singleuser.extraPodConfig: a sandboxed runtime (RuntimeClass admission adds its overhead)
    "z2jh-runtime-class": {
        **Z2JH_DEFAULT,
        "priority_class_name": "jhub-default-priority",
        "extra_pod_config": {"runtimeClassName": "gvisor", "preemptionPolicy": "PreemptLowerPriority"},
    },
    # KubeSpawner traits: env from secrets and config maps, extra volumes, affinity, sidecar
    "kubespawner-traits": {
        "image": "quay.io/jupyter/scipy-notebook:2024-05-27",
        "cpu_limit": 1.5,
        "mem_limit": "2G",
        "environment": {
            "LOG_LEVEL": "info",
            "API_TOKEN": {"valueFrom": {"secretKeyRef": {"name": "hub-api", "key": "token"}}},
            "REGION": {
                "valueFrom": {"configMapKeyRef": {"name": "site-settings", "key": "region", "optional": True}}
            },
        },
        "volumes": [
            {"name": "shared", "persistentVolumeClaim": {"claimName": "shared-data", "readOnly": True}},
            {
                "name": "settings",
                "configMap": {
                    "name": "site-settings",
                    "items": [{"key": "overrides.json", "path": "overrides.json"}],
                },
            },
            {
                "name": "certs",
                "projected": {
                    "sources": [
                        {"secret": {"name": "site-ca", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                        {"configMap": {"name": "site-settings", "optional": True}},
                        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
                    ]
                },
            },
        ],
        "volume_mounts": [
            {"name": "shared", "mountPath": "/srv/shared", "readOnly": True},
            {"name": "settings", "mountPath": "/opt/conda/share/jupyter/lab/settings"},
            {"name": "certs", "mountPath": "/etc/site"},
        ],
        "node_affinity_required": [
            {
                "matchExpressions": [
                    {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64", "arm64"]}
                ]
            }
        ],
        "pod_anti_affinity_preferred": [
            {
                "weight": 50,
                "podAffinityTerm": {
                    "labelSelector": {"matchLabels": {"component": "singleuser-server"}},
                    "topologyKey": "kubernetes.io/hostname",
                },
            }
        ],
        "pod_affinity_required": [
            {
                "labelSelector": {"matchExpressions": [{"key": "app", "operator": "Exists"}]},
                "topologyKey": "topology.kubernetes.io/zone",
                "namespaces": ["jhub"],
            }
        ],
        "extra_containers": [
            {
                "name": "log-shipper",
                "image": "fluent/fluent-bit:3.0",
                "resources": {"requests": {"cpu": "50m", "memory": "32Mi"}, "limits": {"memory": "64Mi"}},
            }
        ],
        "image_pull_secrets": ["regcred"],
        "service_account": "notebook",
        "extra_annotations": {"example.org/owner": "{username}"},
        "lifecycle_hooks": {"postStart": {"exec": {"command": ["sh", "-c", "echo started"]}}},
        "extra_pod_config": {"activeDeadlineSeconds": 86400, "enableServiceLinks": False},
    },
}


async def build(name: str, traits: dict[str, Any]) -> list[dict[str, Any]]:
    from prevalidate.hub.podbuild import build_plan
    from prevalidate.hub.spawner import PrevalidatingKubeSpawner

    config = Config()
    config.KubeSpawner.namespace = "jhub"
    for trait, value in traits.items():
        config.KubeSpawner[trait] = value
    spawner = PrevalidatingKubeSpawner(_mock=True, config=config)
    plan = await build_plan(spawner, apply_options=False)
    # get_pvc_manifest's claim goes next to the pod, as `prevalidate check --from-kubespawner` reads it.
    return [plan.pod, *([{"kind": "PersistentVolumeClaim", **plan.pvc}] if plan.pvc else [])]


def main() -> int:
    import os
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".kubeconfig", delete=False) as handle:
        handle.write(KUBECONFIG)
    os.environ["KUBECONFIG"] = handle.name
    from kubernetes_asyncio.config import kube_config

    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = handle.name
    import kubespawner

    OUT.mkdir(parents=True, exist_ok=True)
    for name, traits in CONFIGS.items():
        documents = asyncio.run(build(name, traits))
        header = (
            f"# Built by KubeSpawner {kubespawner.__version__} get_pod_manifest() for the {name!r}\n"
            "# configuration of tests/fuzz/build_kubespawner_corpus.py (z2jh chart / KubeSpawner\n"
            "# documentation settings); regenerate with that script, do not edit by hand.\n"
        )
        text = "---\n".join(yaml.safe_dump(d, sort_keys=False, default_flow_style=False) for d in documents)
        (OUT / f"{name}.yaml").write_text(header + text)
        print(f"wrote {OUT / (name + '.yaml')}")
    os.unlink(handle.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
