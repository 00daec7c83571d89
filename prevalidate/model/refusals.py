"""What the apiserver said when it refused to create an object: its `Status` body, read.

Pure, no I/O here. KubeSpawner's create of the pod, the home PVC or the user namespace can be
refused after prevalidate allowed the spawn (a quota changed in between, another admission
webhook, prevalidate off or in dry run). The refusal arrives as an `ApiException` whose `body`
is a `metav1.Status`; ``parse_status`` turns it into a ``Refusal`` and ``refusal_findings`` into
findings, so the user reads our sentence with the numbers instead of the exception dump.

The texts, all from kube-apiserver (facts: kubernetes-behaviour.md §0.1, §1.5–1.6, §2.2;
admission-webhook.md §4.1, §4.3):
- every admission refusal is `<resource> "<name>" is forbidden: <error>` (403), except a
  webhook's denial, which is `admission webhook "<name>" denied the request: <message>` with
  the webhook's own code;
- ResourceQuota: `exceeded quota: <q>, requested: k=v,…, used: k=v,…, limited: k=v,…` and
  `failed quota: <q>: must specify <res> for: <containers>; …`;
- LimitRanger: `maximum cpu usage per Container is 2, but limit is 4` and its siblings, several
  at once as `[a, b]`;
- field validation: 422 `Pod "<name>" is invalid: …` with `details.causes`;
- a webhook that cannot be called under `failurePolicy: Fail`: 500 `Internal error occurred:
  failed calling webhook "<name>": failed to call webhook: <cause>`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any

from .findings import Code, Finding, Severity
from .quantity import parse_quantity

MAX_DETAIL = 300  # characters of a webhook's or a policy's message that we pass on
MAX_NAME = 253  # characters of a name read from a refusal (a DNS subdomain's most; input can be 100 kB)
MAX_CAUSES = 5
MAX_MISSING = 8  # resources one quota refusal names (requests/limits of cpu, memory, storage, a GPU)
MAX_CONTAINERS = 10  # containers named per resource (each a DNS label: 63 characters)


class RefusalKind(str, Enum):
    QUOTA_EXCEEDED = "quota-exceeded"
    QUOTA_MUST_SPECIFY = "quota-must-specify"
    QUOTA_OTHER = "quota"  # status unknown for quota, insufficient quota to consume
    LIMITRANGE = "limitrange"
    WEBHOOK_DENIED = "webhook-denied"
    WEBHOOK_UNAVAILABLE = "webhook-unavailable"
    POLICY_DENIED = "policy-denied"  # ValidatingAdmissionPolicy
    POD_SECURITY = "pod-security"
    INVALID = "invalid"  # 422 field validation
    FORBIDDEN = "forbidden"  # RBAC, or an admission plugin we do not know
    OTHER = "other"


# Refusals caused by the options the user chose (or the profile they picked): they must not
# count toward consecutive_failure_limit. Everything else is the cluster's or the hub's setup.
USER_CAUSED = frozenset({
    RefusalKind.QUOTA_EXCEEDED,
    RefusalKind.QUOTA_MUST_SPECIFY,
    RefusalKind.LIMITRANGE,
    RefusalKind.WEBHOOK_DENIED,
    RefusalKind.POLICY_DENIED,
    RefusalKind.POD_SECURITY,
    RefusalKind.INVALID,
})


@dataclass(frozen=True)
class QuotaExcess:
    resource: str
    requested: Decimal
    used: Decimal
    limited: Decimal


@dataclass(frozen=True)
class LimitBreach:
    """One LimitRanger complaint. ``observed`` is None when the value is missing."""

    resource: str
    scope: str  # Container, Pod, PersistentVolumeClaim
    bound: str  # max, min, ratio
    side: str  # limit, request, ratio
    enforced: str
    observed: str | None


@dataclass(frozen=True)
class Refusal:
    kind: RefusalKind
    status: int
    message: str  # the apiserver's message, one line, bounded
    resource: str = ""  # pods, persistentvolumeclaims, namespaces (from the message or details)
    name: str = ""
    quota: str = ""
    exceeded: tuple[QuotaExcess, ...] = ()
    must_specify: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (resource, containers)
    breaches: tuple[LimitBreach, ...] = ()
    source: str = ""  # the webhook, policy or Pod Security level that refused
    detail: str = ""  # what it said, one line, bounded, credentials masked
    causes: tuple[tuple[str, str], ...] = ()  # (field, message) of a 422

    @property
    def user_caused(self) -> bool:
        return self.kind in USER_CAUSED

    @property
    def transient(self) -> bool:
        """The cluster's refusal that should pass by itself: a webhook that did not answer, a
        quota the controller has not counted yet."""
        return self.kind in (RefusalKind.WEBHOOK_UNAVAILABLE, RefusalKind.QUOTA_OTHER)


_SECRETS = re.compile(
    r"(?i)(bearer\s+|basic\s+|(?:password|passwd|token|secret|api[_-]?key)[\"']?\s*[:=]\s*[\"']?)"
    r"[^\s\"',;]+"
)


def mask_secrets(text: str) -> str:
    """`token=abc`, `password: x`, `Bearer abc` … with the value replaced by `***` (a webhook's
    message or a container's log may carry one; neither may reach a page or a log line)."""
    return _SECRETS.sub(lambda m: m.group(1) + "***", text)


def one_line(text: str, most: int = MAX_DETAIL) -> str:
    """Whitespace runs as one space, credentials masked, control characters gone, bounded."""
    text = mask_secrets(" ".join(str(text).split()))
    text = "".join(ch for ch in text if ch.isprintable())
    return text if len(text) <= most else text[: most - 1].rstrip() + "…"


_FORBIDDEN = re.compile(r'^(?P<res>[a-z0-9.-]+)(?: "(?P<name>[^"]*)")? is forbidden: (?P<rest>.*)$', re.S)
_INVALID = re.compile(r'^(?P<kind>[A-Za-z]+) "(?P<name>[^"]*)" is invalid: (?P<rest>.*)$', re.S)
_WEBHOOK_DENIED = re.compile(
    r'admission webhook "(?P<name>[^"]+)" denied the request(?:: (?P<msg>.*)| without explanation)?$', re.S)
_WEBHOOK_FAILED = re.compile(r'failed calling webhook "(?P<name>[^"]+)": (?P<cause>.*)$', re.S)
_EXCEEDED = re.compile(
    r"exceeded quota: (?P<quota>[^,]+), requested: (?P<req>\S*), used: (?P<used>\S*), limited: (?P<lim>\S*)")
_MUST_SPECIFY = re.compile(r"failed quota: (?P<quota>[^:]+): must specify (?P<rest>.*)$", re.S)
_BOUND = re.compile(
    r"(?P<bound>maximum|minimum) (?P<res>\S+) usage per (?P<scope>Container|Pod|PersistentVolumeClaim) "
    r"is (?P<enf>[^,\s]+?)(?:, but (?P<side>limit|request) is (?P<obs>[^,\]\s]+)"
    r"|\.\s+No (?P<missing>limit|request) is specified)", re.I)
_RATIO = re.compile(
    # The resource starts where a name starts: a bare \S+ would be tried from every position
    # of a long token, O(n^2) on a 100 kB message (a minute of the hub's event loop).
    r"(?<![\w./-])(?P<res>[\w./-]+) max limit to request ratio per (?P<scope>Container|Pod) "
    r"is (?P<enf>[^,\s]+), but "
    r"(?:provided ratio is (?P<obs>[0-9.]+)|no (?P<missing>request|limit) is specified)")
_POLICY = re.compile(
    r"ValidatingAdmissionPolicy '(?P<policy>[^']+)' with binding '[^']*' denied request: (?P<msg>.*)$", re.S)
_POD_SECURITY = re.compile(r'violates PodSecurity "(?P<level>[^"]+)": (?P<msg>.*)$', re.S)


def _pairs(text: str) -> dict[str, Decimal]:
    values: dict[str, Decimal] = {}
    for item in filter(None, text.split(",")):
        key, _, value = item.partition("=")
        try:
            values[key] = parse_quantity(value)
        except ValueError:
            continue
    return values


def _listed(value: Any) -> list[Any]:
    """``details.causes`` as a list: a Status body of another shape (a number there) has none."""
    return value if isinstance(value, list) else []


def _body(body: Any) -> dict[str, Any]:
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError:
            return {"message": body}
    return body if isinstance(body, dict) else {}


def parse_status(status: int, body: Any, reason: str = "") -> Refusal:
    """Read a refusal from the HTTP status and the Status body (JSON text, bytes or a dict).
    Never raises: what cannot be read is a refusal of kind OTHER with whatever text there is."""
    data = _body(body)
    raw = data.get("message")
    message = raw if isinstance(raw, str) and raw else (str(data.get("reason") or reason or f"HTTP {status}"))
    code = data.get("code") if isinstance(data.get("code"), int) else status
    found_details = data.get("details")
    details: dict[str, Any] = found_details if isinstance(found_details, dict) else {}
    base: dict[str, Any] = {"status": int(code or status), "message": one_line(message, 1000),
                            "resource": one_line(str(details.get("kind") or ""), MAX_NAME),
                            "name": one_line(str(details.get("name") or ""), MAX_NAME)}
    if (found := _WEBHOOK_FAILED.search(message)) is not None:
        return Refusal(RefusalKind.WEBHOOK_UNAVAILABLE, **base, source=one_line(found["name"], MAX_NAME),
                       detail=one_line(found["cause"]))
    if (found := _WEBHOOK_DENIED.match(message)) is not None:
        return Refusal(RefusalKind.WEBHOOK_DENIED, **base, source=one_line(found["name"], MAX_NAME),
                       detail=one_line(found["msg"] or ""))
    invalid = _INVALID.match(message)
    if invalid is not None or (base["status"] == 422 and not _FORBIDDEN.match(message)):
        found = invalid
        causes = tuple(
            (str(c.get("field") or ""), one_line(str(c.get("message") or ""), 200))
            for c in _listed(details.get("causes")) if isinstance(c, dict))[:MAX_CAUSES]
        if found is not None:
            base["name"] = base["name"] or one_line(found["name"], MAX_NAME)
        return Refusal(RefusalKind.INVALID, **base, causes=causes,
                       detail=one_line(found["rest"]) if found else one_line(message))
    rest = message
    if (found := _FORBIDDEN.match(message)) is not None:
        base["resource"] = base["resource"] or one_line(found["res"], MAX_NAME)
        base["name"] = base["name"] or one_line(found["name"] or "", MAX_NAME)
        rest = found["rest"]
    return _forbidden(rest, base)


def _forbidden(rest: str, base: dict[str, Any]) -> Refusal:
    if (found := _EXCEEDED.search(rest)) is not None:
        requested, used, limited = _pairs(found["req"]), _pairs(found["used"]), _pairs(found["lim"])
        exceeded = tuple(
            QuotaExcess(key, requested[key], used.get(key, Decimal(0)), limited[key])
            for key in requested if key in limited)
        if exceeded:
            return Refusal(RefusalKind.QUOTA_EXCEEDED, **base, quota=found["quota"].strip(),
                           exceeded=exceeded)
    if (found := _MUST_SPECIFY.search(rest)) is not None:
        # One finding per missing resource: a message that is not the apiserver's (garbage, a
        # webhook's text) must not become thousands of findings or one finding repeated.
        missing: list[tuple[str, tuple[str, ...]]] = []
        for piece in found["rest"].split("; "):
            resource, _, containers = piece.partition(" for: ")
            names = tuple(one_line(c, 63) for c in containers.strip().split(",") if c)[:MAX_CONTAINERS]
            entry = (one_line(resource.strip(), MAX_NAME), names)
            if entry not in missing:
                missing.append(entry)
            if len(missing) == MAX_MISSING:
                break
        return Refusal(RefusalKind.QUOTA_MUST_SPECIFY, **base, quota=found["quota"].strip(),
                       must_specify=tuple(missing))
    if re.search(r"(status unknown for quota|insufficient quota to)", rest):
        return Refusal(RefusalKind.QUOTA_OTHER, **base, detail=one_line(rest))
    breaches = [_breach(m) for m in _BOUND.finditer(rest)] + [_ratio(m) for m in _RATIO.finditer(rest)]
    if breaches:
        return Refusal(RefusalKind.LIMITRANGE, **base, breaches=tuple(breaches))
    if (found := _POLICY.search(rest)) is not None:
        return Refusal(RefusalKind.POLICY_DENIED, **base, source=one_line(found["policy"], MAX_NAME),
                       detail=one_line(found["msg"]))
    if (found := _POD_SECURITY.search(rest)) is not None:
        return Refusal(RefusalKind.POD_SECURITY, **base, source=one_line(found["level"], MAX_NAME),
                       detail=one_line(found["msg"]))
    kind = RefusalKind.FORBIDDEN if base["status"] == 403 else RefusalKind.OTHER
    return Refusal(kind, **base, detail=one_line(rest))


def _breach(m: re.Match[str]) -> LimitBreach:
    bound = "max" if m["bound"].lower() == "maximum" else "min"
    if m["missing"]:
        return LimitBreach(m["res"], m["scope"], bound, m["missing"], m["enf"], None)
    return LimitBreach(m["res"], m["scope"], bound, m["side"], m["enf"], m["obs"])


def _ratio(m: re.Match[str]) -> LimitBreach:
    side = m["missing"] or "ratio"
    return LimitBreach(m["res"], m["scope"], "ratio", side, m["enf"], m["obs"])


def refusal_findings(refusal: Refusal) -> tuple[Finding, ...]:
    """The findings a refusal is told with: a quota's in the words of our own quota check
    (`quota-exceeded`, `quota-must-specify`), a webhook that could not be called as
    `admission-unavailable`, everything else as `create-refused`."""
    what = {"persistentvolumeclaims": "claim", "namespaces": "namespace"}.get(refusal.resource, "pod")
    if refusal.kind is RefusalKind.QUOTA_EXCEEDED:
        return tuple(
            Finding(Code.QUOTA_EXCEEDED, Severity.ERROR, subject=e.resource, facts={
                "quota": refusal.quota, "resource": e.resource, "requested": e.requested, "used": e.used,
                "hard": e.limited, "available": max(e.limited - e.used, Decimal(0)), "object": what,
                "refused": True})
            for e in refusal.exceeded)
    if refusal.kind is RefusalKind.QUOTA_MUST_SPECIFY:
        return tuple(
            Finding(Code.QUOTA_MUST_SPECIFY, Severity.ERROR, subject=resource, facts={
                "quota": refusal.quota, "field": resource, "containers": list(containers),
                "refused": True})
            for resource, containers in refusal.must_specify)
    facts: dict[str, Any] = {
        "kind": refusal.kind.value, "status": refusal.status, "object": what, "name": refusal.name,
        "source": refusal.source, "detail": refusal.detail,
    }
    if refusal.kind is RefusalKind.WEBHOOK_UNAVAILABLE:
        return (Finding(Code.ADMISSION_UNAVAILABLE, Severity.ERROR, subject=refusal.source, facts=facts),)
    facts["breaches"] = [
        {"resource": b.resource, "scope": b.scope, "bound": b.bound, "side": b.side,
         "enforced": b.enforced, "observed": b.observed} for b in refusal.breaches]
    facts["causes"] = [{"field": f, "message": m} for f, m in refusal.causes]
    return (Finding(Code.CREATE_REFUSED, Severity.ERROR, subject=refusal.kind.value, facts=facts),)
