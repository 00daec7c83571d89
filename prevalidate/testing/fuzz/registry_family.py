"""Registry responses as hostile input: the parsing functions one by one (``registry-parsing``)
and whole scripted conversations through ``RegistryClient`` and the service (``registry``).

The rule under test (``prevalidate.registry.lookup``): nothing a registry or its token server
says raises, and only a registry's own answer — a ``401``/``403``, or a ``404`` — may make an
image "not found" or "denied"; garbage, odd redirects, hostile realms and token JSON of any
shape leave it unverified (a warning), never a rejection.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import json
import math
import time
from collections.abc import Sequence
from typing import Any

import httpx
from hypothesis import strategies as st

from ...model.image_facts import ImageStatus
from ...registry import challenge, manifests
from ...registry.auth import _token_lifetime
from ...registry.fetch import Reply
from .families import Tally, bounded, check_verdict
from .hostile import json_values, texts

IMAGES = (
    "registry.example.org/team/app:1.0",
    "registry.example.org/team/app@sha256:" + "a" * 64,
    "registry.example.org:5000/deep/path/app:latest",
)
GENUINE = frozenset({401, 403, 404})  # a registry's own "no": may make an image missing or denied
_MANIFEST_KEYS = st.sampled_from(
    (
        "mediaType",
        "manifests",
        "platform",
        "os",
        "architecture",
        "variant",
        "config",
        "digest",
        "annotations",
        "vnd.docker.reference.type",
        "schemaVersion",
        "errors",
        "code",
        "tags",
        "token",
        "access_token",
        "expires_in",
        "issued_at",
    )
)
_MEDIA = st.one_of(
    st.sampled_from(
        (
            manifests.OCI_INDEX,
            manifests.OCI_MANIFEST,
            manifests.DOCKER_LIST,
            manifests.DOCKER_MANIFEST,
            "application/json",
            "application/json; charset=utf-8",
            "text/html",
            "",
        )
    ),
    texts(),
)
_REALM = st.one_of(
    st.sampled_from(
        (
            "https://auth.example.org/token",
            "http://auth.example.org/token",
            "https://127.0.0.1/token",
            "https://[::1]/token",
            "http://169.254.169.254/latest",
            "file:///etc/passwd",
            "ftp://x/",
            "https://auth.example.org:99999/",
            "https://user:pw@auth.example.org/",
            "//auth.example.org/t",
            "",
        )
    ),
    texts(),
)


@st.composite
def www_authenticate(draw: st.DrawFn) -> str:
    realm = draw(_REALM).replace("\\", "\\\\").replace('"', '\\"') if draw(st.booleans()) else draw(_REALM)
    form = draw(
        st.sampled_from(
            (
                'Bearer realm="{r}",service="{s}",scope="{c}"',
                "Bearer realm={r}",
                'Basic realm="{r}"',
                'Bearer realm="{r}", error="invalid_token", Basic realm="x"',
                "{s}",
                'Bearer realm="{r}',
                'Negotiate, Bearer  ,, realm = "{r}"',
            )
        )
    )
    return form.format(r=realm, s=draw(texts()), c=draw(texts()))


def _body(draw: st.DrawFn) -> bytes:
    value = draw(st.one_of(json_values(_MANIFEST_KEYS), st.binary(max_size=300)))
    if isinstance(value, bytes):
        return value
    try:
        return json.dumps(value).encode("utf-8", "surrogatepass")
    except (ValueError, RecursionError):
        return b"{"


def _header_bytes(text: str) -> bytes:
    return (
        text.encode("utf-8", "surrogateescape" if False else "replace")
        .replace(b"\r", b"")
        .replace(b"\n", b"")
    )


# ---- the parsing functions --------------------------------------------------------------------


@st.composite
def parsing_inputs(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "challenges": draw(st.lists(st.one_of(www_authenticate(), texts()), max_size=3)),
        "content_type": draw(_MEDIA),
        "body": _body(draw),
        "digest": draw(
            st.one_of(st.sampled_from(("sha256:" + "0" * 64, "sha512:", "md5:x", "sha256")), texts())
        ),
        "token": draw(json_values(_MANIFEST_KEYS)),
        "status": draw(st.integers(100, 599)),
    }


def check_parsing(value: dict[str, Any], tally: Tally) -> None:
    found = challenge.parse_challenges(value["challenges"])
    picked = challenge.pick_challenge(found)
    tally.outcomes[f"challenge-{picked.scheme if picked else 'none'}"] += 1
    body = value["body"]
    media = manifests.media_type_of(value["content_type"], body)
    assert isinstance(media, str)
    index = manifests.platforms_of_index(body)
    tally.outcomes["index-platforms" if index else "index-none"] += 1
    manifests.config_digest(body)
    manifests.platform_of_config(body)
    manifests.digest_matches(value["digest"], body)
    headers = httpx.Headers([(b"content-type", _header_bytes(value["content_type"]))])
    reply = Reply(value["status"], headers, body, httpx.URL("https://registry.example.org/v2/"))
    reply.error_codes()
    token = value["token"]
    if isinstance(token, dict):
        lifetime = _token_lifetime(token, time.time())
        if not (isinstance(lifetime, float) and math.isfinite(lifetime) and lifetime >= 0):
            tally.fail("wrong", f"a token lifetime of {lifetime!r}", repr(token)[:300])


PARSING = parsing_inputs()


# ---- whole conversations --------------------------------------------------------------------


@st.composite
def replies(draw: st.DrawFn) -> dict[str, Any]:
    status = draw(
        st.sampled_from((200, 200, 200, 401, 401, 403, 404, 405, 429, 500, 502, 301, 302, 307, 308, 418))
    )
    headers: list[tuple[bytes, bytes]] = []
    if status == 401 or draw(st.integers(0, 4)) == 0:
        for _ in range(draw(st.integers(1, 2))):
            headers.append((b"www-authenticate", _header_bytes(draw(www_authenticate()))))
    if draw(st.booleans()):
        headers.append((b"content-type", _header_bytes(draw(_MEDIA))))
    if draw(st.integers(0, 3)) == 0:
        digest = draw(st.one_of(st.just("sha256:" + "b" * 64), texts()))
        headers.append((b"docker-content-digest", _header_bytes(digest)))
    if draw(st.integers(0, 4)) == 0:
        headers.append((b"retry-after", _header_bytes(draw(st.one_of(st.just("5"), texts())))))
    if draw(st.integers(0, 4)) == 0:
        link = draw(st.one_of(st.just('</v2/team/app/tags/list?n=1&last=a>; rel="next"'), texts()))
        headers.append((b"link", _header_bytes(link)))
    if status in (301, 302, 307, 308) or draw(st.integers(0, 6)) == 0:
        location = draw(st.one_of(_REALM, st.just("/v2/team/app/manifests/1.0")))
        headers.append((b"location", _header_bytes(location)))
    token = draw(st.one_of(st.just({"token": "t0k3n", "expires_in": 300}), json_values(_MANIFEST_KEYS)))
    body = json.dumps(token).encode() if draw(st.integers(0, 3)) == 0 and _jsonable(token) else _body(draw)
    return {"status": status, "headers": headers, "body": body}


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (ValueError, RecursionError):
        return False
    return True


CONVERSATIONS = st.tuples(st.sampled_from(IMAGES), st.booleans(), st.lists(replies(), min_size=1, max_size=6))


async def _public(host: str, port: int) -> Sequence[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every name resolves to a public address (the literals' own rules still apply)."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        return [ipaddress.ip_address("93.184.216.34")]


def _pull_secret() -> tuple[str, str]:
    auth = base64.b64encode(b"alice:s3cret").decode()
    config = {"auths": {"registry.example.org": {"auth": auth}, "registry.example.org:5000": {"auth": auth}}}
    return "kubernetes.io/dockerconfigjson", json.dumps(config)


async def conversation(value: tuple[str, bool, list[dict[str, Any]]], tally: Tally) -> None:
    from ...model.request import PodRequest
    from ...model.settings import Settings
    from ...registry import RegistryClient
    from ...service import FixedView, ValidationService
    from .families import SCALAR_VIEW

    image, with_secret, script = value
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        reply = script[min(len(requests) - 1, len(script) - 1)]
        return httpx.Response(reply["status"], headers=reply["headers"], content=reply["body"])

    secrets = (_pull_secret(),) if with_secret else ()
    async with RegistryClient(
        transport=httpx.MockTransport(handler), resolver=_public, time_budget=60.0, lookup_timeout=60.0
    ) as client:
        facts = await client.image_facts(image, secrets)
        tally.outcomes[facts.status.value] += 1
        said_no = any(r["status"] in GENUINE for r in script)
        if facts.status not in (ImageStatus.EXISTS, ImageStatus.UNVERIFIED) and not said_no:
            tally.fail(
                "wrong", f"{facts.status.value} from replies that are not a registry's no", facts.detail
            )
        bounded(facts.detail, tally, "image detail", 300)
        for tag in facts.suggestions:
            bounded(tag, tally, "suggested tag", 100_000)  # kept whole here; the message clips it
        if len(requests) > 60:
            tally.fail("wrong", "more than 60 requests for one image", str(len(requests)))
        pod = {
            "kind": "Pod",
            "metadata": {"name": "jupyter-fuzz", "namespace": "default"},
            "spec": {
                "containers": [{"name": "notebook", "image": image}],
                **({"imagePullSecrets": [{"name": "pull"}]} if with_secret else {}),
            },
        }
        service = ValidationService(Settings(admin_contact="admins"), FixedView(SCALAR_VIEW), client)
        verdict = await service.validate(PodRequest(pod), observe=False)
        check_verdict(verdict, tally, "registry pod")


def check_conversation(value: tuple[str, bool, list[dict[str, Any]]], tally: Tally) -> None:
    asyncio.run(conversation(value, tally))


__all__ = ["CONVERSATIONS", "PARSING", "check_conversation", "check_parsing", "conversation"]
