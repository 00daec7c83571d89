"""Load, who holds the hub's event loop: the `load` burst again, with `loopsampler` in the hub
(a thread sampling the main thread's stack every ~2 ms), per mode.

`python -m benchmarks load_attribution [USERS] [WINDOW]` writes the "load-attribution" section
of RESULTS.md: for each owner of the loop's time (JupyterHub's database, prevalidate,
kubespawner, kubernetes_asyncio, jupyterhub, tornado, other libraries, asyncio itself) the
seconds it ran during the burst, the seconds it ran inside stretches of >= 50 ms without the
loop returning to `select` (what JupyterHub's lag probe feels), and its longest unbroken run.
The question it answers: of the hub's loop lag during a burst, how much is prevalidate's.
"""

from __future__ import annotations

import asyncio
import sys

from benchmarks._results import write_section
from benchmarks.load import MODES, USERS, WINDOW, measure
from benchmarks.loadrun.burst import BurstRun
from benchmarks.loadrun.hubside import LONG, attribute
from benchmarks.loadrun.report import _label, pct, verdict


def section(runs: dict[str, BurstRun]) -> str:
    lines = [
        "Load, who holds the hub's event loop (`python -m benchmarks load_attribution`): the `load`",
        "burst (same hub, cluster, users and modes) with a thread in the hub sampling the main thread's",
        "stack every ~2 ms (`benchmarks/loadrun/loopsampler.py`). A sample belongs to JupyterHub's",
        "database when SQLAlchemy/sqlite3 is on the stack, else to the innermost frame of a named",
        "package (the standard library and other libraries count for their caller); *long stretches*",
        "are runs of busy samples of >= 50 ms with no return to `select` — the lateness JupyterHub's",
        "lag probe logs. Sampling costs the hub ~1%; the figures of the `load` section come from a run",
        "without it.",
    ]
    for mode, run in runs.items():
        owners, stretches = attribute(run.samples)
        long_ = [s for s in stretches if s >= LONG * 1000]
        busy = sum(o.busy_s for o in owners.values())
        span = run.samples[-1][0] - run.samples[0][0] if len(run.samples) > 1 else 0.0
        counts = verdict(run)
        lines += [
            "",
            f"**{_label(mode)}** — {len(run.samples):,} samples over {span:.1f} s; loop busy {busy:.1f} s"
            f" ({busy / span:.0%} of the burst); {len(long_)} stretches >= 50 ms, {sum(long_) / 1000:.1f} s"
            f" in all, longest {max(stretches, default=0):.0f} ms; bad inline {counts['bad_inline']}/"
            f"{counts['bad']}, good started {counts['good_started']}/{counts['good']}.",
            "",
            "| owner | busy (s) | share of busy | in stretches >= 50 ms (s) | unbroken runs p99 / max (ms) |",
            "|---|---|---|---|---|",
        ]
        for name, owner in sorted(owners.items(), key=lambda kv: -kv[1].busy_s):
            lines.append(
                f"| {name} | {owner.busy_s:.2f} | {owner.busy_s / busy:.0%} | {owner.in_long_s:.2f} |"
                f" {pct(owner.runs_ms, 0.99):.0f} / {owner.longest_ms:.0f} |"
            )
    return "\n".join(lines)


def main() -> None:
    numbers = [a for a in sys.argv[1:] if a.replace(".", "", 1).isdigit()]
    users = int(numbers[0]) if numbers else USERS
    window = float(numbers[1]) if len(numbers) > 1 else WINDOW
    runs = asyncio.run(measure(users, window, MODES, sample=True))
    text = section(runs)
    write_section("load-attribution", text)
    print(text)


if __name__ == "__main__":
    main()
