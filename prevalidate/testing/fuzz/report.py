"""What a fuzz run found: failures grouped by signature (the exception type and the innermost
frame in prevalidate), so 10,000 hits of one bug are one line in the report.
"""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Failure:
    kind: str
    signature: str
    case: int
    target: str
    detail: str
    mutations: list[str] = field(default_factory=list)


@dataclass
class Report:
    seed: int
    start: int
    cases: int = 0
    seconds: float = 0.0
    targets: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    hits: Counter[str] = field(default_factory=Counter)
    failures: dict[str, Failure] = field(default_factory=dict)

    def add(self, failure: Failure) -> None:
        self.hits[failure.signature] += 1
        self.failures.setdefault(failure.signature, failure)

    @property
    def crashes(self) -> int:
        return sum(self.hits.values())

    def summary(self) -> str:
        rate = self.cases / self.seconds if self.seconds else 0.0
        lines = [
            f"cases {self.start}..{self.start + self.cases - 1} of seed {self.seed}: "
            f"{self.cases:,} mutations in {self.seconds:.1f} s ({rate:,.0f}/s); "
            + ", ".join(f"{k} {v:,}" for k, v in sorted(self.targets.items())),
            "outcomes: " + ", ".join(f"{k} {v:,}" for k, v in sorted(self.outcomes.items())),
            f"failures: {self.crashes:,} in {len(self.failures)} classes",
        ]
        for signature, failure in sorted(self.failures.items(), key=lambda kv: -self.hits[kv[0]]):
            lines.append(
                f"  [{failure.kind}] {signature}  x{self.hits[signature]:,}  first: case {failure.case} "
                f"({failure.target}; {'; '.join(failure.mutations)[:300]})\n      {failure.detail[:500]}"
            )
        return "\n".join(lines)


def signature_of(exc: BaseException) -> str:
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if "/prevalidate/" in f.filename]
    frames = [f for f in frames if "/testing/fuzz/" not in f.filename] or frames
    where = "?"
    if frames:
        last = frames[-1]
        where = f"{last.filename.split('/prevalidate/', 1)[-1]}:{last.lineno} ({last.name})"
    return f"{type(exc).__name__} at prevalidate/{where}"


class Failed(logging.Handler):
    """Collects the warnings prevalidate logs when a check or a whole validation raised."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.seen: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "failed" in message:
            self.seen.append(message[:300])
