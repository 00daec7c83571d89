"""The benchmark's fixed setup: its kubesim cluster, the hub configuration each approach runs
with (the same spawn form for all), and the form fields a browser posts for each bad spawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prevalidate.testing.hubprocess import kubespawner_config

REPO = Path(__file__).resolve().parents[2]
NAMESPACE = "jhub"
START_TIMEOUT = 60
WARM_SUBMITS = 50
REPOSITORY, TAG = "jupyterhub/k8s-singleuser-sample", "4.0.0"
# Tags the registry does not have, one per round, so every round's image check is a cold lookup.
TYPO_TAGS = ("4.0", "4.0.1", "4.00", "v4.0.0", "4.1.0")
PREVALIDATE_ROUNDS = len(TYPO_TAGS)  # the other approaches take seconds: one round each
CASES = ("quota", "cpu", "image", "pvc")
CASE_LABELS = {
    "quota": "over quota (64G memory, quota 40Gi with 8Gi used)",
    "cpu": "120 CPUs (biggest node 62.5 of 64 allocatable)",
    "image": "image tag not in the registry",
    "pvc": "PVC `lol` does not exist",
}
APPROACHES = {
    "prevalidate": "prevalidate.PrevalidatingKubeSpawner",
    "monitor": "benchmarks.baselines.monitor_spawner.MonitorKubeSpawner",
    "stock": "kubespawner.KubeSpawner",
}
RENDER_ONLY_FIELD = "bench-render-only"


def image_ref(registry_host: str, tag: str = TAG) -> str:
    return f"{registry_host}/{REPOSITORY}:{tag}"


def cluster_yaml(registry_host: str) -> str:
    def node(name: str, cpu: str, allocatable_cpu: str, memory: str, allocatable_memory: str) -> str:
        return f"""- apiVersion: v1
  kind: Node
  metadata:
    name: {name}
    labels: {{kubernetes.io/arch: amd64, kubernetes.io/os: linux, kubernetes.io/hostname: {name}}}
  status:
    capacity: {{cpu: "{cpu}", memory: {memory}, pods: "110"}}
    allocatable: {{cpu: "{allocatable_cpu}", memory: {allocatable_memory}, pods: "110"}}
    nodeInfo: {{architecture: amd64, operatingSystem: linux}}
"""

    return (
        f"""apiVersion: v1
kind: List
items:
- {{apiVersion: v1, kind: Namespace, metadata: {{name: {NAMESPACE}}}}}
"""
        + node("big-1", "64", "62500m", "256Gi", "250Gi")
        + node("std-1", "16", "15500m", "64Gi", "60Gi")
        + node("std-2", "16", "15500m", "64Gi", "60Gi")
        + f"""- apiVersion: v1
  kind: ResourceQuota
  metadata: {{name: compute, namespace: {NAMESPACE}}}
  spec:
    hard: {{requests.cpu: "160", requests.memory: 40Gi, limits.memory: 40Gi}}
- apiVersion: v1
  kind: Pod
  metadata:
    name: jupyter-colleague
    namespace: {NAMESPACE}
    labels: {{component: singleuser-server, app: jupyterhub}}
  spec:
    nodeName: std-1
    containers:
    - name: notebook
      image: {image_ref(registry_host)}
      resources:
        requests: {{cpu: "2", memory: 8Gi}}
        limits: {{memory: 8Gi}}
  status: {{phase: Running}}
- apiVersion: v1
  kind: PersistentVolumeClaim
  metadata: {{name: jh-errors-pvc, namespace: {NAMESPACE}}}
  spec:
    accessModes: [ReadWriteMany]
    storageClassName: standard
    resources: {{requests: {{storage: 10Gi}}}}
    volumeName: pv-shared
  status: {{phase: Bound}}
- apiVersion: storage.k8s.io/v1
  kind: StorageClass
  metadata:
    name: standard
    annotations: {{storageclass.kubernetes.io/is-default-class: "true"}}
  provisioner: rancher.io/local-path
  volumeBindingMode: WaitForFirstConsumer
---
apiVersion: kubesim.prevalidate.dev/v1
kind: ImageCatalog
spec:
  httpRegistries: ["{registry_host}"]
---
apiVersion: kubesim.prevalidate.dev/v1
kind: SimSettings
spec:
  startProcesses: false
  kubeletDelaySeconds: 0.01
  pullSeconds: 0.05
  imagePullBackOffSeconds: 10
  maxImagePullBackOffSeconds: 300
"""
    )


def data_volume(claim: str) -> dict[str, Any]:
    """The profile override that mounts PVC `claim` (KubeSpawner fills in "{value}")."""
    return {
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        "volume_mounts": [{"name": "data", "mountPath": "/home/jovyan/data"}],
    }


def hub_config(spawner_class: str, registry_host: str) -> str:
    """The spawn form (KubeSpawner profile form) every hub serves, plus its spawner class."""
    image = image_ref(registry_host)
    profiles = [
        {
            "display_name": "Notebook",
            "slug": "notebook",
            "default": True,
            "profile_options": {
                "cpu": {
                    "display_name": "CPUs",
                    "choices": {
                        str(n): {
                            "display_name": f"{n} CPU",
                            "default": n == 1,
                            "kubespawner_override": {"cpu_guarantee": float(n)},
                        }
                        for n in (1, 4, 16, 120)
                    },
                },
                "memory": {
                    "display_name": "Memory",
                    "choices": {
                        m: {
                            "display_name": m,
                            "default": m == "4G",
                            "kubespawner_override": {"mem_guarantee": m, "mem_limit": m},
                        }
                        for m in ("4G", "16G", "64G")
                    },
                },
                "image": {
                    "display_name": "Image",
                    "choices": {
                        "sample": {"display_name": f"sample {TAG}", "kubespawner_override": {"image": image}}
                    },
                    "unlisted_choice": {
                        "enabled": True,
                        "display_name": "Image (registry/name:tag)",
                        "kubespawner_override": {"image": "{value}"},
                    },
                },
                "data": {
                    "display_name": "Data volume",
                    "choices": {
                        "none": {"display_name": "none", "kubespawner_override": {}},
                        "shared": {
                            "display_name": "jh-errors-pvc",
                            "kubespawner_override": data_volume("jh-errors-pvc"),
                        },
                    },
                    "unlisted_choice": {
                        "enabled": True,
                        "display_name": "PVC name",
                        "kubespawner_override": data_volume("{value}"),
                    },
                },
            },
        }
    ]
    config = kubespawner_config(NAMESPACE, image, START_TIMEOUT)
    config += f"""
c.JupyterHub.spawner_class = {spawner_class!r}
c.KubeSpawner.profile_list = {profiles!r}
c.Prevalidator.allowed_registries = [{registry_host!r}]
c.Prevalidator.insecure_registries = [{registry_host!r}]
"""
    if spawner_class == APPROACHES["monitor"]:
        # The floor of any inline form error: the same form POST, refused before any validation.
        config += f"""
from tornado import web as _web

def _render_only_or_profile_form(formdata, spawner):
    if {RENDER_ONLY_FIELD!r} in formdata:
        raise _web.HTTPError(400, "form re-rendered without validation")
    return spawner._options_from_form(formdata)

c.KubeSpawner.options_from_form = _render_only_or_profile_form
"""
    return config


def form_for(case: str, registry_host: str, round_: int = 0) -> dict[str, str]:
    """The fields a browser posts for `case` (select values; a shown "Other..." text input)."""
    prefix = "profile-option-notebook--"
    form = {
        "profile": "notebook",
        prefix + "cpu": "1",
        prefix + "memory": "4G",
        prefix + "image": "sample",
        prefix + "data": "none",
    }
    if case == "quota":
        form[prefix + "memory"] = "64G"
    elif case == "cpu":
        form[prefix + "cpu"] = "120"
    elif case == "image":
        form[prefix + "image"] = "unlisted-choice"
        form[prefix + "image--unlisted-choice"] = image_ref(registry_host, TYPO_TAGS[round_])
    elif case == "pvc":
        form[prefix + "data"] = "unlisted-choice"
        form[prefix + "data--unlisted-choice"] = "lol"
    elif case == "valid":
        form[prefix + "data"] = "shared"
    return form
