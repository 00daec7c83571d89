"""``prevalidate audit``'s decisions: which spawns of a profile list to try, and what a pair of
verdicts means for each. Pure, no I/O here (the pods come from KubeSpawner in
``prevalidate.hub.audit``; the verdicts from the one validation service).

Never, not now, fits — the rule. Every entry is validated twice with the same pod, settings and
registry answers: against the cluster as it is, and against the same cluster *emptied*
(``ClusterView.emptied``: no pod running, every quota's ``used`` at zero; the nodes, taints,
quotas' ``hard``, LimitRanges, PVCs, secrets, config maps and images unchanged). An error that
persists on the empty cluster does not depend on what else runs — a node too small or
excluded by a taint or selector (``no-node-fits``), a quota whose ``hard`` is below the request,
a LimitRange maximum, a missing or invalid image, a missing claim or secret, a value the
apiserver refuses — so no amount of waiting helps: **never**. An error that only the full
cluster gives (``insufficient-capacity``, ``quota-exceeded`` by others' usage, a
ReadWriteOncePod claim in use) clears when servers stop: **not-now**. No error: **fits**
(warnings never count, as they never block a spawn).

Emptying is the optimistic bound (even DaemonSet pods go), so "never" is claimed only when even
a cluster running nothing would refuse the pod; the cluster only ever has less room than that.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from ..model.findings import Code, Finding, Severity, Verdict

# Past this many choice combinations in one profile, the audit tries each choice once (the
# other options at their defaults) instead of the full product: 3 options of 10 choices are
# 1,000 pods, 6 options of 10 a million.
MAX_COMBINATIONS = 256


class Fit(str, Enum):
    FITS = "fits"
    NOT_NOW = "not-now"
    NEVER = "never"


@dataclass(frozen=True)
class Outcome:
    """One entry's verdict, and the codes of the errors behind it: those a user pressing Start
    now would get, then any that only the empty cluster shows."""

    fit: Fit
    codes: tuple[str, ...]
    persistent: tuple[str, ...] = ()  # the codes that hold on the empty cluster
    warnings: tuple[str, ...] = ()  # warning codes on the cluster as it is (never decide)


# Objects a pod may name after its user (``claim-{username}``, a per-user secret).
_PERSONAL = frozenset(
    {
        Code.PVC_NOT_FOUND,
        Code.SECRET_NOT_FOUND,
        Code.CONFIGMAP_NOT_FOUND,
        Code.SECRET_KEY_NOT_FOUND,
        Code.CONFIGMAP_KEY_NOT_FOUND,
    }
)


def classify(now: Verdict, empty: Verdict, stand_in: str = "") -> Outcome:
    """The verdict of one entry from its validation on the cluster (``now``) and on the same
    cluster emptied (``empty``); see the module docstring.

    ``stand_in``: the pods were built for a made-up user (the name as it appears in object
    names). A missing claim, secret or config map named after that user says nothing about a
    real user's, so it does not decide the entry; it is kept among the warnings."""
    now_errors = [f for f in now.errors if not _personal(f, stand_in)]
    empty_errors = [f for f in empty.errors if not _personal(f, stand_in)]
    codes = _unique([f.code.value for f in now_errors] + [f.code.value for f in empty_errors])
    persistent = _unique([f.code.value for f in empty_errors])
    warnings = _unique(
        [f.code.value for f in now.findings if f.severity is Severity.WARNING or _personal(f, stand_in)]
    )
    if empty_errors:
        return Outcome(Fit.NEVER, codes, persistent, warnings)
    if now_errors:
        return Outcome(Fit.NOT_NOW, codes, (), warnings)
    return Outcome(Fit.FITS, (), (), warnings)


def _personal(finding: Finding, stand_in: str) -> bool:
    return bool(stand_in) and finding.code in _PERSONAL and stand_in in finding.subject


def cannot_build(code: str = "input-invalid") -> Outcome:
    """KubeSpawner itself refuses the options (``load_user_options`` raised): its ``_start``
    raises the same, whatever the cluster holds."""
    return Outcome(Fit.NEVER, (code,), (code,))


def _unique(codes: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(codes))


@dataclass(frozen=True)
class Selection:
    """The choices to try for one profile; ``note`` says when the product was capped."""

    slug: str
    choices: tuple[dict[str, str], ...]
    note: str = ""
    combinations: int = 1
    options: tuple[str, ...] = field(default=())


def profile_selection(profile: Mapping[str, Any], cap: int = MAX_COMBINATIONS) -> Selection:
    """The listed choices of an *initialized* KubeSpawner profile (slugs set, one default choice
    per option: ``KubeSpawner._get_initialized_profile_list``) to audit: every combination, or
    when there are more than ``cap``, each choice once with the other options at their
    defaults. Free-text ("Other…") values cannot be enumerated: a profile with an option that
    has no listed choice is not audited (a note says so)."""
    slug = str(profile.get("slug", ""))
    options: dict[str, list[str]] = {}
    defaults: dict[str, str] = {}
    for name, option in (profile.get("profile_options") or {}).items():
        choices = option.get("choices") if isinstance(option, Mapping) else None
        if not isinstance(choices, Mapping) or not choices:
            # Free text only: every spawn of the profile needs a typed value (KubeSpawner has no
            # default to fall back on), which an audit cannot invent.
            note = f"profile {slug}: option {name} takes free text only; the profile is not audited"
            return Selection(slug, (), note)
        keys = [str(k) for k in choices]
        options[str(name)] = keys
        defaults[str(name)] = next(
            (str(k) for k, c in choices.items() if isinstance(c, Mapping) and c.get("default")), keys[0]
        )
    if not options:
        return Selection(slug, ({},))
    total = 1
    for keys in options.values():
        total *= len(keys)
    names = tuple(options)
    if total <= cap:
        product = tuple(
            dict(zip(names, combo, strict=True)) for combo in itertools.product(*options.values())
        )
        return Selection(slug, product, combinations=total, options=names)
    one_at_a_time = tuple(_each_choice_once(options, defaults))
    note = (
        f"profile {slug}: {total:,} combinations of {len(names)} options (more than {cap}); "
        f"audited each choice once with the other options at their defaults ({len(one_at_a_time)} entries)"
    )
    return Selection(slug, one_at_a_time, note, total, names)


def _each_choice_once(
    options: Mapping[str, list[str]], defaults: Mapping[str, str]
) -> Iterator[dict[str, str]]:
    yield dict(defaults)
    for name, keys in options.items():
        for key in keys:
            if key != defaults[name]:
                yield {**defaults, name: key}
