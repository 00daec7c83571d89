"""Asking a real registry over plain HTTP, as containerd does for the kubelet.

HEAD the manifest with the four manifest media types; on `401` follow the challenge — Basic,
or Bearer via the token realm (anonymously or with Basic credentials) — trying each keyring
credential in order and stopping at the first that works (never falling back to anonymous
once credentials exist). For the node's platform: an index is read with GET; a single image
manifest's platform is in its config blob (OCI distribution spec; distribution's token spec;
kubernetes pkg/credentialprovider; OCI image-index).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass

import httpx

from .credentials import Credential

ACCEPT = ", ".join(
    [
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    ]
)
INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


@dataclass(frozen=True)
class Answer:
    """What the registry said: `status` 200/404/401/403/…, or 0 when it could not be asked."""

    status: int
    digest: str = ""
    size: int = 0
    platforms: frozenset[str] | None = None  # None: not determined
    error: str = ""


def _challenge(header: str) -> tuple[str, dict[str, str]]:
    scheme, _, rest = header.partition(" ")
    return scheme.lower(), dict(re.findall(r'(\w+)="([^"]*)"', rest))


async def _authorise(
    http: httpx.AsyncClient, challenge: str, credential: Credential | None
) -> dict[str, str] | None:
    scheme, params = _challenge(challenge)
    basic = httpx.BasicAuth(*credential) if credential else None
    if scheme == "basic":
        if credential is None:
            return None
        pair = base64.b64encode(f"{credential[0]}:{credential[1]}".encode()).decode()
        return {"Authorization": f"Basic {pair}"}
    if scheme != "bearer" or "realm" not in params:
        return None
    query = {k: v for k, v in params.items() if k in ("service", "scope")}
    reply = (
        await http.get(params["realm"], params=query, auth=basic)
        if basic
        else await http.get(params["realm"], params=query)
    )
    if reply.status_code != 200:
        return None
    body = reply.json()
    token = body.get("token") or body.get("access_token")
    return {"Authorization": f"Bearer {token}"} if token else None


async def _platforms(
    http: httpx.AsyncClient,
    base: str,
    repository: str,
    reference: str,
    media_type: str,
    headers: dict[str, str],
) -> frozenset[str] | None:
    manifest = await http.get(
        f"{base}/v2/{repository}/manifests/{reference}", headers={**headers, "Accept": ACCEPT}
    )
    if manifest.status_code != 200:
        return None
    body = json.loads(manifest.content)
    if media_type in INDEX_TYPES:
        return frozenset(
            f"{m.get('platform', {}).get('os')}/{m.get('platform', {}).get('architecture')}"
            for m in body.get("manifests", [])
            if m.get("platform", {}).get("architecture") != "unknown"
        )
    config_digest = (body.get("config") or {}).get("digest")
    if not config_digest:
        return None
    blob = await http.get(
        f"{base}/v2/{repository}/blobs/{config_digest}", headers=headers, follow_redirects=True
    )
    if blob.status_code != 200:
        return None
    config = json.loads(blob.content)
    return frozenset({f"{config.get('os')}/{config.get('architecture')}"})


async def head_manifest(host: str, repository: str, reference: str, credentials: list[Credential]) -> Answer:
    base = f"http://{host}"
    url = f"{base}/v2/{repository}/manifests/{reference}"
    try:
        async with httpx.AsyncClient(timeout=5.0) as http:
            head = await http.head(url, headers={"Accept": ACCEPT})
            headers: dict[str, str] = {}
            if head.status_code == 401:
                challenge = head.headers.get("WWW-Authenticate", "")
                for credential in credentials or [None]:  # type: ignore[list-item]
                    auth = await _authorise(http, challenge, credential)
                    if auth is None:
                        continue
                    head = await http.head(url, headers={"Accept": ACCEPT, **auth})
                    headers = auth
                    if head.status_code != 401:
                        break
            if head.status_code != 200:
                return Answer(head.status_code)
            media_type = head.headers.get("Content-Type", "").split(";")[0]
            platforms = await _platforms(http, base, repository, reference, media_type, headers)
            return Answer(
                200,
                head.headers.get("Docker-Content-Digest", ""),
                int(head.headers.get("Content-Length", "0") or 0),
                platforms,
            )
    except httpx.HTTPError as exc:
        return Answer(0, error=str(exc) or type(exc).__name__)
