"""AdmissionReview v1 in, AdmissionReview v1 out: the wire format, read as hostile input.

Pure, no I/O here. kube-apiserver POSTs ``{"apiVersion": "admission.k8s.io/v1", "kind":
"AdmissionReview", "request": {...}}`` and expects HTTP 200 with a ``response`` carrying the
same ``uid``. Anything that is not such a review (not JSON, nested too deep, a number with
10,000 digits, no ``uid``) is an ``UnusableReview``: answered 400 in one line, which the
apiserver treats as a calling error and its failure policy (``Ignore``) lets the pod through.

A review we can read but need not judge (an UPDATE, another kind, a subresource) is allowed
as it is. A denial carries the status kube-apiserver would give itself — 403 Forbidden for
quota, LimitRange and other admission refusals, 400 for a value it cannot decode, 422 Invalid
for the rest — and never 409, which KubeSpawner reads as "the pod already exists".
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from prevalidate.messages.rejection import Rejection
from prevalidate.messages.webhook import denial_message, review_warnings, unusable_review
from prevalidate.model.findings import Verdict
from prevalidate.model.request import PodRequest, kubespawner_request

API_VERSIONS = ("admission.k8s.io/v1", "admission.k8s.io/v1beta1")
MAX_BODY = 7 * 1024 * 1024  # controller-runtime's limit: two 3 MB objects and 1 MB of review
ROOT_CA_CONFIGMAP = ("ConfigMap", "kube-root-ca.crt")
_REASONS = {400: "BadRequest", 403: "Forbidden", 422: "Invalid"}


class UnusableReview(Exception):
    """A request we cannot answer as a review: ``status`` (400, 413, 415) and one line."""

    def __init__(self, status: int, problem: str) -> None:
        super().__init__(unusable_review(problem))
        self.status = status


@dataclass(frozen=True)
class Review:
    """The parts of ``request`` the webhook reads."""

    uid: str
    api_version: str
    operation: str
    group: str
    kind: str
    sub_resource: str
    namespace: str
    obj: Mapping[str, Any] | None
    dry_run: bool

    @property
    def is_pod_create(self) -> bool:
        """Only a Pod CREATE is judged; anything else the configuration sends is allowed."""
        return (
            self.operation == "CREATE" and self.group == "" and self.kind == "Pod" and not self.sub_resource
        )

    def pod_request(self) -> PodRequest:
        """The pod to validate. A validating webhook sees the pod after mutating admission,
        with its namespace set; it is filled from the request if a caller left it out. A pod
        mounting KubeSpawner's internal_ssl certificates names a Secret KubeSpawner creates just
        after the pod, so it is read as KubeSpawner's (``kubespawner_request``). The
        ServiceAccount admission plugin's token volume names the ``kube-root-ca.crt`` ConfigMap,
        which kube-controller-manager's root-ca-cert-publisher creates in each namespace
        moments after the namespace itself (KubeSpawner may have created it just now), and the
        kubelet waits for it: it counts as present."""
        pod = dict(self.obj or {})
        meta = pod.get("metadata")
        if isinstance(meta, Mapping) and not meta.get("namespace") and self.namespace:
            pod["metadata"] = {**meta, "namespace": self.namespace}
        request = kubespawner_request(pod)
        return replace(request, companions=request.companions | {ROOT_CA_CONFIGMAP})


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def read_review(body: bytes, content_type: str = "application/json") -> Review:
    """The review in ``body``; ``UnusableReview`` for anything else."""
    media = content_type.split(";", 1)[0].strip().lower()
    if media != "application/json":
        raise UnusableReview(415, f"content type {media or 'none'!r}, expected application/json")
    if not body:
        raise UnusableReview(400, "the request body is empty")
    if len(body) > MAX_BODY:
        raise UnusableReview(413, f"the request body is larger than {MAX_BODY // (1024 * 1024)} MiB")
    try:
        document = json.loads(body)
    except RecursionError:
        raise UnusableReview(400, "the request body is nested too deeply to be an AdmissionReview") from None
    except ValueError as exc:  # JSONDecodeError, bad UTF-8, an integer with too many digits
        raise UnusableReview(
            400, f"the request body is not JSON ({str(exc).splitlines()[0][:120]})"
        ) from None
    if not isinstance(document, dict):
        raise UnusableReview(400, "the request body is not a JSON object")
    api_version, kind = document.get("apiVersion"), document.get("kind")
    if kind != "AdmissionReview" or api_version not in API_VERSIONS:
        raise UnusableReview(400, "the request body is not an admission.k8s.io/v1 AdmissionReview")
    request = document.get("request")
    if not isinstance(request, dict):
        raise UnusableReview(400, "the AdmissionReview has no request")
    uid = request.get("uid")
    if not isinstance(uid, str) or not uid or len(uid) > 256:
        raise UnusableReview(400, "the AdmissionReview request has no uid")
    kind_ref = request.get("kind")
    kind_ref = kind_ref if isinstance(kind_ref, dict) else {}
    obj = request.get("object")
    return Review(
        uid=uid,
        api_version=api_version,
        operation=_text(request.get("operation")),
        group=_text(kind_ref.get("group")),
        kind=_text(kind_ref.get("kind")),
        sub_resource=_text(request.get("subResource")),
        namespace=_text(request.get("namespace")),
        obj=obj if isinstance(obj, dict) else None,
        dry_run=request.get("dryRun") is True,
    )


def envelope(review: Review, response: dict[str, Any]) -> dict[str, Any]:
    """The AdmissionReview answering ``review`` (its apiVersion echoed, its uid set)."""
    return {
        "apiVersion": review.api_version,
        "kind": "AdmissionReview",
        "response": {"uid": review.uid, **response},
    }


def allowed(review: Review, warnings: Sequence[str] = ()) -> dict[str, Any]:
    response: dict[str, Any] = {"allowed": True}
    if warnings:
        response["warnings"] = list(warnings)
    return envelope(review, response)


def denial_status(status: int) -> tuple[int, str]:
    """``code`` and ``reason`` of a denial: 400, 403 or 422 — never 409 (see above), never a
    5xx (a denial is a decision, not a failure of ours)."""
    code = status if status in _REASONS else 422
    return code, _REASONS[code]


def answer(
    review: Review, verdict: Verdict, admin_contact: str, *, warn_only: bool = False
) -> dict[str, Any]:
    """The answer for a verdict: the same ``Rejection`` every front end tells. ``warn_only``:
    what would deny is allowed, its sentences told as warnings (a first week in production)."""
    rejection = Rejection.of(verdict, admin_contact)
    if verdict.allowed or warn_only:
        return allowed(review, review_warnings(rejection, errors_too=warn_only))
    warnings = review_warnings(rejection)
    code, reason = denial_status(rejection.status)
    response: dict[str, Any] = {
        "allowed": False,
        "status": {
            "status": "Failure",
            "code": code,
            "reason": reason,
            "message": denial_message(rejection),
        },
    }
    if warnings:
        response["warnings"] = warnings
    return envelope(review, response)


def encode(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, separators=(",", ":")).encode()


__all__ = [
    "MAX_BODY",
    "Review",
    "UnusableReview",
    "allowed",
    "answer",
    "denial_status",
    "encode",
    "envelope",
    "read_review",
]
