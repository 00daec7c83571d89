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
from ..model.request import PodRequest
from ..model.settings import Settings


@dataclass(frozen=True)
class CheckInput:
    request: PodRequest
    demand: SpawnDemand
    cluster: ClusterView
    settings: Settings
    images: Mapping[str, ImageFacts] = field(default_factory=dict)
    # The request's claims the spawner will really create (quota.new_claims decides which).
    new_claims: tuple[PVCInfo, ...] = ()

    @property
    def creates_namespace(self) -> bool:
        """The spawner creates the namespace itself (KubeSpawner's user namespaces)."""
        return self.request.creates_namespace


def skipped(check: str, missing_kind: str) -> Finding:
    """A check that could not run because its input was not readable: never blocks."""
    return Finding(Code.CHECK_SKIPPED, Severity.WARNING, subject=check, facts={"kind": missing_kind})


def closest(name: str, candidates: Iterable[str]) -> str | None:
    """The candidate that looks like a typo of ``name``, if any."""
    matches = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None
