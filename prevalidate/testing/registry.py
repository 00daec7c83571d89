"""A real registry for tests, benchmarks and the demo: Debian's ``docker-registry``
(distribution 2.8) on a free 127.0.0.1 port, and images pushed into it without a Docker
daemon, through distribution's own blob and manifest upload API.

Three modes, as registries are met in practice: ``open`` (no auth), ``htpasswd`` (Basic,
bcrypt via ``htpasswd -B``) and ``token`` (Bearer, with ``tokenserver.TokenServer``).

Usage::

    with run_registry("token") as reg:               # reg.host == "127.0.0.1:<port>"
        digest = reg.push_image("test/hello", "1.0")                 # OCI, linux/amd64
        reg.push_image("test/multi", "1", kind="oci-index",
                       platforms=("linux/amd64", "linux/arm64"))
        secret = reg.pull_secret()                   # ("kubernetes.io/dockerconfigjson", text)
        reg.request_lines()                          # the registry's access log, one per request

Images are built in memory: one small gzip layer, a config blob per platform, and the
manifest or index of the requested ``kind`` (``oci``, ``docker``, ``oci-index``,
``docker-list``). The registry's access log (stdout) lets tests count the requests it served.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import secrets
import shutil
import socket
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from prevalidate.testing.tokenserver import TokenServer

__all__ = [
    "REGISTRY_BINARY",
    "RunningRegistry",
    "dockerconfigjson",
    "registry_available",
    "run_registry",
]

REGISTRY_BINARY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
PUSHER, PUSHER_PASSWORD = "pusher", "pusher-" + secrets.token_hex(6)

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
_OCI = {
    "manifest": OCI_MANIFEST,
    "config": "application/vnd.oci.image.config.v1+json",
    "layer": "application/vnd.oci.image.layer.v1.tar+gzip",
    "index": OCI_INDEX,
}
_DOCKER = {
    "manifest": DOCKER_MANIFEST,
    "config": "application/vnd.docker.container.image.v1+json",
    "layer": "application/vnd.docker.image.rootfs.diff.tar.gzip",
    "index": DOCKER_LIST,
}


def registry_available() -> bool:
    return os.access(REGISTRY_BINARY, os.X_OK) and shutil.which("htpasswd") is not None


def dockerconfigjson(host: str, username: str, password: str) -> tuple[str, str]:
    """A ``kubernetes.io/dockerconfigjson`` pull secret as the client takes it."""
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    text = json.dumps({"auths": {host: {"username": username, "password": password, "auth": auth}}})
    return "kubernetes.io/dockerconfigjson", text


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _layer() -> tuple[bytes, str]:
    """A tiny, reproducible gzip'd tar layer and its diff id."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        data = b"hello from prevalidate\n"
        info = tarfile.TarInfo("hello.txt")
        info.size, info.mtime = len(data), 0
        tar.addfile(info, io.BytesIO(data))
    tar_bytes = raw.getvalue()
    return gzip.compress(tar_bytes, mtime=0), _digest(tar_bytes)


@dataclass
class RunningRegistry:
    """A started registry. ``host`` is ``127.0.0.1:<port>``; ``users`` may pull (any repo)."""

    host: str
    mode: str
    workdir: Path
    users: dict[str, str] = field(default_factory=dict)
    tokens: TokenServer | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def pull_secret(self, username: str | None = None, password: str | None = None) -> tuple[str, str]:
        """A pull secret for this registry: a configured user by default."""
        if username is None:
            username, default_password = next(iter(self.users.items()))
            password = default_password if password is None else password
        return dockerconfigjson(self.host, username, password or "")

    def request_lines(self) -> list[str]:
        """The registry's access log so far: one line per request it served."""
        path = self.workdir / "stdout.log"
        return [line for line in path.read_text(errors="replace").splitlines() if '"' in line]

    def count_requests(self, method: str, path_part: str) -> int:
        return sum(1 for line in self.request_lines() if f'"{method} ' in line and path_part in line)

    # -- pushing ------------------------------------------------------------------------
    def _push_headers(self, http: httpx.Client, repository: str) -> dict[str, str]:
        if self.mode == "htpasswd":
            raw = base64.b64encode(f"{PUSHER}:{PUSHER_PASSWORD}".encode()).decode()
            return {"Authorization": "Basic " + raw}
        if self.mode == "token" and self.tokens is not None:
            response = http.get(
                self.tokens.realm,
                params={"service": self.tokens.service, "scope": f"repository:{repository}:pull,push"},
                auth=(PUSHER, PUSHER_PASSWORD),
            )
            response.raise_for_status()
            return {"Authorization": "Bearer " + response.json()["token"]}
        return {}

    def _put_blob(self, http: httpx.Client, repository: str, data: bytes, headers: Mapping[str, str]) -> str:
        digest = _digest(data)
        head = http.head(f"{self.url}/v2/{repository}/blobs/{digest}", headers=headers)
        if head.status_code == 200:
            return digest
        start = http.post(f"{self.url}/v2/{repository}/blobs/uploads/", headers=headers)
        start.raise_for_status()
        location = httpx.URL(self.url).join(start.headers["location"])
        done = http.put(
            location.copy_merge_params({"digest": digest}),
            content=data,
            headers={**headers, "Content-Type": "application/octet-stream"},
        )
        done.raise_for_status()
        return digest

    def _put_manifest(
        self,
        http: httpx.Client,
        repository: str,
        reference: str,
        media_type: str,
        document: dict[str, object],
        headers: Mapping[str, str],
    ) -> tuple[str, int]:
        body = json.dumps(document, separators=(",", ":")).encode()
        response = http.put(
            f"{self.url}/v2/{repository}/manifests/{reference}",
            content=body,
            headers={**headers, "Content-Type": media_type},
        )
        response.raise_for_status()
        return _digest(body), len(body)

    def push_image(
        self, repository: str, tag: str, *, kind: str = "oci", platforms: Sequence[str] = ("linux/amd64",)
    ) -> str:
        """Push an image; returns the digest of what the tag points to."""
        types = _DOCKER if kind.startswith("docker") else _OCI
        with httpx.Client(timeout=10) as http:
            headers = self._push_headers(http, repository)
            layer, diff_id = _layer()
            layer_digest = self._put_blob(http, repository, layer, headers)
            children = []
            for platform in platforms:
                os_name, arch, *variant = platform.split("/")
                config: dict[str, object] = {
                    "architecture": arch,
                    "os": os_name,
                    "rootfs": {"type": "layers", "diff_ids": [diff_id]},
                    "config": {},
                }
                if variant:
                    config["variant"] = variant[0]
                config_bytes = json.dumps(config, sort_keys=True).encode()
                config_digest = self._put_blob(http, repository, config_bytes, headers)
                manifest = {
                    "schemaVersion": 2,
                    "mediaType": types["manifest"],
                    "config": {
                        "mediaType": types["config"],
                        "digest": config_digest,
                        "size": len(config_bytes),
                    },
                    "layers": [{"mediaType": types["layer"], "digest": layer_digest, "size": len(layer)}],
                }
                single = kind in ("oci", "docker")
                reference = tag if single else _digest(json.dumps(manifest, separators=(",", ":")).encode())
                digest, size = self._put_manifest(
                    http, repository, reference, types["manifest"], manifest, headers
                )
                if single:
                    return digest
                entry_platform: dict[str, str] = {"architecture": arch, "os": os_name}
                if variant:
                    entry_platform["variant"] = variant[0]
                children.append(
                    {
                        "mediaType": types["manifest"],
                        "digest": digest,
                        "size": size,
                        "platform": entry_platform,
                    }
                )
            index = {"schemaVersion": 2, "mediaType": types["index"], "manifests": children}
            return self._put_manifest(http, repository, tag, types["index"], index, headers)[0]


def _config_yaml(port: int, workdir: Path, auth: str) -> str:
    return f"""version: 0.1
log:
  level: error
  formatter: text
storage:
  filesystem:
    rootdirectory: {workdir / "data"}
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{port}
  secret: {secrets.token_hex(16)}
{auth}"""


def _wait_ready(url: str, process: subprocess.Popen[bytes], workdir: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log = (workdir / "stderr.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"docker-registry exited with {process.returncode}: {log}")
        try:
            if httpx.get(f"{url}/v2/", timeout=1).status_code in (200, 401):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise RuntimeError("docker-registry did not start within 20 s")


@contextmanager
def run_registry(
    mode: str = "open", *, users: Mapping[str, str] | None = None, workdir: Path | None = None
) -> Iterator[RunningRegistry]:
    """Start ``docker-registry`` in ``mode`` (``open``, ``htpasswd``, ``token``); stop it on
    exit. ``users`` may pull everything (default one random ``reader``); a ``pusher``
    account that may push is always added for ``push_image``."""
    if mode not in ("open", "htpasswd", "token"):
        raise ValueError(f"unknown registry mode {mode!r}")
    users = dict(users or {"reader": "reader-" + secrets.token_hex(6)})
    with ExitStack() as stack:
        own_dir = workdir is None
        root = Path(tempfile.mkdtemp(prefix=f"registry-{mode}-")) if own_dir else workdir
        assert root is not None
        if own_dir:
            stack.callback(shutil.rmtree, root, True)
        port = _free_port()
        tokens = None
        auth = ""
        if mode == "htpasswd":
            htpasswd = root / "htpasswd"
            for index, (user, password) in enumerate({**users, PUSHER: PUSHER_PASSWORD}.items()):
                flags = "-Bbc" if index == 0 else "-Bb"
                subprocess.run(
                    ["htpasswd", flags, str(htpasswd), user, password], check=True, capture_output=True
                )
            auth = f"auth:\n  htpasswd:\n    realm: test-realm\n    path: {htpasswd}\n"
        elif mode == "token":
            tokens = stack.enter_context(
                TokenServer({**users, PUSHER: PUSHER_PASSWORD}, pusher=PUSHER, directory=root)
            )
            auth = (
                f"auth:\n  token:\n    realm: {tokens.realm}\n    service: {tokens.service}\n"
                f"    issuer: {tokens.issuer}\n    rootcertbundle: {tokens.cert_path}\n"
            )
        config = root / "config.yml"
        config.write_text(_config_yaml(port, root, auth))
        stdout = stack.enter_context(open(root / "stdout.log", "wb"))
        stderr = stack.enter_context(open(root / "stderr.log", "wb"))
        process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(config)], stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL
        )

        def stop() -> None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

        stack.callback(stop)
        registry = RunningRegistry(f"127.0.0.1:{port}", mode, root, users, tokens)
        _wait_ready(registry.url, process, root)
        yield registry
