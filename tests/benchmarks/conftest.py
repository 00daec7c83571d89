"""The benchmarks live in the repository's top-level `benchmarks` package, which is not
installed: put the repository first on the path so `import benchmarks` finds it (and not this
directory)."""

from __future__ import annotations

import sys
from pathlib import Path

REPO = str(Path(__file__).resolve().parents[2])
if REPO not in sys.path:
    sys.path.insert(0, REPO)
