"""One verdict, told the same way by every front end: the spawn form, the REST API, the
progress page, the CLI and an admission webhook.

Pure, no I/O here. A ``Rejection`` holds a headline, one line per finding (errors first, a
quota's request/limit twin read as one line), the admin contact line, the HTTP status and the
error codes; ``text()`` and ``html()`` are its two renderings. Front ends add only their
framing (the CLI's marks and codes, JupyterHub's exception), never their own sentences.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

from ..model.findings import Code, Severity, Verdict
from ..model.refusals import Refusal, refusal_findings
from ..model.settings import DEFAULT_ADMIN_CONTACT
from . import headline, options_unusable, told

# The status the apiserver itself would answer, where it would answer at all: admission
# (quota, LimitRange) is 403 Forbidden, a value that cannot be decoded is 400; everything the
# apiserver would accept and leave Pending is 422, "understood, but cannot be done".
_STATUS = {
    Code.INPUT_INVALID: 400,
    Code.IMAGE_REFERENCE_INVALID: 400,
    Code.QUOTA_EXCEEDED: 403,
    Code.QUOTA_MUST_SPECIFY: 403,
    Code.LIMITRANGE_VIOLATION: 403,
    Code.IMAGE_REGISTRY_NOT_ALLOWED: 403,
    Code.ADMISSION_REFUSED: 403,
    Code.RUNTIMECLASS_NOT_FOUND: 403,
}
DEFAULT_STATUS = 422
ALLOWED_STATUS = 200


@dataclass(frozen=True)
class Line:
    """One sentence a user reads, with what it is about (for marks, codes and filtering)."""

    text: str
    severity: Severity
    code: Code


@dataclass(frozen=True)
class Rejection:
    """The words of one verdict. ``status`` is the first error's (200 when nothing blocks);
    ``codes`` the distinct error codes in message order."""

    headline: str
    lines: tuple[Line, ...]
    contact: str
    status: int
    codes: tuple[str, ...]

    @classmethod
    def of(
        cls,
        verdict: Verdict,
        admin_contact: str = DEFAULT_ADMIN_CONTACT,
        overrides: Mapping[str, str] | None = None,
    ) -> Rejection:
        lines = tuple(Line(text, f.severity, f.code) for f, text in told(verdict, overrides))
        errors = [line for line in lines if line.severity is Severity.ERROR]
        return cls(
            headline=headline(verdict),
            lines=lines,
            # Only when something needs attention: an info note alone (a lower-priority pod will
            # make way) is no reason to contact anyone.
            contact=admin_contact if any(line.severity is not Severity.INFO for line in lines) else "",
            status=_STATUS.get(errors[0].code, DEFAULT_STATUS) if errors else ALLOWED_STATUS,
            codes=tuple(dict.fromkeys(line.code.value for line in errors)),
        )

    @classmethod
    def options(cls, problem: str, admin_contact: str = DEFAULT_ADMIN_CONTACT) -> Rejection:
        """The spawner cannot apply the options at all (an unknown profile, a value of the
        wrong type): there is no pod to validate, only the spawner's reason."""
        line = Line(options_unusable(problem), Severity.ERROR, Code.INPUT_INVALID)
        return cls("Your server cannot start:", (line,), admin_contact, 400, (Code.INPUT_INVALID.value,))

    @classmethod
    def refused(
        cls,
        refusal: Refusal,
        admin_contact: str = DEFAULT_ADMIN_CONTACT,
        overrides: Mapping[str, str] | None = None,
    ) -> Rejection:
        """Kubernetes refused to create the pod (PVC, namespace) after the spawn began. The
        status is the apiserver's when the user's choice caused it (403 quota/LimitRange, 422
        field errors, a webhook's own 4xx). Otherwise it is not the user's doing: 503 when it
        should pass by itself (a webhook that did not answer, a quota not counted yet), 500
        for a refusal of the hub's own setup (RBAC)."""
        told_ = cls.of(Verdict.of(refusal_findings(refusal)), admin_contact, overrides)
        user_status = refusal.status if 400 <= refusal.status < 500 else 403
        status = user_status if refusal.user_caused else (503 if refusal.transient else 500)
        return cls(told_.headline, told_.lines, told_.contact, status, told_.codes)

    @property
    def allowed(self) -> bool:
        return not self.codes

    def sentences(self, severity: Severity | None = None) -> list[str]:
        return [line.text for line in self.lines if severity is None or line.severity is severity]

    def text(self) -> str:
        """Headline, one bullet per line, then the admin contact."""
        bullets = [f"• {line.text}" for line in self.lines]
        return "\n".join([self.headline, *bullets, *([self.contact] if self.contact else [])])

    def html(self) -> str:
        # A line may carry a container's log lines (the backstop): keep them as lines on a page.
        items = "".join(f"<li>{html.escape(line.text).replace(chr(10), '<br>')}</li>" for line in self.lines)
        contact = f"<p>{html.escape(self.contact)}</p>" if self.contact else ""
        return f"<p>{html.escape(self.headline)}</p><ul>{items}</ul>{contact}"


def status_for(verdict: Verdict) -> int:
    """The HTTP status of a rejection: that of its first error (422 when none maps)."""
    rejection = Rejection.of(verdict)
    return rejection.status if not rejection.allowed else DEFAULT_STATUS


__all__ = ["DEFAULT_STATUS", "Line", "Rejection", "status_for"]
