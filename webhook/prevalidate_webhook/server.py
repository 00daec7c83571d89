"""The HTTP side: ``POST /validate``, ``GET /healthz``, ``GET /readyz``, ``GET /metrics``.

Transport apart from decisions (controller-runtime's ``http.go`` split): this module checks
the method (aiohttp's router: 405), the content type (415), the size (413, 7 MiB) and that the
body is an AdmissionReview (400), each answered with one plain-text line; every review it can
read goes to the ``Reviewer`` and is answered HTTP 200. Nothing here answers 500: an error of
ours in a review is an allowing answer (the reviewer's rule), one outside it is a 400 line.
No access log: a line per review would cost more than the review.
"""

from __future__ import annotations

import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

from . import review as wire
from .metrics import REVIEWS
from .reviewer import Reviewer

log = logging.getLogger("prevalidate.webhook")
REVIEWER: web.AppKey[Reviewer] = web.AppKey("reviewer", Reviewer)


def _line(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text + "\n", content_type="text/plain")


async def validate(request: web.Request) -> web.Response:
    reviewer = request.app[REVIEWER]
    try:
        body = await request.read()
        review = wire.read_review(body, request.headers.get("Content-Type", ""))
    except web.HTTPRequestEntityTooLarge:
        REVIEWS.labels(outcome="unusable").inc()
        return _line(413, wire.UnusableReview(413, "the request body is larger than 7 MiB").args[0])
    except wire.UnusableReview as exc:
        REVIEWS.labels(outcome="unusable").inc()
        return _line(exc.status, exc.args[0])
    document = await reviewer.answer(review)
    return web.Response(body=wire.encode(document), content_type="application/json")


async def healthz(request: web.Request) -> web.Response:
    return _line(200, "ok")


async def readyz(request: web.Request) -> web.Response:
    """200 once the cluster caches have their first lists: before that, every review would be
    allowed unchecked, so a Service should send it to a replica that is ready."""
    if request.app[REVIEWER].ready:
        return _line(200, "ok")
    return _line(503, "the cluster caches are not synced yet")


async def metrics(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})


def make_app(reviewer: Reviewer) -> web.Application:
    # aiohttp refuses bodies past client_max_size while reading them (chunked ones too).
    app = web.Application(client_max_size=wire.MAX_BODY)
    app[REVIEWER] = reviewer
    app.router.add_post("/validate", validate)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)
    return app


__all__ = ["REVIEWER", "make_app"]
