"""The exception a rejected spawn raises, shaped so that every JupyterHub page and API renders it.

JupyterHub reads different attributes in different places: the spawn form shows
``jupyterhub_message`` (plain text, after "Error: "); the spawn-pending page and error pages
prefer ``jupyterhub_html_message``; the REST API returns ``{"status", "message"}`` from
``jupyterhub_message`` and the status code (5.x's API reads ``log_message % args`` instead, so
the text is there too). On JupyterHub >= 6 a ``SpawnException`` is a *failure*, not an *error*:
no traceback in the log, and it does not count toward ``consecutive_failure_limit``. On 5.x a
4xx ``HTTPError`` is rendered the same way by the form and the API, but every exception that
ends a begun spawn counts toward the limit: ``not_a_failure`` undoes that. So we subclass
``SpawnException`` where it exists and ``HTTPError`` otherwise, and set every attribute either
version reads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tornado.web import HTTPError

from ..messages.rejection import Rejection
from ..model.findings import Finding, Verdict

try:  # JupyterHub >= 6
    from jupyterhub.spawner import SpawnException as _Base
except ImportError:  # pragma: no cover - JupyterHub 5.x
    _Base = HTTPError

# JupyterHub 5.x (no SpawnException) counts *every* exception that ends a begun spawn toward
# consecutive_failure_limit, a 4xx included: BaseHandler.spawn_single_user's _track_failure_count
# adds one to settings["failure_count"] when the spawn future fails and exits the hub at the
# limit (zero-to-jupyterhub sets 5). 6.x, which added SpawnException, counts only errors.
REJECTIONS_COUNT_AS_FAILURES = _Base is HTTPError


class SpawnRejected(_Base):
    """Raised instead of creating a pod that Kubernetes would refuse or leave Pending for good.
    Its words are a ``messages.rejection.Rejection``, the same the CLI prints."""

    def __init__(self, rejection: Rejection, *, verdict: Verdict | None = None) -> None:
        self.rejection = rejection
        self.verdict = verdict
        self.codes = list(rejection.codes) or ["prevalidate"]
        text, rich, status = rejection.text(), rejection.html(), rejection.status
        if _Base is HTTPError:  # pragma: no cover - JupyterHub 5.x
            HTTPError.__init__(self, status, "%s", text)
        else:
            _Base.__init__(self, text, reason=self.codes[0], message_html=rich, status_code=status)
        # Read by JupyterHub 5 and 6 alike (form, pending page, REST API, error page).
        self.jupyterhub_message = text
        self.jupyterhub_html_message = rich

    @classmethod
    def from_verdict(
        cls, verdict: Verdict, *, admin_contact: str = "", overrides: Mapping[str, str] | None = None
    ) -> SpawnRejected:
        return cls(Rejection.of(verdict, admin_contact, overrides), verdict=verdict)

    @classmethod
    def from_options(cls, problem: str, *, admin_contact: str = "") -> SpawnRejected:
        """KubeSpawner cannot apply the options at all (unknown profile, a value of the wrong
        type): without us the spawn would fail later with a traceback and a 500."""
        return cls(Rejection.options(problem, admin_contact))

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(self.verdict.findings) if self.verdict else ()

    def __str__(self) -> str:
        return f"{self.status_code} prevalidate rejected the spawn ({', '.join(self.codes)})"


def not_a_failure(spawner: Any) -> None:
    """Call just before a ``SpawnRejected`` leaves a spawn that has begun (the pre-spawn hook, or
    ``start``), so that a user's refused choice never counts toward ``consecutive_failure_limit``.

    Only on a JupyterHub that counts rejections (5.x, see ``REJECTIONS_COUNT_AS_FAILURES``): the
    count goes one down now, JupyterHub adds the one back when our exception ends the spawn, and
    the limit check it makes right after adding sees the count unchanged. Nothing is done unless
    the spawn future JupyterHub will count is really still running (``spawn_single_user`` sets
    ``spawner._spawn_future`` before the spawn starts; ``User.spawn`` sets ``spawner.handler``)."""
    if not REJECTIONS_COUNT_AS_FAILURES:
        return
    future = getattr(spawner, "_spawn_future", None)
    settings = getattr(getattr(spawner, "handler", None), "settings", None)
    done = getattr(future, "done", None)
    if not isinstance(settings, dict) or not callable(done) or done():
        return
    settings["failure_count"] = settings.get("failure_count", 0) - 1


class SpawnBroke(SpawnRejected):
    """Raised by the runtime backstop when the user's choice keeps a created pod from starting
    (their image, their code, their memory size; ``hub.backstop``): rendered like
    ``SpawnRejected``, a 422, and never counted toward ``consecutive_failure_limit``. What the
    cluster causes is a ``ClusterBroke``."""

    def __init__(
        self, rejection: Rejection, *, verdict: Verdict | None = None, user_caused: bool = False
    ) -> None:
        self.user_caused = user_caused
        super().__init__(rejection, verdict=verdict)

    def __str__(self) -> str:
        return f"{self.status_code} the spawn's pod could not start ({', '.join(self.codes)})"


class ClusterBroke(HTTPError):
    """The *cluster*, not the user's choice, ended the spawn: Kubernetes refused the create (an
    admission webhook that does not answer, the hub's RBAC; ``hub.refusals``), or kept the created
    pod from starting (a node that cannot pull, a mount that fails, an eviction, no room for too
    long; ``hub.backstop``). Told in a sentence like a rejection (``jupyterhub_message`` set
    everywhere), but a 5xx plain ``HTTPError`` (the rejection's own 5xx status, else 500), which
    JupyterHub 5 and 6 both count toward ``consecutive_failure_limit`` (6.x counts an
    ``HTTPError`` >= 500 as an error, never a ``SpawnException``): a hub whose cluster is broken
    should still say so and restart."""

    user_caused = False

    def __init__(self, rejection: Rejection, *, verdict: Verdict | None = None) -> None:
        self.rejection = rejection
        self.verdict = verdict
        self.codes = list(rejection.codes) or ["prevalidate"]
        HTTPError.__init__(self, rejection.status if rejection.status >= 500 else 500, "%s", rejection.text())
        self.jupyterhub_message = rejection.text()
        self.jupyterhub_html_message = rejection.html()

    def __str__(self) -> str:
        return f"{self.status_code} the cluster kept the server from starting ({', '.join(self.codes)})"


# One class, two names: the create-time refusals (hub.refusals) and the runtime backstop were
# built apart and meant the same thing — the cluster's failure, a counted 5xx. Both stay importable.
SpawnFailed = ClusterBroke
