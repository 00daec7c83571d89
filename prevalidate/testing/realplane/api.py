"""A small synchronous REST client for the real apiserver (httpx, bearer token, our CA).

Only what the loader and the tests need: create (optionally `dryRun=All`), get, list, patch,
replace a status subresource, delete. Answers are (HTTP status, JSON body), so a test can assert
on the apiserver's own refusal text.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx

Obj = dict[str, Any]
T = TypeVar("T")

# kind -> (API group path, plural, namespaced)
KINDS: dict[str, tuple[str, str, bool]] = {
    "Namespace": ("/api/v1", "namespaces", False),
    "Node": ("/api/v1", "nodes", False),
    "PersistentVolume": ("/api/v1", "persistentvolumes", False),
    "Pod": ("/api/v1", "pods", True),
    "ResourceQuota": ("/api/v1", "resourcequotas", True),
    "LimitRange": ("/api/v1", "limitranges", True),
    "PersistentVolumeClaim": ("/api/v1", "persistentvolumeclaims", True),
    "Secret": ("/api/v1", "secrets", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "Event": ("/api/v1", "events", True),
    "StorageClass": ("/apis/storage.k8s.io/v1", "storageclasses", False),
    "PriorityClass": ("/apis/scheduling.k8s.io/v1", "priorityclasses", False),
    "RuntimeClass": ("/apis/node.k8s.io/v1", "runtimeclasses", False),
    "Service": ("/api/v1", "services", True),
    "Deployment": ("/apis/apps/v1", "deployments", True),
    "PodDisruptionBudget": ("/apis/policy/v1", "poddisruptionbudgets", True),
    "ValidatingWebhookConfiguration": (
        "/apis/admissionregistration.k8s.io/v1", "validatingwebhookconfigurations", False),
}


class ApiError(Exception):
    def __init__(self, status: int, body: Obj) -> None:
        super().__init__(f"{status}: {body.get('message', body)}")
        self.status, self.body = status, body


def collection(kind: str, namespace: str | None = None) -> str:
    group, plural, namespaced = KINDS[kind]
    if namespaced:
        return f"{group}/namespaces/{namespace or 'default'}/{plural}"
    return f"{group}/{plural}"


class Api:
    def __init__(self, url: str, token: str, ca_file: str, timeout: float = 30.0) -> None:
        self.url = url
        self.http = httpx.Client(
            base_url=url,
            verify=ssl.create_default_context(cafile=ca_file),
            timeout=timeout,
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        )

    def close(self) -> None:
        self.http.close()

    def request(
        self,
        method: str,
        path: str,
        body: object = None,
        params: Mapping[str, str] | None = None,
        content_type: str = "application/json",
    ) -> tuple[int, Obj]:
        response = self.http.request(
            method, path, json=body, params=params, headers={"Content-Type": content_type}
        )
        try:
            data = response.json()
        except ValueError:
            data = {"message": response.text}
        return response.status_code, data if isinstance(data, dict) else {"items": data}

    def checked(self, method: str, path: str, body: object = None, **kw: Any) -> Obj:
        status, data = self.request(method, path, body, **kw)
        if status >= 400:
            raise ApiError(status, data)
        return data

    # --- objects -----------------------------------------------------------------------------
    def create(self, obj: Mapping[str, Any], dry_run: bool = False) -> tuple[int, Obj]:
        """POST the object; (status, body) whether or not the apiserver accepted it."""
        meta = obj.get("metadata") or {}
        params = {"dryRun": "All"} if dry_run else None
        return self.request("POST", collection(str(obj["kind"]), meta.get("namespace")), dict(obj), params)

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        status, data = self.request("GET", f"{collection(kind, namespace)}/{name}")
        if status == 404:
            return None
        if status >= 400:
            raise ApiError(status, data)
        return data

    def list(self, kind: str, namespace: str | None = None, **params: str) -> list[Obj]:
        data = self.checked("GET", collection(kind, namespace), params=params)
        return list(data.get("items") or [])

    def delete(self, kind: str, name: str, namespace: str | None = None) -> int:
        status, _ = self.request(
            "DELETE", f"{collection(kind, namespace)}/{name}", params={"gracePeriodSeconds": "0"}
        )
        return status

    def patch_status(
        self, kind: str, name: str, status: Mapping[str, Any], namespace: str | None = None
    ) -> Obj:
        """Merge-patch the status subresource (the only way to set a Node's or Pod's status)."""
        return self.checked(
            "PATCH",
            f"{collection(kind, namespace)}/{name}/status",
            {"status": dict(status)},
            content_type="application/merge-patch+json",
        )

    def patch(self, kind: str, name: str, patch: Mapping[str, Any], namespace: str | None = None) -> Obj:
        return self.checked(
            "PATCH",
            f"{collection(kind, namespace)}/{name}",
            dict(patch),
            content_type="application/merge-patch+json",
        )


def wait_for(condition: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05) -> T:
    """Poll `condition` until it returns something truthy; TimeoutError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)
        interval = min(interval * 1.5, 0.5)
