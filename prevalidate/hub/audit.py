"""The audit of a profile list: every profile × every choice of its ``profile_options``, the pod
KubeSpawner itself builds for each, validated on the cluster as it is and on the same cluster
emptied, classified "never" / "not-now" / "fits" (the rule: ``validators.audit``).

Shared by ``prevalidate audit`` (a spawner built from ``jupyterhub_config.py``, see
``hub.auditconfig``) and the hub's admin page (the admin's own spawner, ``hub.adminpage``).
Each entry's pod comes from a shadow of the given spawner (``podbuild.make_shadow`` +
``build_plan``: ``load_user_options``, ``get_pod_manifest``, ``modify_pod_hook``), exactly as a
form submit is checked; nothing is created. Validations go through ``ValidationService`` with
no metrics observer: an audit is not a user's spawn and must not count as one.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from ..messages import render
from ..model.cluster import ClusterView
from ..model.findings import Verdict, shown
from ..model.settings import Settings
from ..service import FixedView, ImageRegistry, ValidationService
from ..validators.audit import MAX_COMBINATIONS, Fit, Outcome, cannot_build, classify, profile_selection
from .podbuild import OptionsError, build_plan, make_shadow, options_problem


class NotBuilt(Exception):
    """KubeSpawner accepted the options but building the pod failed: the entry has no verdict."""


class NoProfiles(Exception):
    """The spawner has no ``profile_list``: there is nothing to audit."""


@dataclass(frozen=True)
class AuditEntry:
    profile: str  # the slug
    display_name: str
    options: dict[str, str]  # option -> choice key; {} for a profile without profile_options
    outcome: Outcome
    reasons: tuple[str, ...] = ()  # the error sentences a user would read now (or why not built)

    @property
    def verdict(self) -> str:
        return self.outcome.fit.value

    def json(self) -> dict[str, Any]:
        """The entry as ``prevalidate audit --json`` prints it (a contract: exactly these keys)."""
        return {
            "profile": self.profile,
            "options": dict(self.options),
            "verdict": self.outcome.fit.value,
            "codes": list(self.outcome.codes),
        }


@dataclass
class AuditReport:
    entries: list[AuditEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # capped products, entries not built
    seconds: float = 0.0

    @property
    def any_never(self) -> bool:
        return any(e.outcome.fit is Fit.NEVER for e in self.entries)

    def json(self) -> dict[str, Any]:
        return {"entries": [e.json() for e in self.entries]}


async def initialized_profiles(spawner: Any) -> list[dict[str, Any]]:
    """The profile list as KubeSpawner's ``load_user_options`` sees it: a callable called, slugs
    filled in, one default choice per option (its own ``_get_initialized_profile_list``)."""
    profiles = spawner.profile_list
    if hasattr(spawner, "_sorted_dict_values"):
        profiles = spawner._sorted_dict_values(profiles)
    if callable(profiles):
        profiles = profiles(spawner)
        if inspect.isawaitable(profiles):
            profiles = await profiles
    if not profiles:
        raise NoProfiles("the spawner has no profile_list (c.KubeSpawner.profile_list): nothing to audit")
    if hasattr(spawner, "_get_initialized_profile_list"):
        profiles = spawner._get_initialized_profile_list(profiles)
    return [dict(p) for p in profiles]


async def audit_spawner(
    spawner: Any,
    settings: Settings,
    view: ClusterView,
    registry: ImageRegistry | None,
    *,
    cap: int = MAX_COMBINATIONS,
    overrides: Mapping[str, str] | None = None,
    stand_in: bool = False,
) -> AuditReport:
    """Audit ``spawner``'s profile list against ``view`` (read at each validation: a live view
    stays live) and its emptied copy (taken once, now). ``stand_in``: the spawner's user is
    made up, so objects named after it (a ``claim-{username}``) do not decide an entry."""
    started = time.perf_counter()
    personal = _user_in_names(spawner) if stand_in else ""
    # "Not now" is a fact about the cluster, not a policy: a hub that lets such spawns wait
    # (capacity_policy "warn") still wants to see them. A node pool that fits stays a warning:
    # the autoscaler makes room, so the entry fits.
    settings = replace(settings, capacity_policy="reject")
    now = ValidationService(settings, FixedView(view), registry)
    empty = ValidationService(settings, FixedView(view.emptied()), registry)
    report = AuditReport()
    for profile in await initialized_profiles(spawner):
        selection = profile_selection(profile, cap)
        if selection.note:
            report.notes.append(selection.note)
        name = str(profile.get("display_name") or selection.slug)
        for choices in selection.choices:
            try:
                entry = await _audit_one(
                    spawner, selection.slug, name, choices, (now, empty), overrides, personal
                )
            except NotBuilt as exc:
                which = f"profile {selection.slug}" + (f" {choices}" if choices else "")
                report.notes.append(f"{which}: {exc}; not audited")
                continue
            report.entries.append(entry)
            # A hub serves other requests meanwhile: an audit is many small steps, not one block.
            await asyncio.sleep(0)
    report.seconds = time.perf_counter() - started
    return report


async def _audit_one(
    spawner: Any,
    slug: str,
    name: str,
    choices: dict[str, str],
    services: tuple[ValidationService, ValidationService],
    overrides: Mapping[str, str] | None,
    personal: str,
) -> AuditEntry:
    user_options: dict[str, Any] = {"profile": slug, **choices}
    try:
        plan = await build_plan(make_shadow(spawner, user_options), apply_options=True)
    except OptionsError as exc:
        return AuditEntry(slug, name, choices, cannot_build(), (f"KubeSpawner refuses these options: {exc}",))
    except Exception as exc:
        # get_pod_manifest or a modify_pod_hook raised. In the hub _start would raise the same,
        # but outside it (the CLI's stand-in user and hub, a hook that calls the API) it may be
        # ours: no verdict rather than a false "never".
        raise NotBuilt(f"KubeSpawner could not build the pod here ({shown(options_problem(exc))})") from exc
    request = plan.request
    verdict_now = await services[0].validate(request, path="audit")
    verdict_empty = await services[1].validate(request, path="audit")
    outcome = classify(verdict_now, verdict_empty, personal)
    return AuditEntry(slug, name, choices, outcome, _reasons(verdict_now, verdict_empty, overrides))


def _reasons(now: Verdict, empty: Verdict, overrides: Mapping[str, str] | None) -> tuple[str, ...]:
    # "never": what holds on the empty cluster says why (the quota's hard limit, not what others
    # use); "not-now": what a user pressing Start today would read.
    findings = empty.errors or now.errors
    return tuple(dict.fromkeys(render(f, overrides) for f in findings))


def _user_in_names(spawner: Any) -> str:
    """The user's name as KubeSpawner writes it into object names (``{username}``)."""
    try:
        return str(spawner._expand_user_properties("{username}"))
    except Exception:  # another KubeSpawner version: the plain name
        return str(spawner.user.name)
