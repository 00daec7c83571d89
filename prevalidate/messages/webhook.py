"""Wording of the admission webhook: a verdict as the apiserver passes it on, and the few
things the webhook itself has to say (a pod it did not check, a request it cannot read).

Pure, no I/O here. kube-apiserver shows a denial as ``admission webhook "NAME" denied the
request: MESSAGE`` (kubectl: ``Error from server (Forbidden): ...``), so the message is ONE
paragraph: the same headline, sentences and contact line as every other front end, joined by
spaces. Each warning becomes a ``Warning: 299 - "TEXT"`` header that kubectl prints as
``Warning: TEXT``; the apiserver silently drops a warning holding any control character and,
past 4096 characters in all, cuts each to 256 — so warnings are one line, at most 256
characters each, and at most 4096 in all, cut here where we can say so.
"""

from __future__ import annotations

import re

from ..model.findings import Severity
from .rejection import Rejection

MAX_WARNING = 256  # the apiserver's truncateItemRunes
MAX_WARNINGS_TOTAL = 4096  # its truncateAtTotalRunes
MAX_MESSAGE = 16 * 1024  # a status message goes into an HTTP response and the API server's logs
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def one_line(text: str, most: int) -> str:
    """``text`` with every run of control characters (newlines, tabs) made one space, at most
    ``most`` characters (an ellipsis marks a cut)."""
    text = _CONTROL.sub(" ", text).strip()
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


def denial_message(rejection: Rejection) -> str:
    """The ``status.message`` of a denied review: headline, the errors, the contact line. The
    warnings are not repeated here: they travel as ``response.warnings``, which kubectl prints
    above the denial (``review_warnings``)."""
    parts = [rejection.headline, *(line.text for line in rejection.lines if line.severity is Severity.ERROR)]
    if rejection.contact:
        parts.append(rejection.contact)
    return one_line(" ".join(parts), MAX_MESSAGE)


def review_warnings(rejection: Rejection, *, errors_too: bool = False) -> list[str]:
    """``response.warnings``: the warning lines (not the errors, which are the message, unless
    ``errors_too``: a warn-only webhook tells them as warnings; never the notes), each one line
    and within the apiserver's limits. Errors come first, as in every rendering."""
    shown_severities = (Severity.ERROR, Severity.WARNING) if errors_too else (Severity.WARNING,)
    out: list[str] = []
    total = 0
    for line in rejection.lines:
        if line.severity not in shown_severities:
            continue
        text = one_line(line.text, MAX_WARNING)
        if total + len(text) > MAX_WARNINGS_TOTAL:
            break
        out.append(text)
        total += len(text)
    return out


def unchecked(reason: str, seconds: float = 0.0) -> str:
    """The warning of a pod the webhook allowed without its verdict (it fails open)."""
    if reason == "timeout":
        what = f"did not finish checking this pod within {seconds:g} s"
    elif reason == "not-ready":
        what = "has not finished reading the cluster yet (it just started)"
    else:
        what = "could not check this pod"
    return f"prevalidate {what}; the pod was allowed without its checks."


def unusable_review(problem: str) -> str:
    """The one-line body of a 400/413/415 answer: a request that is not an AdmissionReview we
    can read (the apiserver treats it as a calling error, decided by the failure policy)."""
    return one_line(f"prevalidate webhook: {problem}", 300)


__all__ = ["denial_message", "one_line", "review_warnings", "unchecked", "unusable_review"]
