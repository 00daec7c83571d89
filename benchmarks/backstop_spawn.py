"""The runtime backstop, side by side: seconds from the pod's create to the failure the user sees,
for prevalidate's backstop, the seeds/000 event monitor and stock KubeSpawner, and how many good
spawns each kills.

Two parts, written to RESULTS.md as one section:

1. **Replays** (every recorded spawn of tests/backstop/replays: each fatal class and each trap).
   prevalidate: the pure judge, asked again at every input and at the times it names, as the
   hub does. The seeds/000 monitor (benchmarks/baselines/monitor_spawner.py, rebuilt from
   the shared seeds/000_05f49e55e59fb05c.txt): sleeps 5 s, then reads the events *by pod name*
   every 2 s until 30 s and fails on the first its ``classify_event`` matches; what the kubelet
   and scheduler write beside a status change (``Error: ErrImagePull``, ``Back-off pulling image
   … ImagePullBackOff``, FailedScheduling with the Unschedulable message) is added as events,
   as they would be. Stock KubeSpawner: ``start_timeout`` (z2jh: 300 s) for every fatal case.
2. **Live**: a real JupyterHub + KubeSpawner + kubesim + registry, each approach in its own hub,
   pre-validation's own checks off so the bad spawn reaches the cluster: a typo'd image tag, a
   node selector no node has, a notebook that crashes on start (exit 3) and one OOM-killed
   (kubesim ImageCatalog behaviours on real registry tags); seconds from the REST spawn request
   to the progress stream's ``failed`` event. The cases the monitor has no rule for (crash, OOM)
   wait for ``start_timeout`` there as in stock, so those run once.

    python -m benchmarks backstop_spawn
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._results import write_section
from benchmarks.baselines.monitor_spawner import classify_event
from prevalidate.testing.replays import event_of, load_all, pod_of, run

STOCK_TIMEOUT = 300.0  # z2jh's startTimeout
CASES = {
    "typo": "image tag not in the registry",
    "nowhere": "node selector no node has",
    "crash": "notebook exits on start (exit 3, crash loop)",
    "oom": "notebook OOM-killed at its 1 GiB limit",
}
MONITOR_DELAY, MONITOR_EVERY, MONITOR_WINDOW = 5.0, 2.0, 30.0


def monitor_decision(replay: dict[str, Any]) -> float | None:
    """When the seeds/000 monitor fails this spawn (seconds), or None."""
    seen: list[tuple[float, dict[str, Any]]] = []
    for index, step in enumerate(sorted(replay["steps"], key=lambda s: float(s["at"]))):
        at = float(step["at"])
        if "event" in step:
            seen.append((at, event_of(step["event"], index)))  # by name: stale ones too
        if "pod" in step:
            pod = pod_of(step["pod"])
            for cs in pod["status"].get("containerStatuses") or []:
                reason = ((cs.get("state") or {}).get("waiting") or {}).get("reason")
                if reason == "ErrImagePull":
                    seen.append((at, {"reason": "Failed", "message": "Error: ErrImagePull"}))
                elif reason == "ImagePullBackOff":
                    seen.append(
                        (at, {"reason": "BackOff", "message": "Back-off pulling image: ImagePullBackOff"})
                    )
            for cond in pod["status"].get("conditions") or []:
                if cond.get("reason") == "Unschedulable":
                    seen.append((at, {"reason": "FailedScheduling", "message": cond.get("message", "")}))
    tick = MONITOR_DELAY
    while tick <= MONITOR_WINDOW:
        if any(at <= tick and classify_event(ev) for at, ev in seen):
            return tick
        tick += MONITOR_EVERY
    return None


def replay_table() -> tuple[str, dict[str, float]]:
    rows, ours_delays, traps, kills = [], [], 0, {"prevalidate": 0, "monitor": 0, "stock": 0}
    for name, replay in load_all():
        expect = replay["expect"]
        ours = run(replay)
        mon = monitor_decision(replay)
        if expect["decision"] != "fail":
            traps += 1
            kills["prevalidate"] += ours.decision == "fail"
            kills["monitor"] += mon is not None
            continue
        assert ours.at is not None
        # After the last input that reached the hub at or before the decision: 0 when the judge
        # decides on arrival, the grace period when it waited on purpose.
        last_input = max(float(st["at"]) for st in replay["steps"] if float(st["at"]) <= ours.at)
        ours_delays.append(ours.at - last_input)
        mon_text = f"{mon:g} s" if mon is not None else f"{STOCK_TIMEOUT:g} s (not caught)"
        rows.append(f"| `{name}` | {expect['code']} | **{ours.at:g} s** | {mon_text} | {STOCK_TIMEOUT:g} s |")
    header = (
        "| replay | class | prevalidate | seeds/000 monitor | stock KubeSpawner |\n|---|---|---|---|---|\n"
    )
    summary = {
        "fatal": float(len(rows)),
        "traps": float(traps),
        "ours_kills": float(kills["prevalidate"]),
        "monitor_kills": float(kills["monitor"]),
        "delay_p50": statistics.median(ours_delays),
        "delay_max": max(ours_delays),
    }
    return header + "\n".join(rows), summary


async def live(rounds: int) -> str:
    from prevalidate.testing.hubprocess import kubespawner_config, start_hub
    from prevalidate.testing.kubesim import KubeSim, parse_cluster
    from prevalidate.testing.registry import run_registry

    repo = "jupyter/minimal-notebook"
    cluster = (
        Path(__file__).resolve().parents[1] / "tests" / "e2e" / "fixtures" / "cluster.yaml"
    ).read_text()
    spawners = {
        "prevalidate": "prevalidate.PrevalidatingKubeSpawner",
        "monitor": "benchmarks.baselines.monitor_spawner.MonitorKubeSpawner",
        "stock": "kubespawner.KubeSpawner",
    }
    results: dict[tuple[str, str], list[float]] = {}
    with run_registry("open") as registry, tempfile.TemporaryDirectory(prefix="bench-backstop-") as tmp:
        for tag in ("2024.1", "crash", "oom"):
            registry.push_image(repo, tag)
        good = f"{registry.host}/{repo}:2024.1"
        sim_extra = (
            f"---\napiVersion: kubesim.prevalidate.dev/v1\nkind: ImageCatalog\nspec:\n"
            f"  httpRegistries: [{registry.host!r}]\n  images:\n"
            f"  - {{image: {registry.host}/{repo}:crash, exitCode: 3}}\n"
            f"  - {{image: {registry.host}/{repo}:oom, oomKilled: true}}\n"
            "---\napiVersion: kubesim.prevalidate.dev/v1\nkind: SimSettings\nspec:\n"
            "  startProcesses: false\n  kubeletDelaySeconds: 0.01\n  pullSeconds: 0.05\n"
        )
        for approach, spawner in spawners.items():
            async with KubeSim(parse_cluster(cluster + sim_extra)) as sim:
                kubeconfig = sim.write_kubeconfig(Path(tmp) / f"kc-{approach}", namespace="jhub")
                config = (
                    kubespawner_config("jhub", good, 60)
                    + f"""
c.JupyterHub.spawner_class = {spawner!r}
c.Prevalidator.registry_checks = False
c.Prevalidator.disabled_checks = {{"capacity"}}
c.Prevalidator.allowed_registries = [{registry.host!r}]
c.Prevalidator.insecure_registries = [{registry.host!r}]
c.KubeSpawner.profile_list = [
    {{"display_name": "Typo", "slug": "typo",
      "kubespawner_override": {{"image": "{registry.host}/{repo}:2024.01"}}}},
    {{"display_name": "Nowhere", "slug": "nowhere",
      "kubespawner_override": {{"node_selector": {{"gpu": "a100"}}}}}},
    {{"display_name": "Crash", "slug": "crash",
      "kubespawner_override": {{"image": "{registry.host}/{repo}:crash"}}}},
    {{"display_name": "OOM", "slug": "oom",
      "kubespawner_override": {{"image": "{registry.host}/{repo}:oom", "mem_limit": "1G"}}}},
]
"""
                )
                env = {"KUBECONFIG": str(kubeconfig), "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
                async with start_hub(config, env=env) as hub:
                    for case in CASES:
                        slow = approach == "stock" or (approach == "monitor" and case in ("crash", "oom"))
                        for i in range(1 if slow else rounds):
                            user = f"{approach[:4]}{case[:3]}{i}"
                            started = time.monotonic()
                            outcome = await hub.spawn(user, {"profile": case})
                            took = time.monotonic() - started
                            assert outcome.failed, (approach, case, outcome.message)
                            results.setdefault((approach, case), []).append(took)
                            await hub.api("DELETE", f"/users/{user}/server")
    lines = [
        "| case | prevalidate (p50, n) | seeds/000 monitor (p50, n) "
        "| stock KubeSpawner, start_timeout 60 s |",
        "|---|---|---|---|",
    ]
    for case, label in CASES.items():
        cells = []
        for approach in spawners:
            values = results[(approach, case)]
            cells.append(f"{statistics.median(values):.1f} s (n={len(values)})")
        lines.append(f"| {label} | **{cells[0]}** | {cells[1]} | {cells[2]} |")
    return "\n".join(lines)


def main() -> None:
    table, s = replay_table()
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    live_table = asyncio.run(live(rounds))
    write_section(
        "backstop_spawn",
        f"""## Runtime backstop: seconds from the pod's create to the failure the user sees

`python -m benchmarks backstop_spawn` (benchmarks/backstop_spawn.py). Live, on a real JupyterHub +
KubeSpawner + kubesim + registry (pre-validation's own image and capacity checks off, so the bad
spawn reaches the cluster), seconds from the REST spawn request to the progress stream's
`failed` event:

{live_table}

Replays (tests/backstop/replays: {s["fatal"]:.0f} fatal spawns, {s["traps"]:.0f} traps), seconds after the
pod's create.
prevalidate decides {s["delay_p50"]:g} s after the last input before its decision (p50; max
{s["delay_max"]:g} s: the grace periods it waits on purpose — config error 5 s, zone conflict 10 s,
mount 30 s, claim 60 s, `capacity_wait`). In a hub, the edge re-reads KubeSpawner's reflectors
every 0.2 s while it waits, so add up to 0.2 s to these.
**False kills on the {s["traps"]:.0f} traps: prevalidate {s["ours_kills"]:.0f}, seeds/000 monitor
{s["monitor_kills"]:.0f}, stock 0.**
The monitor's times are its first look (5 s) for what it has a rule for; the same rules kill
the traps (a 429 or `pull QPS exceeded` is an "image pull failure", any FailedScheduling within
30 s is "insufficient resources", the previous pod's events match by name), and anything after
its 30 s window, or without a rule (crashes, OOM, evictions, config errors), waits for
`start_timeout`.

{table}
""",
    )
    print(table)
    print(live_table)


if __name__ == "__main__":
    main()
