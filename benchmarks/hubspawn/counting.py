"""Counting the requests a window of the run cost: Kubernetes API requests from kubesim's request
log and registry requests from its access log, each classified by kind ("list pods",
"HEAD manifests"), with a watch cache's list+watch cycles told apart from the rest."""

from __future__ import annotations

import re
import time
from collections import Counter

from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.registry import RunningRegistry

_PATH = re.compile(r"^/(?:api/v1|apis/[^/]+/[^/]+)(?:/namespaces/[^/]+)?/(?P<rest>[^?]*)")


def classify_api(line: str) -> str:
    """`GET /api/v1/namespaces/jhub/pods?watch=True` -> "watch pods"."""
    method, _, target = line.partition(" ")
    path, _, query = target.partition("?")
    match = _PATH.match(path)
    if match is None or not match.group("rest"):
        return "discovery"
    parts = match.group("rest").split("/")
    if path.startswith("/api/v1/namespaces/") and len(path.split("/")) == 5:  # a namespace itself
        parts = ["namespaces", *parts]
    resource = parts[0]
    named = len(parts) > 1
    if method == "GET":
        watching = re.search(r"(?:^|&)watch=(?:true|True|1)", query) is not None
        verb = "watch" if watching else ("get" if named else "list")
    else:
        verb = {"POST": "create", "PUT": "replace", "PATCH": "patch", "DELETE": "delete"}.get(method, method)
    return f"{verb} {resource}"


def classify_registry(line: str) -> str:
    found = re.search(r'"(GET|HEAD|PUT|POST|PATCH|DELETE) /v2/(?:.*/)?(manifests|blobs|tags)/', line)
    if found:
        return f"{found.group(1)} {found.group(2)}"
    found = re.search(r'"(\w+) (/v2/\S*)', line)
    return f"{found.group(1)} {found.group(2)}" if found else "other"


def per_spawn(counts: Counter[str], spawns: int) -> str:
    """Each kind's count divided by `spawns`: "create pods 1, delete pods 0.75"."""
    if not counts:
        return "0"
    return ", ".join(f"{kind} {n / spawns:g}" for kind, n in sorted(counts.items()))


class Window:
    """Requests the sim and the registry served between two points of the run."""

    def __init__(self, sim: KubeSim, registry: RunningRegistry) -> None:
        self.sim, self.registry = sim, registry
        self.api_mark, self.registry_mark = len(sim.request_log), len(registry.request_lines())
        self.started = time.perf_counter()

    def close(self) -> tuple[Counter[str], Counter[str], float]:
        api = classify_window(self.sim.request_log, self.api_mark)
        lines = self.registry.request_lines()[self.registry_mark :]
        return api, Counter(classify_registry(line) for line in lines), time.perf_counter() - self.started


def classify_window(log: list[str], start: int) -> Counter[str]:
    """Kinds of the requests in log[start:]. A list that the next request on the same path
    turns into a watch is a watch cache's (re)start: both count as "cycle <resource>"."""
    counts: Counter[str] = Counter()
    for index in range(start, len(log)):
        kind = classify_api(log[index])
        path = log[index].partition("?")[0]
        if kind.startswith("watch "):
            kind = "cycle " + kind[6:]
        elif kind.startswith("list "):
            following = [line for line in log[index + 1 :] if line.partition("?")[0] == path]
            if following and classify_api(following[0]).startswith("watch "):
                kind = "cycle " + kind[5:]
        counts[kind] += 1
    return counts


def background(counts: Counter[str]) -> tuple[Counter[str], Counter[str]]:
    """(watch-cache list+watch cycles, everything else): a cache re-opens its watch on a timer."""
    cycles = Counter({k[6:]: n for k, n in counts.items() if k.startswith("cycle ")})
    return cycles, Counter({k: n for k, n in counts.items() if not k.startswith("cycle ")})
