"""Prometheus metrics of validations, on the default registry (JupyterHub serves it at
``/hub/metrics``; an admission webhook can serve the same registry).

Defined once per process (prometheus_client refuses duplicate names), labelled with bounded
values only: paths (form, start, hook, and whatever a front end names its way in), outcomes,
finding codes, severities and registry result kinds — never user names or image strings.
``PrometheusObserver`` is what a front end hands to ``prevalidate.service.ValidationService``.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

from .model.findings import Verdict

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
CREATE_REFUSALS = Counter(
    "prevalidate_create_refusals",
    "Creates (pod, claim, namespace) Kubernetes refused after the spawn began, by what refused "
    "(quota-exceeded, limitrange, webhook-denied, webhook-unavailable, invalid, ...) and object.",
    ["kind", "object"],
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

BACKSTOP_OUTCOMES = Counter(
    "prevalidate_backstop_outcomes",
    "Spawns the runtime backstop followed, by how they ended: started, or the finding code that "
    "failed them (image-pull-failed, oom-killed, ...); explain mode counts would_fail.",
    ["reason"],
)
BACKSTOP_SECONDS = Histogram(
    "prevalidate_backstop_seconds_to_failure",
    "Seconds from the pod's appearance to the backstop failing the spawn.",
    buckets=(0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300),
)


def observe_backstop(reason: str, seconds: float | None = None) -> None:
    BACKSTOP_OUTCOMES.labels(reason=reason).inc()
    if seconds is not None:
        BACKSTOP_SECONDS.observe(seconds)


def observe_registry_response(kind: str, status: int) -> None:
    """``RegistryClient(observer=...)``: one response (``status`` 0 means no response)."""
    REGISTRY_RESPONSES.labels(kind=kind, status=f"{status // 100}xx" if status else "failed").inc()


def outcome_of(verdict: Verdict, *, dry_run: bool) -> str:
    """The ``outcome`` label of one validation."""
    if verdict.allowed:
        return "allowed_with_warnings" if verdict.findings else "allowed"
    return "would_reject" if dry_run else "rejected"


class PrometheusObserver:
    """Counts what a ``ValidationService`` reports (its ``Observer`` protocol). ``dry_run``:
    the front end only logs rejections, so they count as ``would_reject``."""

    def __init__(self, *, dry_run: bool = False) -> None:
        self.dry_run = dry_run

    def validated(self, path: str, verdict: Verdict, seconds: float) -> None:
        VALIDATIONS.labels(path=path, outcome=outcome_of(verdict, dry_run=self.dry_run)).inc()
        LATENCY.labels(path=path).observe(seconds)
        for finding in verdict.findings:
            FINDINGS.labels(code=finding.code.value, severity=finding.severity.value).inc()

    def failed(self, path: str) -> None:
        """A validation that could not run (it allowed the pod unchecked)."""
        VALIDATIONS.labels(path=path, outcome="error").inc()

    def refused_options(self, path: str) -> None:
        """The front end refused options it could not turn into a pod (no verdict)."""
        VALIDATIONS.labels(path=path, outcome="would_reject" if self.dry_run else "rejected").inc()

    def image_lookup(self, source: str) -> None:
        IMAGE_LOOKUPS.labels(source=source).inc()

    def cache_state(self, known_kinds: int, ready: bool) -> None:
        CACHE_KINDS.set(known_kinds)
        CACHE_READY.set(1 if ready else 0)


def rejection_counts() -> dict[str, int]:
    """Error findings reported since the process started, by code: why spawns were refused
    (``FINDINGS``, as ``/hub/metrics`` serves it; the hub's admin page shows it)."""
    counts: dict[str, int] = {}
    for metric in FINDINGS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total") and sample.labels.get("severity") == "error" and sample.value:
                counts[sample.labels["code"]] = int(sample.value)
    return counts
