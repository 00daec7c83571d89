"""Faults of the webhook as the real kube-apiserver meets them: a webhook that accepts the
connection and never answers, and one that answers garbage. With the configuration we ship
(``failurePolicy: Ignore``, ``timeoutSeconds``) the apiserver admits the pod either way: after
the timeout for the silent one, at once for the garbage. A stand-in server (TLS, the
certificate ``prevalidate webhook certs`` writes) plays the broken webhook and counts the
requests it got, so each admission is known to have gone through it."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prevalidate_webhook.certs import write_certs

from prevalidate.testing.realplane import RealCluster, admit

from .conftest import EXAMPLE_CLUSTER, example_pod

CONFIGS = "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations"
TIMEOUT_SECONDS = 3
GARBAGE = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9\r\n\r\nnot json!"


class BrokenWebhook:
    """TLS on 127.0.0.1; ``mode`` "hang" reads the request and never answers, "garbage"
    answers a 200 whose body is no AdmissionReview."""

    def __init__(self, certs_dir: Path, mode: str) -> None:
        self.mode = mode
        self.requests = 0
        self.context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.context.load_cert_chain(certs_dir / "tls.crt", certs_dir / "tls.key")
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.stopping = threading.Event()
        self.held: list[socket.socket] = []
        self.thread = threading.Thread(target=self.serve, daemon=True)

    def serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            threading.Thread(target=self.handle, args=(conn,), daemon=True).start()

    def handle(self, conn: socket.socket) -> None:
        with contextlib.suppress(OSError):
            conn.settimeout(30)
            tls = self.context.wrap_socket(conn, server_side=True)
            while tls.recv(65536):
                self.requests += 1
                if self.mode == "garbage":
                    tls.sendall(GARBAGE)
                else:
                    self.held.append(tls)  # never answered: the apiserver's timeout decides

    def __enter__(self) -> BrokenWebhook:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(5)
        for tls in self.held:
            with contextlib.suppress(OSError):
                tls.close()
        self.sock.close()


@pytest.fixture(params=["hang", "garbage"])
def broken(
    real_cluster: RealCluster, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[RealCluster, BrokenWebhook]]:
    real_cluster.load(EXAMPLE_CLUSTER)
    namespace = real_cluster.ns("jhub")
    certs = write_certs(tmp_path, "prevalidate-webhook", "prevalidate", extra_names=["127.0.0.1"])
    with BrokenWebhook(tmp_path, request.param) as server:
        name = f"prevalidate-{request.param}-{real_cluster.suffix}"
        config = {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingWebhookConfiguration",
            "metadata": {"name": name},
            "webhooks": [
                {
                    "name": "pods.prevalidate.jupyter.org",
                    "clientConfig": {
                        "url": f"https://127.0.0.1:{server.port}/validate",
                        "caBundle": certs.ca_bundle,
                    },
                    "rules": [
                        {
                            "operations": ["CREATE"],
                            "apiGroups": [""],
                            "apiVersions": ["v1"],
                            "resources": ["pods"],
                            "scope": "Namespaced",
                        }
                    ],
                    "failurePolicy": "Ignore",
                    "sideEffects": "None",
                    "admissionReviewVersions": ["v1"],
                    "timeoutSeconds": TIMEOUT_SECONDS,
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": namespace}},
                }
            ],
        }
        real_cluster.api.checked("POST", CONFIGS, config)
        try:
            yield real_cluster, server
        finally:
            real_cluster.api.request("DELETE", f"{CONFIGS}/{name}")


@pytest.mark.fault("webhook-hangs")
@pytest.mark.fault("webhook-garbage")
def test_a_silent_or_garbled_webhook_admits_valid_and_invalid_pods(
    broken: tuple[RealCluster, BrokenWebhook],
) -> None:
    real_cluster, server = broken
    bad = example_pod("missing-pvc")  # one our webhook would deny: the fault must not matter
    deadline = time.monotonic() + 120
    while True:  # until the apiserver has loaded the configuration and called the server
        before = server.requests
        started = time.monotonic()
        admission = admit(real_cluster.api, real_cluster.in_namespace(bad))
        seconds = time.monotonic() - started
        assert admission.status < 400, admission.message
        if server.requests > before:
            break
        assert time.monotonic() < deadline, "the apiserver never called the webhook"
        time.sleep(0.2)  # the apiserver loads webhook configurations asynchronously
    if server.mode == "hang":
        assert seconds >= TIMEOUT_SECONDS - 0.5, seconds  # it did wait for us, then went on
    valid = admit(real_cluster.api, real_cluster.in_namespace(example_pod("valid")))
    assert valid.status < 400, valid.message
    print(f"webhook {server.mode}: admitted in {seconds:.2f} s")
