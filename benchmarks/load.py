"""Load: 200 users submit the spawn form within 10 s on one real hub, a third of them bad —
prevalidate on vs. off (stock behaviour) side by side in one run.

`python -m benchmarks load [USERS] [WINDOW]` — for each mode a fresh kubesim (own process), a
real JupyterHub with PrevalidatingKubeSpawner (`c.Prevalidator.enabled` True / False) and one
real docker-registry. Reports answers, submit→answer p50/p99, servers started, the latency of
a /hub/api probe every 50 ms during the burst and the hub's own event-loop lag, and writes the
"load" section of RESULTS.md. The parts are in `benchmarks/loadrun/`.
"""

from __future__ import annotations

import asyncio
import os
import platform
import sys
import tempfile
from pathlib import Path

from benchmarks._results import write_section
from benchmarks.loadrun.burst import MEMORY_DB, BurstRun, run_burst
from benchmarks.loadrun.report import report, verdict
from benchmarks.loadrun.setup import REPOSITORY, TAG
from prevalidate.testing.registry import run_registry

USERS, WINDOW = 200, 10.0


MODES = ("prevalidate", "stock", "prevalidate" + MEMORY_DB, "stock" + MEMORY_DB)


async def measure(
    users: int, window: float, modes: tuple[str, ...] = MODES, *, sample: bool = False
) -> dict[str, BurstRun]:
    runs: dict[str, BurstRun] = {}
    with run_registry("open") as registry, tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        registry.push_image(REPOSITORY, TAG)
        for mode in modes:
            print(f"   {mode}: {users} users in {window:.0f} s ...", flush=True)
            runs[mode] = await run_burst(mode, users, window, registry, Path(tmp) / mode, sample=sample)
            print(f"   {mode}: {verdict(runs[mode])}", flush=True)
    return runs


def main() -> None:
    numbers = [a for a in sys.argv[1:] if a.replace(".", "", 1).isdigit()]
    users = int(numbers[0]) if numbers else USERS
    window = float(numbers[1]) if len(numbers) > 1 else WINDOW
    runs = asyncio.run(measure(users, window))
    host = (
        f"Host: {platform.machine()}, {os.cpu_count()} cores shared with other jobs,"
        f" Python {platform.python_version()}."
    )
    text = report(runs, host)
    write_section("load", text)
    print(text)


if __name__ == "__main__":
    main()
