"""Run every benchmark module (each rewrites its own section of RESULTS.md)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path


def main() -> int:
    here = str(Path(__file__).parent)
    names = sorted(
        m.name for m in pkgutil.iter_modules([here]) if not m.name.startswith("_") and not m.ispkg
    )  # packages (baselines/) hold helpers, not benchmarks
    only = set(sys.argv[1:])
    for name in names:
        if only and name not in only:
            continue
        module = importlib.import_module(f"benchmarks.{name}")
        if hasattr(module, "main"):
            print(f"== benchmarks.{name}", flush=True)
            module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
