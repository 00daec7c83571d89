"""Validate one spawn of a KubeSpawner: build the pod, ask the validation service, reject or
let it go.

Shared by the three ways in: ``PrevalidatingKubeSpawner``'s form handling and start, and
``pre_spawn_hook`` for a stock KubeSpawner. The rule everywhere: a rejection needs a verdict
with errors; anything that goes wrong on *our* side is logged and the spawn proceeds — a
shadow or pod KubeSpawner cannot build here, and (inside ``prevalidate.service``) a cache that
is not there or a bug in a check.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..messages import render
from ..metrics import PrometheusObserver
from ..model.findings import Severity, Verdict
from .config import Prevalidator
from .errors import SpawnRejected
from .podbuild import OptionsError, build_plan, make_shadow
from .service import service_for

log = logging.getLogger("prevalidate")

# id(config) -> (config, Prevalidator): the config is kept so its id cannot be reused by another.
_CONFIGS: dict[int, tuple[Any, Prevalidator]] = {}


def prevalidator_for(spawner: Any) -> Prevalidator:
    """``c.Prevalidator`` from the hub's config, read once per config object."""
    entry = _CONFIGS.get(id(spawner.config))
    if entry is None or entry[0] is not spawner.config:
        entry = _CONFIGS[id(spawner.config)] = (spawner.config, Prevalidator(config=spawner.config))
    return entry[1]


def reject_options(spawner: Any, path: str, problem: str) -> None:
    """KubeSpawner cannot apply the options: raise a 400 with its reason (counted, and only
    logged in dry run, where KubeSpawner's own error then ends the spawn as it always did)."""
    config = prevalidator_for(spawner)
    PrometheusObserver(dry_run=config.dry_run).refused_options(path)
    if config.dry_run:
        log.warning("prevalidate (dry run) would reject %s: %s", getattr(spawner, "_log_name", "?"), problem)
        return
    raise SpawnRejected.from_options(problem, admin_contact=config.admin_contact)


async def check_spawn(
    spawner: Any, *, path: str, user_options: Mapping[str, Any] | None = None
) -> Verdict | None:
    """Validate ``spawner``'s next pod. With ``user_options`` the options are applied to a
    shadow first (nothing has started yet); without, ``spawner`` already has them applied.
    Raises ``SpawnRejected``; returns the verdict, or None when validation could not run."""
    config = prevalidator_for(spawner)
    if not config.enabled:
        return None
    name = getattr(spawner, "_log_name", "?")
    try:
        target = spawner if user_options is None else make_shadow(spawner, user_options)
        request = (await build_plan(target, apply_options=user_options is not None)).request
    except OptionsError as exc:
        reject_options(spawner, path, str(exc))
        return None
    except Exception:
        PrometheusObserver().failed(path)
        log.warning(
            "prevalidate: could not build the pod of %s to check it; it starts unchecked", name, exc_info=True
        )
        return None
    try:
        service = service_for(spawner, config)
    except Exception:  # e.g. no Kubernetes client configuration
        PrometheusObserver().failed(path)
        log.warning("prevalidate: validating %s failed; it starts unchecked", name, exc_info=True)
        return None
    verdict = await service.validate(request, path=path)  # fails open by itself
    _log_verdict(name, path, verdict, config)
    if not verdict.allowed and not config.dry_run:
        raise SpawnRejected.from_verdict(
            verdict, admin_contact=config.admin_contact, overrides=config.messages
        )
    return verdict


def _log_verdict(name: str, path: str, verdict: Verdict, config: Prevalidator) -> None:
    if not verdict.findings:
        return
    codes = ", ".join(f"{f.code.value}({f.severity.value})" for f in verdict.findings)
    if verdict.allowed:
        log.info("prevalidate: %s allowed with findings [%s] (%s)", name, codes, path)
    elif config.dry_run:
        log.warning("prevalidate (dry run) would reject %s: [%s] (%s)", name, codes, path)
    else:
        log.info("prevalidate: rejected %s: [%s] (%s)", name, codes, path)
    for finding in verdict.findings:
        if finding.severity is not Severity.ERROR:
            log.debug("prevalidate: %s: %s", name, render(finding, config.messages))
