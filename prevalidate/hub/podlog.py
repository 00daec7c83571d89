"""The last lines of a dead notebook container's log, for the backstop's crash and OOM messages.

Read once, when the spawn fails, through KubeSpawner's own API client (``spawner.api``): one
``GET pods/<name>/log?tailLines=20&limitBytes=…`` — the hub's RBAC needs ``pods/log`` get
(deploy/hub-rbac.yaml). A 403, a 400 (no such run), a timeout or anything else gives None: the
message is told without the log, never delayed for long or failed because of it. What is shown
is bounded and has credentials masked (``model.refusals.mask_secrets``): a start-up script that
prints a token must not put it on a page or in the hub log.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Any

from ..model.refusals import mask_secrets

log = logging.getLogger("prevalidate")

TAIL_LINES = 20
LIMIT_BYTES = 8192  # what the apiserver sends at most; the kubelet cuts from the end
MAX_LINE = 200
MAX_TOTAL = 1500
TIMEOUT = 5.0


def clip(text: str) -> tuple[str, ...]:
    """The log as shown: the last lines that fit MAX_TOTAL, each at most MAX_LINE, credentials
    masked, control characters dropped. Pure. Lines, not one text: a finding's facts never hold
    a newline (model.findings.shown); the message puts each line on its own, marked as log."""
    lines = []
    for raw in text.splitlines():
        line = "".join(ch for ch in mask_secrets(raw.rstrip()) if ch.isprintable() or ch == "\t")
        if line.strip():
            lines.append(line if len(line) <= MAX_LINE else line[: MAX_LINE - 1] + "…")
    kept: list[str] = []
    total = 0
    for line in reversed(lines[-TAIL_LINES:]):
        total += len(line) + 1
        if total > MAX_TOTAL:
            break
        kept.append(line)
    return tuple(reversed(kept))


def previous_run(pod: Mapping[str, Any] | None, container: str) -> bool:
    """Which run holds the crash: the current one when the container is terminated now, else
    (waiting in CrashLoopBackOff, or already restarted) the previous one — as the kubelet's
    validateContainerLogStatus chooses."""
    status = (pod or {}).get("status") or {}
    for cs in list(status.get("containerStatuses") or []) + list(status.get("initContainerStatuses") or []):
        if cs.get("name") == container:
            return "terminated" not in (cs.get("state") or {})
    return False


async def last_lines(spawner: Any, pod: Mapping[str, Any] | None, container: str) -> tuple[str, ...] | None:
    """The clipped tail of ``container``'s crashed run, or None when it cannot be read."""
    if not container:
        return None
    api = getattr(spawner, "api", None)
    if api is None:
        return None
    try:
        text = await asyncio.wait_for(
            api.read_namespaced_pod_log(
                spawner.pod_name,
                spawner.namespace,
                container=container,
                tail_lines=TAIL_LINES,
                limit_bytes=LIMIT_BYTES,
                previous=previous_run(pod, container),
                _request_timeout=TIMEOUT,
            ),
            TIMEOUT + 1,
        )
    except Exception as exc:  # a 403 (no pods/log rule), a 400 (no such run), a timeout
        status = getattr(exc, "status", None)
        log.info(
            "prevalidate backstop: no container log for %s/%s (%s)",
            spawner.namespace,
            spawner.pod_name,
            status or type(exc).__name__,
        )
        return None
    return clip(text if isinstance(text, str) else str(text or "")) or None
