"""The coverage-guided fuzz (issue 14 item 4, "atheris where it adds coverage"): raw bytes into
the parsers (``prevalidate/testing/fuzz/atheris_targets.py``, plus the webhook's AdmissionReview
reading here), each under atheris (libFuzzer) for a fixed number of runs from a seed corpus in
``tests/fuzz/atheris/<target>/``; writes the ``fuzz-atheris`` section of RESULTS.md.

``make fuzz`` runs it after the hypothesis families (``type_fuzz``), with atheris installed from
the ``fuzz`` extra; ``make test`` never needs atheris (``tests/fuzz/test_atheris_targets.py``
calls the same targets on the seed corpus and the saved regression inputs).

    python -m benchmarks.atheris_fuzz                       # every target, RUNS each
    python -m benchmarks.atheris_fuzz --only image --runs 5000 --no-write
    python -m benchmarks.atheris_fuzz --coverage image      # coverage.py: hypothesis vs atheris

Each target runs in its own process (libFuzzer runs one target per process, and only code
imported after ``instrument_imports`` gives coverage feedback, so this module imports no
prevalidate code at the top). The corpus atheris grows is kept in ``build/atheris/<target>/``.
A crash leaves its input in ``build/atheris/crashes/``; save it under
``tests/fuzz/atheris/<target>/regression-*`` with the fix.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

from benchmarks._atheris_coverage import (
    COMPARE,
    ROOT,
    SEED,
    SEEDS,
    WORK,
    comparison_markdown,
    coverage_comparison,
)

MAX_LEN = 4096
# Runs per target in `make fuzz`: the slower targets (a whole AdmissionReview through the
# service, a Status through every message, JSON bodies) get fewer.
RUNS = {
    "image": 500_000,
    "quantity": 500_000,
    "www-authenticate": 500_000,
    "registry-host": 500_000,
    "manifest": 300_000,
    "status": 200_000,
    "webhook": 200_000,
}
NAMES = tuple(RUNS)
_STATS = re.compile(r"#(\d+)\s+DONE\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+.*?exec/s: (\d+)")
_INITED = re.compile(r"#\d+\s+INITED\s+cov: (\d+) ft: (\d+)")
_PROGRESS = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/")


def webhook_target() -> Any:
    """AdmissionReview bodies: a content-type byte, then the body, through ``read_review`` and
    the reviewer over a ValidationService (the checks of ``input_fuzz.WebhookFuzz``)."""
    import logging

    from prevalidate.testing.fuzz.atheris_targets import TargetFailure
    from prevalidate.testing.fuzz.families import Guarded, Tally

    from .input_fuzz import WebhookFuzz

    hook = WebhookFuzz()
    types = ("application/json", "application/json; charset=utf-8", "text/plain", "")
    guarded = Guarded()  # a traceback the reviewer logged while it allowed unchecked
    logging.getLogger("prevalidate").addHandler(guarded)

    def run(data: bytes) -> str:
        content_type = types[data[0] % len(types)] if data else types[0]
        tally = Tally("webhook")
        guarded.seen.clear()
        hook.check((data[1:], content_type), tally)
        for seen in guarded.seen:
            tally.fail("guarded", seen)
        if tally.crashes:
            raise TargetFailure(tally.summary())
        return next(iter(tally.outcomes), "none")

    return run


def target(name: str) -> Any:
    if name == "webhook":
        return webhook_target()
    from prevalidate.testing.fuzz.atheris_targets import TARGETS

    return TARGETS[name].run


def child(name: str, libfuzzer_args: list[str]) -> None:
    """One target under atheris; libFuzzer exits the process when done."""
    import atheris

    with atheris.instrument_imports(include=["prevalidate", "prevalidate_webhook"]):
        run = target(name)

    def one_input(data: bytes) -> None:
        run(data)

    atheris.Setup([sys.argv[0], *libfuzzer_args], one_input)
    atheris.Fuzz()


@dataclass
class Outcome:
    name: str
    runs: int
    seconds: float
    edges: int = 0
    features: int = 0
    corpus: int = 0
    exec_per_s: int = 0
    crashes: int = 0
    crash_text: str = ""
    seeds: int = 0
    seed_edges: int = 0  # cov after reading the seed corpus, before any mutation
    seed_features: int = 0


def run_target(name: str, runs: int, seed: int = SEED) -> Outcome:
    corpus, crashes = WORK / name, WORK / "crashes"
    corpus.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    seeds = SEEDS / name
    args = [
        sys.executable,
        "-m",
        "benchmarks.atheris_fuzz",
        "--child",
        name,
        f"-runs={runs}",
        f"-seed={seed}",
        f"-max_len={MAX_LEN}",
        "-timeout=30",  # one input: a hang
        "-rss_limit_mb=3072",
        f"-artifact_prefix={crashes}/{name}-",
        "-print_final_stats=1",
        str(corpus),  # new inputs go to the first directory
        str(seeds),
    ]
    began = time.perf_counter()
    done = subprocess.run(
        args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
    )
    outcome = Outcome(name, runs, time.perf_counter() - began, seeds=len(list(seeds.iterdir())))
    log = done.stdout
    (WORK / f"{name}.log").write_text(log)
    stats = _STATS.findall(log) or [(m[0], m[1], m[2], m[3], "0") for m in _PROGRESS.findall(log)]
    inited = _INITED.search(log)
    if inited:
        outcome.seed_edges, outcome.seed_features = int(inited[1]), int(inited[2])
    if stats:
        last = stats[-1]
        outcome.runs, outcome.edges, outcome.features = int(last[0]), int(last[1]), int(last[2])
        outcome.corpus, outcome.exec_per_s = int(last[3]), int(last[4])
    if done.returncode != 0:
        outcome.crashes = 1  # libFuzzer stops at the first crash
        marker = log.find("Traceback")
        outcome.crash_text = log[marker : marker + 2000] if marker >= 0 else log[-2000:]
    return outcome


# ---- coverage: what each fuzzer reaches in one parser ------------------------------------------


FOUND = """\
Found by these targets and fixed (the crashing input kept as `tests/fuzz/atheris/<target>/regression-*`,
replayed by `make test`, and a unit test beside each fix):

- **quantity** (`-0111…1000…014825483150825619457`, an invariant): quantities of more than 28
  significant digits were rounded (Python's default context: `abs()` and unary minus), so
  30 nines read as `1000000000000E`; Go's `inf.Dec` is exact, and so is `parse_quantity` now.
  (The first half was seen while writing the target's oracle, the negative case found by atheris.)
- **status** and **webhook** (a LimitRange refusal with a 60-digit maximum; a pod asking for such
  a cpu): once quantities were exact, `amounts.trim`'s `quantize` raised past 28 digits (the
  webhook's guard allowed the pod unchecked, a traceback logged): it rounds with enough precision.
- **status** (garbage after `must specify`): one finding per `; ` piece — 24 copies of one
  sentence, 8,213 characters on the spawn page; now deduplicated, at most 8 resources and 10
  containers of 63 characters each.
- **image** (`ogle.idata.goo_le.internal/x:n`, an invariant): a first component only the path
  grammar accepts (`_` is no domain character) gives Go no domain, and we judged — and matched
  against the allow-list — an empty registry host; containerd contacts that first component, so
  the policy and the lookup now use it (`/v2/` + the rest of the path).
- **www-authenticate** (a realm `https://xn--o-pfatt20n/…`): httpx's `url.host` raises
  `IDNAError` on an invalid `xn--` label; the redirect check compared `url.host` (the gate
  already used the ASCII wire host): both now compare raw hosts.
- Not product bugs, adjusted in the harness: httpx refusing to re-parse a URL it built
  (`https://506。0。0。1/` → host `506.0.0.1`), and the webhook's denial message, which is bounded
  by the webhook at 16 kB (one paragraph of every error), not at one message's 4 kB.
"""


def markdown(outcomes: list[Outcome], comparison: str = "") -> str:
    from prevalidate.testing.fuzz.atheris_targets import TARGETS

    what = {n: t.what for n, t in TARGETS.items()}
    what["webhook"] = "AdmissionReview bodies → `read_review`, `Reviewer.answer` over a ValidationService"
    rows = "\n".join(
        f"| {o.name} | {what[o.name]} | {o.seeds} | {o.seed_edges:,} / {o.seed_features:,} | {o.runs:,} | "
        f"{o.edges:,} / {o.features:,} | "
        f"{o.corpus:,} | **{o.crashes}** | {o.seconds:.0f} s ({o.exec_per_s:,}/s) |"
        for o in outcomes
    )
    total = sum(o.runs for o in outcomes)
    return f"""### Coverage-guided: atheris (issue 14, item 4)

`make fuzz` then runs atheris 3.0 (libFuzzer; `pip install -e '.[fuzz]'`, not needed by
`make test`) over the parsers, where mutating bytes under coverage feedback reaches corners a
typed strategy does not: `python -m benchmarks.atheris_fuzz`, targets in
`prevalidate/testing/fuzz/atheris_targets.py`, seed corpora in `tests/fuzz/atheris/<target>/`,
libFuzzer seed {SEED}, inputs up to {MAX_LEN:,} bytes. A crash: an exception escaping, a
message over its bound, a broken invariant (a reference that does not re-parse to itself, a
quantity whose canonical form reads back as another value, a listed registry denied). *edges*
and *features* (`cov` / `ft`) are libFuzzer's counts over the instrumented prevalidate code: after reading
the seed corpus, and at the end of the run (what the mutations added). `make test` replays
every seed and regression input without atheris (`tests/fuzz/test_atheris_targets.py`).

| target | input → code | seeds | cov / ft, seeds | runs | cov / ft, end | corpus | crashes | time |
|---|---|---|---|---|---|---|---|---|
{rows}

**Total: {total:,} runs, {sum(o.crashes for o in outcomes)} crashes.**
{comparison}

{FOUND}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.atheris_fuzz")
    parser.add_argument("--only", action="append", choices=NAMES)
    parser.add_argument("--runs", type=int, help="runs per target (default: RUNS)")
    parser.add_argument("--no-write", action="store_true", help="do not rewrite RESULTS.md")
    parser.add_argument("--no-compare", action="store_true", help="skip the coverage comparison")
    parser.add_argument("--coverage", choices=tuple(COMPARE), help="only the comparison for one target")
    args = parser.parse_args(argv)
    if args.coverage:
        for row in coverage_comparison(args.coverage, COMPARE[args.coverage]):
            print(row)
        return 0
    outcomes = []
    for name in args.only or NAMES:
        outcome = run_target(name, args.runs or RUNS[name])
        print(
            f"{name}: {outcome.runs:,} runs in {outcome.seconds:.0f} s, cov {outcome.seed_edges} -> "
            f"{outcome.edges}, ft {outcome.seed_features} -> {outcome.features}, corpus {outcome.corpus}, "
            f"crashes {outcome.crashes}",
            flush=True,
        )
        if outcome.crash_text:
            print(outcome.crash_text, flush=True)
        outcomes.append(outcome)
    rows: list[dict[str, Any]] = []
    if not args.no_compare:
        for name, cases in COMPARE.items():
            if name in (args.only or NAMES):
                rows.extend(coverage_comparison(name, cases))
        for row in rows:
            print(row, flush=True)
    if not args.no_write:
        from ._results import write_section

        write_section("fuzz-atheris", markdown(outcomes, comparison_markdown(rows) if rows else ""))
    return 1 if any(o.crashes for o in outcomes) else 0


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3:])
    sys.exit(main())
