"""The real admission webhook as a process, for end-to-end tests and benchmarks:
``prevalidate webhook certs`` writes its certificates and ``prevalidate webhook serve`` runs
against a cluster's kubeconfig (kubesim or the real plane), exactly as deploy/webhook runs it.

Both go through the CLI in a subprocess (``python -m prevalidate.cli``), never an import of
``prevalidate_webhook``: what is proven is the shipped command, and ``prevalidate`` itself keeps
no dependency on the optional webhook package.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

# What deploy/webhook/install-without-cert-manager.sh passes: the Service the configuration names.
SERVICE, NAMESPACE = "prevalidate-webhook", "prevalidate"
_REVIEWS = re.compile(r'^prevalidate_webhook_reviews_total\{outcome="([^"]+)"\} ([0-9.e+]+)$', re.M)


def cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "prevalidate.cli", *args],
                          capture_output=True, text=True, timeout=timeout)


def write_certs(out: Path) -> Path:
    """``prevalidate webhook certs`` for the shipped Service, also valid for 127.0.0.1 (a test
    may point ``clientConfig.url`` at the process instead of going through the Service)."""
    done = cli("webhook", "certs", "--service", SERVICE, "--namespace", NAMESPACE, "--out", str(out),
               "--host", "127.0.0.1")
    if done.returncode != 0:
        raise RuntimeError(f"prevalidate webhook certs failed: {done.stderr.strip()}")
    return out


def ca_bundle(certs: Path) -> str:
    return base64.b64encode((certs / "ca.crt").read_bytes()).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class RunningWebhook:
    process: asyncio.subprocess.Process
    port: int
    certs: Path
    log_path: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        """For kubesim's ``SimSettings.webhookServices["prevalidate/prevalidate-webhook"]``."""
        return f"127.0.0.1:{self.port}"

    def verify(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.certs / "ca.crt"))

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def reviews(self) -> dict[str, float]:
        """``prevalidate_webhook_reviews_total`` by outcome, from its own /metrics."""
        async with httpx.AsyncClient(verify=self.verify(), timeout=30) as http:
            text = (await http.get(f"{self.url}/metrics")).text
        return {outcome: float(value) for outcome, value in _REVIEWS.findall(text)}

    async def reviewed(self) -> float:
        return sum((await self.reviews()).values())

    def pause(self) -> None:
        """A stalled replica: the kernel still accepts connections, nothing answers."""
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)

    async def stop(self) -> None:
        if self.process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.resume()
            self.process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 60)
        except asyncio.TimeoutError:
            self.process.kill()
            await self.process.wait()


async def start_webhook(
    kubeconfig: Path, workdir: Path, *flags: str, ready_timeout: float = 120
) -> RunningWebhook:
    """``prevalidate webhook serve`` on 127.0.0.1 with fresh certificates, once /readyz says
    its caches are synced. ``flags``: the settings flags of ``prevalidate check`` and more."""
    workdir.mkdir(parents=True, exist_ok=True)
    certs = await asyncio.to_thread(write_certs, workdir / "certs")
    port = free_port()
    log_path = workdir / f"webhook-{port}.log"
    env = {k: v for k, v in os.environ.items() if k != "KUBERNETES_SERVICE_HOST"}
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "prevalidate.cli", "webhook", "serve",
            "--cert", str(certs / "tls.crt"), "--key", str(certs / "tls.key"),
            "--host", "127.0.0.1", "--port", str(port), "--kubeconfig", str(kubeconfig), *flags,
            env=env, stdout=log, stderr=subprocess.STDOUT)
    hook = RunningWebhook(process, port, certs, log_path)
    deadline = time.monotonic() + ready_timeout
    async with httpx.AsyncClient(verify=hook.verify(), timeout=10) as http:
        while True:
            if process.returncode is not None:
                raise RuntimeError(
                    f"prevalidate webhook serve exited {process.returncode}: {hook.log()[-2000:]}")
            with contextlib.suppress(httpx.TransportError):
                if (await http.get(f"{hook.url}/readyz")).status_code == 200:
                    return hook
            if time.monotonic() > deadline:
                await hook.stop()
                raise RuntimeError(
                    f"the webhook was not ready in {ready_timeout:.0f} s: {hook.log()[-2000:]}")
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def run_webhook(kubeconfig: Path, workdir: Path, *flags: str) -> AsyncIterator[RunningWebhook]:
    hook = await start_webhook(kubeconfig, workdir, *flags)
    try:
        yield hook
    finally:
        await hook.stop()


__all__ = [
    "NAMESPACE", "SERVICE", "RunningWebhook", "ca_bundle", "run_webhook", "start_webhook", "write_certs",
]
