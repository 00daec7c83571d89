"""TLS as kube-apiserver meets it: a real handshake verified against the CA that
``prevalidate webhook certs`` wrote, SNI ``<service>.<namespace>.svc``, TLS 1.1 refused, and a
rotated certificate served to the next connection without a restart."""

from __future__ import annotations

import asyncio
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from prevalidate_webhook.certs import service_names, write_certs
from prevalidate_webhook.tls import ReloadingTLS

from .conftest import serve_app


async def handshake(
    port: int, ca: Path, *, name: str = "pv.jhub.svc", version: ssl.TLSVersion | None = None
) -> str:
    """A TLS handshake and one plain request; the answer's status line."""
    context = ssl.create_default_context(cafile=str(ca))
    if version is not None:
        context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let the client offer old versions at all
        context.minimum_version = context.maximum_version = version
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname=name)
    try:
        writer.write(f"GET /healthz HTTP/1.1\r\nHost: {name}\r\nConnection: close\r\n\r\n".encode())
        await writer.drain()
        return (await reader.readline()).decode().strip()
    finally:
        writer.close()


@pytest.fixture
async def https(tmp_path: Path) -> tuple[int, Path, ReloadingTLS]:
    from aiohttp import web

    write_certs(tmp_path, "pv", "jhub")

    async def ok(request: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/healthz", ok)
    tls = ReloadingTLS(str(tmp_path / "tls.crt"), str(tmp_path / "tls.key"), check_every=0.0)
    runner, port = await serve_app(app, tls.context)
    yield port, tmp_path, tls
    await runner.cleanup()


def test_the_certificate_names_the_service_every_way_it_is_reached(tmp_path: Path) -> None:
    written = write_certs(tmp_path, "pv", "jhub", extra_names=["127.0.0.1", "localhost"])
    leaf = x509.load_pem_x509_certificate(written.tls_crt.read_bytes())
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.DNSName) == [*service_names("pv", "jhub"), "localhost"]
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert service_names("pv", "jhub") == ["pv", "pv.jhub", "pv.jhub.svc", "pv.jhub.svc.cluster.local"]
    assert oct(written.tls_key.stat().st_mode & 0o777) == "0o600"
    ca = x509.load_pem_x509_certificate(written.ca_crt.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is True
    assert leaf.issuer == ca.subject


@pytest.mark.parametrize("name", ["pv.jhub.svc", "pv.jhub.svc.cluster.local", "pv.jhub"])
async def test_a_handshake_verifies_against_the_written_ca(
    https: tuple[int, Path, ReloadingTLS], name: str
) -> None:
    port, certs, _ = https
    assert await handshake(port, certs / "ca.crt", name=name) == "HTTP/1.1 200 OK"
    assert (
        await handshake(port, certs / "ca.crt", name=name, version=ssl.TLSVersion.TLSv1_2)
        == "HTTP/1.1 200 OK"
    )


async def test_a_wrong_name_is_refused_by_the_client(https: tuple[int, Path, ReloadingTLS]) -> None:
    port, certs, _ = https
    with pytest.raises(ssl.SSLCertVerificationError):
        await handshake(port, certs / "ca.crt", name="other.jhub.svc")


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1_1 is deprecated:DeprecationWarning")
async def test_tls_1_1_is_refused(https: tuple[int, Path, ReloadingTLS]) -> None:
    port, certs, _ = https
    with pytest.raises((ssl.SSLError, ConnectionError)):
        await handshake(port, certs / "ca.crt", version=ssl.TLSVersion.TLSv1_1)


async def test_a_rotated_certificate_is_served_without_a_restart(
    https: tuple[int, Path, ReloadingTLS], tmp_path_factory: pytest.TempPathFactory
) -> None:
    port, certs, tls = https
    old_ca = tmp_path_factory.mktemp("old") / "ca.crt"
    old_ca.write_bytes((certs / "ca.crt").read_bytes())
    assert await handshake(port, old_ca) == "HTTP/1.1 200 OK"
    write_certs(certs, "pv", "jhub")  # a new CA and pair, as a rotation writes them
    assert await handshake(port, certs / "ca.crt") == "HTTP/1.1 200 OK"
    assert tls.reloads == 1
    with pytest.raises(ssl.SSLCertVerificationError):
        await handshake(port, old_ca)


async def test_a_half_written_pair_keeps_the_previous_one(https: tuple[int, Path, ReloadingTLS]) -> None:
    port, certs, tls = https
    (certs / "tls.key").write_text("-----BEGIN PRIVATE KEY-----\nnot yet\n")
    assert await handshake(port, certs / "ca.crt") == "HTTP/1.1 200 OK"
    assert tls.reloads == 0
