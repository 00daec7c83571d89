"""A stand-in validating admission webhook for kubesim's dispatcher tests: a real HTTPS
AdmissionReview server (aiohttp, TLS from a throwaway CA) whose answer each test scripts.

The real webhook (`prevalidate webhook serve`, `prevalidate.testing.webhookprocess`) is what
the end-to-end and deploy tests register. This one stays because the caller's side must also be
proven against answers the real server never gives — a wrong uid, an HTTP 500, a denial with
code 200, an answer slower than timeoutSeconds — and because the dispatcher benchmark measures
kubesim's overhead alone. `make_certs` writes the same files `prevalidate webhook certs` does.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import ipaddress
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

Obj = dict[str, Any]


def make_certs(out: Path, service: str = "prevalidate-webhook", namespace: str = "prevalidate") -> Path:
    """A self-signed CA and a serving certificate for `<service>.<namespace>.svc`, 127.0.0.1
    and localhost: out/ca.crt, out/tls.crt, out/tls.key."""
    out.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "standin-webhook-ca")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    dns = f"{service}.{namespace}.svc"
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, dns)]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([
                x509.DNSName(dns), x509.DNSName(f"{dns}.cluster.local"), x509.DNSName("localhost"),
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
            ]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    (out / "ca.crt").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (out / "tls.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (out / "tls.key").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                          serialization.NoEncryption())
    )
    return out


def ca_bundle(certs: Path) -> str:
    return base64.b64encode((certs / "ca.crt").read_bytes()).decode()


@dataclass
class Answer:
    """What the stand-in answers: allowed or a Status, warnings, or misbehaviour."""

    allowed: bool = True
    message: str = ""
    code: int = 403
    reason: str = "Forbidden"
    warnings: list[str] = field(default_factory=list)
    delay: float = 0.0  # seconds to wait before answering (a slow webhook)
    http_status: int = 200  # a non-200 makes the call a calling error
    wrong_uid: bool = False


@dataclass
class StandinWebhook:
    certs: Path
    answer: Answer = field(default_factory=Answer)
    reviews: list[Obj] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/validate"

    async def _validate(self, request: web.Request) -> web.Response:
        review = await request.json()
        self.reviews.append(review)
        self.queries.append(request.query_string)
        a = self.answer
        if a.delay:
            await asyncio.sleep(a.delay)
        if a.http_status != 200:
            return web.Response(status=a.http_status, text="stand-in failure")
        uid = "not-" + review["request"]["uid"] if a.wrong_uid else review["request"]["uid"]
        response: Obj = {"uid": uid, "allowed": a.allowed}
        if not a.allowed:
            response["status"] = {"code": a.code, "reason": a.reason, "message": a.message}
        if a.warnings:
            response["warnings"] = a.warnings
        return web.json_response(
            {"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "response": response}
        )

    async def start(self) -> StandinWebhook:
        app = web.Application()
        app.router.add_post("/validate", self._validate)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.certs / "tls.crt", self.certs / "tls.key")
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=context)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


def configuration(
    client_config: Obj,
    *,
    name: str = "prevalidate-webhook",
    failure_policy: str = "Ignore",
    timeout: int = 3,
    object_selector: Obj | None = None,
    namespace_selector: Obj | None = None,
) -> Obj:
    """The ValidatingWebhookConfiguration deploy/webhook ships, pointed at `client_config`."""
    return {
        "apiVersion": "admissionregistration.k8s.io/v1",
        "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": name},
        "webhooks": [{
            "name": "validate.prevalidate.jupyter.org",
            "clientConfig": client_config,
            "rules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                       "resources": ["pods"], "scope": "Namespaced"}],
            "failurePolicy": failure_policy,
            "sideEffects": "None",
            "admissionReviewVersions": ["v1"],
            "timeoutSeconds": timeout,
            "objectSelector": object_selector
            if object_selector is not None else {"matchLabels": {"component": "singleuser-server"}},
            "namespaceSelector": namespace_selector if namespace_selector is not None else {
                "matchExpressions": [{"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                                      "values": ["kube-system", "prevalidate"]}]},
        }],
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m prevalidate.testing.webhookstandin webhook certs --service S --namespace NS
    --out DIR`: the stand-in for `prevalidate webhook certs` (same arguments, same files)."""
    import argparse

    parser = argparse.ArgumentParser(prog="prevalidate")
    parser.add_argument("group", choices=["webhook"])
    parser.add_argument("command", choices=["certs"])
    parser.add_argument("--service", required=True)
    parser.add_argument("--namespace", required=True)
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    make_certs(args.out, args.service, args.namespace)
    print(f"wrote {args.out}/ca.crt, tls.crt, tls.key for {args.service}.{args.namespace}.svc")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
