"""What the spawn form's marks cost, and how fast the as-you-type check answers.

1. Render time of ``PrevalidatingKubeSpawner.get_options_form`` for a profile list of 20
   profiles with two options each (CPU: 1, 2, 4, 16, 64; memory: 2Gi, 8Gi, 64Gi, 300Gi), that
   is 160 pods (each profile with its defaults, and each other choice), on the demo cluster
   (a FixedView; the hub's LiveCluster gives the validation the same in-memory view):
   - without marks (``c.Prevalidator.enabled = False``: the same compiled template, no checks);
   - with marks, warm (the cluster unchanged since the last render: kept verdicts);
   - with marks after a cluster change (a pod event before each render): with the render
     budget, and without a budget (every verdict recomputed, pods kept);
   - the first render (pods built by KubeSpawner on shadow spawners), without a budget.
   Shadow spawners and KubeSpawner are real; nothing is mocked but the API server address.
2. The as-you-type round trip through the real demo hub (configurable-http-proxy, JupyterHub,
   KubeSpawner on kubesim, a real registry): ``POST /hub/api/prevalidate/check`` as the browser
   sends it (session cookie, xsrf token), p50/p95 over requests spaced to stay under the 5/s rate limit.
"""

from __future__ import annotations

import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from benchmarks._results import write_section

KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: none, user: {}}]
contexts: [{name: none, context: {cluster: none, user: none, namespace: jhub}}]
current-context: none
"""
PROFILES = 20


def _resources(kind: str, value: str) -> dict[str, Any]:
    return {"extra_container_config": {"resources": {"requests": {kind: value}, "limits": {kind: value}}}}


def profile_list() -> list[dict[str, Any]]:
    def choices(kind: str, values: tuple[str, ...]) -> dict[str, Any]:
        return {v: {"display_name": v, "kubespawner_override": _resources(kind, v)} for v in values}

    return [
        {
            "display_name": f"Profile {i}",
            "slug": f"p{i}",
            "kubespawner_override": {"image": f"quay.io/jupyter/scipy-notebook:2024-{i:02d}"},
            "profile_options": {
                "cpu": {"display_name": "CPUs", "choices": choices("cpu", ("1", "2", "4", "16", "64"))},
                "memory": {
                    "display_name": "Memory",
                    "choices": choices("memory", ("2Gi", "8Gi", "64Gi", "300Gi")),
                },
            },
        }
        for i in range(PROFILES)
    ]


def _spawner(enabled: bool) -> Any:
    from traitlets.config import Config

    from prevalidate.hub.spawner import PrevalidatingKubeSpawner

    config = Config()
    config.KubeSpawner.profile_list = profile_list()
    config.KubeSpawner.namespace = "jhub"
    config.Prevalidator.enabled = enabled
    return PrevalidatingKubeSpawner(_mock=True, config=config)


def _ms(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return 1000 * statistics.median(ordered), 1000 * ordered[int(0.95 * (len(ordered) - 1))]


async def _times(spawner: Any, n: int, before: Any = None) -> list[float]:
    samples = []
    for _ in range(n):
        if before:
            before()
        started = time.perf_counter()
        await spawner.get_options_form()
        samples.append(time.perf_counter() - started)
    return samples


async def render_times(n: int = 40) -> dict[str, Any]:
    from kubernetes_asyncio.config import kube_config

    from prevalidate import demo
    from prevalidate.hub import formmarks
    from prevalidate.hub.service import _services
    from prevalidate.kube.dump import load_cluster
    from prevalidate.model.settings import Settings
    from prevalidate.service import FixedView, ValidationService

    kubeconfig = Path(tempfile.mkdtemp()) / "kubeconfig"
    kubeconfig.write_text(KUBECONFIG)
    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = str(kubeconfig)
    view = load_cluster(Path(demo.__file__).parent / "cluster.yaml")
    view.mark_known("PriorityClass")
    service = ValidationService(Settings(), FixedView(view), None)
    await service.ensure_started()
    _services[(id(asyncio.get_running_loop()), "", ("jhub",))] = service

    off, on = _spawner(False), _spawner(True)
    await _times(off, 3)
    results: dict[str, Any] = {"without": _ms(await _times(off, n))}

    budget = formmarks.RENDER_BUDGET
    formmarks.RENDER_BUDGET = 600.0
    formmarks.forget()
    results["cold"] = _ms(await _times(on, 1))
    form = await on.get_options_form()
    results["marks"] = form.count("⚠")
    results["warm"] = _ms(await _times(on, n))
    counter = iter(range(10**9))

    def pod_event() -> None:
        view.apply(
            {
                "kind": "Pod",
                "metadata": {"name": f"churn-{next(counter)}", "namespace": "jhub"},
                "spec": {"nodeName": "std-3", "containers": [{"name": "c"}]},
                "status": {"phase": "Succeeded"},
            }
        )

    results["changed_unbudgeted"] = _ms(await _times(on, max(n // 4, 5), pod_event))
    formmarks.RENDER_BUDGET = budget
    results["changed_budgeted"] = _ms(await _times(on, n, pod_event))
    results["budget"] = budget * 1000
    _services.clear()
    formmarks.forget()
    return results


async def round_trip(n: int = 40) -> dict[str, Any]:
    from prevalidate.demo import PROFILE, start_demo

    field = f"profile-option-{PROFILE}--cpu--unlisted-choice"
    results: dict[str, Any] = {}
    async with start_demo(0) as running, httpx.AsyncClient(base_url=running.url, timeout=60) as http:
        # As the browser does: log in (DummyAuthenticator), view the form (which adds the
        # route), then post with the session cookie and JupyterHub's xsrf token from the page.
        login = await http.get("/hub/login")
        xsrf = re.search(r'name="_xsrf" value="([^"]+)"', login.text)
        form = {"username": "bench", "password": "any", **({"_xsrf": xsrf.group(1)} if xsrf else {})}
        await http.post("/hub/login", data=form, follow_redirects=True)
        page = await http.get("/hub/spawn", follow_redirects=True)
        assert "prevalidate-form-data" in page.text, page.text[:500]
        token = re.search(r'xsrf_token: "([^"]+)"', page.text)
        headers = {"X-XSRFToken": token.group(1) if token else ""}
        for value, label in (("30", "rejected (over quota)"), ("2", "fits")):
            samples = []
            for _ in range(n):
                body = {"form": {"profile": [PROFILE], field: [value]}}
                started = time.perf_counter()
                answer = await http.post("/hub/api/prevalidate/check", json=body, headers=headers)
                samples.append(time.perf_counter() - started)
                assert answer.status_code == 200, answer.text
                await asyncio.sleep(0.25)  # under the 5/s per-user limit
            results[label] = (_ms(samples), answer.json())
    return results


def main() -> None:
    renders = asyncio.run(render_times())
    trips = asyncio.run(round_trip())
    rows = [
        ("without marks (`enabled = False`)", renders["without"]),
        ("with marks, warm (cluster unchanged)", renders["warm"]),
        (
            f"with marks, a pod event before each render (budget {renders['budget']:.0f} ms)",
            renders["changed_budgeted"],
        ),
        (
            "with marks, a pod event before each render, no budget (160 verdicts)",
            renders["changed_unbudgeted"],
        ),
        ("first render, no budget (160 pods built by KubeSpawner)", renders["cold"]),
    ]
    lines = [
        "## Spawn form marks and the as-you-type check (`python -m benchmarks form_marks`)",
        "",
        f"Render of `get_options_form`: {PROFILES} profiles × (CPU 5 choices, memory 4 choices) = 160 pods "
        f"checked, on the demo cluster; {renders['marks']} choices marked. Target: ≤ 50 ms warm.",
        "",
        "| render | p50 ms | p95 ms |",
        "|---|---|---|",
        *[f"| {label} | {p50:.1f} | {p95:.1f} |" for label, (p50, p95) in rows],
        "",
        "As-you-type round trip (`POST /hub/api/prevalidate/check` through configurable-http-proxy to the "
        "demo hub, a logged-in user's cookie and xsrf token, 40 requests each):",
        "",
        "| typed CPUs | p50 ms | p95 ms | answer |",
        "|---|---|---|---|",
        *[
            f"| {label} | {p50:.1f} | {p95:.1f} | `{str(answer)[:80]}` |"
            for label, ((p50, p95), answer) in trips.items()
        ],
    ]
    text = "\n".join(lines)
    print(text)
    write_section("form_marks", text)


if __name__ == "__main__":
    main()
