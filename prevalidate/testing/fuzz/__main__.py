"""``python -m prevalidate.testing.fuzz``: run the type-mutation fuzz and print its report.

Exit status 0 when no case failed, 1 otherwise. Run from the repository root (the default
corpus is ``tests/fuzz/corpus`` and ``examples``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .harness import Fuzzer, Report

DEFAULT_CORPUS = ("tests/fuzz/corpus", "examples")
DEFAULT_CLUSTERS = ("examples/cluster.yaml", "tests/fuzz/corpus/cluster-rich.yaml")
DEFAULT_ADMISSION = "tests/fuzz/corpus/admission-config.yaml"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m prevalidate.testing.fuzz", description=__doc__)
    parser.add_argument("--count", type=int, default=100_000, help="cases to run (default 100,000)")
    parser.add_argument("--seed", type=int, default=9, help="the seed (default 9)")
    parser.add_argument("--start", type=int, default=0, help="first case index (to reproduce one case)")
    parser.add_argument("--corpus", action="append", help="folders of YAML manifests (repeatable)")
    parser.add_argument("--cluster", action="append", help="cluster files to check against (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    corpus = [Path(p) for p in (args.corpus or DEFAULT_CORPUS)]
    clusters = [Path(p) for p in (args.cluster or DEFAULT_CLUSTERS)]
    fuzzer = Fuzzer(corpus, clusters, args.seed, admission_config=Path(DEFAULT_ADMISSION))
    names = ", ".join(map(str, clusters))
    print(f"corpus: {len(fuzzer.pods)} pods, {len(fuzzer.texts)} files; clusters: {names}")

    def progress(report: Report) -> None:
        print(f"  {report.cases:,} cases, {report.crashes:,} failures, {report.seconds:.0f} s", flush=True)

    report = fuzzer.run(args.count, args.start, None if args.quiet else progress)
    print(report.summary())
    return 1 if report.crashes else 0


if __name__ == "__main__":
    sys.exit(main())
