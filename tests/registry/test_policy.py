"""Registry policy: the allow-list and the SSRF rules, decided before any connection."""

from __future__ import annotations

import ipaddress

import pytest

from prevalidate.registry.policy import (
    DenialKind,
    classify_address,
    denial_reason,
    is_listed,
    parse_ip_literal,
    registry_denial,
    split_host_port,
)

LOOPBACK = ipaddress.ip_address("127.0.0.1")


@pytest.mark.parametrize(
    ("literal", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f.0.0.1", "127.0.0.1"),
        ("0X7F.1", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("0xa9.0xfe.0xa9.0xfe", "169.254.169.254"),
        ("169.254.43518", "169.254.169.254"),
        ("[::1]", "::1"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("::ffff:7f00:1", "::ffff:7f00:1"),
        ("[fe80::1%eth0]", "fe80::1"),
        ("127.0.0.1.", "127.0.0.1"),
    ],
)
def test_ip_literals_are_parsed_in_every_notation_the_resolver_accepts(literal: str, address: str) -> None:
    assert parse_ip_literal(literal) == ipaddress.ip_address(address)


@pytest.mark.parametrize(
    "name",
    ["example.com", "0x", "0x.1", "08.0.0.1", "1.2.3.4.5", "256.1.1.1", "1.16777216", "", "a1"],
)
def test_names_and_invalid_numbers_are_not_literals(name: str) -> None:
    assert parse_ip_literal(name) is None


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("169.254.1.1", "link-local"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("fd12::1", "unique-local"),
        ("fe80::1", "link-local"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "loopback (embedded in IPv6)"),
        ("::127.0.0.1", "loopback (embedded in IPv6)"),
        ("::ffff:0:10.0.0.1", "private (embedded in IPv6)"),
        ("2002:7f00:1::", "loopback (embedded in IPv6)"),
        ("64:ff9b::10.0.0.1", "private (embedded in IPv6)"),
        ("64:ff9b::169.254.169.254", "cloud metadata (embedded in IPv6)"),
        ("2001:0:4136:e378:8000:63bf:80ff:fffe", "loopback (embedded in IPv6)"),
        ("8.8.8.8", None),
        ("2a00:1450::1", None),
        ("64:ff9b::8.8.8.8", None),
    ],
)
def test_addresses_are_classified(address: str, kind: str | None) -> None:
    assert classify_address(ipaddress.ip_address(address)) == kind


SSRF_TABLE = [
    "127.0.0.1:5000",
    "127.1:5000",
    "2130706433:5000",
    "0x7f.0.0.1:5000",
    "0177.0.0.1",
    "[::1]:5000",
    "[::ffff:127.0.0.1]:5000",
    "[::ffff:7f00:1]:5000",
    "169.254.169.254",
    "[fd00:ec2::254]",
    "10.0.0.5:5000",
    "100.64.1.1",
    "[fc00::1]:443",
    "0.0.0.0:5000",
    "localhost:5000",
    "LOCALHOST:5000",
    "LOCALHOST",
    "localhost.",
    "LocalHost.:5000",
    "registry.localhost",
    "registry.localhost.",
    "REGISTRY.LOCALHOST",
    "metadata.google.internal",
    "metadata.google.internal.",
    "METADATA.GOOGLE.INTERNAL",
    "127.0.0.1.",
]

# Hosts that are not ASCII never name a registry an image can use (distribution/reference's
# grammar is ASCII; see test_idn.py). Should one reach the policy anyway (a bug upstream),
# it is refused: unresolved, even listed, whatever it would resolve to. Python's socket layer
# would IDNA-encode it (U+3002 → ".", fullwidth → ASCII), turning each of these into an
# internal address or into a different name than the one checked.
IDN_HOSTS = [
    "127\u30020\u30020\u30021",
    "127\uff0e0\uff0e0\uff0e1:5000",
    "\uff11\uff12\uff17.0.0.1",
    "\u24dbocalhost",
    "r\u0435gistry.example.com",
    "ex\u0430mple.com",
    "metadata.google.int\u0435rnal",
    "fa\u00df.de",
]


@pytest.mark.parametrize("host", IDN_HOSTS)
def test_a_non_ascii_host_is_refused_resolved_or_not_listed_or_not(host: str) -> None:
    public = [ipaddress.ip_address("8.8.8.8")]
    for allowed in ((), [host]):
        for require_listed in (True, False):
            reason = denial_reason(host, allowed, public, require_listed=require_listed)
            assert reason is not None and "not an ASCII" in reason
            assert registry_denial(host, allowed, insecure=[host]) is not None


@pytest.mark.parametrize(
    ("host", "address"),
    [("xn--rgistry-7gg.example.com", "127.0.0.1"), ("xn--exmple-4nf.com", "10.0.0.1")],
)
def test_punycode_names_are_judged_by_their_addresses(host: str, address: str) -> None:
    assert denial_reason(host, (), [ipaddress.ip_address(address)]) is not None
    assert denial_reason(host, (), [ipaddress.ip_address("8.8.8.8")]) is None
    assert denial_reason(host, [host], [ipaddress.ip_address(address)]) is None


@pytest.mark.parametrize("host", SSRF_TABLE)
def test_internal_addresses_are_denied_without_an_allow_list(host: str) -> None:
    assert denial_reason(host, allowed=()) is not None


@pytest.mark.parametrize("host", SSRF_TABLE)
def test_internal_addresses_are_allowed_when_listed_exactly(host: str) -> None:
    assert denial_reason(host, allowed=[host]) is None


def test_listing_a_different_registry_does_not_allow_an_internal_address() -> None:
    assert denial_reason("127.0.0.1:5000", allowed=["127.0.0.1:5001"]) is not None
    assert denial_reason("127.1:5000", allowed=["127.0.0.1:5000"]) is not None


def test_hostnames_resolving_to_internal_addresses_are_denied() -> None:
    reason = denial_reason("registry.evil.example", (), [ipaddress.ip_address("8.8.8.8"), LOOPBACK])
    assert reason is not None and "loopback" in reason


def test_public_hosts_and_canonical_public_literals_are_allowed() -> None:
    assert denial_reason("ghcr.io", (), [ipaddress.ip_address("140.82.112.33")]) is None
    assert denial_reason("8.8.8.8:5000", ()) is None


def test_public_literal_in_an_obfuscated_notation_is_denied() -> None:
    assert denial_reason("134744072:5000", ()) is not None  # 8.8.8.8 spelled as a number


def test_allow_list_restricts_public_registries_too() -> None:
    assert denial_reason("ghcr.io", ["quay.io"]) is not None
    assert denial_reason("quay.io", ["quay.io"]) is None
    assert denial_reason("quay.io:8443", ["quay.io"]) is not None


def test_docker_hub_names_stand_for_one_another_in_the_allow_list() -> None:
    assert is_listed("registry-1.docker.io", ["docker.io"])
    assert is_listed("docker.io", ["index.docker.io"])


def test_token_realm_need_not_be_listed_but_must_not_be_internal() -> None:
    assert denial_reason("auth.docker.io", ["docker.io"], require_listed=False) is None
    assert denial_reason("169.254.169.254", ["docker.io"], require_listed=False) is not None
    # the realm of an allowed loopback registry, on another port of the same host
    assert denial_reason("127.0.0.1:5058", ["127.0.0.1:5000"], require_listed=False) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("example.com", ("example.com", None)),
        ("Example.COM:5000", ("example.com", 5000)),
        ("[::1]:5000", ("::1", 5000)),
        ("[::1]", ("::1", None)),
        ("fd00::1", ("fd00::1", None)),
    ],
)
def test_split_host_port(text: str, expected: tuple[str, int | None]) -> None:
    assert split_host_port(text) == expected


def test_registry_denial_exempts_insecure_registries_from_the_address_rules() -> None:
    assert registry_denial("127.0.0.1:5000", (), insecure=["127.0.0.1:5000"]) is None
    assert registry_denial("127.0.0.1:5001", (), insecure=["127.0.0.1:5000"]) is not None


def test_registry_denial_keeps_the_allow_list_strict_for_insecure_registries() -> None:
    reason = registry_denial("127.0.0.1:5000", ["quay.io"], insecure=["127.0.0.1:5000"])
    assert reason is not None and "not one of the allowed" in reason.text
    assert reason.kind is DenialKind.NOT_LISTED


def test_registry_denial_says_an_address_denial_by_kind_not_by_wording() -> None:
    """validators/image.py decides error vs warning from the kind: an internal address is a
    warning (we only refuse to contact it), an allow-list miss the admin's policy (error)."""
    reason = registry_denial("127.0.0.1:5000", ["quay.io"])
    assert reason is not None and reason.kind is DenialKind.NOT_LISTED
    reason = registry_denial("127.0.0.1:5000", ())
    assert reason is not None and reason.kind is DenialKind.ADDRESS and str(reason) == reason.text
