"""The webhook's own metrics, beside the validation metrics of ``prevalidate.metrics`` (which
count its validations under ``path="webhook"``, with findings by code).

Bounded labels only: an outcome, never a pod, user or image name.
"""

from __future__ import annotations

from prometheus_client import Counter, Histogram

REVIEWS = Counter(
    "prevalidate_webhook_reviews",
    "AdmissionReviews answered, by outcome: allowed, allowed_with_warnings, denied, would_deny "
    "(--warn-only); "
    "not_checked_timeout, not_checked_not_ready, not_checked_error (allowed unchecked: fail "
    "open); not_judged (not a Pod CREATE); unusable (answered 4xx: not a review we can read).",
    ["outcome"],
)
REVIEW_LATENCY = Histogram(
    "prevalidate_webhook_review_duration_seconds",
    "Time from a review's body read to its answer (parse, validation, response).",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5),
)
