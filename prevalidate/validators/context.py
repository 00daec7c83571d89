"""The one argument every check takes. Pure data."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..model.cluster import ClusterView
from ..model.demand import SpawnDemand
from ..model.findings import Code, Finding, Severity
from ..model.image_facts import ImageFacts
from ..model.objects import PVCInfo
from ..model.settings import Settings


@dataclass(frozen=True)
class CheckInput:
    demand: SpawnDemand
    cluster: ClusterView
    settings: Settings
    images: Mapping[str, ImageFacts] = field(default_factory=dict)
    new_claims: tuple[PVCInfo, ...] = ()
    creates_namespace: bool = False  # the spawner creates the namespace itself (user namespaces)


def skipped(check: str, missing_kind: str) -> Finding:
    """A check that could not run because its input was not readable: never blocks."""
    return Finding(Code.CHECK_SKIPPED, Severity.WARNING, subject=check, facts={"kind": missing_kind})


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate that looks like a typo of ``name``, if any."""
    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
