"""Admission webhooks beside the test plane: a TLS server on 127.0.0.1 that answers every
AdmissionReview with a fixed verdict, and the ValidatingWebhookConfiguration that registers it
(or a dead URL) with the plane's kube-apiserver.

The server uses the plane's own serving certificate: it is for 127.0.0.1 and signed by the
plane's CA, which the configuration gives as `caBundle`, so the apiserver's TLS check passes
exactly as it would for a webhook Service (admission-webhook.md §0: HTTPS, caBundle, HTTP 200
with `response.uid` echoed).
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import json
import socket
import ssl
import threading
from collections.abc import Iterator
from typing import Any

from .api import wait_for
from .plane import ControlPlane

WEBHOOKS = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"


def _handler(message: str, code: int) -> type[http.server.BaseHTTPRequestHandler]:
    class Deny(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the name http.server dispatches to
            review = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            answer = {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": {
                "uid": review["request"]["uid"], "allowed": False,
                "status": {"code": code, "reason": "Forbidden", "message": message}}}
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_args: Any) -> None:
            return None

    return Deny


@contextlib.contextmanager
def denying_webhook(plane: ControlPlane, message: str, code: int = 403) -> Iterator[str]:
    """A webhook that denies every review with `message`; yields its URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(message, code))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(plane.workdir / "apiserver.crt", plane.workdir / "apiserver.key")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}/validate"
    finally:
        server.shutdown()
        server.server_close()


def dead_url() -> str:
    """A webhook URL nobody listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"https://127.0.0.1:{s.getsockname()[1]}/validate"


def configuration(plane: ControlPlane, name: str, url: str, labels: dict[str, str],
                  failure_policy: str = "Fail") -> dict[str, Any]:
    """Pod CREATEs whose labels match `labels` (the plane is shared by a whole test session,
    so a test's webhook must only see that test's pods)."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [{
            "name": name,
            "clientConfig": {"url": url, "caBundle": base64.b64encode(plane.ca_file.read_bytes()).decode()},
            "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"],
                       "resources": ["pods"]}],
            "objectSelector": {"matchLabels": labels},
            "failurePolicy": failure_policy, "sideEffects": "None", "admissionReviewVersions": ["v1"],
            "timeoutSeconds": 2}]}


@contextlib.contextmanager
def registered(plane: ControlPlane, *configurations: dict[str, Any]) -> Iterator[None]:
    """The configurations exist in the plane for the block, and are deleted after it."""
    try:
        for config in configurations:
            plane.api.checked("POST", WEBHOOKS, config)
        yield
    finally:
        for config in configurations:
            plane.api.request("DELETE", f"{WEBHOOKS}/{config['metadata']['name']}")


def await_denial(plane: ControlPlane, namespace: str, labels: dict[str, str], timeout: float = 30) -> int:
    """Wait until the apiserver's webhook informer has seen a new configuration: a probe pod
    with `labels` is refused (one admitted meanwhile is deleted). Returns the refusal's status."""
    probe = {"apiVersion": "v1", "kind": "Pod",
             "metadata": {"name": "webhook-probe", "namespace": namespace, "labels": labels},
             "spec": {"containers": [{"name": "c", "image": "registry.k8s.io/pause:3.10"}]}}

    def refused() -> int | None:
        status, _ = plane.api.create(probe)
        if status < 400:
            plane.api.request("DELETE", f"/api/v1/namespaces/{namespace}/pods/webhook-probe",
                              params={"gracePeriodSeconds": "0"})
            return None
        return status

    return wait_for(refused, timeout, "the webhook configuration to take effect")
