"""Internationalised host names (IDN) and the SSRF rules.

What really happens, from the sources:

* distribution/reference's domain grammar is ASCII only (``domainNameComponent`` is
  ``[a-zA-Z0-9]...``), and the kubelet parses every image with ``ParseNormalizedNamed``
  before the CRI sees it; a reference whose registry host has any non-ASCII character
  (a Cyrillic homoglyph, fullwidth digits or dots, ``ⓛ``) fails there and the container
  waits in ``InvalidImageName``. We refuse it the same way (``image-reference-invalid``),
  and must never resolve or contact it: Python's socket layer IDNA-2003-encodes a Unicode
  host (``127。0。0。1`` → ``127.0.0.1``, ``ⓛocalhost`` → ``localhost``), so a Unicode
  host that reached the network layer could become loopback. The tests below record every
  name the resolver is asked and every connection the network backend sees.
* Punycode (``xn--…``) names are plain ASCII and valid references: resolved and judged by
  address like any name, and compared exactly (as ASCII) with the allow-list.
* Registry-supplied URLs (token realms, redirects) may carry Unicode hosts; httpx encodes
  them (IDNA 2008) for the wire, and everything we decide is about that ASCII wire form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import httpx
import pytest
from factories import base_objects, cluster, container, node, pod

from prevalidate.model.findings import Code, Severity
from prevalidate.model.image_facts import ImageStatus
from prevalidate.model.request import PodRequest
from prevalidate.model.settings import Settings
from prevalidate.registry import RegistryClient
from prevalidate.registry.gate import Gate
from prevalidate.registry.policy import denial_reason, entry_problem, is_listed, split_host_port
from prevalidate.service import FixedView, ValidationService

from .fakes import DIGEST, OCI_MANIFEST, PUBLIC, Recorder, RecordingResolver
from .test_ssrf import CountingBackend

CYRILLIC_E = "\u0435"  # е, looks like Latin e
CYRILLIC_A = "\u0430"  # а
PUNY_REGISTRY = "xn--rgistry-7gg.example.com"  # r(Cyrillic е)gistry.example.com, encoded
PUNY_EXAMPLE = "xn--exmple-4nf.com"  # ex(Cyrillic а)mple.com, encoded

# Registry hosts a reference cannot have: each is "invalid reference format" for the kubelet.
IDN_IMAGES = [
    pytest.param(f"r{CYRILLIC_E}gistry.example.com/app:1", id="cyrillic-homoglyph"),
    pytest.param(f"ex{CYRILLIC_A}mple.com/app:1", id="cyrillic-a-homoglyph"),
    pytest.param("127\u30020\u30020\u30021/app:1", id="ideographic-full-stops"),
    pytest.param("127\uff0e0\uff0e0\uff0e1:5000/app:1", id="fullwidth-full-stops"),
    pytest.param("\uff11\uff12\uff17.0.0.1/app:1", id="fullwidth-digits"),
    pytest.param("\u24dbocalhost/app:1", id="circled-l-localhost"),
    pytest.param("\u24c1OCALHOST:5000/app:1", id="circled-L-localhost-port"),
    pytest.param(f"metadata.google.int{CYRILLIC_E}rnal/app:1", id="metadata-homoglyph"),
    pytest.param(f"r{CYRILLIC_E}gistry.{PUNY_EXAMPLE}/app:1", id="mixed-unicode-and-punycode"),
    pytest.param("169.254.169.254\u3002/app:1", id="trailing-ideographic-stop"),
]


@pytest.mark.parametrize("image", IDN_IMAGES)
async def test_an_idn_registry_host_is_no_reference_and_is_never_resolved_or_contacted(image: str) -> None:
    resolver, backend = RecordingResolver({"localhost": ["127.0.0.1"]}), CountingBackend()
    async with RegistryClient(resolver=resolver, network_backend=backend) as client:
        facts = await client.image_facts(image)
        assert facts.status is ImageStatus.UNVERIFIED and "invalid reference" in facts.detail, facts
        assert client.connection_attempts == 0 and client.counts.by_kind == {}
    assert resolver.asked == [] and backend.attempts == []


@pytest.mark.parametrize("image", IDN_IMAGES)
async def test_a_spawn_with_an_idn_registry_host_is_refused_as_the_kubelet_would(image: str) -> None:
    """Through the one validation service: the error the kubelet's InvalidImageName would be,
    decided offline, with nothing resolved or contacted."""
    resolver, backend = RecordingResolver({"localhost": ["127.0.0.1"]}), CountingBackend()
    view = FixedView(cluster(*base_objects(), node(cpu="8")))
    async with RegistryClient(resolver=resolver, network_backend=backend) as client:
        service = ValidationService(Settings(), view, client)
        verdict = await service.validate(PodRequest(pod(containers=[container(image=image)])))
    assert [(f.code, f.severity) for f in verdict.findings] == [
        (Code.IMAGE_REFERENCE_INVALID, Severity.ERROR)
    ]
    assert resolver.asked == [] and backend.attempts == []


# ---- punycode: a valid ASCII name, judged by its addresses --------------------------------------


@pytest.mark.parametrize("address", ["127.0.0.1", "10.0.0.5", "169.254.169.254", "::1", "fd00:ec2::254"])
async def test_a_punycode_registry_resolving_internal_is_denied_and_not_contacted(address: str) -> None:
    resolver, backend = RecordingResolver({PUNY_REGISTRY: [address]}), CountingBackend()
    async with RegistryClient(resolver=resolver, network_backend=backend) as client:
        facts = await client.image_facts(f"{PUNY_REGISTRY}/app:1")
    assert facts.status is ImageStatus.NOT_ALLOWED, facts
    assert resolver.asked == [PUNY_REGISTRY] and backend.attempts == []


async def test_a_punycode_registry_resolving_public_is_contacted_at_the_vetted_address() -> None:
    resolver, backend = RecordingResolver({PUNY_REGISTRY: [PUBLIC]}), CountingBackend()
    async with RegistryClient(resolver=resolver, network_backend=backend) as client:
        await client.image_facts(f"{PUNY_REGISTRY}/app:1")
    assert backend.attempts == [(PUBLIC, 443)]
    assert set(resolver.asked) == {PUNY_REGISTRY}  # the ASCII name, never a decoded form


def exists_handler(seen: list[str]):
    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.url.scheme}://{request.url.raw_host.decode()}:{request.url.port}")
        return httpx.Response(200, headers={"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": DIGEST})

    return handle


async def test_a_listed_punycode_registry_on_a_private_address_is_contacted() -> None:
    """Regression: the URL check judged httpx's decoded ``url.host`` (Unicode), so a listed
    ``xn--`` registry looked unlisted, its name was resolved in the decoded form, and every
    lookup ended "refused" (unverified) although the admin had listed it."""
    resolver, seen = RecordingResolver({PUNY_REGISTRY: ["10.0.0.5"]}), []
    transport = httpx.MockTransport(exists_handler(seen))
    async with RegistryClient(
        allowed_registries=[PUNY_REGISTRY], resolver=resolver, transport=transport
    ) as client:
        facts = await client.image_facts(f"{PUNY_REGISTRY}/app:1")
    assert facts.status is ImageStatus.EXISTS, facts
    assert seen and all(s == f"https://{PUNY_REGISTRY}:None" for s in seen)
    assert set(resolver.asked) <= {PUNY_REGISTRY}


async def test_an_insecure_punycode_registry_is_spoken_to_over_http() -> None:
    """Regression: ``plain HTTP to <decoded name>, which is not an insecure registry``."""
    resolver, seen = RecordingResolver({PUNY_REGISTRY: ["10.0.0.5"]}), []
    transport = httpx.MockTransport(exists_handler(seen))
    insecure = [f"{PUNY_REGISTRY}:5000"]
    async with RegistryClient(insecure_registries=insecure, resolver=resolver, transport=transport) as client:
        facts = await client.image_facts(f"{PUNY_REGISTRY}:5000/app:1")
    assert facts.status is ImageStatus.EXISTS, facts
    assert seen and all(s == f"http://{PUNY_REGISTRY}:5000" for s in seen)


# ---- the allow-list compares ASCII names exactly -------------------------------------------------


def test_the_allow_list_never_converts_between_unicode_and_punycode() -> None:
    unicode_name = f"r{CYRILLIC_E}gistry.example.com"
    assert not is_listed(PUNY_REGISTRY, [unicode_name])  # a Unicode entry matches no image
    assert not is_listed(unicode_name, [PUNY_REGISTRY])
    assert not is_listed("registry.example.com", [PUNY_REGISTRY])  # the Latin look-alike
    assert not is_listed(PUNY_REGISTRY, ["registry.example.com"])
    assert not is_listed("xn--rgistry-w7g.example.com", [PUNY_REGISTRY])  # another punycode
    assert is_listed(PUNY_REGISTRY.upper(), [PUNY_REGISTRY])  # DNS names are case-insensitive
    assert denial_reason(PUNY_REGISTRY, [unicode_name]) is not None


@pytest.mark.parametrize(
    "entry", [f"r{CYRILLIC_E}gistry.example.com", "\uff11\uff12\uff17.0.0.1:5000", "faß.de"]
)
def test_a_unicode_allow_list_entry_is_refused_at_start(entry: str) -> None:
    from traitlets import TraitError
    from traitlets.config import Config

    from prevalidate.hub.config import Prevalidator

    assert entry_problem(entry) is not None
    for trait in ("allowed_registries", "insecure_registries"):
        config = Config()
        config.Prevalidator[trait] = ["quay.io", entry]
        with pytest.raises(TraitError, match=rf"{trait}\[1\]: .* not ASCII"):
            Prevalidator(config=config)


def test_ascii_entries_are_accepted() -> None:
    assert entry_problem(PUNY_REGISTRY) is None and entry_problem("10.0.0.5:5000") is None


@pytest.mark.parametrize("port", ["²", "５０００", "٥٠٠٠"])
def test_a_non_ascii_port_is_no_port_and_no_crash(port: str) -> None:
    """Regression: ``str.isdigit()`` is True for these and ``int("²")`` raised ValueError."""
    assert split_host_port(f"registry.example.com:{port}") == ("registry.example.com", None)


# ---- URLs the registry sends: judged by the ASCII host httpx puts on the wire --------------------


async def _token_exchange(
    realm: str, table: Mapping[str, Sequence[str]]
) -> tuple[RecordingResolver, Recorder]:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.raw_host == b"registry.test":
            # Header bytes as a registry sends them (UTF-8; httpx decodes them so for a header).
            challenge = f'Bearer realm="{realm}",service="r"'.encode()
            return httpx.Response(401, headers=[(b"www-authenticate", challenge)])
        return httpx.Response(200, json={"token": "t"})

    resolver, recorder = RecordingResolver(table), Recorder(handle)
    async with RegistryClient(resolver=resolver, transport=recorder.transport) as client:
        facts = await client.image_facts("registry.test/app:1")
    assert facts.status is not ImageStatus.EXISTS
    return resolver, recorder


@pytest.mark.parametrize(
    "realm",
    [
        "https://127\u30020\u30020\u30021/token",  # httpx maps U+3002 to "." → 127.0.0.1
        "https://127\uff0e0\uff0e0\uff0e1:5001/token",
        "https://\uff11\uff12\uff17.0.0.1/token",  # invalid IDNA for httpx: not a URL
        "https://\u24dbocalhost/token",  # invalid IDNA for httpx
        "https://LOCALHOST./token",
        "https://metadata.google.internal./token",
        "https://506\u30020\u30020\u30021/token",  # becomes "506.0.0.1": no address, no name
    ],
)
async def test_a_token_realm_on_an_internal_idn_host_is_never_contacted(realm: str) -> None:
    resolver, recorder = await _token_exchange(realm, {"registry.test": [PUBLIC]})
    assert [r.url.raw_host for r in recorder.requests] == [b"registry.test"]
    assert set(resolver.asked) <= {"registry.test"}


async def test_a_unicode_realm_is_resolved_by_its_ascii_wire_name_only() -> None:
    """httpx sends ``faß.example`` as ``xn--fa-hia.example`` (IDNA 2008); Python's resolver
    would turn the Unicode form into ``fass.example`` (IDNA 2003), a different host: the name
    vetted must be the one connected to."""
    table = {"registry.test": [PUBLIC], "xn--fa-hia.example": ["10.0.0.9"], "fass.example": [PUBLIC]}
    resolver, recorder = await _token_exchange("https://faß.example/token", table)
    assert [r.url.raw_host for r in recorder.requests] == [b"registry.test"]  # private: refused
    assert "xn--fa-hia.example" in resolver.asked
    assert all(name.isascii() and name != "fass.example" for name in resolver.asked)


async def test_the_gate_judges_the_wire_host_of_a_url() -> None:
    resolver = RecordingResolver({PUNY_REGISTRY: ["10.0.0.5"]})
    gate = Gate([PUNY_REGISTRY], (), resolver)
    assert await gate.url_denial(httpx.URL(f"https://{PUNY_REGISTRY}/v2/")) is None
    unlisted = Gate((), (), resolver)
    reason = await unlisted.url_denial(httpx.URL(f"https://{PUNY_REGISTRY}/v2/"))
    assert reason is not None and PUNY_REGISTRY in reason and "private" in reason
    assert resolver.asked == [PUNY_REGISTRY, PUNY_REGISTRY]


async def test_an_invalid_punycode_label_in_a_registry_url_raises_nothing() -> None:
    """Regression (atheris, www-authenticate/regression-invalid-a-label): httpx's ``url.host``
    raises ``IDNAError`` for ``xn--o-pfatt20n``; the gate and the redirect check use the
    wire host, which is just a name to resolve and judge."""
    from prevalidate.registry.fetch import _same_origin

    url = httpx.URL("https://xn--o-pfatt20n/token")
    assert _same_origin(url, url.join("/v2/")) and not _same_origin(url, httpx.URL("https://a.test/"))
    resolver = RecordingResolver({"xn--o-pfatt20n": ["10.0.0.1"]})
    reason = await Gate((), (), resolver).url_denial(url)
    assert reason is not None and "private" in reason and resolver.asked == ["xn--o-pfatt20n"]
