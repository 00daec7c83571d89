"""Findings and verdicts: what a validator says about a spawn request.

Pure data, no I/O here. A finding carries a stable ``code`` (a contract: never renamed), a
severity and the numbers behind it (``facts``); the sentences a user reads are made from those facts in
``prevalidate.messages`` and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

MAX_TEXT = 200  # characters of one value a finding keeps (user input can be 100 kB)
MAX_ITEMS = 100  # items of one list a finding keeps (messages show fewer)
_UNPRINTABLE = re.compile(  # whitespace but " ", controls, bidi and invisible characters, surrogates
    r"[^\S ]|[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ud800-\udfff]"
)


def shown(text: str, most: int = MAX_TEXT) -> str:
    """A value fit for a one-line sentence: control, bidi and invisible characters escaped
    (``\\n``, ``\\u202e``), at most ``most`` characters (and how many there were)."""
    size = len(text)
    if size > most:
        text = text[:most]
    if not text.isprintable():
        text = _UNPRINTABLE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    if size <= most and len(text) <= most:
        return text
    return f"{text[: max(most - 30, 10)]}... ({size:,} characters)"


def bounded(value: Any) -> Any:
    """Facts as a finding keeps them: strings made printable and clipped, lists shortened."""
    if isinstance(value, str):
        return shown(value)
    if isinstance(value, (list, tuple)):
        items = [bounded(v) for v in value[:MAX_ITEMS]]
        return items if isinstance(value, list) else tuple(items)
    if isinstance(value, Mapping):
        return {bounded(k) if isinstance(k, str) else k: bounded(v) for k, v in value.items()}
    return value


class Severity(str, Enum):
    """``error`` rejects the spawn; ``warning`` and ``info`` never do."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class Code(str, Enum):
    """Stable finding codes. Messages may change; these may not (extend, don't rename)."""

    INPUT_INVALID = "input-invalid"
    NAMESPACE_NOT_FOUND = "namespace-not-found"
    QUOTA_EXCEEDED = "quota-exceeded"
    QUOTA_MUST_SPECIFY = "quota-must-specify"
    LIMITRANGE_VIOLATION = "limitrange-violation"
    NO_NODE_FITS = "no-node-fits"
    INSUFFICIENT_CAPACITY = "insufficient-capacity"
    IMAGE_REFERENCE_INVALID = "image-reference-invalid"
    IMAGE_REGISTRY_NOT_ALLOWED = "image-registry-not-allowed"
    IMAGE_NOT_FOUND = "image-not-found"
    IMAGE_ACCESS_DENIED = "image-access-denied"
    IMAGE_PLATFORM_UNSUPPORTED = "image-platform-unsupported"
    IMAGE_UNVERIFIED = "image-unverified"
    PVC_NOT_FOUND = "pvc-not-found"
    PVC_TERMINATING = "pvc-terminating"
    PVC_NOT_BOUND = "pvc-not-bound"
    PVC_IN_USE = "pvc-in-use"
    SECRET_NOT_FOUND = "secret-not-found"
    CONFIGMAP_NOT_FOUND = "configmap-not-found"
    PULL_SECRET_NOT_FOUND = "pull-secret-not-found"
    # Added later (extend, don't rename):
    SERVICEACCOUNT_NOT_FOUND = "serviceaccount-not-found"  # the apiserver refuses the pod (403)
    CHECK_SKIPPED = "check-skipped"  # an input could not be read; the check did not run (warning)
    SECRET_KEY_NOT_FOUND = "secret-key-not-found"  # the secret exists but lacks a key the pod reads
    CONFIGMAP_KEY_NOT_FOUND = "configmap-key-not-found"  # likewise for a config map
    RUNTIMECLASS_NOT_FOUND = "runtimeclass-not-found"  # the pod names a RuntimeClass that does not exist
    ADMISSION_REFUSED = "admission-refused"  # a mutating admission plugin refuses the pod (403)
    # a quota (or some of its resources) the resourcequota controller has not counted yet:
    # the apiserver does not enforce it, so neither do we (info)
    QUOTA_NOT_SYNCED = "quota-not-synced"
    PREEMPTION_EXPECTED = "preemption-expected"  # no room, but lower-priority pods make way (info)
    PRIORITYCLASS_NOT_FOUND = "priorityclass-not-found"  # the apiserver refuses the pod (403)
    # Kubernetes refused KubeSpawner's create after validation (model/refusals.py): a
    # LimitRange, a webhook's or a policy's denial, a 422, any other 403 (a quota's refusal is
    # told as quota-exceeded / quota-must-specify)
    CREATE_REFUSED = "create-refused"
    # a validating webhook could not be called and fails closed: the cluster's fault (503)
    ADMISSION_UNAVAILABLE = "admission-unavailable"
    # The runtime backstop (validators/backstop): the pod was created and then could not start.
    IMAGE_PULL_FAILED = "image-pull-failed"  # the node's pull says not found / denied / bad name
    NODE_CANNOT_PULL = "node-cannot-pull"  # the registry has it, the node cannot fetch it
    SCHEDULING_IMPOSSIBLE = "scheduling-impossible"  # FailedScheduling and no node could ever fit
    CAPACITY_WAIT_EXCEEDED = "capacity-wait-exceeded"  # no room freed up within capacity_wait
    AUTOSCALER_REFUSED = "autoscaler-refused"  # NotTriggerScaleUp / Karpenter cannot schedule
    VOLUME_ZONE_CONFLICT = "volume-zone-conflict"  # volume node affinity conflict
    CLAIM_UNBOUND = "claim-unbound"  # unbound immediate PersistentVolumeClaims
    MOUNT_FAILED = "mount-failed"  # FailedMount / FailedAttachVolume past the grace period
    CONTAINER_CONFIG_ERROR = "container-config-error"  # CreateContainerConfigError
    CONTAINER_CRASHED = "container-crashed"  # the notebook exited before it was ready
    OOM_KILLED = "oom-killed"  # the notebook used more memory than its limit
    EVICTED = "evicted"  # the kubelet evicted the pod
    POD_FAILED = "pod-failed"  # phase Failed for another reason (the kubelet refused it)
    ADMIN_FATAL_EVENT = "admin-fatal-event"  # an event matching c.Prevalidator.fatal_events


@dataclass(frozen=True)
class Finding:
    """One thing a validator found.

    ``subject`` names what the finding is about (a resource such as ``cpu``, an image, a PVC
    name); ``facts`` holds the numbers and names a message needs (requested, used, hard,
    largest node, candidates ...). Values in ``facts`` are plain data: str, int, bool,
    ``decimal.Decimal``, or lists/dicts of those.
    """

    code: Code
    severity: Severity
    subject: str = ""
    facts: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Facts echo user input into sentences, logs and JSON: never a 100 kB value whole, never
        # a newline or a bidi override that would forge or reorder a line of the message.
        object.__setattr__(self, "subject", bounded(self.subject))
        object.__setattr__(self, "facts", bounded(self.facts))

    @property
    def blocks(self) -> bool:
        return self.severity is Severity.ERROR


@dataclass(frozen=True)
class Verdict:
    """The outcome of all checks for one pod: allowed unless some finding is an error."""

    findings: tuple[Finding, ...] = ()

    @classmethod
    def of(cls, findings: Iterable[Finding]) -> Verdict:
        return cls(tuple(findings))

    @property
    def allowed(self) -> bool:
        return not any(f.blocks for f in self.findings)

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.blocks)

    def codes(self) -> list[str]:
        return [f.code.value for f in self.findings]
