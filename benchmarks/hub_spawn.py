"""Seconds from spawn-form submit to a visible error: prevalidate vs. stock KubeSpawner vs. the
seeds/000 event monitor, side by side in one run.

`python -m benchmarks.hub_spawn` — for each approach a REAL JupyterHub 6.1.1 (+
configurable-http-proxy) with a real KubeSpawner 7.1 subclass runs against its own fresh
kubesim cluster and one real `docker-registry` holding the notebook image. The four bad spawns
of seeds/000 are submitted concurrently through the hub's spawn FORM (KubeSpawner's profile
form, fields as a browser posts them), each by its own logged-in user:

1. quota   — 64G of memory; the namespace quota is 40Gi (8Gi used);
2. cpu     — 120 CPUs; the biggest node has 62.5 allocatable of 64;
3. image   — a tag the registry does not have (`…:4.0`; `…:4.0.0` exists);
4. pvc     — a data volume from PVC `lol`, which does not exist.

The clock starts when the form POST is sent and stops when the user can see the error: the
form page re-rendered with the message, or — when the hub answers with the spawn-pending page
— the `failed` event on the progress stream that page follows (read here with the page's own
`progress_url`, as the browser's EventSource does). The first Warning in the pending page's
collapsed event log is timed too.

Then, on the prevalidate hub with warm caches: 50 more submits per case (p50/p95), with
Kubernetes API and registry requests counted over them, and the floor any form error pays —
a form POST the hub re-renders with an error and no validation at all (measured on the monitor
hub, same JupyterHub, via an `options_from_form` that refuses a marker field at once).

The parts live in `benchmarks/hubspawn/` (setup, browser, request counting, runs, figures,
report); this module runs them and writes the "hub" section of RESULTS.md.
"""

from __future__ import annotations

import asyncio
import os
import sys

from benchmarks._results import write_section
from benchmarks.hubspawn.config import APPROACHES
from benchmarks.hubspawn.report import report
from benchmarks.hubspawn.runs import measure, prevalidate_available


def main() -> None:
    # `python -m benchmarks hub_spawn` passes its own arguments too: keep only approach names.
    only = [a for a in sys.argv[1:] if a in APPROACHES]
    approaches = only or [a for a in APPROACHES if a != "prevalidate" or prevalidate_available()]
    load_start = os.getloadavg()[0]
    runs, host = asyncio.run(measure(approaches))
    text = report(runs, host, (load_start, os.getloadavg()[0]))
    write_section("hub", text)
    print(text)


if __name__ == "__main__":
    main()
