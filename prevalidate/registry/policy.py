"""Which registries the hub may contact: the allow-list and the SSRF rules.

Pure: no I/O here (the offline image validator calls it; resolution happens in the client,
which passes the addresses in). The image string is user input that makes the hub open
connections, so before any connection we refuse:

* registries outside ``allowed`` when an allow-list is configured;
* IP literals in any notation the C library accepts (``127.1``, ``2130706433``,
  ``0x7f.0.0.1``, ``0177.0.0.1``, ``[::ffff:127.0.0.1]``, zone ids) whose address is not
  globally routable, and every IP literal in a non-canonical notation (nobody runs a
  registry at ``0x7f.1``; such spellings exist only to slip past filters);
* host names that are not ASCII (no image reference has one; see ``is_listed`` on IDN);
* host names that are loopback by definition (``localhost``, ``*.localhost``) or name a cloud
  metadata service, and host names that *resolve* to loopback, private, link-local, CGNAT,
  unique-local, metadata, unspecified, multicast or reserved addresses, including IPv4
  addresses embedded in IPv6 (mapped, compatible, translated, 6to4, NAT64, Teredo).

Any of these is allowed when it is explicitly listed in ``allowed`` (a registry on a
private network is normal; it just has to be the admin who says so).

Python's ``ipaddress`` is used for the classification, but it is wrong for us in two ways,
hence the code here: ``ip_address()`` accepts only canonical dotted quads (while
``getaddrinfo`` resolves ``127.1`` to 127.0.0.1 through ``inet_aton``), and ``is_global``
is True for several IPv6 forms that embed a private IPv4 address (``::127.0.0.1``,
``::ffff:0:7f00:1``, ``64:ff9b::a00:1``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "Denial",
    "DenialKind",
    "IPAddress",
    "address_denial",
    "classify_address",
    "denial_reason",
    "entry_problem",
    "is_listed",
    "parse_ip_literal",
    "registry_denial",
    "split_host_port",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class DenialKind(str, Enum):
    """Why a registry is not contacted, as data: callers decide by kind, never by wording."""

    NOT_LISTED = "not-listed"  # outside the configured allow-list: the admin's image policy
    ADDRESS = "address"  # an internal, metadata or oddly spelled address (SSRF rules)


@dataclass(frozen=True)
class Denial:
    kind: DenialKind
    text: str  # one line for logs and messages, e.g. "quay.io is not one of the allowed registries"

    def __str__(self) -> str:
        return self.text


_HUB_ALIASES = frozenset({"docker.io", "index.docker.io", "registry-1.docker.io"})

# Cloud metadata endpoints (AWS/GCP/Azure/OpenStack, AWS ECS task metadata, AWS IPv6,
# Alibaba, Oracle). Most are link-local anyway; named so the reason says what it is.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",
        "169.254.169.253",
        "fd00:ec2::254",
        "fd00:ec2::23",
        "100.100.100.200",
        "192.0.0.192",
    )
)
_METADATA_NAMES = frozenset(
    {
        "metadata.google.internal",
        "metadata.goog",
        "metadata",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.internal",
    }
)

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")

_INET_ATON_PART = re.compile(r"0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*")
_INET_ATON_MAX = (0xFFFFFFFF, 0xFFFFFF, 0xFFFF, 0xFF)


def split_host_port(registry_host: str) -> tuple[str, int | None]:
    """``host[:port]`` or ``[v6]:port`` → (host without brackets, lower-cased; port or None)."""
    text = registry_host.strip()
    if text.startswith("["):
        end = text.find("]")
        if end < 0:
            return text.lower(), None
        host, rest = text[1:end], text[end + 1 :]
        port = rest[1:] if rest.startswith(":") else ""
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:  # a bare name, or an unbracketed IPv6 literal from configuration
        host, port = text, ""
    # isascii: str.isdigit() is True for "²" and "５", which int() rejects or reads as 5.
    return host.lower(), int(port) if port.isascii() and port.isdigit() else None


def _inet_aton(text: str) -> ipaddress.IPv4Address | None:
    """glibc ``inet_aton`` (what ``getaddrinfo`` uses for numeric hosts): 1 to 4 parts,
    each decimal, octal (leading 0) or hex (0x); the last part fills the remaining bytes."""
    parts = text.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    values: list[int] = []
    for part in parts:
        if not _INET_ATON_PART.fullmatch(part):
            return None
        if part[:2] in ("0x", "0X"):
            values.append(int(part[2:], 16))
        elif part.startswith("0"):
            values.append(int(part, 8))
        else:
            values.append(int(part))
    *leading, last = values
    if any(v > 0xFF for v in leading) or last > _INET_ATON_MAX[len(leading)]:
        return None
    number = last
    for index, value in enumerate(leading):
        number |= value << (24 - 8 * index)
    return ipaddress.IPv4Address(number)


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a host string denotes without DNS, in any notation; None for a name."""
    text = host.strip().lower()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    if text.endswith(".") and not text.endswith(".."):
        text = text[:-1]
    if ":" in text:
        try:
            address = ipaddress.IPv6Address(text.split("%", 1)[0])  # drop a zone id
        except ValueError:
            return None
        return address
    return _inet_aton(text)


def _is_canonical_literal(host: str, address: IPAddress) -> bool:
    text = host.strip().lower().strip("[]")
    if isinstance(address, ipaddress.IPv4Address):
        return text == str(address)
    return "%" not in text  # any RFC 4291 spelling of an IPv6 address is fine


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return ipaddress.IPv4Address(int(address.teredo[1]))  # the client, de-obfuscated
    low32 = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address in _IPV4_TRANSLATED or any(address in net for net in _NAT64):
        return low32
    if address in _IPV4_COMPATIBLE and int(address) > 1:  # not :: or ::1
        return low32
    return None


def classify_address(address: IPAddress) -> str | None:
    """A short name of the special range ``address`` is in, or None when globally routable."""
    if address in _METADATA_ADDRESSES:
        return "cloud metadata"
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            inner = classify_address(embedded)
            return f"{inner} (embedded in IPv6)" if inner else None
    checks: tuple[tuple[bool, str], ...] = (
        (address.is_unspecified, "unspecified"),
        (address.is_loopback, "loopback"),
        (address.is_link_local, "link-local"),
        (address.is_multicast, "multicast"),
        (address in _CGNAT, "carrier-grade NAT"),
        (address in _UNIQUE_LOCAL, "unique-local"),
        (address.is_private, "private"),
        (address.is_reserved, "reserved"),
        (not address.is_global, "non-global"),
    )
    for matched, name in checks:
        if matched:
            return name
    return None


def is_listed(registry_host: str, allowed: Collection[str]) -> bool:
    """Is ``registry_host`` in the allow-list? Ports must be equal (absent means 443), and
    the three Docker Hub names stand for one another.

    Names are compared as written (case aside), never IDNA-converted in either direction.
    An image reference can only name an ASCII host (distribution/reference's domain grammar;
    the kubelet refuses anything else as InvalidImageName), and containerd contacts that
    host as written, so the ``xn--`` form *is* the registry's identity. Converting a Unicode
    entry would mean choosing IDNA 2003 (Python's codec: ``faß.de`` → ``fass.de``) or 2008
    (httpx: ``xn--zca.de``), two different hosts, so an entry could silently allow a registry
    the admin never named; and decoding an image's ``xn--`` name would let a homoglyph entry
    match. A Unicode entry therefore matches nothing, and the hub's configuration refuses it
    at start (``entry_problem``) so that it is not a silent allow-list miss.
    """
    host, port = split_host_port(registry_host)
    for entry in allowed:
        entry_host, entry_port = split_host_port(entry)
        same_host = entry_host == host or (entry_host in _HUB_ALIASES and host in _HUB_ALIASES)
        if same_host and (entry_port or 443) == (port or 443):
            return True
    return False


def entry_problem(entry: str) -> str | None:
    """Why an allow-list or insecure-registry entry can never match an image, or None."""
    if not entry.isascii():
        return (
            f"{entry!r} is not ASCII; image references name registries in ASCII only, "
            "so write the name's IDNA (xn--) form as the image does"
        )
    return None


def _host_is_listed(host: str, allowed: Collection[str]) -> bool:
    return any(split_host_port(entry)[0] == host for entry in allowed)


def address_denial(host: str, address: IPAddress) -> str | None:
    """Why connecting to ``address`` (which ``host`` resolved to) is refused, or None.
    Exemptions for listed registries are ``denial_reason``'s business."""
    kind = classify_address(address)
    return None if kind is None else f"{host} resolves to a {kind} address ({address})"


def denial_reason(
    registry_host: str,
    allowed: Collection[str],
    resolved: Sequence[IPAddress] = (),
    *,
    require_listed: bool = True,
    any_port: bool | None = None,
) -> str | None:
    """Why the hub must not contact ``registry_host`` (``host[:port]``), or None.

    ``allowed``: the configured allow-list (``host[:port]``; empty = any public registry).
    ``resolved``: the addresses DNS gave for the host, if it was resolved (pass them all:
    one bad address is enough, since the connection may use any of them).
    ``require_listed=False`` is for hosts the registry itself sent us to (its token realm):
    they need not be on the allow-list, but the address rules still apply; a host whose
    name is on the list (any port: the realm of a registry on 127.0.0.1:5000 may be
    127.0.0.1:5001) counts as explicitly allowed for those rules. ``any_port`` overrides
    that (default: ``not require_listed``).
    """
    host, _port = split_host_port(registry_host)
    if not host:
        return "no registry host"
    if not host.isascii():
        # No image reference has such a host (the grammar is ASCII), and the socket layer
        # would IDNA-2003-encode it into some other name (127。0。0。1 → 127.0.0.1): refused
        # before the allow-list or any resolution is consulted.
        return f"{registry_host} is not an ASCII host name (IDN hosts are used only as xn--)"
    listed = is_listed(registry_host, allowed)
    if listed:
        return None
    if require_listed and allowed:
        return f"{registry_host} is not one of the allowed registries"
    if (not require_listed if any_port is None else any_port) and _host_is_listed(host, allowed):
        return None
    literal = parse_ip_literal(host)
    if literal is not None:
        kind = classify_address(literal)
        if kind is not None:
            return f"{registry_host} is a {kind} address ({literal})"
        if not _is_canonical_literal(host, literal):
            return f"{registry_host} is an IP address in an unusual notation ({literal})"
        return None
    name = host.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return f"{registry_host} is a loopback name"
    if name in _METADATA_NAMES:
        return f"{registry_host} names a cloud metadata service"
    for address in resolved:
        reason = address_denial(host, address)
        if reason:
            return reason
    return None


def registry_denial(
    registry_host: str,
    allowed: Collection[str],
    insecure: Collection[str] = (),
    resolved: Sequence[IPAddress] = (),
) -> Denial | None:
    """The client's rule for an image's registry: the allow-list (when non-empty), then the
    address rules, from which a registry listed as allowed *or* insecure is exempt (an
    admin who names a plain-HTTP registry on a private address has said it is wanted).
    Offline validation that knows the insecure list should call this, so that it agrees
    with what the online client will do."""
    if allowed and not is_listed(registry_host, allowed):
        return Denial(DenialKind.NOT_LISTED, f"{registry_host} is not one of the allowed registries")
    explicit = (*allowed, *insecure)
    reason = denial_reason(registry_host, explicit, resolved, require_listed=False, any_port=False)
    return None if reason is None else Denial(DenialKind.ADDRESS, reason)
