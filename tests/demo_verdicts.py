"""What `prevalidate audit` must say about the demo's CPU choices, worked out from a cluster file's
own numbers (not from the audit's output): the largest untainted node's allocatable CPUs and the
"compute" quota's hard and used CPU requests.

The demo's form has CPU choices meant to be marked (prevalidate/demo/profiles.py): one over what
the quota has left (fits an empty quota: "not-now") and one over the largest node ("never").
Memory choices (at most 8Gi) fit everywhere here, so a CPU count alone decides an entry.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from prevalidate.demo import profile_list

CUSTOM_OPTIONS = profile_list("registry.invalid")[0]["profile_options"]
CPU_CHOICES: tuple[str, ...] = tuple(CUSTOM_OPTIONS["cpu"]["choices"])
# The "custom" profile audits the whole product of its listed choices.
CUSTOM_ENTRIES = 1
for _option in CUSTOM_OPTIONS.values():
    CUSTOM_ENTRIES *= len(_option["choices"])


def cpus(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if quantity.endswith("m") else float(quantity)


def cluster_cpus(path: Path) -> tuple[float, float, float]:
    """(largest untainted node's allocatable CPUs, quota hard, quota used) in ``path``."""
    items: list[dict[str, Any]] = yaml.safe_load(path.read_text())["items"]
    largest = max(
        cpus(o["status"]["allocatable"]["cpu"])
        for o in items
        if o["kind"] == "Node" and not o.get("spec", {}).get("taints")
    )
    [quota] = [o for o in items if o["kind"] == "ResourceQuota" and o["metadata"]["name"] == "compute"]
    return (
        largest,
        cpus(quota["status"]["hard"]["requests.cpu"]),
        cpus(quota["status"]["used"]["requests.cpu"]),
    )


def cpu_verdict(cpu: str, cluster: Path) -> tuple[str, set[str]]:
    """(verdict, codes) for a server asking for ``cpu`` CPUs on ``cluster``."""
    largest, hard, used = cluster_cpus(cluster)
    wanted = cpus(cpu)
    never = {"no-node-fits"} if wanted > largest else set()
    if wanted > hard:
        never.add("quota-exceeded")
    if never:
        return "never", never
    if wanted > hard - used:
        return "not-now", {"quota-exceeded"}
    return "fits", set()


def without_never_choices(cluster: Path) -> str:
    """Lines for the audited jupyterhub_config.py that drop the CPU choices that can never start
    on ``cluster``, for tests about exit codes: with them left in, every audit of the demo exits 1."""
    never = [cpu for cpu in CPU_CHOICES if cpu_verdict(cpu, cluster)[0] == "never"]
    return "".join(
        f"del c.KubeSpawner.profile_list[0]['profile_options']['cpu']['choices'][{cpu!r}]\n" for cpu in never
    )
