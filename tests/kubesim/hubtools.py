"""Helpers for driving a real JupyterHub + KubeSpawner against kubesim."""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from prevalidate.testing.hubprocess import RunningHub, start_hub
from prevalidate.testing.kubesim import KubeSim

IMAGE = "quay.io/jupyterhub/k8s-singleuser-sample:4.0.0"

KUBESPAWNER_CONFIG = """
c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
c.KubeSpawner.namespace = "jhub"
c.KubeSpawner.image = {image!r}
c.KubeSpawner.cmd = ["jupyterhub-singleuser"]
c.KubeSpawner.start_timeout = {start_timeout}
c.KubeSpawner.http_timeout = 30
c.KubeSpawner.k8s_api_request_timeout = 5
c.KubeSpawner.k8s_api_request_retry_timeout = 10
c.KubeSpawner.delete_grace_period = 1
c.KubeSpawner.cpu_guarantee = 0.5
c.KubeSpawner.mem_guarantee = "1G"
c.KubeSpawner.mem_limit = "2G"
c.JupyterHub.log_level = "DEBUG"
# Answer spawn requests after 1 s and report the rest through the progress stream (JupyterHub
# 6.1.1's API handler fails with InvalidStateError when a spawn ends exactly at this timeout).
c.JupyterHub.tornado_settings = {{"slow_spawn_timeout": 1}}
"""


@asynccontextmanager
async def hub_on(sim: KubeSim, tmp_path: Path, start_timeout: int = 30,
                 extra: str = "") -> AsyncIterator[RunningHub]:
    kubeconfig = sim.write_kubeconfig(tmp_path / "kubeconfig", namespace="jhub")
    config = KUBESPAWNER_CONFIG.format(image=IMAGE, start_timeout=start_timeout) + extra
    async with start_hub(config, env={"KUBECONFIG": str(kubeconfig)}) as hub:
        yield hub


async def spawn(hub: RunningHub, user: str, options: dict[str, Any] | None = None,
                timeout: float = 90) -> tuple[float, dict[str, Any]]:
    """Ask the hub to start `user`'s server and follow its progress stream to the end.

    Returns (seconds from request to outcome, the last progress event — or, when the start
    request itself failed, `{"failed": True, "http_status": …, "message": …}`).
    """
    await hub.api("POST", f"/users/{user}")
    started = time.monotonic()
    response = await hub.api("POST", f"/users/{user}/server", json=options or {})
    if response.status_code not in (201, 202):
        try:
            message = response.json().get("message", response.text)
        except ValueError:
            message = response.text
        return time.monotonic() - started, {"failed": True, "message": message,
                                             "http_status": response.status_code}
    last: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=timeout) as http, http.stream(
            "GET", f"{hub.api_url}/users/{user}/server/progress",
            headers={**hub.headers, "Accept": "text/event-stream"}) as stream:
        async for line in stream.aiter_lines():
            if line.startswith("data:"):
                last = json.loads(line[5:])
                if last.get("ready") or last.get("failed"):
                    break
    return time.monotonic() - started, last


def visible_text(page: str) -> str:
    """The words a user sees on a hub page: markup, scripts and styles removed."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


async def form_spawn(hub: RunningHub, user: str, form: dict[str, str]) -> tuple[float, int, str]:
    """Log in as `user` (DummyAuthenticator) and submit the spawn form, as a browser would.

    Returns (seconds for the POST, its HTTP status, the text of the page the user sees).
    """
    async with httpx.AsyncClient(base_url=hub.url, follow_redirects=True, timeout=60) as http:
        await http.get("/hub/login")
        page = await http.post("/hub/login", data={
            "username": user, "password": "x", "_xsrf": http.cookies.get("_xsrf") or ""})
        token = re.search(r'xsrf_token: "([^"]+)"', page.text)
        started = time.monotonic()
        answer = await http.post(f"/hub/spawn/{user}",
                                 data={**form, "_xsrf": token.group(1) if token else ""})
        return time.monotonic() - started, answer.status_code, visible_text(answer.text)
