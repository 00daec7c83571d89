"""Start a REAL JupyterHub (with configurable-http-proxy) as a subprocess for tests and the demo.

    config = kubespawner_config(namespace="jhub", image=IMAGE, start_timeout=30)
    async with start_hub(config, env={"KUBECONFIG": path}) as hub:
        hub.url          # the public proxy URL, http://127.0.0.1:<port>
        hub.api_url      # http://127.0.0.1:<port>/hub/api
        hub.token        # an admin service token (users, servers, access to servers)
        await hub.api("POST", "/users/alice/server")          # any REST call, as admin
        outcome = await hub.spawn("alice", {"profile": "gpu"})  # REST spawn + progress stream
        outcome = await hub.submit_spawn_form("bob", {"profile": "gpu"})  # as a browser does
        hub.log()        # the hub's (and proxy's) output so far

`config_text` is appended to a preamble that picks free loopback ports, keeps the database,
cookie secret and proxy pid in a private temporary directory, uses the DummyAuthenticator
(any user, any password) and registers the admin service; the caller's config may override
any of it. `start_hub` waits until the hub answers through the proxy and, on exit, stops the
hub with SIGTERM (the hub stops its proxy and its users' servers) and deletes the directory.
If the hub dies or does not answer in time, `HubStartError` carries the log tail.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json as json_module
import os
import re
import secrets
import shutil
import signal
import socket
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

__all__ = [
    "FormOutcome",
    "HubStartError",
    "RunningHub",
    "SpawnOutcome",
    "configurable_http_proxy_available",
    "kubespawner_config",
    "start_hub",
]

_KUBESPAWNER = """
c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
c.KubeSpawner.namespace = {namespace!r}
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


def kubespawner_config(namespace: str, image: str, start_timeout: int = 30) -> str:
    """A stock KubeSpawner configuration for a kubesim cluster (append your own lines).

    Requests are set (0.5 CPU, 1G, limit 2G) so namespaces with compute quotas admit the pod.
    KubeSpawner finds the API through `KUBECONFIG` (pass it in `start_hub(env=...)`).
    """
    return _KUBESPAWNER.format(namespace=namespace, image=image, start_timeout=start_timeout)


@dataclass(frozen=True)
class SpawnOutcome:
    """How a REST spawn ended: `ready`, or `failed` with the message the hub gives."""

    seconds: float  # from the start request to the outcome
    ready: bool
    failed: bool
    message: str
    http_status: int  # of the start request (201/202, or the error status)
    events: tuple[dict[str, Any], ...]  # every progress event received


@dataclass(frozen=True)
class FormOutcome:
    """What a user sees after submitting the spawn form."""

    seconds: float  # from the form POST to the page
    status: int  # of the final page (after redirects)
    url: str  # where the browser ended up (spawn-pending page, or the form again)
    text: str  # the visible words of that page
    html: str = ""  # the page itself


def visible_text(page: str) -> str:
    """The words a user sees on a hub page: scripts, styles and markup removed."""
    page = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", page)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


_PREAMBLE = """\
# Written by prevalidate.testing.hubprocess; the caller's configuration follows.
c = get_config()  # noqa: F821
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {proxy_port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.pid_file = {workdir!r} + "/proxy.pid"
c.JupyterHub.db_url = "sqlite:///" + {workdir!r} + "/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = {workdir!r} + "/cookie_secret"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
c.JupyterHub.services = [{{"name": "prevalidate-test", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{
    "name": "prevalidate-test",
    "scopes": ["admin:users", "admin:servers", "users", "servers", "read:users",
               "access:servers", "tokens"],
    "services": ["prevalidate-test"],
}}]
"""


class HubStartError(RuntimeError):
    """The hub exited or never answered; the message ends with the log tail."""


def configurable_http_proxy_available() -> bool:
    return shutil.which("configurable-http-proxy") is not None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningHub:
    url: str
    hub_port: int
    token: str
    workdir: Path
    process: asyncio.subprocess.Process
    _log_path: Path = field(repr=False, default=Path())

    @property
    def api_url(self) -> str:
        return f"{self.url}/hub/api"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"token {self.token}"}

    def log(self) -> str:
        try:
            return self._log_path.read_text(errors="replace")
        except OSError:
            return ""

    async def api(self, method: str, path: str, json: Any = None, timeout: float = 30.0) -> httpx.Response:
        """One hub REST API call as the admin service (`path` is relative to /hub/api)."""
        async with httpx.AsyncClient(timeout=timeout) as http:
            return await http.request(method, self.api_url + path, json=json, headers=self.headers)

    async def spawn(
        self, user: str, options: dict[str, Any] | None = None, timeout: float = 600.0
    ) -> SpawnOutcome:
        """Create `user`, start the default server, follow the progress stream to its end."""
        await self.api("POST", f"/users/{user}")
        started = time.monotonic()
        response = await self.api("POST", f"/users/{user}/server", json=options or {})
        if response.status_code not in (201, 202):
            try:
                message = str(response.json().get("message", response.text))
            except ValueError:
                message = response.text
            return SpawnOutcome(time.monotonic() - started, False, True, message, response.status_code, ())
        events: list[dict[str, Any]] = []
        async with (
            httpx.AsyncClient(timeout=timeout) as http,
            http.stream(
                "GET",
                f"{self.api_url}/users/{user}/server/progress",
                headers={**self.headers, "Accept": "text/event-stream"},
            ) as stream,
        ):
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    events.append(json_module.loads(line[5:]))
                    if events[-1].get("ready") or events[-1].get("failed"):
                        break
        last = events[-1] if events else {}
        return SpawnOutcome(
            time.monotonic() - started,
            bool(last.get("ready")),
            bool(last.get("failed")),
            str(last.get("message", "")),
            response.status_code,
            tuple(events),
        )

    async def submit_spawn_form(self, user: str, form: dict[str, str], timeout: float = 600.0) -> FormOutcome:
        """Log in as `user` (DummyAuthenticator) and POST the spawn form like a browser."""
        async with httpx.AsyncClient(base_url=self.url, follow_redirects=True, timeout=timeout) as http:
            await http.get("/hub/login")
            page = await http.post(
                "/hub/login",
                data={"username": user, "password": "x", "_xsrf": http.cookies.get("_xsrf") or ""},
            )
            token = re.search(r'xsrf_token: "([^"]+)"', page.text)
            started = time.monotonic()
            answer = await http.post(
                f"/hub/spawn/{user}", data={**form, "_xsrf": token.group(1) if token else ""}
            )
            return FormOutcome(
                time.monotonic() - started,
                answer.status_code,
                str(answer.url),
                visible_text(answer.text),
                answer.text,
            )


def _tail(text: str, lines: int = 40) -> str:
    return "\n".join(text.splitlines()[-lines:])


async def _wait_until_up(hub: RunningHub, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2.0) as http:
        while time.monotonic() < deadline:
            if hub.process.returncode is not None:
                raise HubStartError(f"jupyterhub exited with {hub.process.returncode}:\n" + _tail(hub.log()))
            with contextlib.suppress(httpx.HTTPError):
                response = await http.get(hub.api_url + "/")
                if response.status_code == 200:
                    return
            # Nothing to await here: the hub offers no readiness signal but its HTTP port.
            await asyncio.sleep(0.1)
    raise HubStartError(f"jupyterhub did not answer within {timeout:.0f}s:\n" + _tail(hub.log()))


async def _stop(hub: RunningHub, timeout: float) -> None:
    if hub.process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            hub.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(hub.process.wait(), timeout)
        except asyncio.TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(hub.process.pid, signal.SIGKILL)
            await hub.process.wait()
    # A proxy left behind by a killed hub would hold the port: stop it via its pid file.
    pid_file = hub.workdir / "proxy.pid"
    with contextlib.suppress(OSError, ValueError, ProcessLookupError):
        os.kill(int(pid_file.read_text().strip()), signal.SIGTERM)


@contextlib.asynccontextmanager
async def start_hub(
    config: str,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
    stop_timeout: float = 30.0,
    python: str | None = None,
    port: int = 0,
    workdir: Path | None = None,
    token: str | None = None,
) -> AsyncIterator[RunningHub]:
    """Run `jupyterhub` with `config` (Python source) until the block exits; the public proxy
    listens on `port` (0: a free one). With `workdir` (and the same `token`) a second hub
    starts on the first one's database and cookie secret, as a restarted hub does; the
    caller owns that directory."""
    if not configurable_http_proxy_available():
        raise HubStartError(
            "configurable-http-proxy is not on PATH "
            "(npm install -g configurable-http-proxy; scripts/bootstrap does it)"
        )
    owned = workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="prevalidate-hub-")) if workdir is None else workdir
    workdir.mkdir(parents=True, exist_ok=True)
    proxy_port, hub_port, api_port = port or free_port(), free_port(), free_port()
    token = token or secrets.token_hex(16)
    preamble = _PREAMBLE.format(
        proxy_port=proxy_port, hub_port=hub_port, proxy_api_port=api_port, workdir=str(workdir), token=token
    )
    config_path = workdir / "jupyterhub_config.py"
    config_path.write_text(preamble + "\n" + config)
    interpreter = python or sys.executable
    bin_dir = str(Path(interpreter).parent)
    full_env = dict(os.environ)
    full_env["PATH"] = bin_dir + os.pathsep + full_env.get("PATH", "")
    full_env.update(env or {})
    log_path = workdir / "jupyterhub.log"
    with open(log_path, "wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            interpreter,
            "-m",
            "jupyterhub",
            "-f",
            str(config_path),
            cwd=str(workdir),
            env=full_env,
            stdout=log_file,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
    hub = RunningHub(f"http://127.0.0.1:{proxy_port}", hub_port, token, workdir, process, log_path)
    try:
        await _wait_until_up(hub, timeout)
        yield hub
    finally:
        await _stop(hub, stop_timeout)
        if not owned:
            pass  # the caller's directory: a restarted hub reads it
        elif os.environ.get("PREVALIDATE_KEEP_HUB_DIR"):
            print(f"hub directory kept: {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
