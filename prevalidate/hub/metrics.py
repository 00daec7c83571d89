"""Prometheus metrics, on the default registry that JupyterHub serves at ``/hub/metrics``.

Defined once per process (prometheus_client refuses duplicate names), labelled with bounded
values only: paths, outcomes, finding codes, severities and registry result kinds — never user
names or image strings.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from ..model.findings import Verdict

VALIDATIONS = Counter(
    "prevalidate_validations",
    "Spawn validations by where they ran (form, start, hook) and outcome "
    "(allowed, allowed_with_warnings, rejected, would_reject in dry-run, error).",
    ["path", "outcome"],
)
FINDINGS = Counter(
    "prevalidate_findings",
    "Findings reported to users, by finding code and severity.",
    ["code", "severity"],
)
LATENCY = Histogram(
    "prevalidate_validation_duration_seconds",
    "Time one validation took, from the submitted options to the verdict (pod build, cache "
    "reads, registry lookups).",
    ["path"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
IMAGE_LOOKUPS = Counter(
    "prevalidate_image_lookups",
    "Image checks by source: answered from the registry cache (cache) or needing registry "
    "requests (registry). hit ratio = cache / (cache + registry).",
    ["source"],
)
REGISTRY_RESPONSES = Counter(
    "prevalidate_registry_responses",
    "HTTP responses from image registries, by request kind and status class (2xx, 4xx, 5xx, "
    "or 'failed' when no response came).",
    ["kind", "status"],
)
CACHE_KINDS = Gauge(
    "prevalidate_cluster_cache_known_kinds",
    "Kinds (Node, Pod, ResourceQuota, ...) the live cluster cache currently holds a complete "
    "list of. Checks that need a missing kind are skipped.",
)
CACHE_READY = Gauge(
    "prevalidate_cluster_cache_ready",
    "1 when every cluster cache finished its initial list (or was forbidden by RBAC), else 0.",
)


def observe_registry_response(kind: str, status: int) -> None:
    """``RegistryClient(observer=...)``: one response (``status`` 0 means no response)."""
    REGISTRY_RESPONSES.labels(kind=kind, status=f"{status // 100}xx" if status else "failed").inc()


def record_verdict(path: str, verdict: Verdict, *, dry_run: bool, seconds: float) -> str:
    """Count one validation and its findings; returns the outcome label."""
    if verdict.allowed:
        outcome = "allowed_with_warnings" if verdict.findings else "allowed"
    else:
        outcome = "would_reject" if dry_run else "rejected"
    VALIDATIONS.labels(path=path, outcome=outcome).inc()
    LATENCY.labels(path=path).observe(seconds)
    for finding in verdict.findings:
        FINDINGS.labels(code=finding.code.value, severity=finding.severity.value).inc()
    return outcome
