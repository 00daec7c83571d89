"""The runtime backstop on a real JupyterHub + KubeSpawner + kubesim + registry, for the classes
the replays (tests/backstop) proved on recorded events only: the notebook crashing, OOM-killed or
evicted, a volume in another zone, a missing secret key; and the allowed traps (a transient pull
error that clears on retry, events aggregated with count/series) starting with 0 kills.

Each bad image is a real tag in the real registry (so the kubelet's pull really succeeds) with
kubesim ImageCatalog behaviour saying what its container does once started. Pre-validation's
checks that would have caught a case are turned off: this is what slips past them."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from prevalidate.testing.hubprocess import RunningHub, SpawnOutcome
from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.registry import RunningRegistry

from .conftest import StartStack, image, needs_hub, needs_registry

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]

SECRET_LOG_LINE = "connecting with token=hunter2-very-secret"


def behaviours(registry: RunningRegistry) -> str:
    """Four tags of the notebook image and what a container of each does once started."""
    for tag in ("crash", "oom", "evict", "flaky"):
        registry.push_image("jupyter/minimal-notebook", tag)
    return f"""---
apiVersion: kubesim.prevalidate.dev/v1
kind: ImageCatalog
spec:
  images:
  - image: {image(registry, "crash")}
    exitCode: 3
    logs:
    - "Traceback (most recent call last):"
    - "  File \\"/home/jovyan/.jupyter/startup.py\\", line 1, in <module>"
    - "{SECRET_LOG_LINE}"
    - "ModuleNotFoundError: No module named 'labextension_that_is_not_there'"
  - image: {image(registry, "oom")}
    oomKilled: true
    logs: ["loading a 40 GB data frame into memory"]
  - image: {image(registry, "evict")}
    evicted: true
  - image: {image(registry, "flaky")}
    transientPullFailures: 2
    transientPullError: "429"
"""


ZONAL = """---
apiVersion: v1
kind: PersistentVolume
metadata: {name: disk-b}
spec:
  capacity: {storage: 10Gi}
  accessModes: [ReadWriteOnce]
  storageClassName: zonal
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions: [{key: topology.kubernetes.io/zone, operator: In, values: [zone-b]}]
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim-zonal, namespace: jhub}
spec:
  accessModes: [ReadWriteOnce]
  storageClassName: zonal
  volumeName: disk-b
  resources: {requests: {storage: 10Gi}}
---
apiVersion: v1
kind: Secret
metadata: {name: lab-token, namespace: jhub}
stringData: {other-key: "x"}
"""


def profiles(registry: RunningRegistry) -> str:
    def with_image(slug: str, tag: str, extra: str = "") -> str:
        return (
            f'    {{"display_name": {slug!r}, "slug": {slug!r}, '
            f'"kubespawner_override": {{"image": {image(registry, tag)!r}{extra}}}}},\n'
        )

    zonal = (
        '{"volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-zonal"}}], '
        '"volume_mounts": [{"name": "home", "mountPath": "/home/jovyan"}]}'
    )
    secret = (
        '{"environment": {"LAB_TOKEN": {"valueFrom": {"secretKeyRef": '
        '{"name": "lab-token", "key": "token"}}}}}'
    )
    return (
        "c.KubeSpawner.start_timeout = 120\n"
        "c.Prevalidator.registry_checks = False\n"
        # What would have caught the zone and the key before the create: off, to see the backstop.
        'c.Prevalidator.disabled_checks = {"capacity", "pvc", "references"}\n'
        "c.KubeSpawner.profile_list = [\n"
        '    {"display_name": "Good", "slug": "good", "default": True},\n'
        + with_image("crash", "crash")
        + with_image("oom", "oom", ', "mem_limit": "1G"')
        + with_image("evict", "evict")
        + with_image("flaky", "flaky")
        + f'    {{"display_name": "zonal", "slug": "zonal", "kubespawner_override": {zonal}}},\n'
        + f'    {{"display_name": "secret", "slug": "secret", "kubespawner_override": {secret}}},\n'
        "]\n"
    )


async def start(stack: StartStack, registry: RunningRegistry, extra: str = "") -> tuple[KubeSim, RunningHub]:
    return await stack(profiles(registry) + extra, sim_extra=behaviours(registry) + ZONAL)


def pod_gone(sim: KubeSim, user: str) -> bool:
    return not [p for p in sim.store.items("pods", "jhub") if p["metadata"]["name"] == f"jupyter-{user}"]


async def fails_fast(sim: KubeSim, hub: RunningHub, user: str, profile: str) -> SpawnOutcome:
    """Spawn; it must fail well before start_timeout (120 s), with no raw exception, pod deleted."""
    started = time.monotonic()
    outcome = await hub.spawn(user, {"profile": profile})
    assert outcome.failed, outcome
    assert time.monotonic() - started < 60, outcome  # did not wait out start_timeout
    assert "SpawnException" not in outcome.message and "ApiException" not in outcome.message
    for _ in range(100):  # the delete is asked before the failure; the pod's grace may run on
        if pod_gone(sim, user):
            break
        await asyncio.sleep(0.2)
    assert pod_gone(sim, user), "the failed spawn's pod was left behind"
    assert f"prevalidate backstop: failing the spawn of jhub/jupyter-{user}" in hub.log()
    return outcome


async def test_a_crash_loop_fails_with_the_exit_code_and_the_last_log_lines(
    stack: StartStack, registry: RunningRegistry
) -> None:
    sim, hub = await start(stack, registry)
    outcome = await fails_fast(sim, hub, "ana", "crash")
    assert "Your server stopped before it was ready (exit code 3)" in outcome.message, outcome.message
    assert "Last lines of its log:\n  | Traceback (most recent call last):\n" in outcome.message
    assert "\n  | ModuleNotFoundError: No module named 'labextension_that_is_not_there'" in outcome.message
    assert "hunter2" not in outcome.message and "token=***" in outcome.message, outcome.message
    assert "hunter2" not in hub.log()
    # The user's own code: not counted toward consecutive_failure_limit, a 422 not a 503.
    assert (await hub.api("GET", "/users/ana")).status_code == 200


async def test_an_oom_kill_names_the_memory_limit_and_says_choose_more_memory(
    stack: StartStack, registry: RunningRegistry
) -> None:
    sim, hub = await start(stack, registry)
    outcome = await fails_fast(sim, hub, "ben", "oom")
    assert "Your server ran out of memory while starting (its limit is 1 GiB)" in outcome.message, (
        outcome.message
    )
    assert "Choose more memory" in outcome.message
    assert "\n  | loading a 40 GB data frame into memory" in outcome.message, outcome.message


async def test_the_log_is_left_out_when_rbac_forbids_pods_log(
    stack: StartStack, registry: RunningRegistry
) -> None:
    forbid = "---\napiVersion: kubesim.prevalidate.dev/v1\nkind: SimSettings\nspec:\n  forbid: [pods/log]\n"
    sim, hub = await stack(profiles(registry), sim_extra=behaviours(registry) + ZONAL + forbid)
    outcome = await fails_fast(sim, hub, "cal", "crash")
    assert "(exit code 3)" in outcome.message, outcome.message
    assert "labextension_that_is_not_there" not in outcome.message, outcome.message
    assert "Last lines of its log" not in outcome.message


async def test_an_eviction_fails_as_a_cluster_problem(stack: StartStack, registry: RunningRegistry) -> None:
    sim, hub = await start(stack, registry)
    outcome = await fails_fast(sim, hub, "dan", "evict")
    assert "The node evicted your server while it was starting" in outcome.message, outcome.message
    assert "(a cluster problem)" in outcome.message
    assert "has larger consumption of memory" in outcome.message


async def test_a_volume_in_another_zone_fails_after_its_grace(
    stack: StartStack, registry: RunningRegistry
) -> None:
    sim, hub = await start(stack, registry)
    outcome = await fails_fast(sim, hub, "eli", "zonal")
    assert "Your storage lives in a zone where no node can run your server" in outcome.message, (
        outcome.message
    )
    assert "volume node affinity conflict" in outcome.message


async def test_a_missing_secret_key_fails_as_a_config_error(
    stack: StartStack, registry: RunningRegistry
) -> None:
    sim, hub = await start(stack, registry)
    outcome = await fails_fast(sim, hub, "fio", "secret")
    assert "a secret, config map or key it needs is missing" in outcome.message, outcome.message
    assert "couldn't find key token in Secret jhub/lab-token" in outcome.message, outcome.message


async def metrics(hub: RunningHub) -> str:
    async with httpx.AsyncClient(timeout=30) as http:
        return (await http.get(f"{hub.url}/hub/metrics", headers=hub.headers)).text


async def test_a_transient_pull_error_that_clears_on_retry_starts_with_no_kill(
    stack: StartStack, registry: RunningRegistry
) -> None:
    """Two 429s (Docker Hub's rate limit), then the pull succeeds: image_pull_attempts is 3.
    Its kubelet events are aggregated (the repeated `Error: ErrImagePull` carries count 2)."""
    sim, hub = await start(stack, registry, "c.JupyterHub.authenticate_prometheus = False\n")
    outcome = await hub.spawn("gil", {"profile": "flaky"})
    assert outcome.ready, outcome.message
    lines = [str(e.get("message", "")) for e in outcome.events]
    assert any(line.startswith("The registry is busy; the node will retry pulling") for line in lines), lines
    counted = [
        e
        for e in sim.store.items("events", "jhub")
        if e["involvedObject"].get("name") == "jupyter-gil" and (e.get("count") or 0) >= 2
    ]
    assert counted, "the trap was not exercised: no aggregated event"
    assert "prevalidate backstop: failing the spawn" not in hub.log()
    text = await metrics(hub)
    assert 'prevalidate_backstop_outcomes_total{reason="started"} 1.0' in text
    assert 'reason="image-pull-failed"' not in text and 'reason="node-cannot-pull"' not in text


def blocker() -> str:
    """10 of worker-1's and worker-2's 16 CPUs taken: a spawn of 8 CPUs waits for room."""
    return "".join(
        f"""---
apiVersion: v1
kind: Pod
metadata: {{name: blocker-{n}, namespace: default}}
spec:
  nodeName: worker-{n}
  containers: [{{name: c, image: busybox, resources: {{requests: {{cpu: "10"}}}}}}]
status: {{phase: Running}}
"""
        for n in (1, 2)
    )


async def test_scheduler_events_in_a_series_then_room_starts_with_no_kill(
    stack: StartStack, registry: RunningRegistry
) -> None:
    """The scheduler's FailedScheduling repeats as an events.k8s.io series (count null, series
    set); the backstop waits through it (capacity_wait 90) and the pod starts once room frees."""
    sim, hub = await stack(
        profiles(registry)
        + 'c.Prevalidator.capacity_policy = "warn"\nc.KubeSpawner.cpu_guarantee = 8\n'
        + "c.Prevalidator.capacity_wait = 90\nc.JupyterHub.authenticate_prometheus = False\n",
        sim_extra=blocker(),
    )

    def in_series() -> bool:
        return any(
            e.get("reason") == "FailedScheduling"
            and (e.get("regarding") or e.get("involvedObject") or {}).get("name") == "jupyter-hal"
            and (e.get("series") or {}).get("count", 0) >= 2
            for e in sim.store.items("events", "jhub")
        )

    def failed_scheduling() -> bool:
        return any(
            e.get("reason") == "FailedScheduling"
            and (e.get("involvedObject") or {}).get("name") == "jupyter-hal"
            for e in sim.store.items("events", "jhub")
        )

    async def free_room_once_in_series() -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            for _ in range(300):
                if failed_scheduling():
                    break
                await asyncio.sleep(0.2)
            # kubesim's scheduler retries on a cluster change, as kube-scheduler's queue moves
            # unschedulable pods on one: a new pod elsewhere makes it try jupyter-hal again.
            nudge = {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": "nudge", "namespace": "default"},
                "spec": {"containers": [{"name": "c", "image": "busybox"}]},
            }
            made = await http.post(f"http://127.0.0.1:{sim.port}/api/v1/namespaces/default/pods", json=nudge)
            assert made.status_code == 201, made.text
            for _ in range(300):
                if in_series():
                    break
                await asyncio.sleep(0.2)
            gone = await http.delete(f"http://127.0.0.1:{sim.port}/api/v1/namespaces/default/pods/blocker-1")
            assert gone.status_code == 200, gone.text

    outcome, _ = await asyncio.gather(hub.spawn("hal"), free_room_once_in_series())
    assert outcome.ready, outcome.message
    assert in_series(), "the trap was not exercised: no FailedScheduling series"
    assert "prevalidate backstop: failing the spawn" not in hub.log()
    assert 'prevalidate_backstop_outcomes_total{reason="started"} 1.0' in await metrics(hub)
