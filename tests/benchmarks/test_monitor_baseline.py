"""The seeds/000 event-monitor baseline really detects what the hub benchmark says it does:
through a real JupyterHub's spawn form on kubesim and a real registry, over quota fails at once
and 120 CPUs, a missing image tag and a missing PVC fail after the monitor's 5 s delay (not at
start_timeout), each with the cause in the message."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from benchmarks.baselines.monitor_spawner import classify_event
from benchmarks.hubspawn import config as bench
from benchmarks.hubspawn.browser import Browser
from prevalidate.testing.hubprocess import RunningHub, configurable_http_proxy_available, start_hub
from prevalidate.testing.kubesim import KubeSim, parse_cluster
from prevalidate.testing.registry import RunningRegistry, registry_available, run_registry


def event(reason: str, message: str) -> dict[str, str]:
    return {"reason": reason, "message": message}


def test_the_monitor_classifies_the_events_kubernetes_records() -> None:
    pvc = event("FailedScheduling", '0/3 nodes are available: persistentvolumeclaim "lol" not found.')
    cpu = event("FailedScheduling", "0/3 nodes are available: 3 Insufficient cpu. preemption: ...")
    pull = event("Failed", 'Failed to pull image "r/x:1": not found')
    backoff = event("Failed", "Error: ImagePullBackOff")
    missing_claim = classify_event(event("FailedMount", 'persistentvolumeclaim "lol" not found'))
    assert classify_event(pvc) == missing_claim and missing_claim is not None
    assert missing_claim[0] == 404
    verdict = classify_event(cpu)
    assert verdict is not None and verdict[0] == 409
    assert classify_event(pull) is not None and classify_event(backoff) is not None
    assert classify_event(event("Scheduled", "Successfully assigned jhub/x to big-1")) is None
    assert classify_event(event("Pulling", 'Pulling image "r/x:1"')) is None


@pytest.fixture
async def monitor_hub(tmp_path: Path) -> AsyncIterator[tuple[RunningHub, RunningRegistry]]:
    if not (configurable_http_proxy_available() and registry_available()):
        pytest.skip("needs configurable-http-proxy and docker-registry (run scripts/bootstrap)")
    with run_registry("open") as registry:
        registry.push_image(bench.REPOSITORY, bench.TAG)
        async with KubeSim(parse_cluster(bench.cluster_yaml(registry.host))) as sim:
            kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig", namespace=bench.NAMESPACE)
            env = {"KUBECONFIG": str(kubeconfig), "PYTHONPATH": str(bench.REPO)}
            config = bench.hub_config(bench.APPROACHES["monitor"], registry.host)
            async with start_hub(config, env=env) as hub:
                yield hub, registry


@pytest.mark.e2e
@pytest.mark.registry
@pytest.mark.timeout(60)
async def test_the_monitor_fails_each_bad_spawn_with_its_cause(
    monitor_hub: tuple[RunningHub, RunningRegistry],
) -> None:
    hub, registry = monitor_hub
    browsers = [Browser(hub, case) for case in bench.CASES]
    for browser in browsers:
        await browser.__aenter__()
    try:
        seen = dict(
            zip(
                bench.CASES,
                await asyncio.gather(*(b.submit(bench.form_for(b.user, registry.host)) for b in browsers)),
                strict=True,
            )
        )
    finally:
        for browser in browsers:
            await browser.__aexit__()
    quota = seen["quota"]
    assert (quota.where, quota.status) == ("form", 403)
    assert "Your resource quota has been exceeded" in quota.message
    assert quota.seconds < 3
    for case, headline, cause in (
        ("cpu", "due to insufficient resources", "Insufficient cpu"),
        ("image", "Failed to pull the notebook image", f":{bench.TYPO_TAGS[0]}"),
        ("pvc", "(PVC) was not found", 'persistentvolumeclaim "lol" not found'),
    ):
        outcome = seen[case]
        assert outcome.where == "pending", (case, outcome)
        assert headline in outcome.message and cause in outcome.message, (case, outcome.message)
        # after the 5 s delay, well before start_timeout (60 s)
        assert 5 <= outcome.seconds < 15, (case, outcome.seconds)
