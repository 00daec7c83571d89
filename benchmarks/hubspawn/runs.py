"""The runs: per approach a fresh kubesim cluster and a real hub with that approach's spawner
class; the four bad spawns submitted at once through the form and the requests they cost; then
prevalidate's warm-cache submits, or on the monitor hub the floor any form error pays."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import re
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.hubspawn.browser import Browser, Seen
from benchmarks.hubspawn.config import (
    APPROACHES,
    CASES,
    NAMESPACE,
    PREVALIDATE_ROUNDS,
    RENDER_ONLY_FIELD,
    REPO,
    REPOSITORY,
    TAG,
    WARM_SUBMITS,
    cluster_yaml,
    form_for,
    hub_config,
)
from benchmarks.hubspawn.counting import Window
from prevalidate.testing.hubprocess import RunningHub, start_hub
from prevalidate.testing.kubesim import KubeSim, parse_cluster
from prevalidate.testing.registry import RunningRegistry, run_registry


@dataclass
class ApproachRun:
    name: str
    seen: dict[str, Seen] = field(default_factory=dict)  # each case's first outcome
    first: dict[str, list[float]] = field(default_factory=dict)  # seconds, every round
    spawns: int = 0
    startup_api: Counter[str] = field(default_factory=Counter)
    warmup_api: Counter[str] = field(default_factory=Counter)
    warmup_seen: Seen | None = None
    spawn_api: Counter[str] = field(default_factory=Counter)
    spawn_registry: Counter[str] = field(default_factory=Counter)
    spawn_seconds: float = 0.0
    warm: dict[str, list[float]] = field(default_factory=dict)
    warm_api: Counter[str] = field(default_factory=Counter)
    warm_registry: Counter[str] = field(default_factory=Counter)
    warm_seconds: float = 0.0
    lifetime_api: Counter[str] = field(default_factory=Counter)
    lifetime_seconds: float = 0.0
    warm_hub: dict[str, list[float]] = field(default_factory=dict)  # ms, JupyterHub's request log
    floor: list[float] = field(default_factory=list)
    floor_hub: list[float] = field(default_factory=list)
    floor_concurrent: list[float] = field(default_factory=list)
    valid: Seen | None = None
    error: str = ""


def prevalidate_available() -> bool:
    try:
        import prevalidate

        return (
            hasattr(prevalidate, "PrevalidatingKubeSpawner")
            or importlib.util.find_spec("prevalidate.hub.spawner") is not None
        )
    except ImportError:
        return False


async def measure(approaches: list[str]) -> tuple[dict[str, ApproachRun], str]:
    """Run each approach in turn against one registry; (the runs, the registry's host)."""
    runs: dict[str, ApproachRun] = {}
    with run_registry("open") as registry, tempfile.TemporaryDirectory(prefix="bench-hub-") as tmp:
        registry.push_image(REPOSITORY, TAG)
        for name in approaches:
            started = time.perf_counter()
            print(f"   {name} ...", flush=True)
            try:
                runs[name] = await run_approach(name, registry, Path(tmp))
            except Exception as exc:  # report it in the table rather than lose the other approaches
                runs[name] = ApproachRun(name, error=repr(exc))
            print(f"   {name}: {time.perf_counter() - started:.1f} s {runs[name].error}", flush=True)
        return runs, registry.host


async def run_approach(name: str, registry: RunningRegistry, workdir: Path) -> ApproachRun:
    run = ApproachRun(name)
    host = registry.host
    async with KubeSim(parse_cluster(cluster_yaml(host))) as sim:
        kubeconfig = sim.write_kubeconfig(workdir / f"kubeconfig-{name}", namespace=NAMESPACE)
        env = {"KUBECONFIG": str(kubeconfig), "PYTHONPATH": str(REPO)}
        startup = Window(sim, registry)
        async with start_hub(hub_config(APPROACHES[name], host), env=env) as hub:
            browsers = {case: Browser(hub, case) for case in CASES}
            async with contextlib.AsyncExitStack() as stack:
                for browser in browsers.values():
                    await stack.enter_async_context(browser)
                # let a watching hub finish its initial lists before the clock starts
                await asyncio.sleep(1.0)
                run.startup_api = startup.close()[0]
                # Steady state: one over-quota spawn first starts KubeSpawner's pod and event
                # reflectors (a hub that has spawned before has them running).
                async with Browser(hub, "warmup") as warmup:
                    run.warmup_seen = await warmup.submit(form_for("quota", host))
                run.warmup_api = startup.close()[0] - run.startup_api
                await bad_spawns(run, browsers, sim, registry)
                if name == "prevalidate":
                    await warm_submits(run, hub, browsers, sim, registry)
                if name == "monitor":
                    await no_validation_floor(run, hub, browsers, host)
            run.lifetime_api = startup.close()[0]
            run.lifetime_seconds = time.perf_counter() - startup.started
            if run.error:
                run.error += "hub log tail: " + " | ".join(hub.log().splitlines()[-5:])
    return run


async def bad_spawns(
    run: ApproachRun, browsers: dict[str, Browser], sim: KubeSim, registry: RunningRegistry
) -> None:
    """The four bad spawns at once, each by its own user, until every failed pod is gone."""
    spawns = Window(sim, registry)
    for round_ in range(PREVALIDATE_ROUNDS if run.name == "prevalidate" else 1):
        outcomes = await asyncio.gather(
            *(browsers[case].submit(form_for(case, registry.host, round_)) for case in CASES),
            return_exceptions=True,
        )
        for case, outcome in zip(CASES, outcomes, strict=True):
            if isinstance(outcome, BaseException):
                run.error += f"{case}: {outcome!r}; "
            else:
                run.seen.setdefault(case, outcome)
                run.first.setdefault(case, []).append(outcome.seconds)
        run.spawns += len(CASES)
    await until_no_notebook_pods(sim, 30)
    run.spawn_api, run.spawn_registry, run.spawn_seconds = spawns.close()


async def until_no_notebook_pods(sim: KubeSim, timeout: float) -> None:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        pods = [p for p in sim.store.items("pods", NAMESPACE) if p["metadata"]["name"] != "jupyter-colleague"]
        if not pods:
            return
        # The hub deletes a failed spawn's pod on its own schedule; re-check a few times a second.
        await asyncio.sleep(0.2)


async def warm_submits(
    run: ApproachRun, hub: RunningHub, browsers: dict[str, Browser], sim: KubeSim, registry: RunningRegistry
) -> None:
    """prevalidate with warm caches: WARM_SUBMITS submits per case, then a valid form as control."""
    window = Window(sim, registry)
    for case in CASES:
        submit = functools.partial(browsers[case].submit, form_for(case, registry.host))
        run.warm[case] = await repeat(submit, WARM_SUBMITS)
    run.warm_api, run.warm_registry, run.warm_seconds = window.close()
    async with Browser(hub, "valid") as browser:
        run.valid = await browser.submit(form_for("valid", registry.host), follow=False)
    await hub.api("DELETE", "/users/valid/server")
    for case in CASES:
        run.warm_hub[case] = hub_post_ms(hub, case)


async def no_validation_floor(
    run: ApproachRun, hub: RunningHub, browsers: dict[str, Browser], host: str
) -> None:
    """On the monitor hub (same JupyterHub, no prevalidate): what a form error costs with no
    validation at all, the form refused at once because it carries RENDER_ONLY_FIELD."""

    def render_only(case: str) -> dict[str, str]:
        return {**form_for(case, host), RENDER_ONLY_FIELD: "1"}

    run.floor = await repeat(functools.partial(browsers["cpu"].submit, render_only("cpu")), WARM_SUBMITS)
    run.floor_hub = hub_post_ms(hub, "cpu")
    for _ in range(PREVALIDATE_ROUNDS):  # four users at once, as in the table
        seen = await asyncio.gather(*(browsers[c].submit(render_only(c)) for c in CASES))
        run.floor_concurrent += [s.seconds for s in seen]


async def repeat(submit: Callable[[], Awaitable[Seen]], rounds: int) -> list[float]:
    await submit()  # warm-up, not counted
    samples = []
    for _ in range(rounds):
        seen = await submit()
        if seen.where != "form":
            raise RuntimeError(f"expected the form again, got {seen}")
        samples.append(seen.seconds)
    return samples


_POST_LOG = re.compile(r"\] (\d{3}) POST /hub/spawn/(\S+) .*?\) ([\d.]+)ms$")


def hub_post_ms(hub: RunningHub, user: str) -> list[float]:
    """JupyterHub's own duration (ms) of the last WARM_SUBMITS form POSTs by `user` that ended in
    a 4xx page, from its request log."""
    found = (_POST_LOG.search(line) for line in hub.log().splitlines())
    durations = [float(m.group(3)) for m in found if m and m.group(2) == user and m.group(1).startswith("4")]
    return durations[-WARM_SUBMITS:]
