"""Wording for what Kubernetes refused at create time, after prevalidate let the spawn begin
(``create-refused``, ``admission-unavailable``; facts from ``model.refusals``). A quota's
refusal is not here: it is told in the words of our own quota check.

Pure, no I/O here. The apiserver's text is never shown whole: the numbers are read out of it,
and only a webhook's or a policy's own message is passed on (one line, bounded, credentials
masked), because that is the message its author wrote for the user.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..amounts import amount, base_resource
from ..model.quantity import parse_quantity

_SCOPE = {"Container": "per container", "Pod": "for your whole server (pod)",
          "PersistentVolumeClaim": "per volume claim"}
_OBJECT = {"pod": "your server", "claim": "your server's storage (volume claim)",
           "namespace": "your namespace"}


def _value(resource: str, text: Any) -> str:
    try:
        return amount(resource, parse_quantity(str(text)))
    except ValueError:
        return f"{text} {base_resource(resource)}"


def _label(resource: str) -> str:
    base = base_resource(resource)
    return {"cpu": "CPU", "ephemeral-storage": "scratch disk"}.get(base, base)


def _breach(b: Mapping[str, Any]) -> str:
    resource, scope = str(b["resource"]), _SCOPE.get(str(b["scope"]), f"per {b['scope']}")
    what = f"{_label(resource)} {'limit' if b['side'] == 'limit' else 'guarantee'}"
    if b["bound"] == "ratio":
        if b["side"] == "ratio":
            return (f"The namespace allows a {_label(resource)} limit of at most {b['enforced']} times the "
                    f"guarantee {scope}, and yours is {b['observed']} times. Raise the guarantee or lower "
                    "the limit.")
        return (f"The namespace requires a {what} {scope} (the limit may be at most {b['enforced']} times "
                "the guarantee). Set one.")
    enforced = _value(resource, b["enforced"])
    most = "at most" if b["bound"] == "max" else "at least"
    if b.get("observed") is None:
        return f"The namespace requires a {what} {scope} ({most} {enforced}). Set one."
    return (f"The namespace allows {most} {enforced} ({what}) {scope}, and your server asked "
            f"for {_value(resource, b['observed'])}. Choose {most} {enforced}.")


def create_refused(f: Mapping[str, Any]) -> str:
    kind, source, detail = f["kind"], f.get("source") or "", f.get("detail") or ""
    what = _OBJECT.get(str(f.get("object")), "your server")
    if kind == "limitrange" and f.get("breaches"):
        return " ".join(_breach(b) for b in f["breaches"])
    said = f": {detail}" if detail else "."
    if kind == "webhook-denied":
        return f'The cluster\'s admission check "{source}" refused {what}{said}'
    if kind == "policy-denied":
        return f'The cluster policy "{source}" refused {what}{said}'
    if kind == "pod-security":
        return (f'{what[0].upper()}{what[1:]} breaks the namespace\'s Pod Security level "{source}"{said} '
                "Choose another profile, or ask your administrator.")
    if kind == "invalid":
        causes = [c for c in f.get("causes") or [] if c.get("message")]
        listed = "; ".join(f"{c['field']}: {c['message']}" if c.get("field") else str(c["message"])
                           for c in causes[:3]) or detail
        return f"Kubernetes refused the settings of {what}: {listed}. Choose other options."
    if kind == "quota":
        return (f"Kubernetes could not check {what} against the namespace quota yet{said} "
                "Try again in a minute.")
    if kind == "forbidden":
        return (f"Kubernetes refused to create {what}{said} This comes from the hub's or the cluster's "
                "setup, not from your choices.")
    return f"Kubernetes refused to create {what} (HTTP {f.get('status')}){said}"


def admission_unavailable(f: Mapping[str, Any]) -> str:
    what = _OBJECT.get(str(f.get("object")), "your server")
    return (f'The cluster\'s admission check "{f.get("source")}" did not answer, so Kubernetes would not '
            f"create {what}. This is not caused by your choices; try again in a few minutes.")
