"""Validate one spawn of a KubeSpawner: build the pod, run the checks, reject or let it go.

Shared by the three ways in: ``PrevalidatingKubeSpawner``'s form handling and start, and
``pre_spawn_hook`` for a stock KubeSpawner. The rule everywhere: a rejection needs a verdict
with errors; anything that goes wrong on *our* side (a shadow that cannot be built, a cache
that is not there, a bug) is logged and the spawn proceeds.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from ..messages import render
from ..model.findings import Severity, Verdict
from . import metrics
from .config import Prevalidator
from .errors import SpawnRejected
from .podbuild import OptionsError, build_plan, make_shadow
from .service import service_for

log = logging.getLogger("prevalidate")

_CONFIGS: dict[int, Prevalidator] = {}


def prevalidator_for(spawner: Any) -> Prevalidator:
    """``c.Prevalidator`` from the hub's config, read once per config object."""
    config = _CONFIGS.get(id(spawner.config))
    if config is None:
        config = _CONFIGS[id(spawner.config)] = Prevalidator(config=spawner.config)
    return config


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
        plan = await build_plan(target, apply_options=user_options is not None)
    except OptionsError as exc:
        metrics.VALIDATIONS.labels(path=path, outcome="rejected").inc()
        if config.dry_run:
            log.warning("prevalidate (dry run) would reject %s: %s", name, exc)
            return None
        raise SpawnRejected.from_options(str(exc), admin_contact=config.admin_contact) from None
    except Exception:
        metrics.VALIDATIONS.labels(path=path, outcome="error").inc()
        log.warning(
            "prevalidate: could not build the pod of %s to check it; it starts unchecked", name, exc_info=True
        )
        return None
    try:
        verdict = await service_for(spawner, config).validate(plan, path=path)
    except Exception:
        metrics.VALIDATIONS.labels(path=path, outcome="error").inc()
        log.warning("prevalidate: validating %s failed; it starts unchecked", name, exc_info=True)
        return None
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
