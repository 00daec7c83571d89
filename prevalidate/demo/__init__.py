"""``prevalidate demo``: a real JupyterHub whose spawn form is checked before any pod exists.

One command starts a real local image registry (Debian's docker-registry, with a few images
pushed), kubesim in process mode with the bundled demo cluster (``cluster.yaml`` here: nodes of
different sizes, a tainted GPU node, a namespace quota partly used by other users, a LimitRange,
PVCs) and a real JupyterHub with configurable-http-proxy on http://127.0.0.1:8000 whose
KubeSpawner form takes free-text image, CPU, memory and PVC values. It prints a list of things
to try; Ctrl-C stops everything (registry, kubesim, hub, proxy, notebook servers).

The tests start the same stack with free ports through ``start_demo(port=0)``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys

from ..testing.hubprocess import HubStartError
from ..testing.registry import registry_available
from .profiles import IMAGES, NAMESPACE, PROFILE, SPAWNER_CLASS, hub_config, profile_list
from .stack import DEFAULT_PORT, Demo, PortInUse, cluster_text, start_demo
from .tries import Try, banner, things_to_try

__all__ = [
    "DEFAULT_PORT",
    "IMAGES",
    "NAMESPACE",
    "PROFILE",
    "SPAWNER_CLASS",
    "Demo",
    "PortInUse",
    "Try",
    "banner",
    "cluster_text",
    "hub_config",
    "profile_list",
    "run",
    "start_demo",
    "things_to_try",
]


async def _serve(port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    print("prevalidate demo: starting a registry, kubesim and JupyterHub…", flush=True)
    async with start_demo(port) as demo:
        print(banner(demo.url, demo.registry.host, str(demo.hub.workdir / "jupyterhub.log")), flush=True)
        await stop.wait()
        print("\nprevalidate demo: stopping (hub, notebook servers, proxy, kubesim, registry)…", flush=True)
    print("prevalidate demo: stopped.", flush=True)


def run(args: argparse.Namespace) -> int:
    """``prevalidate demo [--port N]``: 0 after Ctrl-C, 2 when the stack cannot start."""
    if not registry_available():
        print(
            "prevalidate demo: Debian's docker-registry and htpasswd are missing (run scripts/bootstrap)",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(_serve(args.port))
    except (PortInUse, HubStartError) as exc:
        print(f"prevalidate demo: {exc}", file=sys.stderr)
        return 2
    return 0
