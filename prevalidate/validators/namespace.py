"""The target namespace must exist and not be terminating (the apiserver refuses both)."""

from __future__ import annotations

from ..model.findings import Code, Finding, Severity
from .context import CheckInput, skipped


def check(ctx: CheckInput) -> list[Finding]:
    if ctx.creates_namespace:
        return []
    if not ctx.cluster.knows("Namespace"):
        return [skipped("namespace", "Namespace")]
    ns = ctx.demand.namespace
    if ns not in ctx.cluster.namespaces:
        return [Finding(Code.NAMESPACE_NOT_FOUND, Severity.ERROR, subject=ns, facts={"namespace": ns})]
    if ctx.cluster.namespaces[ns]:
        return [
            Finding(
                Code.NAMESPACE_NOT_FOUND,
                Severity.ERROR,
                subject=ns,
                facts={"namespace": ns, "terminating": True},
            )
        ]
    return []
