"""The state mutating admission builds up for one pod (validators/admission.py applies the
plugins in order; runtimeclass.py is one of them).

Pure, no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..model.findings import Code, Finding, Severity
from ..model.tolerations import Tol

# Tolerates every taint: stands for tolerations a plugin adds that we cannot read (RBAC).
ANY_TAINT = Tol(operator="Exists")


@dataclass
class AdmittedPod:
    """The fields admission changes. ``certain`` is the toleration list as the apiserver
    builds it from the plugins known to run; ``assumed`` are added by plugins that may run."""

    namespace: str
    selector: dict[str, str] | None
    own: list[Tol]
    certain: list[Tol]
    assumed: list[Tol] = field(default_factory=list)
    overhead: Mapping[str, Any] | None = None  # spec.overhead to set; None: unchanged
    findings: list[Finding] = field(default_factory=list)

    def refuse(self, plugin: str, reason: str, **facts: Any) -> None:
        facts = {"plugin": plugin, "reason": reason, "namespace": self.namespace, **facts}
        self.findings.append(Finding(Code.ADMISSION_REFUSED, Severity.ERROR, plugin, facts))
