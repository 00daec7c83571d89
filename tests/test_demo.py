"""``prevalidate demo``: its suggestions fail (or start) the way its banner says, against the
demo cluster and a real registry, with the pod a real KubeSpawner builds from the form; and the
demo itself starts, prints them, and stops everything on Ctrl-C."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from demo_verdicts import CPU_CHOICES, CUSTOM_ENTRIES, cpu_verdict

import prevalidate
from prevalidate.cli import check_request
from prevalidate.demo import IMAGES, NAMESPACE, cluster_text, profile_list, things_to_try
from prevalidate.kube.dump import load_cluster
from prevalidate.testing.hubprocess import configurable_http_proxy_available
from prevalidate.testing.kubesim import KubeSim, parse_cluster
from prevalidate.testing.registry import RunningRegistry, registry_available, run_registry

needs_registry = pytest.mark.skipif(not registry_available(), reason="docker-registry not installed")
needs_hub = pytest.mark.skipif(
    not configurable_http_proxy_available(), reason="configurable-http-proxy not installed"
)
CLUSTER = Path(str(resources.files("prevalidate.demo").joinpath("cluster.yaml")))


@pytest.fixture(scope="module")
def registry() -> Iterator[RunningRegistry]:
    """A real registry holding the demo's images, as the demo pushes them."""
    if not registry_available():
        pytest.skip("docker-registry not installed")
    with run_registry("open") as running:
        for repository, tag in IMAGES:
            running.push_image(repository, tag)
        yield running


class _User:
    """What KubeSpawner reads from a JupyterHub user when it builds a pod."""

    def __init__(self, name: str) -> None:
        self.name, self.id, self.url, self.escaped_name = name, 1, f"/user/{name}/", name


async def pod_from_form(
    form: dict[str, str], user: str, registry_host: str, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """The pod a real KubeSpawner builds from this form with the demo's profile list."""
    from kubernetes_asyncio.client import ApiClient
    from kubespawner import KubeSpawner
    from traitlets.config import Config

    # Building a pod needs no API client: keep KubeSpawner from loading a kubeconfig into the
    # process-wide kubernetes_asyncio configuration other tests rely on.
    monkeypatch.setattr("kubespawner.spawner.load_config", lambda **_: None)
    monkeypatch.setattr("kubespawner.spawner.shared_client", lambda *_, **__: None)
    config = Config()
    config.KubeSpawner.profile_list = profile_list(registry_host)
    config.KubeSpawner.namespace = NAMESPACE
    config.KubeSpawner.cmd = ["jupyterhub-singleuser"]
    spawner = KubeSpawner(_mock=True, user=_User(user), config=config)
    spawner.user_options = spawner.options_from_form({key: [value] for key, value in form.items()})
    await spawner.load_user_options()
    manifest = await spawner.get_pod_manifest()
    async with ApiClient() as api:
        pod: dict[str, Any] = api.sanitize_for_serialization(manifest)
    pod["metadata"]["namespace"] = NAMESPACE
    return pod


async def test_the_demo_cluster_reads_the_same_in_kubesim_and_in_prevalidate_check() -> None:
    """Its quota status (what `prevalidate check` reads) is what kubesim recomputes from its pods."""
    view = load_cluster(CLUSTER)
    assert set(view.pvcs_in(NAMESPACE)) == {"claim-alice", "claim-bob", "data-shared"}
    async with KubeSim(parse_cluster(cluster_text())) as sim:
        recomputed = sim.store.peek("resourcequotas", NAMESPACE, "compute")["status"]["used"]
    declared = next(
        item["status"]["used"]
        for item in yaml.safe_load(CLUSTER.read_text())["items"]
        if item["kind"] == "ResourceQuota" and item["metadata"]["name"] == "compute"
    )
    assert {k: prevalidate.parse_quantity(str(v)) for k, v in recomputed.items()} == {
        k: prevalidate.parse_quantity(str(v)) for k, v in declared.items()
    }


async def check(pod: dict[str, Any], registry: RunningRegistry) -> prevalidate.Verdict:
    """The validation service against the demo cluster, with the registry asked as the hub would."""
    cluster = load_cluster(CLUSTER)
    settings = prevalidate.Settings(allowed_registries=(registry.host,), insecure_registries=(registry.host,))
    return await check_request(prevalidate.PodRequest(pod), cluster, settings, time_budget=5.0)


@needs_registry
@pytest.mark.registry
@pytest.mark.parametrize("profile", ["small", "gpu"])
async def test_the_fixed_profiles_are_allowed(
    profile: str, registry: RunningRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    pod = await pod_from_form({"profile": profile}, "dora", registry.host, monkeypatch)
    verdict = await check(pod, registry)
    assert verdict.allowed and not verdict.findings, prevalidate.render_verdict(verdict)
    if profile == "gpu":  # the GPU is really asked for, and only the GPU node can take it
        assert pod["spec"]["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "1"


@needs_registry
@pytest.mark.registry
@pytest.mark.parametrize("index", range(len(things_to_try("registry.invalid"))))
async def test_every_suggestion_ends_the_way_the_banner_says(
    index: int, registry: RunningRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempt = things_to_try(registry.host)[index]
    pod = await pod_from_form(attempt.form, attempt.user, registry.host, monkeypatch)
    verdict = await check(pod, registry)
    errors = sorted({f.code.value for f in verdict.findings if f.severity.value == "error"})
    text = "\n".join(prevalidate.render_verdict(verdict))
    assert errors == sorted(attempt.expect), text
    assert verdict.allowed is (not attempt.expect)
    if attempt.typed.get("cpu") == "120":
        assert "120" in text and "62.5" in text and "Choose at most" in text, text
    if "storage" in attempt.typed and attempt.expect:
        assert "claim-alice" in text, text  # the closest existing claim is suggested
    if "image" in attempt.typed and attempt.expect:  # the closest existing tag is suggested
        assert re.search(r"\blatest\b", text.replace(attempt.typed["image"], "")), text


@needs_registry
def test_a_taken_port_is_one_clear_line_and_nothing_starts(capsys: pytest.CaptureFixture[str]) -> None:
    from prevalidate.cli import main

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["demo", "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("prevalidate demo: port") and "--port" in err and len(err.splitlines()) == 1


def _children(pid: int) -> set[int]:
    """Every live descendant of ``pid`` (from /proc)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z":
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


async def _wait_for(condition: Any, timeout: float, what: str) -> Any:
    """Re-check ``condition`` until it is truthy (the processes give no other signal)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not (result := condition()):
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)
    return result


async def _spawn_as_alice(url: str, form: dict[str, str]) -> None:
    async with httpx.AsyncClient(base_url=url, follow_redirects=True, timeout=30) as http:
        await http.get("/hub/login")
        page = await http.post(
            "/hub/login",
            data={"username": "alice", "password": "x", "_xsrf": http.cookies.get("_xsrf") or ""},
        )
        token = re.search(r'xsrf_token: "([^"]+)"', page.text)
        answer = await http.post("/hub/spawn/alice", data={**form, "_xsrf": token.group(1) if token else ""})
        assert "spawn-pending" in str(answer.url) or "/user/alice" in str(answer.url), answer.text[:2000]


@needs_registry
@needs_hub
@pytest.mark.e2e
async def test_the_demo_starts_prints_things_to_try_and_ctrl_c_stops_every_process() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "prevalidate.cli", "demo", "--port", "0",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    assert process.stdout is not None
    output: list[str] = []
    try:
        while not output or "Ctrl-C" not in output[-1]:
            line = await asyncio.wait_for(process.stdout.readline(), 90)
            assert line, "the demo exited early:\n" + "".join(output)
            output.append(line.decode())
        text = "".join(output)
        url = re.search(r"JupyterHub is on (http://127\.0\.0\.1:\d+)", text)
        host = re.search(r"registry at (127\.0\.0\.1:\d+)", text)
        assert url and host, text
        for attempt in things_to_try(host.group(1)):
            assert attempt.what in text and attempt.outcome in text
        assert "any password" in text

        # The admin page: every choice of the demo's profiles fits its cluster but the CPU choices
        # the form marks: by the cluster's numbers, 16 is "not-now" (quota) and 64 "never" (node).
        per_cpu = CUSTOM_ENTRIES // len(CPU_CHOICES)
        counts = {"fits": 2, "not-now": 0, "never": 0}  # small and gpu fit
        for cpu in CPU_CHOICES:
            counts[cpu_verdict(cpu, CLUSTER)[0]] += per_cpu
        assert counts == {"fits": 56, "not-now": 18, "never": 18}
        assert f"log in as admin and open {url.group(1)}/hub/prevalidate" in text
        async with httpx.AsyncClient(base_url=url.group(1), follow_redirects=True, timeout=60) as http:
            await http.get("/hub/login")
            xsrf = http.cookies.get("_xsrf") or ""
            await http.post("/hub/login", data={"username": "admin", "password": "x", "_xsrf": xsrf})
            page = await http.get("/hub/prevalidate")
        assert page.status_code == 200
        assert (
            f"{CUSTOM_ENTRIES + 2} entries: {counts['fits']} fit, {counts['not-now']} do not fit now, "
            f"{counts['never']} can never start"
        ) in page.text

        valid = next(attempt for attempt in things_to_try(host.group(1)) if not attempt.expect)
        await _spawn_as_alice(url.group(1), valid.form)

        def notebook_server_running() -> set[int]:
            processes = _children(process.pid)
            return processes if any(
                b"jupyterhub-singleuser" in _cmdline(pid) for pid in processes if _alive(pid)
            ) else set()  # fmt: skip

        processes = await _wait_for(notebook_server_running, 30, "the notebook server process")
        assert len(processes) >= 4  # registry, hub, proxy, notebook server
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        rest, _ = await asyncio.wait_for(process.communicate(), 60)
        assert process.returncode == 0, text + rest.decode()
        assert "stopped." in rest.decode()
        leftovers = {pid for pid in processes if _alive(pid)}
        assert not leftovers, [_cmdline(pid) for pid in leftovers]
    finally:
        if process.returncode is None:
            os.killpg(process.pid, signal.SIGKILL)
            await process.wait()
