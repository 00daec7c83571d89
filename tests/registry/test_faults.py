"""Registry faults a real registry cannot produce: every one is "unverified" (a warning that
never blocks a spawn) or a refused connection, never a false "not found"."""

from __future__ import annotations

import asyncio
import ssl

import httpx
import pytest

from prevalidate.model.image_facts import ImageStatus
from prevalidate.registry import RegistryClient

from .fakes import DIGEST, PUBLIC, Recorder, error_json, exists, resolver

IMAGE = "registry.test/team/app:1.0"
DNS = resolver(
    {
        "registry.test": [PUBLIC],
        "cdn.test": [PUBLIC],
        "auth.test": [PUBLIC],
        "metadata.evil.test": ["169.254.169.254"],
    }
)


def client(recorder: Recorder, **options: object) -> RegistryClient:
    return RegistryClient(transport=recorder.transport, resolver=DNS, **options)


async def lookup(handler, image: str = IMAGE, want_platforms: bool = True, **options: object):
    recorder = Recorder(handler)
    async with client(recorder, **options) as registry:
        return await registry.image_facts(image, want_platforms=want_platforms), recorder


def status(code: int, **headers: str):
    return lambda request: httpx.Response(code, headers=headers)


@pytest.mark.fault("registry-429")
@pytest.mark.fault("registry-5xx")
@pytest.mark.parametrize("code", [429, 500, 502, 503, 504])
async def test_rate_limits_and_server_errors_are_unverified(code: int) -> None:
    facts, _ = await lookup(status(code))
    assert facts.status is ImageStatus.UNVERIFIED
    assert f"HTTP {code}" in facts.detail


@pytest.mark.fault("registry-retry-after")
async def test_rate_limit_is_honoured_with_retry_after() -> None:
    recorder = Recorder(status(429, **{"Retry-After": "30"}))
    async with client(recorder) as registry:
        first = await registry.image_facts(IMAGE)
        second = await registry.image_facts(IMAGE)
    assert first.status is second.status is ImageStatus.UNVERIFIED
    assert len(recorder.requests) == 1  # not asked again while it asked us to wait


@pytest.mark.parametrize(
    "error",
    [
        httpx.ReadTimeout("timed out"),
        httpx.ConnectTimeout("timed out"),
        httpx.ReadError("[Errno 104] Connection reset by peer"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed"),
    ],
    ids=["read-timeout", "connect-timeout", "reset", "disconnect", "tls"],
)
async def test_transport_failures_are_unverified(error: Exception) -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise error

    facts, _ = await lookup(fail)
    assert facts.status is ImageStatus.UNVERIFIED


async def test_tls_failure_is_named_in_the_detail() -> None:
    def fail(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")

    facts, _ = await lookup(fail)
    assert facts.detail == "TLS error"


@pytest.mark.fault("registry-foreign-404")
async def test_404_that_is_not_a_registry_answer_is_unverified_not_missing() -> None:
    facts, recorder = await lookup(
        lambda r: httpx.Response(
            404,
            text="" if r.method == "HEAD" else "404 page not found",  # HEAD has no body
            headers={"Content-Type": "text/plain"},
        )
    )
    assert facts.status is ImageStatus.UNVERIFIED
    assert [r.method for r in recorder.requests] == ["HEAD", "GET"]  # read the body first


async def test_404_with_a_registry_error_code_is_not_found() -> None:
    facts, _ = await lookup(lambda r: error_json(404, "MANIFEST_UNKNOWN"))
    assert facts.status is ImageStatus.NOT_FOUND


@pytest.mark.fault("registry-garbage-token")
async def test_invalid_json_from_the_token_endpoint_is_unverified() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return httpx.Response(200, text="{not json")
        return httpx.Response(
            401, headers={"WWW-Authenticate": 'Bearer realm="https://auth.test/token",service="r"'}
        )

    facts, _ = await lookup(handler)
    assert facts.status is ImageStatus.UNVERIFIED and "invalid JSON" in facts.detail


@pytest.mark.fault("registry-garbage-body")
async def test_invalid_json_index_keeps_existence_but_no_platforms() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {
            "Content-Type": "application/vnd.oci.image.index.v1+json",
            "Docker-Content-Digest": DIGEST,
        }
        return httpx.Response(200, headers=headers, text="" if request.method == "HEAD" else "{{")

    facts, _ = await lookup(handler)
    assert facts.status is ImageStatus.EXISTS and facts.platforms is None


@pytest.mark.fault("registry-redirect-private")
@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "https://169.254.169.254/v2/team/app/manifests/1.0",
        "https://[::ffff:a9fe:a9fe]/x",
        "https://2852039166/x",
        "https://metadata.evil.test/x",
        "https://127.0.0.1:5000/x",
        "http://cdn.test/x",
        "https://cdn.test:99999/x",
        "file:///etc/passwd",
    ],
)
async def test_redirects_to_internal_addresses_are_refused_without_a_request(location: str) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(302, headers={"Location": location})

    facts, recorder = await lookup(handler)
    assert facts.status is ImageStatus.UNVERIFIED and "refused" in facts.detail
    assert recorder.hosts() == ["registry.test"]


async def test_redirect_to_another_host_drops_the_authorization_header() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "registry.test":
            if "authorization" not in request.headers:
                return httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="r"'})
            return httpx.Response(307, headers={"Location": "https://cdn.test/m"})
        assert "authorization" not in request.headers
        return exists(request)

    secret = (
        "kubernetes.io/dockerconfigjson",
        '{"auths": {"registry.test": {"username": "u", "password": "p"}}}',
    )
    recorder = Recorder(handler)
    async with client(recorder) as registry:
        facts = await registry.image_facts(IMAGE, [secret], want_platforms=False)
    assert facts.status is ImageStatus.EXISTS
    assert recorder.hosts() == ["registry.test", "registry.test", "cdn.test"]


async def test_head_not_allowed_falls_back_to_get() -> None:
    facts, recorder = await lookup(
        lambda r: status(405)(r) if r.method == "HEAD" else exists(r), want_platforms=False
    )
    assert facts.status is ImageStatus.EXISTS
    assert [r.method for r in recorder.requests] == ["HEAD", "GET"]


@pytest.mark.fault("registry-slow")
async def test_slow_registry_is_unverified_within_the_budget_and_fills_the_cache_later() -> None:
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()
        return exists(request)

    recorder = Recorder(slow)  # type: ignore[arg-type]
    async with client(recorder, time_budget=0.05) as registry:
        first = await registry.image_facts(IMAGE, want_platforms=False)
        release.set()
        for _ in range(100):  # the shared lookup finishes in the background
            await asyncio.sleep(0.01)
            if registry.flights_started and not registry._flights.in_flight():
                break
        second = await registry.image_facts(IMAGE, want_platforms=False)
    assert first.status is ImageStatus.UNVERIFIED and "within" in first.detail
    assert second.status is ImageStatus.EXISTS
    assert len(recorder.requests) == 1


async def test_slow_platform_check_does_not_hide_a_decided_answer() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "GET":
            await asyncio.sleep(10)
        return httpx.Response(
            200,
            headers={
                "Content-Type": "application/vnd.oci.image.index.v1+json",
                "Docker-Content-Digest": DIGEST,
            },
        )

    recorder = Recorder(handler)  # type: ignore[arg-type]
    async with client(recorder, time_budget=0.2) as registry:
        facts = await registry.image_facts(IMAGE)
    assert facts.status is ImageStatus.EXISTS and facts.platforms is None


async def test_docker_hub_names_are_normalised_and_use_the_hub_key_of_docker_login() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(
            (
                request.method,
                str(request.url.copy_with(query=None)),
                request.headers.get("authorization", "").split(" ")[0],
            )
        )
        if request.url.host == "auth.docker.io":
            assert request.url.params["scope"] == "repository:library/ubuntu:pull"
            assert request.url.params["service"] == "registry.docker.io"
            return httpx.Response(200, json={"token": "t0k", "expires_in": 300})
        if request.headers.get("authorization") != "Bearer t0k":
            return httpx.Response(
                401,
                headers={
                    "WWW-Authenticate": 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",'
                    'scope="repository:library/ubuntu:pull"'
                },
            )
        return exists(request)

    hub = ("kubernetes.io/dockerconfigjson", '{"auths": {"https://index.docker.io/v1/": {"auth": "dTpw"}}}')
    recorder = Recorder(handler)
    dns = resolver({"registry-1.docker.io": [PUBLIC], "auth.docker.io": [PUBLIC]})
    async with RegistryClient(transport=recorder.transport, resolver=dns) as registry:
        facts = await registry.image_facts("ubuntu", [hub], want_platforms=False)
    assert facts.status is ImageStatus.EXISTS
    assert seen == [
        ("HEAD", "https://registry-1.docker.io/v2/library/ubuntu/manifests/latest", ""),
        ("GET", "https://auth.docker.io/token", "Basic"),
        ("HEAD", "https://registry-1.docker.io/v2/library/ubuntu/manifests/latest", "Bearer"),
    ]


async def test_anonymous_401_after_a_token_is_private_or_missing_like_docker_hub() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "auth.test":
            return httpx.Response(200, json={"token": "anon"})
        return httpx.Response(
            401,
            headers={
                "WWW-Authenticate": 'Bearer realm="https://auth.test/token",service="r",error="insufficient_scope"'
            },
        )

    facts, _ = await lookup(handler)
    assert facts.status is ImageStatus.NOT_FOUND_OR_DENIED


async def test_unresolvable_registry_is_unverified() -> None:
    facts, recorder = await lookup(exists, image="nowhere.test/app:1")
    assert facts.status is ImageStatus.UNVERIFIED and recorder.requests == []


async def test_invalid_pull_secret_is_unverified_with_a_reason() -> None:
    recorder = Recorder(exists)
    async with client(recorder) as registry:
        facts = await registry.image_facts(IMAGE, [("kubernetes.io/dockerconfigjson", "{")])
    assert facts.status is ImageStatus.UNVERIFIED and "not valid JSON" in facts.detail
    assert recorder.requests == []


@pytest.mark.fault("registry-tls")
async def test_real_tls_server_with_an_untrusted_certificate_is_unverified(tls_server) -> None:
    host = tls_server
    async with RegistryClient(allowed_registries=[host]) as registry:
        facts = await registry.image_facts(f"{host}/team/app:1")
    assert facts.status is ImageStatus.UNVERIFIED and facts.detail == "TLS error"


@pytest.mark.fault("registry-reset")
async def test_real_connection_reset_is_unverified(reset_server) -> None:
    async with RegistryClient(allowed_registries=[reset_server]) as registry:
        facts = await registry.image_facts(f"{reset_server}/team/app:1")
    assert facts.status is ImageStatus.UNVERIFIED


@pytest.fixture
async def tls_server(tmp_path):
    """A TLS server on loopback with a self-signed certificate the client does not trust."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()


@pytest.fixture
async def reset_server():
    """Accepts, then resets the connection (SO_LINGER 0) without answering."""
    import socket
    import struct

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield f"127.0.0.1:{server.sockets[0].getsockname()[1]}"
    server.close()
