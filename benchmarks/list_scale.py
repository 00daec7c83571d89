"""The live view at scale: a hub-like process lists and watches a cluster served by kubesim in
its own process, at 50 nodes (1,500 pods) and 5,000 nodes (150,000 pods), before and after.

- before: the view reads each kind in one list body (the reflector's paging off, ``page_size
  = 0``: main's code path, one body of every pod parsed at once);
- after: 500 objects a page (``limit`` + ``continue``), each page applied as it arrives.

Per run, in a fresh child process (a hub-like process: kubernetes_asyncio, the view and its
reflectors, nothing else): ready time (start -> every kind listed), peak RSS growth above the
idle process (VmHWM minus the RSS after imports), steady RSS above the idle process
(after a gc, the view kept), and pod events applied per second (MODIFIED pods through the
view's Pod mirror, as the watch hands them over). Also kubesim's load time for the file.

    python -m benchmarks list_scale            # both sizes, rewrites RESULTS.md's section
    python -m benchmarks.list_scale --nodes 50 # one size, no RESULTS.md
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ._bigcluster import pod, write
from ._results import write_section

PODS_PER_NODE = 30
SIZES = (50, 5000)
EVENTS = 20_000


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _peak_mb() -> float:
    # VmHWM, this process's own high-water mark: ru_maxrss carries a peak over an exec (Linux
    # keeps the pre-exec image's), which counted the parent's cluster-file writing here.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _child(url: str, mode: str, nodes: int) -> dict[str, Any]:
    import gc

    from kubernetes_asyncio import client

    from prevalidate.kube.live import LiveCluster

    gc.collect()
    idle = _rss_mb()
    api = client.ApiClient(client.Configuration(host=url))
    live = LiveCluster(api, namespaces=["jhub"])
    if mode == "before":
        for reflector in live._reflectors:
            reflector.page_size = 0
    started = time.perf_counter()
    await live.start()
    ready = await live.wait_ready(1800)
    ready_s = time.perf_counter() - started
    assert ready, "the view did not become ready"
    pods = live.view.pod_count()
    peak = _peak_mb() - idle  # before the event batch below is built
    gc.collect()
    steady = _rss_mb() - idle
    mirror = live._mirrors["Pod"]
    batch = []
    for i in range(EVENTS):
        obj = pod(i % (nodes * PODS_PER_NODE), f"node-{(i % (nodes * PODS_PER_NODE)) // PODS_PER_NODE:05d}")
        obj["metadata"]["resourceVersion"] = str(10**9 + i)
        batch.append(obj)
    began = time.perf_counter()
    for obj in batch:
        mirror.apply(obj)
    rate = EVENTS / (time.perf_counter() - began)
    result = {
        "mode": mode, "pods": pods, "ready_s": ready_s, "idle_mb": idle,
        "peak_growth_mb": peak, "steady_mb": steady, "events_per_s": rate,
        "requests": live.requests,
    }
    await live.stop()
    await api.close()
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_up(url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"kubesim exited with {process.returncode}")
        try:
            if httpx.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError("kubesim did not answer")


def measure(nodes: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="list-scale-") as tmp:
        path = write(Path(tmp) / "cluster.json", nodes, PODS_PER_NODE)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        started = time.perf_counter()
        sim = subprocess.Popen(
            [sys.executable, "-m", "prevalidate.testing.kubesim", "--cluster", str(path),
             "--port", str(port)],
            stdout=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            _wait_up(url, sim, timeout=1800)
            load_s = time.perf_counter() - started
            runs = []
            for mode in ("before", "after"):
                out = subprocess.run(
                    [sys.executable, "-m", "benchmarks.list_scale", "--child", url, mode, str(nodes)],
                    capture_output=True, text=True, check=True, timeout=3600,
                )
                runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        finally:
            sim.terminate()
            try:
                sim.wait(60)
            except subprocess.TimeoutExpired:
                sim.kill()
    return {"nodes": nodes, "pods": nodes * PODS_PER_NODE, "kubesim_load_s": load_s, "runs": runs}


def table(results: list[dict[str, Any]]) -> str:
    lines = [
        "| cluster | kubesim load | view | ready | peak RSS growth | steady RSS | pod events/s | requests |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for size in results:
        for run in size["runs"]:
            lines.append(
                f"| {size['nodes']:,} nodes / {size['pods']:,} pods | {size['kubesim_load_s']:.1f} s "
                f"| {run['mode']} | {run['ready_s']:.1f} s | {run['peak_growth_mb']:.0f} MB "
                f"| {run['steady_mb']:.0f} MB | {run['events_per_s']:,.0f} | {run['requests']} |"
            )
    return "\n".join(lines)


def _loads(values: tuple[float, float, float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--child", nargs=3, metavar=("URL", "MODE", "NODES"))
    parser.add_argument("--nodes", type=int, action="append")
    args = parser.parse_args(sys.argv[2:] if argv is None and sys.argv[1:2] == ["list_scale"] else argv)
    if args.child:
        url, mode, nodes = args.child
        print(json.dumps(asyncio.run(_child(url, mode, int(nodes)))))
        return
    before = os.getloadavg()
    results = [measure(n) for n in (args.nodes or SIZES)]
    after = os.getloadavg()
    text = table(results)
    loads = f"load average (1, 5, 15 min) {_loads(before)} before the run, {_loads(after)} after"
    print(text)
    print(loads)
    if not args.nodes:
        write_section(
            "list_scale",
            "## Scale: the live view on a 150,000-pod cluster (`python -m benchmarks list_scale`)\n\n"
            "kubesim (own process) serves a JSON cluster file of N nodes x 30 running pods; a fresh "
            "hub-like child process runs `LiveCluster` against it. *before*: each kind in one list "
            "body (paging off: main's path); *after*: 500 a page, each applied as it arrives. RSS "
            "figures are above the idle child (after imports). Targets at 5,000 nodes: ready <= 20 s, "
            "peak growth <= 400 MB, steady <= 250 MB, >= 5,000 pod events/s; kubesim load <= 60 s. "
            f"2 shared cores, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, {loads}.\n\n" + text,
        )


if __name__ == "__main__":
    main()
