"""The parts of `benchmarks.hub_spawn` (run the benchmark through that module).

- `config`: the cluster, the hub configuration per approach and the spawn-form fields per case;
- `browser`: a logged-in user submitting the form and following the spawn-pending page;
- `counting`: the Kubernetes API and registry requests served in a window of the run;
- `runs`: one approach's hub, its submits and counts;
- `figures`: medians, percentiles, ratios and how numbers and messages are written;
- `report`: the markdown section written to RESULTS.md.

A package, so `python -m benchmarks` (which runs the benchmark modules) skips it.
"""
