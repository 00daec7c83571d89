"""Running a container as a local process: the "really start the notebook server" mode.

The container's `command` + `args` run with the pod's `env` (values resolved from the store
for `valueFrom` references) in a private working directory. Each pod has its own loopback
address (its podIP, 127.x.y.z), which stands in for a pod network namespace: a
`JUPYTERHUB_SERVICE_URL` bound to 0.0.0.0 is rewritten to the pod IP so two servers on port
8888 never collide and the hub reaches each one at `http://<podIP>:8888`.

Shared by kubesim's kubelet and the real plane's test kubelet (realplane/kubelet.py), so a
notebook "pod" runs the same way whichever control plane scheduled it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

Obj = dict[str, Any]


def rewrite_service_url(url: str, pod_ip: str) -> str:
    parts = urlsplit(url)
    if parts.hostname in (None, "", "0.0.0.0", "::"):
        netloc = f"{pod_ip}:{parts.port}" if parts.port else pod_ip
        return urlunsplit(parts._replace(netloc=netloc))
    return url


class LocalProcess:
    """One container process; `stop()` is SIGTERM, then SIGKILL after the grace period."""

    def __init__(self, proc: asyncio.subprocess.Process, workdir: Path, log_path: Path) -> None:
        self.proc, self.workdir, self.log_path = proc, workdir, log_path

    @classmethod
    async def start(
        cls, container: Obj, env: dict[str, str], pod_ip: str, python: str | None = None
    ) -> LocalProcess:
        argv = list(container.get("command") or []) + list(container.get("args") or [])
        if not argv:
            raise RuntimeError(
                "container has neither command nor args; kubesim cannot guess the image entrypoint"
            )
        workdir = Path(tempfile.mkdtemp(prefix=f"kubesim-{container.get('name', 'c')}-"))
        bin_dir = str(Path(python or sys.executable).parent)
        full_env = {
            "PATH": bin_dir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(workdir),
            "LANG": "C.UTF-8",
        }
        full_env.update(env)
        if "JUPYTERHUB_SERVICE_URL" in full_env:
            full_env["JUPYTERHUB_SERVICE_URL"] = rewrite_service_url(
                full_env["JUPYTERHUB_SERVICE_URL"], pod_ip
            )
        if os.geteuid() == 0:
            # In the real image the server runs as an unprivileged user (jovyan); here it runs as
            # whoever runs kubesim, so the "image" ships a config that lets root run it too.
            config_dir = workdir / ".jupyter"
            config_dir.mkdir()
            (config_dir / "jupyter_server_config.json").write_text('{"ServerApp": {"allow_root": true}}')
            full_env.setdefault("JUPYTER_CONFIG_DIR", str(config_dir))
        executable = shutil.which(argv[0], path=full_env["PATH"]) or argv[0]
        log_path = workdir / "container.log"
        with open(log_path, "wb") as log_file:
            proc = await asyncio.create_subprocess_exec(
                executable,
                *argv[1:],
                env=full_env,
                cwd=str(workdir),
                stdout=log_file,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
            )
        return cls(proc, workdir, log_path)

    async def wait(self) -> int:
        return await self.proc.wait()

    async def stop(self, grace: float) -> None:
        if self.proc.returncode is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                await asyncio.wait_for(self.proc.wait(), grace)
            except (ProcessLookupError, PermissionError):
                pass
            except asyncio.TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                await self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)
