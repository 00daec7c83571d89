"""Kubernetes' refusals of KubeSpawner's creates, told in a sentence instead of an
``ApiException`` dump.

Prevalidation runs before anything is created, but the cluster can still refuse the pod, the
home PVC or the user namespace: a quota that filled up a second later, another team's admission
webhook, a check disabled or in dry run, a webhook that does not answer. KubeSpawner re-raises
the ``ApiException`` (a 403 from ``_make_create_pod_request``, from ``_make_create_pvc_request``
after its "does the PVC exist anyway" read, any non-409 from ``_ensure_namespace`` and from
``_make_create_resource_request``, the Secret and Service of ``internal_ssl`` and
``services_enabled``), and the user would read ``(403) Reason: Forbidden HTTP response
headers: …``. Here the exception is read (``model.refusals``) and raised again as our message:
a ``SpawnRejected`` with the apiserver's 4xx when the user's choice caused it (not counted toward
``consecutive_failure_limit``), a 5xx ``SpawnFailed`` when the cluster did (counted).

``TellRefusals`` is a mixin of ``PrevalidatingKubeSpawner``; ``tell_refusals(spawner)`` wraps a
stock KubeSpawner's create methods on the instance (``prevalidate.pre_spawn_hook`` does it).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn

from kubernetes_asyncio.client.exceptions import ApiException

from ..messages.rejection import Rejection
from ..metrics import CREATE_REFUSALS
from ..model.refusals import parse_status
from .check import prevalidator_for
from .errors import SpawnFailed, SpawnRejected, not_a_failure

log = logging.getLogger("prevalidate")

# KubeSpawner's methods that create something and let an ApiException out, and what they create
CREATES = {
    "_make_create_pod_request": "pod",
    "_make_create_pvc_request": "claim",
    "_ensure_namespace": "namespace",
    "_make_create_resource_request": "resource",  # internal_ssl's Secret, services_enabled's Service
}
_WRAPPED = "_prevalidate_tells_refusals"


def raise_told(spawner: Any, exc: ApiException, what: str) -> NoReturn:
    """Raise our exception for ``exc`` (or ``exc`` itself when prevalidate is off)."""
    config = prevalidator_for(spawner)
    if not config.enabled or not isinstance(getattr(exc, "status", None), int):
        raise exc
    refusal = parse_status(exc.status, getattr(exc, "body", None), str(getattr(exc, "reason", "") or ""))
    CREATE_REFUSALS.labels(kind=refusal.kind.value, object=what).inc()
    # One line for the admin: what refused, and its own words (never headers or the raw body).
    log.warning(
        "Kubernetes refused to create the %s of %s (HTTP %s, %s): %s",
        what, getattr(spawner, "_log_name", "?"), refusal.status, refusal.kind.value,
        refusal.detail or refusal.message,
    )
    rejection = Rejection.refused(refusal, config.admin_contact, config.messages)
    if refusal.user_caused:
        not_a_failure(spawner)  # JupyterHub 5 would count it toward consecutive_failure_limit
        raise SpawnRejected(rejection) from None
    raise SpawnFailed(rejection) from None


def _telling(spawner: Any, method: Callable[..., Awaitable[Any]], what: str) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(method)
    async def create(*args: Any, **kwargs: Any) -> Any:
        try:
            return await method(*args, **kwargs)
        except ApiException as exc:
            # _make_create_resource_request(kind, manifest): the kind says what it was
            raise_told(spawner, exc, str(args[0]) if what == "resource" and args else what)

    return create


class TellRefusals:
    """Mixin (before ``KubeSpawner`` in the bases): KubeSpawner's creates, refusals told.
    Arguments pass through untouched, so a KubeSpawner that changes them keeps working."""

    async def _make_create_pod_request(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super()._make_create_pod_request(*args, **kwargs)  # type: ignore[misc]
        except ApiException as exc:
            raise_told(self, exc, "pod")

    async def _make_create_pvc_request(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super()._make_create_pvc_request(*args, **kwargs)  # type: ignore[misc]
        except ApiException as exc:
            raise_told(self, exc, "claim")

    async def _ensure_namespace(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super()._ensure_namespace(*args, **kwargs)  # type: ignore[misc]
        except ApiException as exc:
            raise_told(self, exc, "namespace")

    async def _make_create_resource_request(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super()._make_create_resource_request(*args, **kwargs)  # type: ignore[misc]
        except ApiException as exc:
            raise_told(self, exc, str(args[0]) if args else "resource")


def tell_refusals(spawner: Any) -> None:
    """Wrap a stock KubeSpawner's create methods on this instance, once."""
    if isinstance(spawner, TellRefusals) or getattr(spawner, _WRAPPED, False):
        return
    for name, what in CREATES.items():
        method = getattr(spawner, name, None)
        if method is not None:
            setattr(spawner, name, _telling(spawner, method, what))
    setattr(spawner, _WRAPPED, True)
