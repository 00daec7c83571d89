"""``prevalidate``: check a pod against a cluster dump, run the simulated cluster, run the demo.

Exit codes of ``check``: 0 allowed (warnings possible), 1 rejected, 2 unusable input (one
clear line on stderr, never a traceback).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import Any

from .cliflags import add_settings_flags, settings_from_flags
from .kube.dump import InputFileError, load_cluster, load_request
from .messages import finding_json
from .messages.rejection import Rejection
from .model.cluster import ClusterView
from .model.findings import Verdict, shown
from .model.request import PodRequest
from .model.settings import Settings
from .service import FixedView, ValidationService

EXIT_ALLOWED, EXIT_REJECTED, EXIT_UNUSABLE = 0, 1, 2
_MARK = {"error": "✗", "warning": "!", "info": "·"}


def _add_check(sub: Any) -> None:
    p = sub.add_parser(
        "check",
        help="check a pod against a cluster dump",
        description="Would Kubernetes refuse this pod, or leave it Pending for good?",
    )
    p.add_argument(
        "--cluster",
        required=True,
        metavar="CLUSTER.yaml",
        help="`kubectl get nodes,pods,resourcequotas,limitranges,persistentvolumeclaims,"
        "storageclasses,namespaces,serviceaccounts,secrets,configmaps -A -o yaml` output",
    )
    p.add_argument(
        "--pod", required=True, metavar="POD.yaml", help="a v1 Pod, as KubeSpawner would create it"
    )
    p.add_argument(
        "--from-kubespawner",
        action="store_true",
        help="the pod is KubeSpawner's: what its _start creates around the pod counts as present "
        "(the internal_ssl Secret the pod mounts; a PVC or the Namespace given in POD.yaml)",
    )
    p.add_argument(
        "--offline",
        action="store_true",
        help="no network: image checks are reference syntax and registry policy only",
    )
    p.add_argument("--json", action="store_true", help="print {allowed, findings} as JSON")
    add_settings_flags(p)


async def check_request(
    request: PodRequest, cluster: ClusterView, settings: Settings, time_budget: float
) -> Verdict:
    """The validation service over a dump; registries are asked unless ``settings.offline``."""
    if settings.offline:
        return await ValidationService(settings, FixedView(cluster)).validate(request)
    from .registry import RegistryClient

    async with RegistryClient(
        allowed_registries=settings.allowed_registries,
        insecure_registries=settings.insecure_registries,
        time_budget=time_budget,
    ) as client:
        return await ValidationService(settings, FixedView(cluster), client).validate(request)


def report_lines(request: PodRequest, verdict: Verdict, admin_contact: str) -> list[str]:
    """What ``prevalidate check`` prints: the ``Rejection`` every front end shows, each line
    marked with its severity and code."""
    rejection = Rejection.of(verdict, admin_contact)
    meta = request.pod.get("metadata") or {}
    lines = [
        f"{'ALLOWED' if verdict.allowed else 'REJECTED'}: pod {shown(str(meta.get('name', '?')), 80)} in "
        f"namespace {shown(str(meta.get('namespace', 'default')), 80)}. {rejection.headline}"
    ]
    lines += [f"  {_MARK[line.severity.value]} [{line.code.value}] {line.text}" for line in rejection.lines]
    if rejection.contact:
        lines.append(f"  {rejection.contact}")
    return lines


def _warn(line: str) -> None:
    print(f"prevalidate: warning: {line}", file=sys.stderr)


def _check(args: argparse.Namespace) -> int:
    try:
        cluster = load_cluster(args.cluster, warn=_warn)
        request = load_request(args.pod, from_kubespawner=args.from_kubespawner)
        settings = settings_from_flags(args, offline=args.offline)
    except InputFileError as exc:
        print(f"prevalidate: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    verdict = asyncio.run(check_request(request, cluster, settings, args.time_budget))
    if args.json:
        print(
            json.dumps(
                {"allowed": verdict.allowed, "findings": [finding_json(f) for f in verdict.findings]},
                indent=2,
            )
        )
    else:
        print("\n".join(report_lines(request, verdict, settings.admin_contact)))
    return EXIT_ALLOWED if verdict.allowed else EXIT_REJECTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="prevalidate", description=__doc__.splitlines()[0] if __doc__ else None
    )
    sub = parser.add_subparsers(dest="command", required=True)
    _add_check(sub)
    from .testing.kubesim import cli as kubesim_cli

    sim = sub.add_parser(
        "sim",
        help="run kubesim, a local Kubernetes API, on 127.0.0.1",
        description="Serve a simulated Kubernetes API (kubesim) for tests and demos.",
    )
    kubesim_cli.add_arguments(sim)
    sim.set_defaults(run=kubesim_cli.run)
    from .testing.realplane import cli as plane_cli

    plane = sub.add_parser(
        "plane",
        help="run a real Kubernetes control plane (scripts/bootstrap-k8s) on 127.0.0.1",
        description="Run etcd, kube-apiserver, kube-controller-manager and kube-scheduler with a "
        "cluster file's objects created in them; print a kubeconfig path; Ctrl-C stops it.",
    )
    plane_cli.add_arguments(plane)
    plane.set_defaults(run=plane_cli.run)
    _add_audit(sub)
    _add_demo(sub)
    _add_plugged_commands(sub)
    return parser


def _add_audit(sub: Any) -> None:
    audit = sub.add_parser(
        "audit",
        help="which profiles and choices of a hub's profile_list can never start, or not now",
        description="Build the pod of every profile x choice of a jupyterhub_config.py's "
        "profile_list with KubeSpawner itself and check it against the cluster as it is and "
        "emptied: never (no empty cluster would run it), not-now (it needs room), fits. "
        "Exit 0 when nothing is never, 1 when something is, 2 for unusable input.",
    )
    audit.add_argument(
        "--config", required=True, metavar="jupyterhub_config.py", help="the hub's configuration"
    )
    audit.add_argument(
        "--cluster",
        metavar="CLUSTER.yaml",
        help="a cluster file as `prevalidate check` reads it (default: the live cluster of the kubeconfig)",
    )
    audit.add_argument(
        "--user", metavar="NAME", help="audit as this user (their pod, claim and namespace names)"
    )
    audit.add_argument(
        "--offline", action="store_true", help="no network: image checks are reference syntax and policy only"
    )
    audit.add_argument("--json", action="store_true", help='print {"entries": [...]} as JSON')
    audit.set_defaults(run=_audit)


def _audit(args: argparse.Namespace) -> int:
    from .hub.auditcli import run  # JupyterHub and KubeSpawner: only when asked

    return run(args)


# Commands of optional parts of the distribution (the admission webhook, `prevalidate_webhook`)
# come in through this entry-point group, so the core never imports them: each entry point is a
# function that adds its subparser and sets ``run`` (it imports its own heavy parts only then).
COMMANDS_GROUP = "prevalidate.commands"


def _add_plugged_commands(sub: Any) -> None:
    from importlib.metadata import entry_points

    for entry in sorted(entry_points(group=COMMANDS_GROUP), key=lambda e: e.name):
        try:
            register = entry.load()
        except ImportError as exc:  # an extra that is not installed: the command is simply absent
            _warn(f"command {entry.name!r} unavailable: {exc}")
            continue
        register(sub)


def _add_demo(sub: Any) -> None:
    demo = sub.add_parser(
        "demo",
        help="run a real JupyterHub whose spawn form is checked by prevalidate (Ctrl-C stops it)",
        description="Start a local registry, kubesim with the demo cluster and a real JupyterHub "
        "on http://127.0.0.1:8000, print things to try, and run until Ctrl-C.",
    )
    demo.add_argument(
        "--port", type=int, default=8000, help="port on 127.0.0.1 for the hub (default 8000; 0: a free one)"
    )
    demo.set_defaults(run=_demo)


def _demo(args: argparse.Namespace) -> int:
    from .demo import run  # the hub, the registry runner and kubesim: only when asked

    return run(args)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(args)
    if hasattr(args, "run"):
        return int(args.run(args))
    parser.error(f"unknown command {args.command}")
    return EXIT_UNUSABLE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
