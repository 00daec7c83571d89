"""The SSRF table, end to end: a user-typed image naming an internal address opens no
connection at all. Connection attempts are counted at the network backend, below httpx."""

from __future__ import annotations

import httpcore
import pytest

from prevalidate.model.image_facts import ImageStatus
from prevalidate.registry import RegistryClient

from .fakes import PUBLIC, Recorder, RecordingResolver, exists, resolver


class CountingBackend(httpcore.AsyncNetworkBackend):
    """Counts connection attempts and refuses them all (nothing here may connect)."""

    def __init__(self) -> None:
        self.attempts: list[tuple[str, int]] = []

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        self.attempts.append((host, port))
        raise httpcore.ConnectError("test backend: no connections")

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise httpcore.ConnectError("no")

    async def sleep(self, seconds: float) -> None:
        return None


DNS = resolver(
    {
        "loopback.evil.test": ["127.0.0.1"],
        "private.evil.test": ["10.1.2.3"],
        "metadata.evil.test": ["169.254.169.254"],
        "v6metadata.evil.test": ["fd00:ec2::254"],
        "cgnat.evil.test": ["100.64.0.7"],
        "ula.evil.test": ["fd12:3456::1"],
        "mapped.evil.test": ["::ffff:127.0.0.1"],
        "mixed.evil.test": [PUBLIC, "10.0.0.1"],
        "xn--rgistry-7gg.evil.test": ["127.0.0.1"],
        "under_score.evil.test": ["10.0.0.7"],
        "under_score.public.test": [PUBLIC],  # r(Cyrillic е)gistry: punycode is ASCII
        "public.test": [PUBLIC],
    }
)

SSRF_IMAGES = [
    "127.0.0.1:5000/app:1",
    "127.1:5000/app:1",
    "127.0.1/app:1",
    "2130706433:5000/app:1",
    "0x7f.0.0.1:5000/app:1",
    "0x7f000001:443/app:1",
    "0177.0.0.1/app:1",
    "[::1]:5000/app:1",
    "[::ffff:7f00:1]:5000/app:1",
    "[::ffff:a9fe:a9fe]/app:1",
    "[fe80::1]/app:1",
    "[fd00:ec2::254]/app:1",
    "[0:0:0:0:0:ffff:7f00:1]/app:1",
    "[fd00::1]/app:1",
    "[::]/app:1",
    "[::1]/app:1",
    "[64:ff9b::a9fe:a9fe]/app:1",
    "[2002:a9fe:a9fe::1]/app:1",
    "0251.0376.0251.0376/app:1",
    "2852039166:80/app:1",
    "0xa9.0xfe.0xa9.0xfe/app:1",
    "169.254.169.254/app:1",
    "0xa9fea9fe:80/app:1",
    "10.0.0.1/app:1",
    "172.16.5.4:443/app:1",
    "192.168.0.10/app:1",
    "100.64.0.1/app:1",
    "0.0.0.0:5000/app:1",
    "localhost/app:1",
    "localhost:5000/app:1",
    "LOCALHOST/app:1",  # an uppercase first component is a domain (Go's splitDockerDomain)
    "LocalHost:5000/app:1",
    "registry.localhost/app:1",
    "REGISTRY.LOCALHOST/app:1",
    "metadata.google.internal/computemetadata:1",
    "METADATA.Google.Internal/computemetadata:1",
    "loopback.evil.test/app:1",
    "private.evil.test/app:1",
    "metadata.evil.test/app:1",
    "v6metadata.evil.test/app:1",
    "cgnat.evil.test/app:1",
    "ula.evil.test/app:1",
    "mapped.evil.test/app:1",
    "mixed.evil.test/app:1",
    "xn--rgistry-7gg.evil.test/app:1",
    "under_score.evil.test/app:1",  # a host only the path grammar accepts (no domain in Go)
    "my_registry.localhost/app:1",
]


@pytest.mark.fault("registry-internal-address")
@pytest.mark.parametrize("image", SSRF_IMAGES)
async def test_internal_registry_is_not_allowed_and_opens_no_connection(image: str) -> None:
    backend = CountingBackend()
    async with RegistryClient(resolver=DNS, network_backend=backend) as client:
        facts = await client.image_facts(image)
        assert facts.status is ImageStatus.NOT_ALLOWED, facts.detail
        assert client.connection_attempts == 0
        assert client.counts.by_kind == {}
    assert backend.attempts == []


# Forms the reference grammar (distribution/reference, which the kubelet uses too) does not
# accept as a registry host: no lookup at all, and Kubernetes would refuse the image as well.
NOT_REFERENCES = [
    "[::ffff:169.254.169.254]/app:1",
    "[::ffff:10.0.0.1]:5000/app:1",
    "169.254.169.254.:80/app:1",
    "[fe80::1%25eth0]/app:1",
    "user@169.254.169.254/app:1",
    "169.254.169.254#@public.test/app:1",
    "localhost./app:1",  # the grammar has no trailing dot
    "LOCALHOST.:5000/app:1",
    "registry.internal./app:1",
    "metadata.google.internal./app:1",
]


@pytest.mark.parametrize("image", NOT_REFERENCES)
async def test_address_forms_that_are_no_reference_open_no_connection(image: str) -> None:
    backend, dns = CountingBackend(), RecordingResolver({"localhost": ["127.0.0.1"]})
    async with RegistryClient(resolver=dns, network_backend=backend) as client:
        facts = await client.image_facts(image)
        assert facts.status is ImageStatus.UNVERIFIED and "invalid reference" in facts.detail, facts
        assert client.connection_attempts == 0
    assert backend.attempts == [] and dns.asked == []


async def test_listed_internal_registry_is_contacted() -> None:
    backend = CountingBackend()
    async with RegistryClient(allowed_registries=["10.0.0.1"], network_backend=backend) as client:
        facts = await client.image_facts("10.0.0.1/app:1")
    assert facts.status is ImageStatus.UNVERIFIED  # the test backend refuses: but it was tried
    assert backend.attempts == [("10.0.0.1", 443)]


@pytest.mark.fault("registry-dns-rebinding")
async def test_dns_rebinding_between_check_and_connect_is_refused() -> None:
    answers = iter([[PUBLIC], ["127.0.0.1"]])

    async def rebinding(host: str, port: int):
        import ipaddress

        return [ipaddress.ip_address(a) for a in next(answers)]

    backend = CountingBackend()
    async with RegistryClient(resolver=rebinding, network_backend=backend) as client:
        facts = await client.image_facts("rebind.test/app:1")
        assert client.connection_attempts == 0
    assert facts.status is ImageStatus.UNVERIFIED and "refused" in facts.detail
    assert backend.attempts == []


async def test_public_registry_connects_to_the_vetted_address() -> None:
    backend = CountingBackend()
    async with RegistryClient(resolver=DNS, network_backend=backend) as client:
        await client.image_facts("public.test/app:1")
    assert backend.attempts == [(PUBLIC, 443)]


async def test_a_host_only_the_path_grammar_accepts_is_the_one_asked() -> None:
    """Regression (atheris, ``ogle.idata.goo_le.internal/x:n``): Go's grammar gives such a
    reference no domain (``_`` is no domain character) and we judged an empty host; containerd
    contacts the first component, so that is the host the policy judges and the lookup asks,
    at ``/v2/<the rest>``."""
    backend = CountingBackend()
    async with RegistryClient(resolver=DNS, network_backend=backend) as client:
        await client.image_facts("under_score.public.test/team/app:1")
    assert backend.attempts == [(PUBLIC, 443)]
    recorder = Recorder(exists)
    async with RegistryClient(resolver=DNS, transport=recorder.transport) as client:
        facts = await client.image_facts("under_score.public.test/team/app:1")
    assert facts.status is ImageStatus.EXISTS
    assert recorder.requests[0].url.path == "/v2/team/app/manifests/1"

    from prevalidate.registry.policy import registry_denial
    from prevalidate.registry.reference import parse_image_reference

    ref = parse_image_reference("under_score.public.test/team/app:1")
    assert (ref.domain, ref.registry_host, ref.remote_path) == ("", "under_score.public.test", "team/app")
    assert registry_denial(ref.registry_host, ["under_score.public.test"]) is None
