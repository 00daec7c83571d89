"""Settings the pure checks need (the traitlets ``Prevalidator`` and the CLI flags fill these).

Pure, no I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .admission import AdmissionConfig
from .objects import NodeInfo

DEFAULT_ADMIN_CONTACT = "If this keeps happening, contact your hub administrator."
CHECKS = ("namespace", "quota", "limitrange", "capacity", "pvc", "references", "image", "admission")


@dataclass(frozen=True)
class Settings:
    allowed_registries: tuple[str, ...] = ()
    insecure_registries: tuple[str, ...] = ()
    admin_contact: str = DEFAULT_ADMIN_CONTACT
    capacity_policy: str = "reject"  # "reject" | "warn": severity of insufficient-capacity
    node_pools: tuple[NodeInfo, ...] = ()
    autoscaler: str = "auto"  # "auto" | "present" | "absent": can nodes we do not see be added?
    disabled_checks: frozenset[str] = frozenset()
    offline: bool = False
    admission: AdmissionConfig = field(default_factory=AdmissionConfig)  # which plugins run

    def enabled(self, check: str) -> bool:
        return check not in self.disabled_checks
