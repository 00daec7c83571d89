"""``prevalidate audit``: the hub's profile list, from its ``jupyterhub_config.py``, against a
cluster file or the live cluster — without starting a hub.

The configuration is loaded with traitlets' own loader (as JupyterHub loads it), the spawner
class it names (``c.JupyterHub.spawner_class``; KubeSpawner when unset) is built with that
configuration, a stand-in user (``--user``, else ``AUDIT_USER``) and hub URLs, and
``hub.audit`` does the rest. With ``--cluster`` nothing talks to Kubernetes: KubeSpawner's
constructor insists on a client configuration, so it is given one that points nowhere (no
request is ever made; the pods are only serialized). Without ``--cluster`` the kubeconfig (or
the in-cluster account) is read as KubeSpawner reads it and the cluster is listed once.

Every problem with the inputs is an ``AuditInputError``: one line, exit 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import os
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..kube.dump import InputFileError, load_cluster
from ..model.cluster import ClusterView
from ..model.findings import shown
from ..model.settings import Settings
from .audit import AuditReport, NoProfiles, audit_spawner

# The made-up user without --user: its pod and claim names are KubeSpawner's for this name, and
# a missing object named after it does not decide an entry (``validators.audit.classify``).
AUDIT_USER = "prevalidate-audit"
LIVE_READY_TIMEOUT = 30.0
EXIT_FITS, EXIT_NEVER, EXIT_UNUSABLE = 0, 1, 2
log = logging.getLogger("prevalidate")

_NOWHERE = """apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:9"}}]
users: [{name: none, user: {}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
"""


class AuditInputError(Exception):
    """The configuration, the cluster or the spawner cannot be used (one line, exit 2)."""


@dataclass(frozen=True)
class AuditUser:
    """What KubeSpawner reads of JupyterHub's ``User`` to name and build a pod."""

    name: str
    id: int = 0

    @property
    def url(self) -> str:
        return f"/user/{self.name}/"


@dataclass(frozen=True)
class AuditHub:
    """What a spawner reads of JupyterHub's ``Hub`` (the pod's environment)."""

    public_host: str = ""
    url: str = "http://hub:8081/hub/"
    base_url: str = "/hub/"
    api_url: str = "http://hub:8081/hub/api"


def load_hub_config(path: str) -> Any:
    """``jupyterhub_config.py`` as JupyterHub loads it (``get_config()`` works in it)."""
    from traitlets.config.loader import PyFileConfigLoader

    file = Path(path)
    if not file.is_file():
        raise AuditInputError(f"--config {shown(path)}: no such file")
    try:
        return PyFileConfigLoader(file.name, path=str(file.parent.resolve())).load_config()
    except Exception as exc:  # the file is Python: anything may go wrong in it
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise AuditInputError(
            f"--config {shown(path)}: cannot load it ({type(exc).__name__}: {shown(first, 200)})"
        ) from None


def spawner_class(config: Any) -> type:
    """The configured spawner class, which must be a KubeSpawner (profiles are KubeSpawner's)."""
    from kubespawner import KubeSpawner

    configured = config.JupyterHub.get("spawner_class", "kubespawner.KubeSpawner")
    cls = configured if isinstance(configured, type) else _import_spawner(str(configured))
    if not (isinstance(cls, type) and issubclass(cls, KubeSpawner)):
        raise AuditInputError(
            f"c.JupyterHub.spawner_class = {shown(str(configured))} is not a KubeSpawner: "
            "only KubeSpawner profile lists can be audited"
        )
    return cls


def _import_spawner(name: str) -> Any:
    from importlib.metadata import entry_points

    from traitlets import import_item

    try:
        if "." in name:
            return import_item(name)
        for point in entry_points(group="jupyterhub.spawners"):
            if point.name == name:
                return point.load()
    except Exception as exc:
        raise AuditInputError(
            f"c.JupyterHub.spawner_class = {shown(name)}: cannot import it ({exc})"
        ) from None
    raise AuditInputError(f"c.JupyterHub.spawner_class = {shown(name)}: no such spawner")


def audit_settings(config: Any, offline: bool) -> tuple[Settings, float, dict[str, str]]:
    """``c.Prevalidator`` read as the hub reads it: settings, time budget, message overrides."""
    from .config import Prevalidator

    try:
        traits = Prevalidator(config=config)
        settings = traits.settings()
    except Exception as exc:
        raise AuditInputError(
            f"c.Prevalidator: {shown(str(exc).splitlines()[0] if str(exc) else '?')}"
        ) from None
    if offline:
        settings = replace(settings, offline=True)
    return settings, float(traits.time_budget), dict(traits.messages)


@contextlib.contextmanager
def _kubeconfig_nowhere() -> Iterator[None]:
    """KubeSpawner's constructor loads a client configuration; a dump audit must not depend on
    (or touch) the user's kubeconfig, so it gets one that points nowhere for the run."""
    from kubernetes_asyncio.config import kube_config

    with tempfile.TemporaryDirectory(prefix="prevalidate-audit-") as tmp:
        path = os.path.join(tmp, "kubeconfig")
        Path(path).write_text(_NOWHERE)
        saved = kube_config.KUBE_CONFIG_DEFAULT_LOCATION
        kube_config.KUBE_CONFIG_DEFAULT_LOCATION = path
        try:
            yield
        finally:
            kube_config.KUBE_CONFIG_DEFAULT_LOCATION = saved


def build_spawner(config: Any, user: str) -> Any:
    """The configured spawner for ``user``, outside any hub. Its own prevalidation is off (the
    audit validates each pod itself, and a spawner must not start the hub's watch caches)."""
    cls = spawner_class(config)
    own = copy.deepcopy(config)
    own.Prevalidator.enabled = False
    try:
        return cls(config=own, user=AuditUser(user), hub=AuditHub(), user_options={})
    except Exception as exc:
        raise AuditInputError(
            f"cannot build the spawner {cls.__name__}: {shown(str(exc) or type(exc).__name__)}"
        ) from None


@contextlib.asynccontextmanager
async def live_view(namespaces: tuple[str, ...] | None) -> AsyncIterator[ClusterView]:
    """The live cluster (listed once, watched while the audit runs) through the client
    configuration KubeSpawner loaded."""
    from kubernetes_asyncio.client import ApiClient

    from ..kube.live import LiveCluster

    # The cache logs each outage and retry; for a command that is noise around one answer:
    # kept, then printed once as warnings if the audit runs, replaced by one line if not.
    said = _Collected()
    cache_log = logging.getLogger("prevalidate.audit.live")
    cache_log.propagate = False
    cache_log.addHandler(said)
    try:
        async with ApiClient() as api:
            live = LiveCluster(api, namespaces=namespaces, log=cache_log)
            await live.start()
            try:
                if not await live.wait_ready(LIVE_READY_TIMEOUT):
                    known = ", ".join(sorted(live.view.known)) or "nothing"
                    raise AuditInputError(
                        f"the cluster could not be listed within {LIVE_READY_TIMEOUT:.0f} s "
                        f"(known so far: {known}); pass --cluster"
                    )
                for line in dict.fromkeys(said.lines):
                    print(f"prevalidate: warning: {line}", file=sys.stderr)
                yield live.view
            finally:
                await live.stop()
    finally:
        cache_log.removeHandler(said)


class _Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage().removeprefix("prevalidate: "))


async def run_audit(
    config_path: str, cluster_path: str | None, user: str | None, offline: bool
) -> AuditReport:
    config = load_hub_config(config_path)
    settings, budget, overrides = audit_settings(config, offline)
    dump: ClusterView | None = None
    if cluster_path is not None:
        try:
            dump = load_cluster(
                cluster_path, warn=lambda line: print(f"prevalidate: warning: {line}", file=sys.stderr)
            )
        except InputFileError as exc:
            raise AuditInputError(str(exc)) from None
    with _kubeconfig_nowhere() if dump is not None else contextlib.nullcontext():
        spawner = build_spawner(config, user or AUDIT_USER)
        async with contextlib.AsyncExitStack() as stack:
            if dump is not None:
                view = dump
            else:
                scope = None if spawner.enable_user_namespaces else (str(spawner.namespace),)
                view = await stack.enter_async_context(live_view(scope))
            registry: Any = None
            if not settings.offline:
                from ..registry import RegistryClient

                registry = await stack.enter_async_context(
                    RegistryClient(
                        allowed_registries=settings.allowed_registries,
                        insecure_registries=settings.insecure_registries,
                        time_budget=budget,
                    )
                )
            try:
                return await audit_spawner(
                    spawner, settings, view, registry, overrides=overrides, stand_in=user is None
                )
            except NoProfiles as exc:
                raise AuditInputError(f"--config {shown(config_path)}: {exc}") from None


def table_lines(report: AuditReport) -> list[str]:
    """The audit as ``prevalidate audit`` prints it: one row per entry, the reasons under the
    entries that cannot start, a summary line."""
    rows = [
        (
            e.profile,
            " ".join(f"{k}={v}" for k, v in e.options.items()) or "-",
            e.verdict,
            ", ".join(e.outcome.codes),
        )
        for e in report.entries
    ]
    header = ("PROFILE", "OPTIONS", "VERDICT", "CODES")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    lines = []
    for i, row in enumerate([header, *rows]):
        lines.append("  ".join(cell.ljust(widths[n]) for n, cell in enumerate(row[:3])) + "  " + row[3])
        if i and report.entries[i - 1].verdict != "fits":
            lines += [f"    {reason}" for reason in report.entries[i - 1].reasons]
    counts = {v: sum(e.verdict == v for e in report.entries) for v in ("fits", "not-now", "never")}
    profiles = len(dict.fromkeys(e.profile for e in report.entries))
    lines.append(
        f"{profiles} profiles, {len(report.entries)} entries: {counts['fits']} fit, "
        f"{counts['not-now']} do not fit now, {counts['never']} can never start ({report.seconds:.2f} s)"
    )
    return [line.rstrip() for line in lines]


def run(args: Any) -> int:
    """``prevalidate audit``: 0 when no entry is "never", 1 when one is, 2 for unusable input."""
    try:
        report = asyncio.run(run_audit(args.config, args.cluster, args.user, args.offline))
    except AuditInputError as exc:
        print(f"prevalidate: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    for note in report.notes:
        print(f"prevalidate: note: {note}", file=sys.stderr)
    if args.json:
        print(json.dumps(report.json(), indent=2))
    else:
        print("\n".join(table_lines(report)))
    return EXIT_NEVER if report.any_never else EXIT_FITS
