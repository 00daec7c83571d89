"""A small Docker registry token server for tests (distribution's ``auth: token``).

Neither Debian nor PyPI ships one, so the tests serve tokens themselves (as distribution's token
auth expects, docs/spec/auth/jwt.md): ES256 JWTs carrying an ``x5c`` certificate chain (which
spares us libtrust key ids), signed with a key whose self-signed CA certificate the registry
trusts through ``rootcertbundle``.

Grants follow a simple, realistic policy: a user with the right password may pull (and the
``pusher`` may push) every repository; anonymous requests may pull every repository except
those under ``private/``; a wrong password is ``401`` at the token endpoint. Requests are
counted so a benchmark can prove how many tokens a burst of lookups fetched.

Usage::

    with TokenServer(users={"alice": "pw"}, pusher="alice") as tokens:
        tokens.realm, tokens.service, tokens.issuer, tokens.cert_path
"""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import tempfile
import threading
import time
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

__all__ = ["TokenServer"]

PRIVATE_PREFIX = "private/"


def _self_signed(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "prevalidate test token issuer")])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )


def _parse_scope(scope: str) -> tuple[str, str, list[str]] | None:
    """``repository:<name>:<actions>``; the name may contain ``:`` so split from both ends."""
    kind, sep, rest = scope.partition(":")
    name, sep2, actions = rest.rpartition(":")
    if not sep or not sep2 or not name:
        return None
    return kind, name, [a for a in actions.split(",") if a]


class TokenServer:
    """A threaded HTTP token endpoint on 127.0.0.1; a context manager."""

    def __init__(
        self,
        users: Mapping[str, str],
        *,
        pusher: str | None = None,
        service: str = "test-registry",
        issuer: str = "prevalidate-test-issuer",
        expires_in: int = 300,
        directory: Path | None = None,
    ) -> None:
        self.users = dict(users)
        self.pusher = pusher
        self.service = service
        self.issuer = issuer
        self.expires_in = expires_in
        self.requests = 0
        self._lock = threading.Lock()
        self._key = ec.generate_private_key(ec.SECP256R1())
        cert = _self_signed(self._key)
        self._x5c = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
        self._dir = directory or Path(tempfile.mkdtemp(prefix="tokenserver-"))
        self.cert_path = self._dir / "token-ca.pem"
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def realm(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def __enter__(self) -> TokenServer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset_count(self) -> None:
        with self._lock:
            self.requests = 0

    # -- policy -------------------------------------------------------------------------
    def authenticate(self, authorization: str | None) -> tuple[bool, str | None]:
        """(credentials acceptable, user). No header = anonymous."""
        if not authorization:
            return True, None
        scheme, _, value = authorization.partition(" ")
        if scheme.lower() != "basic":
            return False, None
        try:
            user, _, password = base64.b64decode(value).decode().partition(":")
        except ValueError:
            return False, None
        ok = user in self.users and secrets.compare_digest(self.users[user], password)
        return ok, user if ok else None

    def grant(self, user: str | None, name: str, actions: list[str]) -> list[str]:
        allowed = {"pull"} if user or not name.startswith(PRIVATE_PREFIX) else set()
        if user is not None and user == self.pusher:
            allowed |= {"push", "delete"}
        return [a for a in actions if a in allowed]

    def issue(self, user: str | None, scopes: list[str]) -> dict[str, Any]:
        access = []
        for scope in scopes:
            parsed = _parse_scope(scope)
            if parsed is None or parsed[0] != "repository":
                continue
            granted = self.grant(user, parsed[1], parsed[2])
            access.append({"type": "repository", "name": parsed[1], "actions": granted})
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": user or "",
            "aud": self.service,
            "exp": now + self.expires_in,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": access,
        }
        token = jwt.encode(claims, self._key, algorithm="ES256", headers={"x5c": [self._x5c]})
        issued = datetime.datetime.fromtimestamp(now, datetime.timezone.utc).isoformat()
        return {"token": token, "access_token": token, "expires_in": self.expires_in, "issued_at": issued}

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                with server._lock:
                    server.requests += 1
                url = urlsplit(self.path)
                if url.path != "/token":
                    self._reply(404, {"error": "not found"})
                    return
                ok, user = server.authenticate(self.headers.get("Authorization"))
                if not ok:
                    self._reply(
                        401, {"errors": [{"code": "UNAUTHORIZED", "message": "authentication failed"}]}
                    )
                    return
                scopes = []
                for value in parse_qs(url.query).get("scope", []):
                    scopes.extend(value.split(" "))
                self._reply(200, server.issue(user, scopes))

            def _reply(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the Authorization header is never logged, and nothing else either

        return Handler
