"""Pod status as the kubelet reports it, plus the references a pod needs to start.

Container statuses always carry the fields kubernetes_asyncio requires (`name`, `image`,
`imageID`, `ready`, `restartCount`), so clients deserialise every phase of a pod's life.
"""

from __future__ import annotations

import secrets
from typing import Any

from .scheduler import set_condition
from .store import Store, now_rfc3339

Obj = dict[str, Any]


def waiting(container: Obj, reason: str, message: str | None = None) -> Obj:
    state: Obj = {"reason": reason}
    if message:
        state["message"] = message
    return {
        "name": container["name"],
        "state": {"waiting": state},
        "lastState": {},
        "ready": False,
        "restartCount": 0,
        "image": container.get("image", ""),
        "imageID": "",
        "started": False,
    }


def running(container: Obj, image_id: str) -> Obj:
    return {
        "name": container["name"],
        "state": {"running": {"startedAt": now_rfc3339()}},
        "lastState": {},
        "ready": True,
        "restartCount": 0,
        "image": container.get("image", ""),
        "imageID": image_id,
        "containerID": "containerd://" + secrets.token_hex(32),
        "started": True,
    }


def terminated(status: Obj, exit_code: int) -> Obj:
    done = dict(status)
    started = (status.get("state") or {}).get("running", {}).get("startedAt", now_rfc3339())
    done["state"] = {
        "terminated": {
            "exitCode": exit_code,
            "reason": "Completed" if exit_code == 0 else "Error",
            "startedAt": started,
            "finishedAt": now_rfc3339(),
            "containerID": status.get("containerID", ""),
        }
    }
    done["ready"] = False
    done["started"] = False
    return done


def sandbox_ready(pod: Obj, node: Obj | None, pod_ip: str) -> None:
    """The status after the sandbox exists: IPs, start time, containers creating."""
    status = pod.setdefault("status", {})
    host_ip = node_ip(node)
    status.update(
        hostIP=host_ip,
        hostIPs=[{"ip": host_ip}],
        podIP=pod_ip,
        podIPs=[{"ip": pod_ip}],
        startTime=now_rfc3339(),
    )
    names = [c["name"] for c in pod["spec"].get("containers") or []]
    set_condition(pod, "PodReadyToStartContainers", "True")
    set_condition(pod, "Initialized", "True")
    unready = f"containers with unready status: [{' '.join(names)}]"
    set_condition(pod, "Ready", "False", "ContainersNotReady", unready)
    set_condition(pod, "ContainersReady", "False", "ContainersNotReady", unready)
    status["containerStatuses"] = [
        waiting(c, "ContainerCreating") for c in pod["spec"].get("containers") or []
    ]
    if pod["spec"].get("initContainers"):
        status["initContainerStatuses"] = [
            waiting(c, "PodInitializing") for c in pod["spec"]["initContainers"]
        ]


def node_ip(node: Obj | None) -> str:
    for address in ((node or {}).get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP":
            return str(address["address"])
    return "10.0.0.1"


def node_platform(node: Obj | None) -> str:
    info = ((node or {}).get("status") or {}).get("nodeInfo") or {}
    labels = ((node or {}).get("metadata") or {}).get("labels") or {}
    os_name = info.get("operatingSystem") or labels.get("kubernetes.io/os") or "linux"
    arch = info.get("architecture") or labels.get("kubernetes.io/arch") or "amd64"
    return f"{os_name}/{arch}"


def missing_volume_sources(store: Store, pod: Obj) -> list[tuple[str, str]]:
    """(volume name, error) for secret/configMap volumes whose object, or one of whose `items`
    keys, is missing: the volume plugins' SetUp (pkg/volume/secret/secret.go MakePayload,
    pkg/volume/configmap/configmap.go MakePayload) fail with these texts unless `optional`."""
    ns = pod["metadata"]["namespace"]
    problems = []
    for volume in pod["spec"].get("volumes") or []:
        for key, plural, label, ref_name in (("secret", "secrets", "secret", "secretName"),
                                             ("configMap", "configmaps", "configmap", "name")):
            source = volume.get(key)
            if not source:
                continue
            obj = store.peek(plural, ns, source.get(ref_name, ""))
            if obj is None:
                if not source.get("optional"):
                    problems.append((volume["name"], f'{label} "{source.get(ref_name)}" not found'))
                continue
            keys = set(obj.get("data") or {}) | set(obj.get("binaryData") or {})
            for item in source.get("items") or []:
                if item.get("key") not in keys and not source.get("optional"):
                    what = "references non-existent secret key" if key == "secret" else \
                        "configmap references non-existent config key"
                    problems.append((volume["name"], f"{what}: {item.get('key')}"))
                    break
    return problems


def env_error(store: Store, pod: Obj, container: Obj) -> str | None:
    """CreateContainerConfigError text for the first unresolvable env reference."""
    ns = pod["metadata"]["namespace"]
    for source in container.get("envFrom") or []:
        for key, plural, label in (
            ("configMapRef", "configmaps", "configmap"),
            ("secretRef", "secrets", "secret"),
        ):
            ref = source.get(key)
            if ref and not ref.get("optional") and store.peek(plural, ns, ref.get("name", "")) is None:
                return f'{label} "{ref.get("name")}" not found'
    for env in container.get("env") or []:
        value_from = env.get("valueFrom") or {}
        for key, plural, label, kind in (
            ("configMapKeyRef", "configmaps", "configmap", "ConfigMap"),
            ("secretKeyRef", "secrets", "secret", "Secret"),
        ):
            ref = value_from.get(key)
            if not ref or ref.get("optional"):
                continue
            obj = store.peek(plural, ns, ref.get("name", ""))
            if obj is None:
                return f'{label} "{ref.get("name")}" not found'
            # The kubelet reads `data` only (kubelet_pods.go makeEnvironmentVariables): a key
            # held in a ConfigMap's binaryData is "not found" for an env var.
            data = dict(obj.get("data") or {})
            data.update(obj.get("stringData") or {})
            if ref.get("key") not in data:
                return f"couldn't find key {ref.get('key')} in {kind} {ns}/{ref.get('name')}"
    return None


def resolve_env(store: Store, pod: Obj, container: Obj) -> dict[str, str]:
    """The environment a container process gets (values, fieldRefs, config and secret refs)."""
    import base64

    ns = pod["metadata"]["namespace"]
    env: dict[str, str] = {}
    for source in container.get("envFrom") or []:
        for key, plural in (("configMapRef", "configmaps"), ("secretRef", "secrets")):
            ref = source.get(key)
            obj = store.peek(plural, ns, ref.get("name", "")) if ref else None
            for k, v in ((obj or {}).get("data") or {}).items():
                env[source.get("prefix", "") + k] = (
                    base64.b64decode(v).decode() if plural == "secrets" else str(v)
                )
    fields = {
        "metadata.name": pod["metadata"]["name"],
        "metadata.namespace": ns,
        "status.podIP": (pod.get("status") or {}).get("podIP", ""),
        "status.hostIP": (pod.get("status") or {}).get("hostIP", ""),
        "spec.nodeName": pod["spec"].get("nodeName", ""),
    }
    for item in container.get("env") or []:
        if "value" in item:
            env[item["name"]] = str(item["value"])
            continue
        value_from = item.get("valueFrom") or {}
        if "fieldRef" in value_from:
            env[item["name"]] = fields.get(value_from["fieldRef"].get("fieldPath", ""), "")
        for key, plural in (("configMapKeyRef", "configmaps"), ("secretKeyRef", "secrets")):
            ref = value_from.get(key)
            obj = store.peek(plural, ns, ref.get("name", "")) if ref else None
            if ref and obj is not None:
                raw = (obj.get("data") or {}).get(ref.get("key"))
                if raw is not None:
                    env[item["name"]] = base64.b64decode(raw).decode() if plural == "secrets" else raw
    return env


def multi_attach_conflict(store: Store, pod: Obj) -> str | None:
    """The attach/detach controller's Multi-Attach error for a ReadWriteOnce volume in use
    by a pod on another node, or None."""
    ns, node = pod["metadata"]["namespace"], pod["spec"].get("nodeName")
    for volume in pod["spec"].get("volumes") or []:
        claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
        pvc = store.peek("persistentvolumeclaims", ns, claim) if claim else None
        modes = ((pvc or {}).get("spec") or {}).get("accessModes") or []
        if pvc is None or "ReadWriteOnce" not in modes:
            continue
        users = sorted(
            other["metadata"]["name"]
            for other in store.items("pods", ns)
            if other["metadata"]["uid"] != pod["metadata"]["uid"]
            and other["spec"].get("nodeName") not in (None, node)
            and (other.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            and any(
                (v.get("persistentVolumeClaim") or {}).get("claimName") == claim
                for v in other["spec"].get("volumes") or []
            )
        )
        if users:
            volume_name = pvc["spec"].get("volumeName") or f"pvc-{pvc['metadata'].get('uid')}"
            return (
                f'Multi-Attach error for volume "{volume_name}" Volume is already used by '
                f"pod(s) {', '.join(users)}"
            )
    return None
