"""The load run's fixed setup: a demo-like cluster with room for every good server, the hub
configuration (throttles lifted so the run measures prevalidate, not JupyterHub's limits), the
spawn form, and which user submits what.

Sizing: 200 users, every third one bad (67 bad, 133 good). A good server asks for 0.1 CPU and
256M, so 133 of them use 13.3 CPUs and 33 GiB — inside the namespace quota (200 CPUs, 100Gi)
and on 8 nodes of 32 CPUs / 512Gi (880 pod slots). The bad ones: 200G of memory (quota
100Gi: over quota, though a node could hold it), 120 CPUs (no node has more than 31.5
allocatable), an image tag the registry does not have, a PVC `lol` that does not exist.
"""

from __future__ import annotations

from typing import Any

from prevalidate.testing.hubprocess import kubespawner_config

NAMESPACE = "jhub"
REPOSITORY, TAG = "jupyterhub/k8s-singleuser-sample", "4.0.0"
# How long KubeSpawner waits for a pod to run (and the hub for its server to answer): on 2 cores
# shared with other jobs, 133 servers starting in 10 s take longer than the 30 s the other
# benchmarks use; it is also how long the stock hub leaves a bad spawn Pending before failing it.
START_TIMEOUT = 90
BAD_KINDS = ("quota", "cpu", "image", "pvc")
PREFIX = "profile-option-load--"
NODES = 8

# The single-user "image": the hub only needs an HTTP answer at JUPYTERHUB_SERVICE_URL to call a
# server started (jupyterhub.utils.wait_for_http_server takes any response). 133 real
# jupyterhub-singleuser processes would cost ~3 CPU-seconds each to start on a 2-core machine
# shared with other jobs, and the run would measure that instead of the hub.
STAND_IN_SERVER = """\
import http.server, os, urllib.parse
url = urllib.parse.urlsplit(os.environ["JUPYTERHUB_SERVICE_URL"])
class Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer((url.hostname, url.port), Answer).serve_forever()
"""


def image_ref(registry_host: str, tag: str = TAG) -> str:
    return f"{registry_host}/{REPOSITORY}:{tag}"


def kind_of(index: int) -> str:
    """Every third user is bad, the bad kinds in turn; the others are good."""
    return BAD_KINDS[(index // 3) % len(BAD_KINDS)] if index % 3 == 0 else "good"


def cluster_yaml(registry_host: str) -> str:
    nodes = "".join(
        f"""- apiVersion: v1
  kind: Node
  metadata:
    name: node-{n}
    labels: {{kubernetes.io/arch: amd64, kubernetes.io/os: linux, kubernetes.io/hostname: node-{n}}}
  status:
    capacity: {{cpu: "32", memory: 512Gi, pods: "110"}}
    allocatable: {{cpu: 31500m, memory: 500Gi, pods: "110"}}
    nodeInfo: {{architecture: amd64, operatingSystem: linux}}
"""
        for n in range(1, NODES + 1)
    )
    return (
        f"""apiVersion: v1
kind: List
items:
- {{apiVersion: v1, kind: Namespace, metadata: {{name: {NAMESPACE}}}}}
- {{apiVersion: v1, kind: ServiceAccount, metadata: {{name: default, namespace: {NAMESPACE}}}}}
"""
        + nodes
        + f"""- apiVersion: v1
  kind: ResourceQuota
  metadata: {{name: compute, namespace: {NAMESPACE}}}
  spec:
    hard: {{requests.cpu: "200", requests.memory: 100Gi, limits.memory: 100Gi}}
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
  startProcesses: true
  kubeletDelaySeconds: 0.01
  pullSeconds: 0.05
  imagePullBackOffSeconds: 5
  maxImagePullBackOffSeconds: 60
"""
    )


def _data_volume(claim: str) -> dict[str, Any]:
    return {
        "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": claim}}],
        "volume_mounts": [{"name": "data", "mountPath": "/home/jovyan/data"}],
    }


def hub_config(registry_host: str, prevalidate: bool, python: str) -> str:
    profiles = [
        {
            "display_name": "Load",
            "slug": "load",
            "default": True,
            "profile_options": {
                "cpu": {
                    "display_name": "CPUs",
                    "choices": {
                        "small": {
                            "display_name": "0.1",
                            "default": True,
                            "kubespawner_override": {"cpu_guarantee": 0.1},
                        },
                        "huge": {"display_name": "120", "kubespawner_override": {"cpu_guarantee": 120.0}},
                    },
                },
                "memory": {
                    "display_name": "Memory",
                    "choices": {
                        "small": {
                            "display_name": "256M",
                            "default": True,
                            "kubespawner_override": {"mem_guarantee": "256M", "mem_limit": "256M"},
                        },
                        "huge": {
                            "display_name": "200G",
                            "kubespawner_override": {"mem_guarantee": "200G", "mem_limit": "200G"},
                        },
                    },
                },
                "image": {
                    "display_name": "Image",
                    "choices": {
                        "sample": {
                            "display_name": TAG,
                            "default": True,
                            "kubespawner_override": {"image": image_ref(registry_host)},
                        }
                    },
                    "unlisted_choice": {
                        "enabled": True,
                        "display_name": "Image",
                        "kubespawner_override": {"image": "{value}"},
                    },
                },
                "data": {
                    "display_name": "Data volume",
                    "choices": {
                        "none": {"display_name": "none", "default": True, "kubespawner_override": {}}
                    },
                    "unlisted_choice": {
                        "enabled": True,
                        "display_name": "PVC name",
                        "kubespawner_override": _data_volume("{value}"),
                    },
                },
            },
        }
    ]
    config = kubespawner_config(NAMESPACE, image_ref(registry_host), START_TIMEOUT)
    config += f"""
c.JupyterHub.spawner_class = "prevalidate.PrevalidatingKubeSpawner"
c.Prevalidator.enabled = {prevalidate!r}
c.KubeSpawner.profile_list = {profiles!r}
c.KubeSpawner.cmd = [{python!r}, "-c", {STAND_IN_SERVER!r}]
c.Prevalidator.allowed_registries = [{registry_host!r}]
c.Prevalidator.insecure_registries = [{registry_host!r}]
# Throttles lifted so the run measures validation, not JupyterHub's queue: no cap on spawns in
# flight (default 100) or on running servers; a form POST waits up to 10 s (JupyterHub's default)
# for its spawn before answering with the pending page.
c.KubeSpawner.http_timeout = {START_TIMEOUT}
# The hub's loop stalls for seconds on this machine (JupyterHub's own database commits, see
# RESULTS.md): a 5 s API timeout retried for 10 s (the test preamble) fails valid pod creates
# whose answer was waiting in the socket. 30 s retried for 90 s.
c.KubeSpawner.k8s_api_request_timeout = 30
c.KubeSpawner.k8s_api_request_retry_timeout = {START_TIMEOUT}
c.JupyterHub.concurrent_spawn_limit = 0
c.JupyterHub.active_server_limit = 0
c.JupyterHub.api_page_max_limit = 1000
c.JupyterHub.tornado_settings = {{"slow_spawn_timeout": 10}}
c.JupyterHub.log_level = "INFO"
# Don't stop 133 servers one by one at hub exit: kubesim's exit stops their processes.
c.JupyterHub.cleanup_servers = False
# JupyterHub's own event-loop probe: every 20 ms, and every stall of 50 ms or more logged with
# its length (the histogram's buckets start at 50 ms; the log gives exact values above it).
c.JupyterHub.authenticate_prometheus = False
c.PeriodicMetricsCollector.event_loop_interval_resolution = 0.02
c.PeriodicMetricsCollector.event_loop_interval_log_threshold = 0.05
"""
    return config


def form_for(kind: str, registry_host: str) -> dict[str, str]:
    """The fields a browser posts for a user of `kind` (select values; "Other..." text inputs)."""
    form = {
        "profile": "load",
        PREFIX + "cpu": "small",
        PREFIX + "memory": "small",
        PREFIX + "image": "sample",
        PREFIX + "data": "none",
    }
    if kind == "quota":
        form[PREFIX + "memory"] = "huge"
    elif kind == "cpu":
        form[PREFIX + "cpu"] = "huge"
    elif kind == "image":
        form[PREFIX + "image"] = "unlisted-choice"
        form[PREFIX + "image--unlisted-choice"] = image_ref(registry_host, "4.0-typo")
    elif kind == "pvc":
        form[PREFIX + "data"] = "unlisted-choice"
        form[PREFIX + "data--unlisted-choice"] = "lol"
    return form
