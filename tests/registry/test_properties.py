"""Properties checked against oracles: the C library's own inet_aton for IP literals, and the
parser's own normal forms for image references."""

from __future__ import annotations

import ipaddress
import socket

from hypothesis import given, settings
from hypothesis import strategies as st

from prevalidate.registry.policy import parse_ip_literal
from prevalidate.registry.reference import parse_image_reference

_PART = st.one_of(
    st.integers(0, 2**32 + 5).map(str),
    st.integers(0, 2**32 + 5).map(lambda n: f"0{n:o}"),
    st.integers(0, 2**32 + 5).map(lambda n: f"0x{n:x}"),
    st.integers(0, 2**32 + 5).map(lambda n: f"0X{n:X}"),
    st.text(alphabet="0123456789xXabcdef", max_size=6),
)
_DOTTED = st.lists(_PART, min_size=1, max_size=5).map(".".join)


def _libc_inet_aton(text: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except (OSError, ValueError):
        return None


@settings(max_examples=1500, deadline=None)
@given(_DOTTED)
def test_ipv4_literals_are_read_exactly_as_the_c_library_reads_them(text: str) -> None:
    if not text or text.endswith("."):
        return  # a trailing dot is stripped on purpose (a DNS root), covered elsewhere
    assert parse_ip_literal(text) == _libc_inet_aton(text)


_COMPONENT = st.from_regex(r"[a-z0-9]+(?:[._-][a-z0-9]+)?", fullmatch=True)
_DOMAIN = st.sampled_from(
    [
        "",
        "docker.io/",
        "quay.io/",
        "localhost:5000/",
        "127.0.0.1:5000/",
        "index.docker.io/",
        "registry.example.com/",
    ]
)
_TAG = st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True))


@settings(max_examples=500, deadline=None)
@given(_DOMAIN, st.lists(_COMPONENT, min_size=1, max_size=3), _TAG)
def test_normalized_and_familiar_forms_parse_back_to_the_same_reference(domain, path, tag) -> None:
    text = domain + "/".join(path) + (f":{tag}" if tag else "")
    try:
        ref = parse_image_reference(text)
    except ValueError:
        return
    assert parse_image_reference(ref.normalized) == ref
    first = ref.familiar.split("/", 1)[0]
    if "/" in ref.familiar and (first == "localhost" or any(c in first for c in ".:")):
        return  # Go's familiar form is ambiguous here too: docker.io/a.b/c shows as a.b/c
    assert parse_image_reference(ref.familiar) == ref
