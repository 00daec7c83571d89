"""Keep registry answers that echo our credentials out of the hub's log.

httpcore, under httpx, logs each response's headers at DEBUG (``receive_response_headers
.complete return_value=(..., [(b'X-Echo', b'Bearer ...')])``). A registry that echoes the
``Authorization`` header we sent (a broken proxy, a hostile registry) would put a pull
secret's token into every hub log run at DEBUG. The filter drops exactly those records;
httpcore's other trace lines (connections, request starts) carry no header values and stay.
Installed on import of the registry client; idempotent.
"""

from __future__ import annotations

import logging

__all__ = ["install"]

# httpcore logs to one logger per layer; a filter applies only to its own logger's records.
_LOGGERS = ("httpcore.http11", "httpcore.http2", "httpcore.connection", "httpcore.proxy")


class _DropResponseHeaders(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "response_headers.complete" not in str(record.msg)


_FILTER = _DropResponseHeaders()


def install() -> None:
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
