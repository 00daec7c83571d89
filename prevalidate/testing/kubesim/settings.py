"""kubesim's own knobs (`kind: SimSettings`), the image catalogue and node pools.

These come from extra documents of `apiVersion: kubesim.prevalidate.dev/v1` in a cluster
file; a real cluster dump has none of them, so every field has a fast, deterministic default.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from .authz import ForbidRule

Obj = dict[str, Any]
API_VERSION = "kubesim.prevalidate.dev/v1"


@dataclass
class SimSettings:
    scheduler_delay: float = 0.0  # seconds before each scheduling pass
    kubelet_delay: float = 0.02  # seconds between binding and the kubelet's first action
    pull_seconds: float = 0.05  # how long a successful image pull takes
    image_backoff: float = 1.0  # first ImagePullBackOff period; doubles per failure
    max_image_backoff: float = 10.0
    retry_seconds: float = 2.0  # FailedMount / CreateContainerConfigError retry period
    event_burst: int = 25  # core/v1 recorder spam filter: events per (source, object) at once
    event_refill_seconds: float = 300.0  # then one more per this many seconds
    crash_backoff: float = 1.0  # first CrashLoopBackOff period (kubelet: 10 s); doubles per crash
    max_crash_backoff: float = 10.0  # (kubelet: 300 s)
    start_processes: bool = False  # really run the container command as a local process
    termination_seconds: float = 0.5  # cap on a graceful deletion in the simulation
    history: int = 10_000  # watch history length before a resourceVersion expires (410)
    preemption_messages: bool = True  # DefaultPreemption on: evicts lower-priority pods, says why not
    pod_gc_quarantine: float = 40.0  # seconds a pod's node may be missing before podgc deletes the pod
    autoscaler_interval: float = 0.2
    python: str | None = None  # interpreter whose bin/ dir is put first on a process's PATH
    bookmark_seconds: float = 60.0  # BOOKMARK period of a watch with allowWatchBookmarks
    user: str = "system:serviceaccount:jhub:hub"  # who the API says is asking, in 403s
    # how long the resourcequota controller takes to copy a new or edited spec.hard into
    # status.hard (0: at once); until then admission does not enforce what is not in status.hard
    quota_sync_seconds: float = 0.0
    # RBAC denials (authz.ForbidRule); mutable while running, so a test can "fix RBAC"
    forbid: list[ForbidRule] = field(default_factory=list)
    # kube-apiserver's --enable-admission-plugins / --disable-admission-plugins, and the
    # plugins' configuration as in an AdmissionConfiguration file (podadmission.py)
    enable_admission_plugins: list[str] = field(default_factory=list)
    disable_admission_plugins: list[str] = field(default_factory=list)
    admission_configuration: dict[str, Any] = field(default_factory=dict)
    # kubesim has no service network: a webhook's clientConfig.service ("<namespace>/<name>")
    # is reached at this "host:port"; TLS is still verified for <name>.<namespace>.svc
    webhook_services: dict[str, str] = field(default_factory=dict)

    _FIELDS: ClassVar[dict[str, str]] = {
        "schedulerDelaySeconds": "scheduler_delay",
        "kubeletDelaySeconds": "kubelet_delay",
        "pullSeconds": "pull_seconds",
        "imagePullBackOffSeconds": "image_backoff",
        "maxImagePullBackOffSeconds": "max_image_backoff",
        "retrySeconds": "retry_seconds",
        "eventBurst": "event_burst",
        "eventRefillSeconds": "event_refill_seconds",
        "crashLoopBackOffSeconds": "crash_backoff",
        "maxCrashLoopBackOffSeconds": "max_crash_backoff",
        "startProcesses": "start_processes",
        "terminationSeconds": "termination_seconds",
        "watchHistory": "history",
        "preemptionMessages": "preemption_messages",
        "podGCQuarantineSeconds": "pod_gc_quarantine",
        "autoscalerIntervalSeconds": "autoscaler_interval",
        "python": "python",
        "bookmarkSeconds": "bookmark_seconds",
        "user": "user",
        "forbid": "forbid",
        "quotaSyncSeconds": "quota_sync_seconds",
        "enableAdmissionPlugins": "enable_admission_plugins",
        "disableAdmissionPlugins": "disable_admission_plugins",
        "admissionConfiguration": "admission_configuration",
        "webhookServices": "webhook_services",
    }

    def update(self, spec: Obj) -> None:
        for key, value in spec.items():
            attr = self._FIELDS.get(key)
            if attr is None:
                raise ValueError(
                    f"SimSettings: unknown field {key!r} (known: {', '.join(sorted(self._FIELDS))})"
                )
            if attr == "forbid":
                value = [ForbidRule.from_spec(rule) for rule in value or []]
            setattr(self, attr, value)


@dataclass
class CatalogImage:
    exists: bool = True
    platforms: tuple[str, ...] = ("linux/amd64", "linux/arm64")
    size: int = 123_456_789
    digest: str = "sha256:" + "0" * 64
    denied: bool = False
    credentials: tuple[str, ...] = ()  # "user:password" pairs that may pull (private image)
    # what a container of this image does once started (lifecycle.py)
    exit_code: int | None = None  # exits with this code after run_seconds (non-zero: a crash)
    oom_killed: bool = False  # killed by the OOM killer after run_seconds (exit 137)
    evicted: bool = False  # its pod is evicted (node memory pressure) after run_seconds
    start_error: bool = False  # the command is not in the image: RunContainerError / StartError
    run_seconds: float = 0.0
    logs: tuple[str, ...] = ()  # the lines each run prints (pods/{name}/log)
    # pulls: the first N pulls of a pod fail with a transient error, then pull normally
    transient_failures: int = 0
    transient_error: str = "429"  # 429, 502 (token endpoint), qps (kubelet throttle), timeout
    pull_seconds: float | None = None  # this image's pull time (default: SimSettings.pullSeconds)

    @property
    def behaves(self) -> bool:
        return (self.exit_code is not None or self.oom_killed or self.evicted or self.start_error
                or bool(self.logs))


@dataclass
class ImageCatalog:
    images: dict[str, CatalogImage] = field(default_factory=dict)  # normalised ref -> facts
    http_registries: list[str] = field(default_factory=list)  # host[:port] really asked
    unknown_host: str = "unreachable"  # or "notFound": images on hosts the catalogue lacks


@dataclass
class NodePool:
    name: str
    template: Obj
    max_count: int
    provision_seconds: float = 1.0
    ready_seconds: float = 0.0  # registered NotReady (not-ready:NoSchedule taint) this long


@dataclass
class SimConfig:
    settings: SimSettings = field(default_factory=SimSettings)
    catalog: ImageCatalog = field(default_factory=ImageCatalog)
    pools: list[NodePool] = field(default_factory=list)
