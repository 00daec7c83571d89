"""Coverage-guided fuzz targets: raw bytes into the parsers, for atheris (libFuzzer).

Hypothesis (``families``) draws typed values from strategies we wrote, so it reaches what we
thought of; atheris mutates bytes and keeps whatever reaches new branches, which is how a
scanner's odd corners are found (a quote inside a token68, a digest separator in a port, a
fullwidth digit that ``str.isdigit`` accepts). Each target takes ``bytes`` and raises on a
failure: an exception escaping the code under test, a message over its bound, or a broken
invariant (a parsed reference that does not re-parse to itself, a quantity whose canonical
form reads back as another value, a valid reference's own registry not allowed when listed).

Plain functions, no atheris here: ``benchmarks/atheris_fuzz.py`` runs them under atheris
(``make fuzz``), and ``tests/fuzz/test_atheris_targets.py`` calls them on the seed corpus and
the saved regression inputs in ``make test``, where atheris is not installed. The webhook's
target is in ``benchmarks/atheris_fuzz.py`` (the core may not import the webhook package).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import httpx

from ...messages import finding_json, render
from ...model.findings import Code, Finding, Severity
from ...model.quantity import canonical_quantity, parse_quantity_full
from ...registry import challenge, manifests
from ...registry.fetch import Reply, _same_origin
from ...registry.gate import host_for_url, wire_host
from ...registry.policy import denial_reason, is_listed, parse_ip_literal, registry_denial, split_host_port
from ...registry.reference import parse_image_reference
from .families import MAX_MESSAGE, Tally, check_refusal

# A bare number with at most nine decimals: no suffix, no rounding to 1n, exact in Go.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]{0,9})?|\.[0-9]{1,9})")
MAX_ERROR = 1000  # characters of a parser's own error text (it may quote the input; messages clip it)


class TargetFailure(AssertionError):
    """A failure of the code under test found by a target (an uncaught exception is one too)."""


def _text(data: bytes) -> str:
    # Values arrive as JSON strings: any Unicode, never a lone surrogate.
    return data.decode("utf-8", "replace")


def _bounded(text: str, what: str, most: int = MAX_MESSAGE) -> None:
    if len(text) > most:
        raise TargetFailure(f"{what} of {len(text):,} characters (bound {most:,}): {text[:200]!r}")


def image_reference(data: bytes) -> str:
    """An image string as a pod spec holds it: the reference grammar, the registry policy on
    the host it names, and the message an invalid one gets."""
    text = _text(data)
    try:
        ref = parse_image_reference(text)
    except ValueError as exc:
        finding = Finding(
            Code.IMAGE_REFERENCE_INVALID, Severity.ERROR, text, {"image": text, "reason": str(exc)}
        )
        _bounded(render(finding), "image-reference-invalid message")
        json.dumps(finding_json(finding))
        return "invalid"
    again = parse_image_reference(ref.normalized)
    if again != ref:
        raise TargetFailure(f"{text!r} parses to {ref!r}, its normal form {ref.normalized!r} to {again!r}")
    host = ref.registry_host
    if not host.isascii():
        raise TargetFailure(f"{text!r}: a registry host that is not ASCII: {host!r}")
    if registry_denial(host, [host]) is not None:
        raise TargetFailure(f"{text!r}: its registry {host!r} is denied although listed")
    reason = registry_denial(host, ())
    if reason is not None:
        _bounded(reason.text, "denial reason", 600)
    return "denied" if reason else "valid"


def quantity(data: bytes) -> str:
    """A quantity string (requests, limits, a quota): Go's grammar, the canonical form, the
    round trip through it."""
    text = _text(data)
    try:
        parsed = parse_quantity_full(text)
    except ValueError as exc:
        _bounded(str(exc), "quantity error", MAX_ERROR)
        return "invalid"
    canonical = canonical_quantity(parsed.value, parsed.format)
    _bounded(canonical, "canonical quantity", len(text) + 30)
    if parse_quantity_full(canonical).value != parsed.value:
        raise TargetFailure(f"{text!r} is {parsed.value}, its canonical form {canonical!r} is not")
    if _PLAIN_DECIMAL.fullmatch(text) and parsed.value != Decimal(text):
        # Go's ParseQuantity is exact here (int64 fast path or inf.Dec), 1n resolution aside.
        raise TargetFailure(f"{text!r} read as {parsed.value}, not exactly")
    return "valid"


def www_authenticate(data: bytes) -> str:
    """``WWW-Authenticate`` header values (one per line) from a registry: the challenge
    tokenizer, the choice of challenge, and the token realm's URL through the SSRF policy."""
    headers = [_text(line).replace("\r", "") for line in data.split(b"\n")]
    found = challenge.parse_challenges(headers)
    picked = challenge.pick_challenge(found)
    if picked is None:
        return "none"
    for value in (picked.realm, picked.service, picked.scope, picked.error):
        _bounded(value, "challenge parameter", len(data) + 1)
    if picked.scheme == "bearer":
        try:
            realm = httpx.URL(picked.realm)
        except httpx.InvalidURL:
            return "bearer-bad-realm"
        if realm.scheme in ("http", "https") and realm.raw_host:
            host = wire_host(realm)
            port = realm.port or 443
            reason = denial_reason(host_for_url(host, port), ["registry.example.org"], require_listed=False)
            # What a redirect from the realm compares. httpx may refuse to re-parse its own URL
            # ("https://506。0。0。1/" maps to the host 506.0.0.1, no IPv4 address): the fetcher
            # meets that as InvalidURL, which the lookup counts as unverified.
            with contextlib.suppress(httpx.InvalidURL):
                _same_origin(realm, realm.join("/v2/"))
            if reason is not None:
                _bounded(reason, "realm denial reason", 600)
    return picked.scheme


def status(data: bytes) -> str:
    """An apiserver refusal: two bytes of HTTP status, then the Status body as sent."""
    code = int.from_bytes(data[:2], "big") % 1000 if len(data) >= 2 else 422
    tally = Tally("status")
    check_refusal((code, data[2:], ""), tally)
    if tally.crashes:
        raise TargetFailure(tally.summary())
    return next(iter(tally.outcomes), "none")


def manifest(data: bytes) -> str:
    """A registry's manifest or index reply: a content type line, then the body; the digest
    check, the platforms, the config digest and a distribution error body."""
    content_type, _, body = data.partition(b"\n")
    media = manifests.media_type_of(_text(content_type), body)
    index = manifests.platforms_of_index(body)
    manifests.config_digest(body)
    manifests.platform_of_config(body)
    digest = manifests.config_digest(body)
    if digest is not None:
        manifests.digest_matches(digest, body)
    headers = httpx.Headers({"content-type": _text(content_type).encode("ascii", "replace").decode()})
    Reply(200, headers, body, httpx.URL("https://registry.example.org/v2/")).error_codes()
    return "index" if index else (media or "none")


def registry_host(data: bytes) -> str:
    """An allow-list entry and a host from configuration or a redirect, as free text: the
    host/port split, IP literals in every notation, the SSRF decision."""
    entry, _, host = _text(data).partition("\n")
    split_host_port(entry)
    parse_ip_literal(host)
    listed = is_listed(host, [entry])
    reason = denial_reason(host, [entry])
    if reason is not None:
        _bounded(reason, "denial reason", 2 * len(data) + 200)
    return "listed" if listed else ("denied" if reason else "allowed")


@dataclass(frozen=True)
class Target:
    name: str
    run: Callable[[bytes], str]
    what: str  # the input and the code it goes through, for RESULTS.md


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("image", image_reference, "image strings → `parse_image_reference`, registry policy, message"),
        Target("quantity", quantity, "quantity strings → `parse_quantity_full`, `canonical_quantity`"),
        Target(
            "www-authenticate",
            www_authenticate,
            "WWW-Authenticate lines → `parse_challenges`, `pick_challenge`, realm URL → SSRF policy",
        ),
        Target("status", status, "Status bodies → `parse_status`, `refusal_findings`, messages"),
        Target("manifest", manifest, "manifest/index replies → `manifests.*`, `Reply.error_codes`"),
        Target(
            "registry-host",
            registry_host,
            "allow-list entry + host → `split_host_port`, `parse_ip_literal`, `denial_reason`",
        ),
    )
}

__all__ = ["TARGETS", "Target", "TargetFailure"]
