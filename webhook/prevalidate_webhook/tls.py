"""The server's TLS: TLS 1.2 or newer, the certificate and key read from files, and read again
when they change — cert-manager (or ``prevalidate webhook certs``) rotates them in the mounted
Secret and the webhook must serve the new pair without a restart.

A running asyncio server keeps the ``SSLContext`` it was given, so this one context carries an
SNI callback that runs at the start of every handshake (kube-apiserver always sends SNI
``<service>.<namespace>.svc``; Python calls the callback without SNI too): at most once a
second it compares the files' identity (device, inode, size, modification time — a Secret
volume swaps a ``..data`` symlink, which stat follows) with the pair in use, loads a changed
pair into a fresh context and hands that to the connection. A pair that does not load (cert
written, key not yet) keeps the previous one in service until the next look.
"""

from __future__ import annotations

import logging
import os
import ssl
import time

log = logging.getLogger("prevalidate.webhook")

_Stamp = tuple[tuple[int, int, int, int], ...]


def _stamp(*paths: str) -> _Stamp:
    out = []
    for path in paths:
        st = os.stat(path)
        out.append((st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(out)


def _context(cert: str, key: str) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert, key)
    # kube-apiserver speaks HTTP/1.1 to webhooks; aiohttp serves nothing else.
    context.set_alpn_protocols(["http/1.1"])
    return context


class ReloadingTLS:
    """``context`` is what the server listens with; see the module docstring. Raises
    ``OSError``/``ssl.SSLError`` at construction when the first pair cannot be loaded."""

    def __init__(self, cert: str, key: str, *, check_every: float = 1.0) -> None:
        self.cert, self.key = cert, key
        self.check_every = check_every
        self.reloads = 0
        self._stamp = _stamp(cert, key)
        self.context = _context(cert, key)
        self.context.sni_callback = self._on_hello
        self._current = self.context
        self._checked = time.monotonic()

    def _on_hello(self, conn: ssl.SSLObject, server_name: str | None, context: ssl.SSLContext) -> None:
        self.refresh()
        if self._current is not context:
            conn.context = self._current
        return None

    def refresh(self, *, force: bool = False) -> bool:
        """Load the pair again if the files changed (at most once per ``check_every``);
        True when a new pair is now served."""
        now = time.monotonic()
        if not force and now - self._checked < self.check_every:
            return False
        self._checked = now
        try:
            stamp = _stamp(self.cert, self.key)
            if stamp == self._stamp:
                return False
            fresh = _context(self.cert, self.key)
        except (OSError, ssl.SSLError, ValueError) as exc:
            log.warning(
                "prevalidate webhook: the certificate pair did not load (%s); serving the previous one",
                str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
            )
            return False
        self._stamp, self._current = stamp, fresh
        self.reloads += 1
        log.info("prevalidate webhook: serving the new certificate from %s", self.cert)
        return True


__all__ = ["ReloadingTLS"]
