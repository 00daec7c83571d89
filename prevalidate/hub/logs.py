"""prevalidate's log lines in the hub's log, and no tracebacks there for a refused choice.

JupyterHub configures handlers on its own application logger ("JupyterHub") only. Our loggers
("prevalidate", "prevalidate.registry", ...) would otherwise reach nothing but Python's
last-resort stderr handler, which drops INFO (the "rejected ..." and "API answers again" lines
an admin looks for) and ignores the hub's format and log file.
"""

from __future__ import annotations

import logging

from .errors import SpawnRejected

HUB_LOGGER = "JupyterHub"


class _ToHubLog(logging.Handler):
    """Hands our records to JupyterHub's logger, its handlers and format."""

    def emit(self, record: logging.LogRecord) -> None:
        hub = logging.getLogger(HUB_LOGGER)
        if record.levelno >= hub.getEffectiveLevel():
            hub.handle(record)


class QuietRejections(logging.Filter):
    """JupyterHub logs a failed form submission with ``exc_info`` at ERROR. A user's choice
    that we refused is not a hub error: keep the line, drop the traceback, log it as INFO."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], SpawnRejected):
            record.msg = f"{record.msg}: {record.exc_info[1]}"
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def use_hub_log() -> None:
    """Idempotent; called when a spawner or the hook first runs inside the hub."""
    ours, hub = logging.getLogger("prevalidate"), logging.getLogger(HUB_LOGGER)
    # Only where JupyterHub has set up its log (not in a script or a test building a spawner).
    if hub.handlers and not any(isinstance(h, _ToHubLog) for h in ours.handlers):
        ours.addHandler(_ToHubLog())
        ours.setLevel(logging.DEBUG)  # the hub's level decides, in _ToHubLog
        ours.propagate = False
    if not any(isinstance(f, QuietRejections) for f in hub.filters):
        hub.addFilter(QuietRejections())
