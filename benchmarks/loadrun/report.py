"""The load run's section of RESULTS.md: the two bursts side by side."""

from __future__ import annotations

import functools
import re
import statistics
from collections import Counter
from collections.abc import Callable

from benchmarks.loadrun.burst import MEMORY_DB, Answer, BurstRun
from benchmarks.loadrun.setup import BAD_KINDS


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def verdict(run: BurstRun) -> dict[str, int]:
    """Counts the checks are made of (the smoke test asserts on the same ones)."""
    bad = [a for a in run.answers if a.kind != "good"]
    good = [a for a in run.answers if a.kind == "good"]
    return {
        "bad": len(bad),
        "bad_inline": sum(1 for a in bad if inline(a)),
        "good": len(good),
        "good_started": sum(1 for a in good if a.outcome == "ready"),
        "server_errors": sum(1 for a in run.answers if a.status >= 500 or a.where == "error"),
    }


def inline(answer: Answer) -> bool:
    return answer.where == "form" and 400 <= answer.status < 500 and bool(answer.message)


def _ms(value: float | None) -> str:
    return "< 50" if value is None else f"{value:.0f}"


def _how_bad_ended(run: BurstRun, *, kind: str) -> str:
    answers = [a for a in run.answers if a.kind == kind]
    ends = Counter(
        "inline 4xx" if inline(a) else f"{a.where} {a.status} → {a.outcome or 'no outcome'}" for a in answers
    )
    seen = [a.outcome_s if a.outcome_s is not None else a.answer_s for a in answers]
    return f"{', '.join(f'{n}× {e}' for e, n in ends.most_common())}; seen after p50 {pct(seen, 0.5):.1f} s"


def report(runs: dict[str, BurstRun], host_note: str) -> str:
    modes = list(runs)
    head = "| | " + " | ".join(_label(m) for m in modes) + " |"
    rows = [head, "|---" * (len(modes) + 1) + "|"]

    def row(label: str, cell: Callable[[BurstRun], str]) -> None:
        rows.append(f"| {label} | " + " | ".join(cell(runs[m]) for m in modes) + " |")

    row("users (bad) in window", lambda r: f"{r.users} ({verdict(r)['bad']}) in {r.window:.0f} s")
    row("bad answered inline (4xx + sentence)", lambda r: f"{verdict(r)['bad_inline']} / {verdict(r)['bad']}")
    row(
        "good servers started (ready)",
        lambda r: f"{verdict(r)['good_started']} / {verdict(r)['good']} (hub API: {r.ready_servers} ready)",
    )
    row("5xx / transport errors", lambda r: str(verdict(r)["server_errors"]))
    row(
        "bad: submit → answer p50 / p99 (s)",
        lambda r: _pair([a.answer_s for a in r.answers if a.kind != "good"]),
    )
    row(
        "bad: submit → error visible p50 / p99 (s)",
        lambda r: _pair(
            [a.outcome_s if a.outcome_s is not None else a.answer_s for a in r.answers if a.kind != "good"]
        ),
    )
    row(
        "good: submit → answer p50 / p99 (s)",
        lambda r: _pair([a.answer_s for a in r.answers if a.kind == "good"]),
    )
    row(
        "good: submit → ready p50 / p99 (s)",
        lambda r: _pair([a.outcome_s for a in r.answers if a.kind == "good" and a.outcome_s is not None]),
    )
    row("all: submit → answer p50 / p99 (s)", lambda r: _pair([a.answer_s for a in r.answers]))
    row(
        "probe GET /hub/api every 50 ms: p50 / p99 / max (ms)",
        lambda r: (
            f"{pct(r.probe_ms, 0.5):.0f} / {pct(r.probe_ms, 0.99):.0f} / {max(r.probe_ms, default=0):.0f}"
            f" ({len(r.probe_ms)} ok, {r.probe_errors} failed)"
        ),
    )
    row(
        "hub loop lag (JupyterHub probe, 20 ms): p50 / p99 / max (ms)",
        lambda r: (
            f"{_ms(r.loop.quantile_ms(0.5))} / {_ms(r.loop.quantile_ms(0.99))} / {r.loop.max_ms:.0f}"
            f" ({r.loop.ticks} ticks, {len(r.loop.stalls_ms)} ≥ 50 ms)"
            if r.loop
            else "n/a"
        ),
    )
    row("first submit → last answer (s)", lambda r: f"{r.burst_s:.1f}")
    row("load average before → after", lambda r: f"{r.load[0]:.1f} → {r.load[1]:.1f}")
    for kind in BAD_KINDS:
        row(f"how `{kind}` ended", functools.partial(_how_bad_ended, kind=kind))
    samples = {
        m: next((a.message for a in r.answers if a.kind != "good" and inline(a)), "") for m, r in runs.items()
    }
    lines = [
        "Load: 200 users submit the spawn form within 10 s on one hub (`python -m benchmarks load`).",
        "",
        "Real JupyterHub 6.1.1 + configurable-http-proxy + PrevalidatingKubeSpawner (stock = the same",
        "class with `c.Prevalidator.enabled = False`), kubesim in its own process (8 nodes of 32 CPUs,",
        "quota 200 CPUs / 100Gi), a real docker-registry. Every third user is bad, in turn: 200G of memory",
        "(over quota), 120 CPUs (no node has them), an image tag not in the registry, PVC `lol` (missing).",
        "Each user has its own logged-in session (DummyAuthenticator, cookies, the form's xsrf token) and",
        "posts the form fields a browser posts; user i submits at i × 10 s / 200. Good servers really",
        "start: kubesim's kubelet runs each pod's command as a process — a 10-line HTTP answerer standing",
        "in for jupyterhub-singleuser (133 real notebook servers would measure this 2-core machine's",
        "process start-up, not the hub), and the hub waits for it to answer as it does for a notebook.",
        "Throttles lifted: `concurrent_spawn_limit = 0`, `active_server_limit = 0`,",
        "`slow_spawn_timeout = 10` (JupyterHub's default; the test preamble's 1 s is for other tests);",
        "configurable-http-proxy has no request limit to lift. `start_timeout` = `http_timeout` = 90 s",
        "(133 servers starting at once on 2 shared cores take longer than 30 s). The probe is a separate",
        "client (own thread) GETting /hub/api every 50 ms through the proxy from 1 s before the first",
        "submit until every bad user has an answer and every good server is ready; the hub's loop lag is",
        "JupyterHub's own `event_loop_interval` probe (20 ms sleeps; stalls ≥ 50 ms logged with their",
        'length). The columns marked "hub DB in memory" run JupyterHub\'s database in memory',
        '(`db_url = "sqlite://"`, z2jh\'s `sqlite-memory`), so no commit waits for the disk.',
        "The modes run one after another, in the order of the columns.",
        "",
        *rows,
        "",
        f"{host_note}",
    ]
    for mode, r in runs.items():
        failed = Counter(
            _first_line(a.outcome_message or a.message or a.where)
            for a in r.answers
            if a.kind == "good" and a.outcome != "ready"
        )
        for message, n in failed.most_common(3):
            lines += ["", f"Good servers that did not start ({mode}): {n}× “{message}”"]
    if samples.get("prevalidate"):
        lines += ["", f"A bad user's inline sentence (prevalidate on): “{samples['prevalidate'][:300]}”"]
    return "\n".join(lines)


def _label(mode: str) -> str:
    on = "prevalidate on" if mode.startswith("prevalidate") else "prevalidate off (stock)"
    return on + (", hub DB in memory" if mode.endswith(MEMORY_DB) else ", hub DB on disk")


def _first_line(text: str) -> str:
    # a user number in the message would make every failure its own line
    return re.sub(
        r"load-\d+", "load-N", re.sub(r"127\.[\d.:]+", "POD-IP", text.splitlines()[0] if text else "")
    )[:200]


def _pair(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{statistics.median(values):.2f} / {pct(values, 0.99):.2f}"
