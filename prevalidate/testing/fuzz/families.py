"""The input-family fuzz: hostile inputs other than pod manifests, each through the code that
reads it in production, driven by hypothesis (a fixed seed, so a run is reproducible).

Families here (the admission webhook's is in ``benchmarks/input_fuzz.py``: the core may not
import the webhook package):

- ``refusals``: apiserver Status bodies (JSON text, bytes that are not UTF-8, objects of any
  shape, real refusal sentences with hostile values inserted) through ``parse_status``,
  ``refusal_findings`` and every message;
- ``registry-parsing``: ``WWW-Authenticate`` values, content types, manifest and index bodies,
  digests and token JSON through the registry client's parsing functions;
- ``registry``: scripted registry conversations (any status, hostile challenges and realms,
  redirects, garbage bodies, token JSON) through the whole ``RegistryClient`` and the service;
- ``scalars``: quantities and image references as free text, through their parsers and a pod;
- ``options``: user_options as the REST API receives them (any JSON value per key) through
  KubeSpawner's ``load_user_options`` on a shadow spawner and the pod it builds.

A failure is an exception escaping, a guarded failure (prevalidate logged a traceback and went
on unchecked), a message longer than ``MAX_MESSAGE`` or holding more than 200 characters of
a 100 kB value, an answer of the wrong kind (a garbage registry reply read as "not found"),
or a case slower than ``HANG_SECONDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from ...messages import finding_json, headline, render, render_verdict
from ...messages.rejection import Rejection
from ...model.findings import Verdict
from ...model.refusals import parse_status, refusal_findings
from .hostile import HUGE, MARK, json_values, texts

MAX_MESSAGE = 4096  # characters in one rendered message
MAX_LINE = 600  # characters in one error line
HANG_SECONDS = 30.0  # one case; generous: the machine may be loaded


@dataclass
class Tally:
    """What one family's cases did."""

    family: str
    cases: int = 0
    seconds: float = 0.0
    slowest: float = 0.0
    outcomes: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)

    def fail(self, kind: str, signature: str, detail: str = "") -> None:
        key = f"[{kind}] {signature}"
        self.hits[key] += 1
        self.failures.setdefault(key, detail[:500])

    @property
    def crashes(self) -> int:
        return sum(self.hits.values())

    def summary(self) -> str:
        lines = [
            f"{self.family}: {self.cases:,} cases in {self.seconds:.1f} s, {self.crashes:,} failures; "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(self.outcomes.items()))
        ]
        for key, count in self.hits.most_common():
            lines.append(f"  {key} x{count:,}\n      {self.failures[key]}")
        return "\n".join(lines)


def close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left in ``loop`` (KubeSpawner's client closer, a validation past its
    budget), let it finish, then close the loop."""
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()

    async def finish() -> None:
        await asyncio.gather(*pending, return_exceptions=True)

    if pending:
        loop.run_until_complete(finish())
    loop.close()


def signature(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/testing/fuzz/" not in f.filename]
    where = (
        f"{frames[-1].filename.rsplit('/', 2)[-1]}:{frames[-1].lineno} ({frames[-1].name})" if frames else "?"
    )
    return f"{type(exc).__name__} at {where}"


class Guarded(logging.Handler):
    """Records with a traceback that prevalidate logged while it carried on (a guard caught
    a bug: a check skipped, a lookup unverified, a review allowed unchecked)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info:
            exc = record.exc_info[1]
            self.seen.append(signature(exc) if exc else record.getMessage()[:200])


def bounded(text: str, tally: Tally, what: str, most: int = MAX_MESSAGE) -> None:
    """``text`` (a message a user or an admin reads) is bounded and does not echo a huge value."""
    if len(text) > most:
        tally.fail("unbounded", f"{what} of {len(text):,} characters", text[:300])
    elif MARK in text:
        tally.fail("unbounded", f"{what} holds more than 200 characters of a 100 kB value", text[:300])


def check_verdict(verdict: Verdict, tally: Tally, what: str) -> None:
    for finding in verdict.findings:
        bounded(render(finding), tally, f"{what}: {finding.code.value} message")
        json.dumps(finding_json(finding))
    for line in render_verdict(verdict):
        bounded(line, tally, f"{what}: verdict line")
    headline(verdict)


def drive(
    tally: Tally, strategy: st.SearchStrategy[Any], check: Callable[[Any, Tally], None], count: int, seed: int
) -> Tally:
    """Run ``check`` on ``count`` values hypothesis draws from ``strategy`` with ``seed``;
    failures are tallied, never raised (hypothesis would stop and shrink at the first)."""
    guarded = Guarded()
    logger = logging.getLogger("prevalidate")
    logger.addHandler(guarded)
    began = time.perf_counter()

    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @hypothesis_seed(seed)
    @given(strategy)
    def one(value: Any) -> None:
        if tally.cases >= count:
            return
        started = time.perf_counter()
        guarded.seen.clear()
        try:
            check(value, tally)
        except Exception as exc:
            tally.fail("exception", signature(exc), repr(exc)[:500])
        for seen in guarded.seen:
            tally.fail("guarded", seen)
        took = time.perf_counter() - started
        tally.slowest = max(tally.slowest, took)
        if took > HANG_SECONDS:
            tally.fail("hang", f"a case took {took:.0f} s", repr(value)[:300])
        tally.cases += 1

    try:
        one()
    finally:
        logger.removeHandler(guarded)
        tally.seconds = time.perf_counter() - began
    return tally


# ---- refusals: apiserver Status bodies ------------------------------------------------------

_REFUSALS = (
    'pods "{0}" is forbidden: exceeded quota: {1}, requested: cpu={2}, used: cpu={3}, limited: cpu={2}',
    'pods "{0}" is forbidden: maximum cpu usage per Container is {1}, but limit is {2}',
    'pods "{0}" is forbidden: [minimum memory usage per Pod is {1}.  No request is specified]',
    'pods "{0}" is forbidden: cpu max limit to request ratio per Container is {1}, but provided ratio is {2}',
    'pods "{0}" is forbidden: failed quota: {1}: must specify {2}',
    'pods "{0}" is forbidden: violates PodSecurity "{1}": {2}',
    'admission webhook "{0}" denied the request: {1}',
    'Internal error occurred: failed calling webhook "{0}": {1}',
    'Pod "{0}" is invalid: {1}',
    "ValidatingAdmissionPolicy '{0}' with binding '{1}' denied request: {2}",
    'namespaces "{0}" not found',
    "{0}",
)
_STATUS_KEYS = st.sampled_from(
    ("kind", "apiVersion", "status", "message", "reason", "details", "code", "causes", "field", "name")
)


@st.composite
def status_bodies(draw: st.DrawFn) -> tuple[int, Any, str]:
    status = draw(st.one_of(st.sampled_from((400, 403, 404, 409, 422, 429, 500, 503)), st.integers(-1, 999)))
    template = draw(st.sampled_from(_REFUSALS))
    message = template.format(*(draw(texts()) for _ in range(4)))
    body: Any = draw(
        st.one_of(
            st.fixed_dictionaries(
                {"kind": st.just("Status"), "status": st.just("Failure"), "message": st.just(message)},
                optional={
                    "code": st.one_of(st.just(status), json_values()),
                    "reason": json_values(),
                    "details": st.one_of(
                        st.fixed_dictionaries(
                            {},
                            optional={
                                "name": json_values(),
                                "kind": json_values(),
                                "causes": st.one_of(
                                    st.lists(json_values(_STATUS_KEYS), max_size=5), json_values()
                                ),
                            },
                        ),
                        json_values(),
                    ),
                },
            ),
            json_values(_STATUS_KEYS),
            st.just(message),
            st.binary(max_size=200),
        )
    )
    form = draw(st.sampled_from(("object", "json", "bytes")))
    if form != "object" and not isinstance(body, (str, bytes)):
        with contextlib.suppress(ValueError, RecursionError):
            body = json.dumps(body)
    if form == "bytes" and isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    return status, body, draw(texts())


def check_refusal(value: tuple[int, Any, str], tally: Tally) -> None:
    status, body, reason = value
    refusal = parse_status(status, body, reason)
    tally.outcomes[refusal.kind.value] += 1
    for part in (refusal.message, refusal.detail, refusal.name, refusal.resource, refusal.source):
        if len(part) > 1000:  # parse_status bounds what it keeps; messages clip further
            tally.fail("unbounded", f"a refusal field of {len(part):,} characters", part[:300])
    for finding in refusal_findings(refusal):
        bounded(render(finding), tally, f"refusal {finding.code.value} message")
        json.dumps(finding_json(finding))
    told = Rejection.refused(refusal, "Write to hub-admins@example.org.")  # what the spawn page says
    if not 400 <= told.status <= 599:
        tally.fail("wrong", f"a refusal told with HTTP {told.status}")
    for sentence in told.sentences():
        bounded(sentence, tally, "refusal sentence")
    bounded(told.text(), tally, "refusal text", MAX_MESSAGE * 2)


# ---- scalars: quantities and image references as free text ---------------------------------


def check_scalar(value: tuple[str, str], tally: Tally) -> None:
    from ...model.quantity import parse_quantity
    from ...model.settings import Settings
    from ...registry.reference import parse_image_reference
    from ...validators import run_all

    quantity, image = value
    try:
        parse_quantity(quantity)
        tally.outcomes["quantity-valid"] += 1
    except ValueError:
        tally.outcomes["quantity-invalid"] += 1
    try:
        parse_image_reference(image)
        tally.outcomes["image-valid"] += 1
    except ValueError:
        tally.outcomes["image-invalid"] += 1
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "jupyter-fuzz", "namespace": "default"},
        "spec": {
            "containers": [
                {
                    "name": "notebook",
                    "image": image,
                    "resources": {"requests": {"cpu": quantity, "memory": quantity}},
                }
            ]
        },
    }
    verdict = run_all(pod, SCALAR_VIEW, Settings(offline=True))
    check_verdict(verdict, tally, "scalar pod")


def _scalar_view() -> Any:
    from ...kube.dump import cluster_from_objects

    return cluster_from_objects(
        [
            {"kind": "Namespace", "metadata": {"name": "default"}},
            {"kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "default"}},
            {
                "kind": "Node",
                "metadata": {
                    "name": "n1",
                    "labels": {"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux"},
                },
                "status": {"allocatable": {"cpu": "8", "memory": "32Gi", "pods": "110"}},
            },
        ],
        "fuzz",
    )


SCALAR_VIEW = _scalar_view()
_QUANTITY_LIKE = st.from_regex(r"\A[+-]?[0-9]{0,6}(\.[0-9]{0,4})?([eE][+-]?[0-9]{1,4}|[mkMGTPEu]i?|n)?\Z")
_IMAGE_LIKE = st.from_regex(
    r"\A([a-z0-9.-]{1,20}(:[0-9]{1,5})?/)?[a-z0-9._/-]{1,30}(:[\w.-]{1,20})?(@sha256:[0-9a-f]{0,64})?\Z"
)
SCALARS = st.tuples(st.one_of(_QUANTITY_LIKE, texts()), st.one_of(_IMAGE_LIKE, texts()))
STATUS_BODIES = status_bodies()


__all__ = [
    "HUGE",
    "SCALARS",
    "STATUS_BODIES",
    "Guarded",
    "Tally",
    "bounded",
    "check_refusal",
    "check_scalar",
    "check_verdict",
    "close_loop",
    "drive",
    "signature",
]
