"""One review: the verdict of ``ValidationService`` within a time budget, or an allowing answer.

The webhook must never be the reason a pod cannot be created by accident. KubeSpawner gives a
pod create 3 s in all and the configuration's ``timeoutSeconds`` is 3, so a review answers
within ``budget`` (2 s by default) whatever happens:

- the cluster caches have not finished their first list → allowed, with a warning (``/readyz``
  is 503 meanwhile, so a Service sends reviews elsewhere when another replica is ready);
- the validation runs past the budget (a slow registry, a huge cluster) → allowed, with a
  warning; the validation finishes in the background so its registry answers are cached for
  the next pod, and is never cancelled half-way through a shared registry lookup;
- anything raising on our side → allowed, with a warning (the service already answers its own
  failures that way; this is the last guard).

Dry-run reviews are answered the same way: a review has no side effects at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from prevalidate.messages.webhook import unchecked
from prevalidate.model.findings import Verdict
from prevalidate.service import ValidationService

from . import review as wire
from .metrics import REVIEW_LATENCY, REVIEWS

log = logging.getLogger("prevalidate.webhook")
PATH = "webhook"  # the service's metrics label for validations that came in here


class Reviewer:
    """Answers reviews with ``service``'s verdicts; see the module docstring."""

    def __init__(self, service: ValidationService, *, budget: float = 2.0, warn_only: bool = False) -> None:
        self.service = service
        self.budget = budget
        self.warn_only = warn_only  # allow what would be denied, with its sentences as warnings
        self._background: set[asyncio.Task[Verdict]] = set()

    @property
    def ready(self) -> bool:
        return self.service.source.ready

    async def answer(self, review: wire.Review) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            outcome, document = await self._answer(review)
        except Exception:  # the last guard: never a 500, never a denial of ours by accident
            log.warning(
                "prevalidate webhook: review %r failed; the pod is allowed unchecked",
                review.uid,
                exc_info=True,
            )
            outcome, document = "not_checked_error", wire.allowed(review, [unchecked("error")])
        REVIEWS.labels(outcome=outcome).inc()
        REVIEW_LATENCY.observe(time.perf_counter() - started)
        return document

    async def _answer(self, review: wire.Review) -> tuple[str, dict[str, Any]]:
        if not review.is_pod_create:
            return "not_judged", wire.allowed(review)
        if review.obj is None:
            return "not_checked_error", wire.allowed(review, [unchecked("error")])
        if not self.ready:
            return "not_checked_not_ready", wire.allowed(review, [unchecked("not-ready")])
        verdict = await self._verdict(review)
        if verdict is None:
            return "not_checked_timeout", wire.allowed(review, [unchecked("timeout", self.budget)])
        document = wire.answer(review, verdict, self.service.settings.admin_contact, warn_only=self.warn_only)
        if not verdict.allowed:
            outcome = "would_deny" if self.warn_only else "denied"
        elif document["response"].get("warnings"):
            outcome = "allowed_with_warnings"
        else:
            outcome = "allowed"
        return outcome, document

    async def _verdict(self, review: wire.Review) -> Verdict | None:
        """The service's verdict, or None past the budget (the validation goes on alone)."""
        task = asyncio.ensure_future(self.service.validate(review.pod_request(), path=PATH))
        done, _ = await asyncio.wait({task}, timeout=self.budget)
        if task in done:
            return task.result()
        log.warning(
            "prevalidate webhook: review %r took longer than %.1f s; the pod is allowed unchecked",
            review.uid,
            self.budget,
        )
        self._background.add(task)  # kept referenced until it ends, then forgotten
        task.add_done_callback(self._background.discard)
        return None

    async def close(self) -> None:
        """Wait briefly for validations still running past their budget (at shutdown)."""
        if self._background:
            await asyncio.wait(set(self._background), timeout=self.budget)
