"""`prevalidate plane`: run a real Kubernetes control plane with a cluster file until interrupted.

    prevalidate plane --cluster CLUSTER.yaml [--kubeconfig-out FILE]

etcd, kube-apiserver, kube-controller-manager and kube-scheduler (built by
scripts/bootstrap-k8s) on 127.0.0.1; the cluster file's objects are created in it as
`prevalidate check` reads them (nodes with their status, their pods bound and Running).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

from .binaries import BinariesMissing
from .loader import LoadError
from .plane import ControlPlane, PlaneError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cluster",
        metavar="CLUSTER.yaml",
        help="objects to create: a `kubectl get ... -A -o yaml` dump (default: an empty cluster)",
    )
    parser.add_argument(
        "--kubeconfig-out",
        metavar="FILE",
        help="write an admin kubeconfig here (default: printed path inside the plane's temp folder)",
    )


def run(args: argparse.Namespace) -> int:
    from .loader import Loader

    if args.cluster and not Path(args.cluster).is_file():
        print(f"prevalidate plane: cannot read {args.cluster}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        with ControlPlane() as plane:
            if args.cluster:
                Loader(plane.api).load(Path(args.cluster))
            kubeconfig = (
                plane.write_kubeconfig(args.kubeconfig_out) if args.kubeconfig_out else plane.kubeconfig
            )
            print(f"Kubernetes control plane serving {plane.url} (started in {plane.started_in:.1f}s)")
            print(f"kubeconfig: {kubeconfig}", flush=True)
            stop.wait()
    except (BinariesMissing, PlaneError, LoadError, TimeoutError) as exc:
        print(f"prevalidate plane: {exc}", file=sys.stderr)
        return 2
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prevalidate plane", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
