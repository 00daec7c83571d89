"""The load benchmark's parts: the cluster and hub it runs on (setup), the users, the probe and
the burst (burst), the hub-side measurements (hubside) and the RESULTS.md table (report)."""
