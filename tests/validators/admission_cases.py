"""Shared helpers for the admission tables: run the real ``run_all`` with the admin's statement
of the cluster's admission plugins, and keep what rejects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from factories import NS, base_objects, cluster, node, only, taint, verdict

from prevalidate.model.admission import AdmissionConfig
from prevalidate.model.findings import Verdict

Obj = dict[str, Any]
CHECKS = ("admission", "capacity", "quota", "limitrange")
GPU = "nvidia.com/gpu"
GPU_NODE = node(
    "gpu-1", cpu="8", memory="32Gi", extra={GPU: "1"}, taints=[taint(GPU, "present")], labels={"pool": "gpu"}
)
CPU_NODE = node("cpu-1", cpu="4", memory="16Gi", labels={"pool": "standard"})


@dataclass(frozen=True)
class Case:
    """One pod over one cluster; ``errors``: the finding codes that reject it (none: allowed)."""

    pod: Obj
    objects: Sequence[Obj]
    errors: tuple[str, ...] = ()
    plugins: Mapping[str, str] = field(default_factory=dict)
    config: Mapping[str, Any] = field(default_factory=dict)
    known: frozenset[str] | None = None


def run(case: Case) -> Verdict:
    settings = only(*CHECKS, admission=AdmissionConfig.parse(case.plugins, case.config))
    if case.known is None:
        return verdict(case.pod, [*base_objects(), *case.objects], settings=settings)
    view = cluster(*base_objects(), *case.objects, known=case.known)
    return verdict(case.pod, settings=settings, view=view)


def error_codes(v: Verdict) -> tuple[str, ...]:
    return tuple(sorted({f.code.value for f in v.errors}))


def allowed_share(cases: Mapping[str, Case]) -> bool:
    """At least as many allowed cases as refusals (the project's rule for a check that refuses)."""
    allowed = sum(1 for c in cases.values() if not c.errors)
    return allowed >= len(cases) - allowed


__all__ = ["CPU_NODE", "GPU", "GPU_NODE", "NS", "Case", "allowed_share", "error_codes", "run"]
