"""Every sentence a user reads: this package is the one place wording lives.

Pure, no I/O here. Each finding becomes short, plain sentences: what was asked, what is
available, what would pass. Numbers come from the finding's facts; units are the ones a person
types in a spawn form (CPUs, GiB), not Kubernetes internals. One module per family of findings
(inputs, resources, objects, scheduling); this module maps codes to them and orders a verdict's
sentences; ``rejection`` assembles them into the one message every front end shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..amounts import amount, base_resource, json_safe
from ..model.findings import Code, Finding, Severity, Verdict
from ..model.settings import DEFAULT_ADMIN_CONTACT
from .admission import admission_refused, runtimeclass_not_found
from .inputs import input_invalid, namespace, options_unusable
from .objects import image, key_missing, object_missing, pvc
from .refusals import admission_unavailable, create_refused
from .resources import (
    insufficient,
    limitrange,
    must_specify,
    no_node_fits,
    quota_exceeded,
    quota_not_synced,
)
from .runtime import RENDERERS as _RUNTIME
from .scheduling import pinned_no_fit_or, pinned_no_room_or, preemption_expected, priority_class_missing

__all__ = [
    "amount",
    "base_resource",
    "finding_json",
    "headline",
    "options_unusable",
    "ordered",
    "render",
    "render_verdict",
    "sentences",
    "told",
]


_RENDERERS: dict[Code, Callable[[Mapping[str, Any]], str]] = {
    Code.INPUT_INVALID: input_invalid,
    Code.NAMESPACE_NOT_FOUND: namespace,
    Code.QUOTA_EXCEEDED: quota_exceeded,
    Code.QUOTA_MUST_SPECIFY: must_specify,
    Code.QUOTA_NOT_SYNCED: quota_not_synced,
    Code.LIMITRANGE_VIOLATION: limitrange,
    Code.NO_NODE_FITS: pinned_no_fit_or(no_node_fits),
    Code.INSUFFICIENT_CAPACITY: pinned_no_room_or(insufficient),
    Code.PREEMPTION_EXPECTED: preemption_expected,
    Code.PRIORITYCLASS_NOT_FOUND: priority_class_missing,
    Code.SECRET_NOT_FOUND: object_missing("secret"),
    Code.CONFIGMAP_NOT_FOUND: object_missing("config map"),
    Code.SECRET_KEY_NOT_FOUND: key_missing("secret"),
    Code.CONFIGMAP_KEY_NOT_FOUND: key_missing("config map"),
    Code.PULL_SECRET_NOT_FOUND: lambda f: (
        f'The image pull secret "{f["name"]}" does not exist in namespace {f["namespace"]}; private '
        "images may fail to pull."
    ),
    Code.SERVICEACCOUNT_NOT_FOUND: lambda f: (
        f'The service account "{f["name"]}" does not exist in namespace {f["namespace"]}. '
        "Choose another profile, or ask your administrator to create it."
    ),
    Code.RUNTIMECLASS_NOT_FOUND: runtimeclass_not_found,
    Code.ADMISSION_REFUSED: admission_refused,
    Code.CREATE_REFUSED: create_refused,
    Code.ADMISSION_UNAVAILABLE: admission_unavailable,
    Code.CHECK_SKIPPED: lambda f: (
        f"The {f['kind']} check could not run on these options and was skipped; your server will still start."
        if f.get("failed")
        else f"The hub could not read {f['kind']} objects, so that check was skipped."
    ),
}
for _code in (
    Code.IMAGE_REFERENCE_INVALID,
    Code.IMAGE_REGISTRY_NOT_ALLOWED,
    Code.IMAGE_NOT_FOUND,
    Code.IMAGE_ACCESS_DENIED,
    Code.IMAGE_PLATFORM_UNSUPPORTED,
    Code.IMAGE_UNVERIFIED,
):
    _RENDERERS[_code] = image(_code)
for _code in (Code.PVC_NOT_FOUND, Code.PVC_TERMINATING, Code.PVC_NOT_BOUND, Code.PVC_IN_USE):
    _RENDERERS[_code] = pvc(_code)
_RENDERERS.update(_RUNTIME)  # the runtime backstop's codes


def render(finding: Finding, overrides: Mapping[str, str] | None = None) -> str:
    """The sentence(s) for one finding. ``overrides`` maps a code to a format string that may
    use the finding's facts (``{requested}``...); a broken override falls back to ours."""
    template = (overrides or {}).get(finding.code.value)
    if template:
        try:
            return template.format(**finding.facts, subject=finding.subject)
        except (KeyError, IndexError, ValueError):
            pass
    return _RENDERERS[finding.code](finding.facts)


_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


def ordered(verdict: Verdict) -> list[Finding]:
    """Errors first, then warnings, then notes; stable within each."""
    return sorted(verdict.findings, key=lambda f: _ORDER[f.severity])


def _twin_key(finding: Finding) -> tuple[Any, ...] | None:
    """Request and limit of one resource over one quota by the same amounts (a spawn form sets
    both to one value) say the same thing twice; this key finds such pairs."""
    f = finding.facts
    resource = str(f.get("resource", ""))
    if finding.code is not Code.QUOTA_EXCEEDED or not resource.startswith(("requests.", "limits.")):
        return None
    return (f.get("quota"), base_resource(resource), f.get("requested"), f.get("used"), f.get("hard"))


def told(verdict: Verdict, overrides: Mapping[str, str] | None = None) -> list[tuple[Finding, str]]:
    """(finding, its sentence) in ``ordered`` order, a request/limit twin told once."""
    findings = ordered(verdict)
    keys = [_twin_key(f) for f in findings]
    out: list[tuple[Finding, str]] = []
    for index, finding in enumerate(findings):
        key = keys[index]
        if key is not None and key in keys[:index]:
            continue  # said with its twin
        if key is not None and keys.count(key) > 1:
            base = base_resource(str(finding.facts["resource"]))
            label = {"cpu": "CPU", "memory": "memory"}.get(base, base)
            facts = {**finding.facts, "what": f"{label} guarantee and limit"}
            finding = Finding(finding.code, finding.severity, finding.subject, facts)
        out.append((finding, render(finding, overrides)))
    return out


def sentences(verdict: Verdict, overrides: Mapping[str, str] | None = None) -> list[str]:
    """``render`` of each finding in ``ordered`` order, a request/limit twin read as one."""
    return [sentence for _, sentence in told(verdict, overrides)]


def render_verdict(
    verdict: Verdict, admin_contact: str = DEFAULT_ADMIN_CONTACT, overrides: Mapping[str, str] | None = None
) -> list[str]:
    """One line per finding in ``ordered`` order, then the admin contact line (only when
    something is wrong)."""
    lines = sentences(verdict, overrides)
    if admin_contact and any(f.severity is not Severity.INFO for f in verdict.findings):
        lines.append(admin_contact)
    return lines


def headline(verdict: Verdict) -> str:
    errors = len(verdict.errors)
    if errors:
        return "Your server cannot start with these options:" if errors > 1 else "Your server cannot start:"
    if any(f.severity is Severity.WARNING for f in verdict.findings):
        return "Your server can start, with warnings:"
    return "Your server can start:" if verdict.findings else "Your server can start."


def finding_json(finding: Finding, overrides: Mapping[str, str] | None = None) -> dict[str, Any]:
    return {
        "code": finding.code.value,
        "severity": finding.severity.value,
        "message": render(finding, overrides),
        "subject": finding.subject,
        **json_safe(dict(finding.facts)),
    }
