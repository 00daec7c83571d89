"""The form knows what fits, in a real browser (Debian's headless Chromium) on the demo hub
(real JupyterHub, KubeSpawner on kubesim, a real registry):

- before pressing Start, the CPU choices the quota or every node cannot hold are marked with
  the reason, with the quota's and the largest node's free room above the profiles; when the
  GPU node fills up, the GPU profile is marked on the next view;
- typing into a free-text field ("Other…") shows the finding next to that field, from the
  hub's authenticated endpoint (xsrf checked), and takes it away when the value fits;
- after a rejected submit, each sentence is next to the field that produced it, the banner
  keeps the whole message.

Harness as in test_browser.py (Selenium through Debian's chromium-driver, each browser step in
a worker thread while kubesim serves from this loop). ``PREVALIDATE_SCREENSHOTS=1`` refreshes
``benchmarks/screenshots/form-marks.png``, ``as-you-type.png`` and ``field-errors.png``.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from prevalidate.demo import NAMESPACE, PROFILE, Demo, start_demo
from prevalidate.testing.hubprocess import configurable_http_proxy_available
from prevalidate.testing.registry import registry_available

from .test_browser import CHROMEDRIVER, CHROMIUM, _wait, log_in

SHOTS = Path(__file__).resolve().parents[2] / "benchmarks" / "screenshots"
CPU = f"profile-option-{PROFILE}--cpu"
STORAGE = f"profile-option-{PROFILE}--storage"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.e2e,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.skipif(
        not (CHROMIUM and CHROMEDRIVER), reason="chromium / chromium-driver not installed (scripts/bootstrap)"
    ),
    pytest.mark.skipif(
        not configurable_http_proxy_available(), reason="configurable-http-proxy not installed"
    ),
    pytest.mark.skipif(not registry_available(), reason="docker-registry not installed"),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def demo() -> AsyncIterator[Demo]:
    async with start_demo(0) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1100,1500"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def screenshot(driver: Any, name: str, tmp_path: Path) -> None:
    shot = tmp_path / name
    driver.save_screenshot(str(shot))
    if os.environ.get("PREVALIDATE_SCREENSHOTS"):
        SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, SHOTS / name)


def option_label(driver: Any, select_id: str, value: str) -> str:
    from selenium.webdriver.common.by import By

    return str(driver.find_element(By.CSS_SELECTOR, f'#{select_id} option[value="{value}"]').text)


def reload_until(driver: Any, url: str, seen: Any, timeout: float = 90.0) -> None:
    """The marks need the hub's caches and, on a cold hub, a background pass: view the form
    again (as a user would) until they are there."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        driver.get(f"{url}/hub/spawn")
        if seen(driver):
            return
        if time.monotonic() > deadline:
            raise AssertionError("the form never showed the marks:\n" + driver.page_source)
        time.sleep(0.5)


async def test_the_form_marks_what_cannot_start_before_start_is_pressed(
    demo: Demo, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    await asyncio.to_thread(log_in, browser, demo.url, "dave")
    await asyncio.to_thread(reload_until, browser, demo.url, lambda d: "⚠" in option_label(d, CPU, "64"))
    assert "over your quota: 14 of 40 CPUs free" in option_label(browser, CPU, "16")
    assert "needs 64 CPUs; the largest node has 62.5" in option_label(browser, CPU, "64")
    for fits in ("1", "2", "4"):
        assert "⚠" not in option_label(browser, CPU, fits)
    headroom = browser.find_element(By.CSS_SELECTOR, ".prevalidate-headroom").text
    assert "14 of 40 CPUs" in headroom and "Largest free node" in headroom, headroom
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-prevalidate-profile="gpu"]')

    # Someone's training job takes all four GPUs (bound to gpu-1; its image never pulls).
    demo.sim.store.create(
        "pods",
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"name": "training", "namespace": "default"},
            "spec": {
                "nodeName": "gpu-1",
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists"}],
                "containers": [
                    {
                        "name": "train",
                        "image": "example.invalid/train:1",
                        "resources": {"requests": {"nvidia.com/gpu": "4"}, "limits": {"nvidia.com/gpu": "4"}},
                    }
                ],
            },
        },
    )

    def gpu_marked(driver: Any) -> bool:
        return bool(driver.find_elements(By.CSS_SELECTOR, '[data-prevalidate-profile="gpu"]'))

    await asyncio.to_thread(reload_until, browser, demo.url, gpu_marked)
    mark = browser.find_element(By.CSS_SELECTOR, '[data-prevalidate-profile="gpu"]').text
    assert "cannot start" in mark and "all GPUs in use now" in mark, mark
    # Marked, never hidden or disabled: every choice can still be chosen.
    assert browser.find_element(By.ID, "profile-item-gpu").is_enabled()
    assert all(o.is_enabled() for o in browser.find_elements(By.CSS_SELECTOR, f"#{CPU} option"))
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", browser.find_element(By.ID, CPU))
    browser.execute_script("document.getElementById(arguments[0]).size = 6", CPU)  # show the list open
    screenshot(browser, "form-marks.png", tmp_path)
    demo.sim.store.delete("pods", "default", "training")


def type_into(driver: Any, select_id: str, text: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element(By.ID, select_id)).select_by_value("unlisted-choice")
    field = _wait(driver, seen.visibility_of_element_located((By.ID, f"{select_id}--unlisted-choice")))
    field.clear()
    field.send_keys(text)
    return field


async def test_typing_an_impossible_value_shows_the_reason_next_to_the_field(
    demo: Demo, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen

    await asyncio.to_thread(log_in, browser, demo.url, "erin")
    await asyncio.to_thread(type_into, browser, CPU, "30")
    message = await asyncio.to_thread(
        _wait, browser, seen.visibility_of_element_located((By.ID, f"prevalidate-msg-{PROFILE}--cpu"))
    )
    assert "30 CPUs" in message.text and "14 CPUs left" in message.text, message.text
    # Next to the field: inside the CPU option's container, right after it.
    container = browser.find_element(By.ID, CPU).find_element(
        By.XPATH, "ancestor::div[contains(@class,'js-options-container')]"
    )
    assert message.find_element(By.XPATH, "preceding-sibling::*[1]") == container
    assert not browser.find_elements(By.CSS_SELECTOR, ".spawn-error-msg")  # nothing was submitted
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", message)
    screenshot(browser, "as-you-type.png", tmp_path)

    await asyncio.to_thread(type_into, browser, CPU, "2")
    await asyncio.to_thread(
        _wait, browser, seen.invisibility_of_element_located((By.ID, f"prevalidate-msg-{PROFILE}--cpu"))
    )
    assert demo.sim.store.peek("pods", NAMESPACE, "jupyter-erin") is None

    # The endpoint is JupyterHub's: without the xsrf token a cookie-authenticated POST is refused.
    status = browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
        const data = JSON.parse(document.getElementById('prevalidate-form-data').textContent);
        fetch(data.endpoint, {method: 'POST', credentials: 'same-origin',
              headers: {'Content-Type': 'application/json'}, body: '{"form": {}}'})
          .then(r => done(r.status), () => done(-1));"""
    )
    assert status == 403, status


async def test_after_a_rejected_submit_each_sentence_is_next_to_its_field(
    demo: Demo, browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as seen

    await asyncio.to_thread(log_in, browser, demo.url, "alice")
    await asyncio.to_thread(type_into, browser, CPU, "120")
    await asyncio.to_thread(type_into, browser, STORAGE, "claim-alcie")
    start = browser.find_element(By.CSS_SELECTOR, "#spawn_form button[type=submit]")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", start)
    start.click()
    cpu = await asyncio.to_thread(
        _wait, browser, seen.visibility_of_element_located((By.ID, f"prevalidate-msg-{PROFILE}--cpu")), 60
    )
    storage = browser.find_element(By.ID, f"prevalidate-msg-{PROFILE}--storage")
    assert "120 CPUs" in cpu.text and "62.5" in cpu.text, cpu.text
    assert "claim-alcie" in storage.text and "claim-alice" in storage.text, storage.text
    assert "claim-alcie" not in cpu.text and "120" not in storage.text
    banner = browser.find_element(By.CSS_SELECTOR, ".spawn-error-msg").text
    assert "120 CPUs" in banner and "claim-alcie" in banner  # the banner keeps the summary
    # What the user typed is still there, next to its message.
    assert browser.find_element(By.ID, f"{CPU}--unlisted-choice").get_attribute("value") == "120"
    assert demo.sim.store.peek("pods", NAMESPACE, "jupyter-alice") is None
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", cpu)
    screenshot(browser, "field-errors.png", tmp_path)
