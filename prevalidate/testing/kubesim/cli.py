"""`prevalidate sim`: run kubesim standalone until interrupted.

    prevalidate sim --cluster CLUSTER.yaml [--port N] [--kubeconfig-out FILE]

The lead wires `add_arguments` / `run` into `prevalidate/cli.py`; until then
`python -m prevalidate.testing.kubesim ...` does the same.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys

from .cluster import ClusterFileError, load_cluster


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--cluster",
        required=True,
        metavar="CLUSTER.yaml",
        help="initial state: a `kubectl get ... -o yaml` dump, plus optional "
        "kubesim.prevalidate.dev/v1 documents (ImageCatalog, NodePool, "
        "SimSettings)",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="port on 127.0.0.1 to serve the API on (default: a free one)"
    )
    parser.add_argument(
        "--kubeconfig-out",
        metavar="FILE",
        help="write a kubeconfig for the simulator here (use with KUBECONFIG=FILE)",
    )
    parser.add_argument(
        "--log-requests", action="store_true", help="log every API request the simulator receives"
    )


async def _serve(args: argparse.Namespace) -> int:
    from .gcpause import startup_heap_frozen
    from .server import KubeSim  # tornado and the control plane: only when serving

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    with startup_heap_frozen():  # this process serves one cluster: its load is long-lived
        sim = KubeSim(load_cluster(args.cluster), port=args.port)
        await sim.start()
    try:
        if args.kubeconfig_out:
            sim.write_kubeconfig(args.kubeconfig_out)
        print(
            f"kubesim serving {sim.url}"
            + (f" (kubeconfig: {args.kubeconfig_out})" if args.kubeconfig_out else ""),
            flush=True,
        )
        await stop.wait()
    finally:
        await sim.stop()
    return 0


def run(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    if getattr(args, "log_requests", False):
        logging.getLogger("kubesim.api").setLevel(logging.DEBUG)
    try:
        return asyncio.run(_serve(args))
    except ClusterFileError as exc:
        print(f"prevalidate sim: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"prevalidate sim: cannot listen on port {args.port}: {exc.strerror}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="prevalidate sim", description=__doc__.splitlines()[0])
    add_arguments(parser)
    return run(parser.parse_args(argv))
