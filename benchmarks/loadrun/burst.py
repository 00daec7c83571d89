"""One burst: a real hub (prevalidate on or off) on kubesim (its own process) and a real
registry; N logged-in users submit the spawn form within W seconds, each in its own browser
session, while a probe GETs /hub/api every 50 ms from another client (its own thread, so the
burst's clients do not delay it). Every answer is kept: what page, what status, what sentence,
and for a server that was accepted, whether and when it became ready."""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.hubspawn.browser import Browser
from benchmarks.loadrun.hubside import LoopLag, hub_loop_lag, metrics_snapshot, read_samples
from benchmarks.loadrun.setup import cluster_yaml, form_for, hub_config, kind_of
from prevalidate.testing.hubprocess import RunningHub, free_port, start_hub, visible_text
from prevalidate.testing.registry import RunningRegistry

REPO = Path(__file__).resolve().parents[2]
MEMORY_DB = "+memory-db"  # a mode suffix
OUTCOME_TIMEOUT = 240.0  # seconds a user waits for ready/failed after the answer (generous)


@dataclass
class Answer:
    user: str
    kind: str  # "good" or a bad kind
    answer_s: float = 0.0  # submit -> the page the POST ends on
    status: int = 0
    where: str = ""  # "form" (re-rendered with an error), "pending", "server", "error"
    message: str = ""
    outcome: str = ""  # "ready", "failed", "" (form answers have no outcome)
    outcome_s: float | None = None  # submit -> ready/failed on the progress stream
    outcome_message: str = ""


@dataclass
class BurstRun:
    mode: str  # "prevalidate" or "stock", optionally + MEMORY_DB
    users: int
    window: float
    answers: list[Answer] = field(default_factory=list)
    probe_ms: list[float] = field(default_factory=list)
    probe_errors: int = 0
    loop: LoopLag | None = None
    ready_servers: int = 0  # servers the hub's REST API says are ready afterwards
    burst_s: float = 0.0  # first submit -> last answer
    load: tuple[float, float] = (0.0, 0.0)
    hub_errors: list[str] = field(default_factory=list)  # tracebacks / 500s in the hub log
    samples: list[tuple[float, str]] = field(default_factory=list)  # loopsampler's, when sampled


# With LOAD_PROFILE set: a cProfile of the hub's main thread from start, dumped at each SIGUSR2
# (JupyterHub keeps SIGUSR1 for itself): once as the burst starts, once when it has settled; the
# difference of the two dumps is the burst.
_PROFILE = """
import cProfile as _cProfile, signal as _signal
_profile = _cProfile.Profile()
_profile.enable()
_dumps = [{path!r} + ".before", {path!r}]
def _dump(*_):
    _profile.dump_stats(_dumps.pop(0) if len(_dumps) > 1 else _dumps[0])
    _profile.enable()
_signal.signal(_signal.SIGUSR2, _dump)
"""


class User(Browser):
    async def submit_once(self, answer: Answer, form: dict[str, str]) -> None:
        started = time.perf_counter()
        page = await self.http.post(f"/hub/spawn/{self.user}", data={**form, "_xsrf": self.xsrf})
        answer.answer_s = time.perf_counter() - started
        answer.status = page.status_code
        visited = [str(r.url) for r in (*page.history, page)]
        if "/spawn-pending/" in visited[-1]:
            answer.where = "pending"
        elif any("/user/" in url for url in visited):
            answer.where, answer.outcome, answer.outcome_s = "server", "ready", answer.answer_s
            return
        else:
            found = re.search(r'<p class="spawn-error-msg[^"]*">(.*?)</p>', page.text, re.S)
            answer.where = "form" if page.status_code < 500 else "error"
            answer.message = visible_text(found.group(1) if found else page.text)[:400]
            return
        progress = re.search(r'new EventSource\("([^"]+)"\)', page.text)
        if progress is None:  # the spawn already failed: the pending page shows why, at once
            answer.outcome, answer.outcome_s = "failed", answer.answer_s
            answer.outcome_message = visible_text(page.text)[:400]
            return
        async with self.http.stream(
            "GET", html.unescape(progress.group(1)), headers={"Accept": "text/event-stream"}
        ) as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    event = json.loads(line[5:])
                    if event.get("failed") or event.get("ready"):
                        answer.outcome = "ready" if event.get("ready") else "failed"
                        answer.outcome_s = time.perf_counter() - started
                        answer.outcome_message = str(event.get("message", ""))[:400]
                        return


class Probe(threading.Thread):
    """GET /hub/api every `period` s (a page any client may load) until stopped; latencies in ms."""

    def __init__(self, url: str, period: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.url, self.period = url, period
        self.ms: list[float] = []
        self.errors = 0
        self.done = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=30) as http:
            while not self.done.is_set():
                started = time.perf_counter()
                try:
                    ok = http.get(self.url).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = time.perf_counter() - started
                if ok:
                    self.ms.append(elapsed * 1000)
                else:
                    self.errors += 1
                self.done.wait(max(0.0, self.period - elapsed))


@contextlib.asynccontextmanager
async def kubesim_process(cluster: str, workdir: Path) -> AsyncIterator[Path]:
    """kubesim in its own process (so its work is not on the clients' event loop); yields the
    kubeconfig. SIGTERM stops it and the stand-in servers its kubelet started."""
    cluster_file, kubeconfig = workdir / "cluster.yaml", workdir / "kubeconfig"
    cluster_file.write_text(cluster)
    log = open(workdir / "kubesim.log", "wb")  # noqa: SIM115 - closed in finally
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "prevalidate.testing.kubesim",
        "--cluster",
        str(cluster_file),
        "--port",
        str(free_port()),
        "--kubeconfig-out",
        str(kubeconfig),
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        deadline = time.monotonic() + 120
        while not (kubeconfig.exists() and "serving" in (workdir / "kubesim.log").read_text()):
            if proc.returncode is not None or time.monotonic() > deadline:
                raise RuntimeError("kubesim did not start: " + (workdir / "kubesim.log").read_text()[-2000:])
            await asyncio.sleep(0.1)  # the process offers no readiness signal but its log line
        yield kubeconfig
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except asyncio.TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


async def run_burst(
    mode: str, users: int, window: float, registry: RunningRegistry, workdir: Path, *, sample: bool = False
) -> BurstRun:
    """One burst in `mode`; `sample`: the hub runs `loopsampler` (who holds its loop) and the
    run keeps its samples of the burst in `run.samples`."""
    run = BurstRun(mode, users, window)
    host = registry.host
    workdir.mkdir(parents=True, exist_ok=True)
    async with kubesim_process(cluster_yaml(host), workdir) as kubeconfig:
        env = {"KUBECONFIG": str(kubeconfig), "PYTHONPATH": str(REPO)}
        if os.environ.get("LOAD_ASYNCIO_DEBUG"):  # to find what blocks the hub's loop: asyncio
            env["PYTHONASYNCIODEBUG"] = "1"  # logs each callback that runs over 100 ms, by name
        config = hub_config(host, mode.startswith("prevalidate"), sys.executable)
        if mode.endswith(MEMORY_DB):
            # JupyterHub's database in memory (z2jh's `hub.db.type: sqlite-memory`): no commit
            # waits for the disk while holding the event loop.
            config += 'c.JupyterHub.db_url = "sqlite://"\n'
        samples = workdir / "loop-samples.jsonl"
        if sample:  # both use SIGUSR2 to mark the burst
            config += f"import benchmarks.loadrun.loopsampler as _s; _s.install({str(samples)!r})\n"
        elif os.environ.get("LOAD_PROFILE"):  # a cProfile of the hub's main thread, dumped at exit
            config += _PROFILE.format(path=f"{os.environ['LOAD_PROFILE']}-{mode}.prof")
        async with start_hub(config, env=env, timeout=120, stop_timeout=60) as hub:
            browsers = [User(hub, f"load-{i:03d}") for i in range(users)]
            async with contextlib.AsyncExitStack() as stack:
                gate = asyncio.Semaphore(8)  # log in a few at a time, before the clock starts

                async def login(b: User) -> None:
                    async with gate:
                        await stack.enter_async_context(b)

                await asyncio.gather(*(login(b) for b in browsers))
                await asyncio.sleep(2.0)  # let the hub settle (reflectors, first lists)
                await _burst(run, hub, browsers, host, mark=sample or bool(os.environ.get("LOAD_PROFILE")))
            run.ready_servers = await _ready_servers(hub)
            if sample:
                run.samples = read_samples(samples)
            run.hub_errors = [line for line in hub.log().splitlines() if re.search(r"\] 5\d\d ", line)][:20]
    return run


async def _burst(run: BurstRun, hub: RunningHub, browsers: list[User], host: str, *, mark: bool) -> None:
    """The burst; `mark`: SIGUSR2 to the hub as it starts and once it has settled."""
    before_metrics = await metrics_snapshot(hub)
    log_mark = len(hub.log())
    probe = Probe(hub.url + "/hub/api")
    run.load = (os.getloadavg()[0], 0.0)
    probe.start()
    await asyncio.sleep(1.0)  # a second of probes before the burst as a baseline
    if mark:
        hub.process.send_signal(signal.SIGUSR2)
    started = time.perf_counter()
    answers = [Answer(b.user, kind_of(i)) for i, b in enumerate(browsers)]

    async def one(i: int) -> None:
        await asyncio.sleep(i * run.window / len(browsers))
        try:
            await asyncio.wait_for(
                browsers[i].submit_once(answers[i], form_for(answers[i].kind, host)), OUTCOME_TIMEOUT
            )
        except (httpx.HTTPError, asyncio.TimeoutError) as exc:
            answers[i].where, answers[i].message = "error", repr(exc)[:300]

    tasks = [asyncio.create_task(one(i)) for i in range(len(browsers))]
    await asyncio.gather(*(_settled(answers[i], tasks[i]) for i in range(len(browsers))))
    # The window the probes cover: first submit until every bad user has an answer and every good
    # server is ready (not the stock hub's bad pods still Pending until start_timeout).
    run.burst_s = time.perf_counter() - started
    probe.done.set()
    if mark:
        hub.process.send_signal(signal.SIGUSR2)
    after_metrics = await metrics_snapshot(hub)
    run.loop = hub_loop_lag(before_metrics, after_metrics, hub.log()[log_mark:])
    run.load = (run.load[0], os.getloadavg()[0])
    await asyncio.gather(*tasks)
    probe.join()
    run.answers, run.probe_ms, run.probe_errors = answers, probe.ms, probe.errors


async def _settled(answer: Answer, task: asyncio.Task[None]) -> None:
    """Until `answer` has its page and, for a good user, its server's outcome (or the task ended)."""
    while not task.done() and not (answer.where and (answer.kind != "good" or answer.outcome)):
        await asyncio.sleep(0.05)  # plain fields of a dataclass; a few checks a second suffice


async def _ready_servers(hub: RunningHub) -> int:
    response = await hub.api("GET", "/users?limit=1000", timeout=60)
    users = response.json()
    items = users.get("items", users) if isinstance(users, dict) else users
    return sum(1 for u in items for s in (u.get("servers") or {}).values() if s.get("ready"))
