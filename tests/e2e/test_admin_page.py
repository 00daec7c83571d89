"""``/hub/prevalidate`` in a real JupyterHub (CHP, PrevalidatingKubeSpawner, kubesim serving the
demo cluster with its GPU node full, a real registry holding the demo's images): an admin sees
the audit of the demo's profiles plus a misconfigured one — GPU "not-now", the typo'd 128-CPU
profile "never" (image-not-found too: the registry is asked) — and the rejections by code; a
non-admin gets a 403, a stranger the login page.

Set ``PREVALIDATE_SCREENSHOTS=1`` to refresh ``benchmarks/screenshots/admin-page.png``.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
from demo_verdicts import CUSTOM_ENTRIES, cpu_verdict

from prevalidate.demo import IMAGES, profile_list
from prevalidate.testing.hubprocess import RunningHub, kubespawner_config, start_hub, visible_text
from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim
from prevalidate.testing.registry import RunningRegistry, run_registry

from .conftest import catalog, hub_config, needs_hub, needs_registry

ROOT = Path(__file__).resolve().parents[2]
GPU_FULL = ROOT / "examples" / "audit" / "cluster-gpu-full.yaml"
SCREENSHOT = ROOT / "benchmarks" / "screenshots" / "admin-page.png"
CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")

pytestmark = [pytest.mark.e2e, needs_hub, needs_registry]


@pytest.fixture(scope="module")
def registry() -> Iterator[RunningRegistry]:
    """The demo's images, in a registry of this module's own (other tests count tags)."""
    with run_registry("open") as running:
        for repository, tag in IMAGES:
            running.push_image(repository, tag)
        yield running


def admin_config(registry: RunningRegistry) -> str:
    profiles = [
        *profile_list(registry.host),
        {
            "display_name": "Broken (typo'd image, 128 CPUs)",
            "slug": "broken",
            "kubespawner_override": {
                "image": f"{registry.host}/jupyter/scipy-notebok:latest",
                "extra_container_config": {
                    "resources": {"requests": {"cpu": "128"}, "limits": {"cpu": "128"}}
                },
            },
        },
    ]
    return f"""
import prevalidate
c.JupyterHub.extra_handlers = prevalidate.admin_handlers()
c.Authenticator.admin_users = {{"ada"}}
c.KubeSpawner.profile_list = {profiles!r}
"""


@pytest_asyncio.fixture
async def stack(
    start_kubesim: StartKubeSim, registry: RunningRegistry, tmp_path: Path
) -> AsyncIterator[tuple[KubeSim, RunningHub]]:
    sim = await start_kubesim(GPU_FULL, catalog(registry))
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig", namespace="jhub")
    image = f"{registry.host}/{IMAGES[0][0]}:{IMAGES[0][1]}"
    config = kubespawner_config("jhub", image, 30) + hub_config(registry) + admin_config(registry)
    async with start_hub(config, env={"KUBECONFIG": str(kubeconfig)}) as running:
        yield sim, running


@pytest.fixture
def hub(stack: tuple[KubeSim, RunningHub]) -> RunningHub:
    return stack[1]


async def page_as(hub: RunningHub, user: str | None, path: str = "/hub/prevalidate") -> httpx.Response:
    async with httpx.AsyncClient(base_url=hub.url, follow_redirects=True, timeout=120) as http:
        if user:
            await http.get("/hub/login")
            await http.post(
                "/hub/login",
                data={"username": user, "password": "x", "_xsrf": http.cookies.get("_xsrf") or ""},
            )
        return await http.get(path)


def rows(page: str, table: str) -> list[list[str]]:
    body = re.search(rf'<table[^>]*id="{table}".*?<tbody>(.*?)</tbody>', page, re.S)
    assert body, page
    return [
        [visible_text(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body.group(1), re.S)
    ]


async def test_an_admin_sees_the_audit_and_the_rejections_by_code(hub: RunningHub) -> None:
    rejected = await hub.submit_spawn_form("bob", {"profile": "broken"})
    assert rejected.status >= 400 and "128 CPUs" in rejected.text

    response = await page_as(hub, "ada")
    assert response.status_code == 200, response.text
    page = response.text
    table = rows(page, "prevalidate-audit")
    audit = {(r[0], r[1]): r[2:] for r in table}
    # what needs the admin first: every "never", then every "not-now", then what fits
    verdicts = [r[2] for r in table]
    assert [v for i, v in enumerate(verdicts) if i == 0 or verdicts[i - 1] != v] == [
        "never",
        "not-now",
        "fits",
    ]
    assert len(audit) == CUSTOM_ENTRIES + 3 == 93  # the custom profile's 90 combinations, small, gpu, broken
    verdict, codes, why = audit[("GPU", "")]
    assert verdict == "not-now" and codes == "insufficient-capacity"
    assert "No node has room for 1 nvidia.com/gpu right now" in why
    verdict, codes, why = audit[("Broken (typo'd image, 128 CPUs)", "")]
    assert verdict == "never"
    assert set(codes.split()) == {"quota-exceeded", "no-node-fits", "image-not-found"}
    assert "62.5" in why
    assert audit[("Small", "")][0] == "fits"
    # the demo's CPU choices, as the cluster's numbers say: 16 over the quota's 10 left, 64 over
    # the largest node's 62.5 (tests/demo_verdicts.py)
    for (profile, options), (verdict, codes, _) in audit.items():
        if profile == "Custom":
            cpu = re.search(r"\bcpu=([^,]+)", options)
            assert cpu, options
            expected, expected_codes = cpu_verdict(cpu.group(1), GPU_FULL)
            assert (verdict, set(codes.split())) == (expected, expected_codes), (options, verdict, codes)
    assert {v[0] for k, v in audit.items() if k[0] == "Custom"} == {"fits", "not-now", "never"}
    assert audit[("Custom", "image=minimal-notebook-2024.1, cpu=4, memory=8Gi, storage=shared")][0] == "fits"

    as_bob = await page_as(hub, "ada", "/hub/prevalidate?user=bob")
    assert as_bob.status_code == 200 and "for user <b>bob</b>" in as_bob.text
    assert (await page_as(hub, "ada", "/hub/prevalidate?user=nobody")).status_code == 404

    rejections = dict((r[0], int(r[1])) for r in rows(page, "prevalidate-rejections"))
    assert rejections.get("no-node-fits", 0) >= 1 and rejections.get("quota-exceeded", 0) >= 1
    # the audit's own 93 x 2 validations (19 of them no-node-fits) are not spawns: not counted
    assert rejections["no-node-fits"] < 5


async def test_the_page_follows_the_live_cluster(stack: tuple[KubeSim, RunningHub]) -> None:
    """dave's GPU server stops: the hub's watch sees it, and the GPU profile fits again."""
    sim, hub = stack

    async def gpu_verdict() -> str:
        page = (await page_as(hub, "ada")).text
        return next(r[2] for r in rows(page, "prevalidate-audit") if r[0] == "GPU")

    assert await gpu_verdict() == "not-now"
    sim.store.delete("pods", "jhub", "jupyter-dave")
    deadline = asyncio.get_running_loop().time() + 60
    verdict = await gpu_verdict()
    while verdict != "fits" and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.5)  # the hub's watch delivers the deletion; nothing to wait on here
        verdict = await gpu_verdict()
    assert verdict == "fits"


async def test_a_non_admin_gets_403_and_a_stranger_the_login_page(hub: RunningHub) -> None:
    response = await page_as(hub, "bob")
    assert response.status_code == 403
    assert "Only hub administrators" in visible_text(response.text)
    assert "prevalidate-audit" not in response.text
    response = await page_as(hub, None)
    assert "/hub/login" in str(response.url)
    assert "prevalidate-audit" not in response.text


@pytest.mark.browser
@pytest.mark.skipif(not (CHROMIUM and CHROMEDRIVER), reason="chromium / chromium-driver not installed")
async def test_the_admin_page_in_chromium(hub: RunningHub, tmp_path: Path) -> None:
    await hub.submit_spawn_form("bob", {"profile": "gpu"})  # not now: one insufficient-capacity rejection
    await hub.submit_spawn_form("bob", {"profile": "broken"})
    shot = tmp_path / "admin-page.png"
    text = await asyncio.to_thread(_screenshot, hub.url, shot)
    assert "never" in text and "not-now" in text and "insufficient-capacity" in text
    if os.environ.get("PREVALIDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SCREENSHOT)


def _screenshot(url: str, path: Path) -> str:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import WebDriverWait

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1300,1250"):
        options.add_argument(argument)
    driver: Any = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        wait = WebDriverWait(driver, 60, poll_frequency=0.05)
        driver.get(f"{url}/hub/login")
        wait.until(seen.visibility_of_element_located((By.ID, "username_input"))).send_keys("ada")
        driver.find_element(By.ID, "password_input").send_keys("any password")
        driver.find_element(By.ID, "login_submit").click()
        wait.until(seen.url_contains("/hub/"))
        # Only the never / not-now rows and a few that fit, so the screenshot shows what matters.
        driver.get(f"{url}/hub/prevalidate")
        wait.until(seen.presence_of_element_located((By.ID, "prevalidate-audit")))
        driver.execute_script(
            "const rows = [...document.querySelectorAll('#prevalidate-audit tbody tr.verdict-fits')];"
            "rows.slice(3).forEach(r => r.remove());"
        )
        driver.save_screenshot(str(path))
        return str(driver.find_element(By.TAG_NAME, "body").text)
    finally:
        driver.quit()
