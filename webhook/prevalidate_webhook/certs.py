"""Certificates for clusters without cert-manager: a self-signed CA and a serving certificate
for the webhook's Service, as kube-apiserver verifies it.

kube-apiserver calls ``https://<service>.<namespace>.svc:<port>`` with SNI
``<service>.<namespace>.svc`` and verifies the chain against the configuration's
``caBundle``, so the serving certificate names the Service in every form it may be reached by
(``S``, ``S.NS``, ``S.NS.svc``, ``S.NS.svc.cluster.local``), plus any extra host or address
asked for (a local test server on 127.0.0.1). ECDSA P-256 keys: Go's TLS and Python's both
take them and they are made in milliseconds. The CA key is not written: rotating means running
the command again and updating the ``caBundle`` with the new ``ca.crt``.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Written:
    ca_crt: Path
    tls_crt: Path
    tls_key: Path

    @property
    def ca_bundle(self) -> str:
        """``caBundle`` of a webhook configuration: the CA certificate, PEM, base64."""
        return base64.b64encode(self.ca_crt.read_bytes()).decode("ascii")


def service_names(service: str, namespace: str) -> list[str]:
    return [
        service,
        f"{service}.{namespace}",
        f"{service}.{namespace}.svc",
        f"{service}.{namespace}.svc.cluster.local",
    ]


def _san(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write(path: Path, data: bytes, mode: int) -> None:
    """Write to a temporary file, then rename: a server reloading the pair never reads half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, path)


def write_certs(
    out: Path | str,
    service: str,
    namespace: str,
    *,
    extra_names: Sequence[str] = (),
    days: int = 365,
) -> Written:
    """Write ``ca.crt``, ``tls.crt`` and ``tls.key`` (mode 0600) into ``out``."""
    if not service or not namespace:
        raise ValueError("a service name and a namespace are needed")
    if days < 1:
        raise ValueError("--days must be at least 1")
    directory = Path(out)
    directory.mkdir(parents=True, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    start, end = now - datetime.timedelta(minutes=5), now + datetime.timedelta(days=days)

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [x509.NameAttribute(NameOID.COMMON_NAME, f"prevalidate webhook CA ({service}.{namespace})")]
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )

    key = ec.generate_private_key(ec.SECP256R1())
    names = list(dict.fromkeys([*service_names(service, namespace), *extra_names]))
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"{service}.{namespace}.svc")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(end)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([_san(n) for n in names]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    written = Written(directory / "ca.crt", directory / "tls.crt", directory / "tls.key")
    _write(written.ca_crt, ca.public_bytes(serialization.Encoding.PEM), 0o644)
    # Key before certificate: a server that reloads on the certificate's change finds the new key.
    _write(written.tls_key, _pem_key(key), 0o600)
    _write(written.tls_crt, leaf.public_bytes(serialization.Encoding.PEM), 0o644)
    return written


__all__ = ["Written", "service_names", "write_certs"]
