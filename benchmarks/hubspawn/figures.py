"""The report's figures: medians and percentiles of the samples, ratios between approaches, and
how a number or a message is written in the markdown."""

from __future__ import annotations

import re
import statistics

from benchmarks.hubspawn.browser import Seen
from benchmarks.hubspawn.config import CASES
from benchmarks.hubspawn.runs import ApproachRun


# -- numbers -----------------------------------------------------------------------------------
def pct(samples: list[float], q: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[q - 1] if len(samples) > 1 else samples[0]


def to_error(run: ApproachRun, case: str) -> float:
    """Seconds from submit to visible error: the median over the concurrent rounds."""
    return statistics.median(run.first[case])


def errors(run: ApproachRun) -> dict[str, float]:
    """`to_error` of every case the run saw."""
    return {case: to_error(run, case) for case in run.seen}


def warm_p50(run: ApproachRun) -> dict[str, float]:
    return {case: pct(samples, 50) for case, samples in run.warm.items()}


def ratios(slower: dict[str, float], faster: dict[str, float]) -> dict[str, float]:
    """slower / faster for each case both have, in CASES order."""
    return {case: slower[case] / faster[case] for case in CASES if case in slower and case in faster}


def fmt_ratios(by_case: dict[str, float], spec: str = ",.0f") -> str:
    return ", ".join(f"{case} {ratio:{spec}}x" for case, ratio in by_case.items())


def verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def median_ms(samples_ms: list[float]) -> str:
    return f"{statistics.median(samples_ms):.1f} ms" if samples_ms else "n/a"


def median_diff_ms(samples_ms: list[float], floor_ms: list[float]) -> str:
    return f"{statistics.median(samples_ms) - statistics.median(floor_ms):.1f} ms"


def fmt_seconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def shown(seen: Seen) -> str:
    """The message as one table-safe line, cut at 320 characters."""
    text = re.sub(r"\s+", " ", seen.message).strip()
    text = text if len(text) <= 320 else text[:317] + "…"
    return text.replace("|", "\\|")
