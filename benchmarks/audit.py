"""``prevalidate audit`` on the demo's profiles (examples/audit: the demo hub's 3 profiles — 90
choice combinations of "custom", "small", "gpu" — plus the misconfigured "broken"; 93 entries)
against the demo cluster with its GPU node full.

Reported: the whole command as a user runs it (a new process: imports, config, spawner, audit),
and in one process the audit itself, warm (the median of several runs), as entries per second,
split into the pods KubeSpawner builds (shadow spawner + ``load_user_options`` +
``get_pod_manifest``) and the two validations per entry (the cluster, and the cluster emptied).
With a real registry (Debian's docker-registry, when installed), the same audit online: the
first run asks the registry once per image, the next ones answer from the cache.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._results import write_section
from prevalidate.hub.audit import AuditReport
from prevalidate.hub.auditcli import run_audit

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(ROOT / "examples" / "audit" / "jupyterhub_config.py")
CLUSTER = str(ROOT / "examples" / "audit" / "cluster-gpu-full.yaml")
RUNS = 7


def _cli_seconds() -> float:
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "prevalidate.cli",
            "audit",
            "--config",
            CONFIG,
            "--cluster",
            CLUSTER,
            "--offline",
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1, done.stderr  # "broken" can never start
    return time.perf_counter() - started


async def _builds_only(runs: int) -> float:
    """Median seconds to build every entry's pod with KubeSpawner (no validation)."""
    from prevalidate.hub.audit import initialized_profiles
    from prevalidate.hub.auditcli import _kubeconfig_nowhere, build_spawner, load_hub_config
    from prevalidate.hub.podbuild import build_plan, make_shadow
    from prevalidate.validators.audit import profile_selection

    config = load_hub_config(CONFIG)
    times = []
    with _kubeconfig_nowhere():
        spawner = build_spawner(config, "prevalidate-audit")
        profiles = await initialized_profiles(spawner)
        for _ in range(runs):
            started = time.perf_counter()
            for profile in profiles:
                for choices in profile_selection(profile).choices:
                    await build_plan(
                        make_shadow(spawner, {"profile": profile["slug"], **choices}), apply_options=True
                    )
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def _audits(runs: int, offline: bool, env: dict[str, str] | None = None) -> list[AuditReport]:
    saved = dict(os.environ)
    os.environ.update(env or {})
    try:
        return [asyncio.run(run_audit(CONFIG, CLUSTER, None, offline)) for _ in range(runs)]
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _online() -> tuple[float, float] | None:
    """(first run, median of the next) seconds of the audit with a real registry asked."""
    from prevalidate.demo import IMAGES
    from prevalidate.testing.registry import registry_available, run_registry

    if not registry_available():
        return None
    with run_registry("open") as registry:
        for repository, tag in IMAGES:
            registry.push_image(repository, tag)

        async def twice() -> list[AuditReport]:
            # one process, one registry client cache: as the hub's admin page runs it
            from prevalidate.hub.audit import audit_spawner
            from prevalidate.hub.auditcli import (
                _kubeconfig_nowhere,
                audit_settings,
                build_spawner,
                load_hub_config,
            )
            from prevalidate.kube.dump import load_cluster
            from prevalidate.registry import RegistryClient

            config = load_hub_config(CONFIG)
            settings, budget, _ = audit_settings(config, False)
            view = load_cluster(CLUSTER)
            reports = []
            with _kubeconfig_nowhere():
                spawner = build_spawner(config, "prevalidate-audit")
                async with RegistryClient(
                    allowed_registries=settings.allowed_registries,
                    insecure_registries=settings.insecure_registries,
                    time_budget=budget,
                ) as client:
                    for _ in range(RUNS):
                        reports.append(await audit_spawner(spawner, settings, view, client, stand_in=True))
            return reports

        os.environ["AUDIT_REGISTRY"] = registry.host
        try:
            reports = asyncio.run(twice())
        finally:
            os.environ.pop("AUDIT_REGISTRY", None)
    broken = next(e for e in reports[0].entries if e.profile == "broken")
    assert "image-not-found" in broken.outcome.codes, broken
    return reports[0].seconds, statistics.median(r.seconds for r in reports[1:])


def main() -> None:
    cli = statistics.median(_cli_seconds() for _ in range(3))
    reports = _audits(RUNS, offline=True)
    entries = len(reports[0].entries)
    audit = statistics.median(r.seconds for r in reports[1:])
    builds = asyncio.run(_builds_only(RUNS))
    online = _online()

    def row(what: str, seconds: float) -> str:
        shown = f"{seconds:.2f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"
        return f"| {what} | {shown} | {entries / max(seconds, 1e-9):,.0f} |"

    rows = [
        "| what | time | entries/s |",
        "|---|---|---|",
        row("`prevalidate audit --offline` (new process: imports, config, spawner, audit)", cli),
        row(f"the audit in one process, warm (median of {RUNS - 1})", audit),
        row(f"of which KubeSpawner builds the {entries} pods", builds),
        row("of which 2 validations per entry (cluster, emptied)", audit - builds),
    ]
    if online:
        rows += [
            row("online, real registry, first run (one lookup per image)", online[0]),
            row(f"online, registry answers cached (median of {RUNS - 1})", online[1]),
        ]
    verdicts = [e.verdict for e in reports[0].entries]
    fit, now, never = (verdicts.count(v) for v in ("fits", "not-now", "never"))
    per_validation = (audit - builds) / (2 * entries) * 1000
    text = f"""## `prevalidate audit` (`python -m benchmarks audit`)

The demo's profiles plus a misconfigured one (`examples/audit/jupyterhub_config.py`, {entries}
entries: {fit} fit, {now} not now (GPU, and the 16-CPU choices: quota), {never} never
(the 64-CPU choices, and the typo'd image with 128 CPUs)) against
`examples/audit/cluster-gpu-full.yaml`, on 2 cores shared with other work (single runs move by ±30%).

{chr(10).join(rows)}

KubeSpawner's pod builds are {100 * builds / audit:.0f}% of the warm audit; one validation averages
{per_validation:.2f} ms. Starting the process (JupyterHub, KubeSpawner and kubernetes_asyncio
imports, the config, the first spawner) is most of the command's time.
"""
    print(text)
    write_section("audit", text)


if __name__ == "__main__":
    main()
