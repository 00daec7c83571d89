"""A real Kubernetes control plane on loopback: etcd, kube-apiserver, kube-controller-manager
and kube-scheduler, built from Kubernetes' own source by scripts/bootstrap-k8s.

    with ControlPlane() as plane:            # starts, waits for /readyz
        plane.api.create({...})              # an admin client (httpx, bearer token)
        plane.kubeconfig                     # for kubectl / kubernetes_asyncio / KubeSpawner

No kubelet runs (there is no container runtime): nodes are API objects whose status the loader
writes, and nothing ever starts a container. The node-lifecycle controller is therefore not
run (it would mark every node NotReady for want of heartbeats and evict their pods), and the
TaintNodesByCondition admission plugin is off (it taints every new Node not-ready until a
kubelet reports Ready, which the loader does itself).
"""

from __future__ import annotations

import base64
import secrets
import shutil
import ssl
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

import httpx
import yaml

from .api import Api, wait_for
from .binaries import binaries_dir
from .processes import Component, free_port

# Named explicitly though all are on by default: these are the ones our checks mirror.
ADMISSION_PLUGINS = (
    "NamespaceLifecycle,LimitRanger,ServiceAccount,ResourceQuota,DefaultStorageClass,Priority,"
    "RuntimeClass,MutatingAdmissionWebhook,ValidatingAdmissionWebhook"
)
# TaintNodesByCondition: see the module docstring. StorageObjectInUseProtection puts finalizers on
# claims and volumes that only the (absent) protection controllers remove, so deleting a test's
# claims would hang.
DISABLED_PLUGINS = "TaintNodesByCondition,StorageObjectInUseProtection"
# resourcequota fills quota status (admission refuses pods while it is empty); namespace and
# serviceaccount(-token) give each namespace its default ServiceAccount, which the
# ServiceAccount admission plugin requires before any pod is accepted.
CONTROLLERS = (
    "namespace-controller,serviceaccount-controller,serviceaccount-token-controller,resourcequota-controller"
)


class PlaneError(Exception):
    """The plane did not come up; the message carries the failing component's log tail."""


class ControlPlane:
    def __init__(
        self,
        bin_dir: Path | None = None,
        workdir: Path | None = None,
        ready_timeout: float = 90,
        feature_gates: Mapping[str, bool] | None = None,
    ) -> None:
        self.bin_dir = bin_dir or binaries_dir()
        # --feature-gates for kube-apiserver and kube-scheduler (both read the pod-facing ones).
        self.feature_gates = dict(feature_gates or {})
        self.ready_timeout = ready_timeout
        # etcd's fsyncs dominate start-up and writes; a tmpfs makes both cheap when there is one.
        base = "/dev/shm" if Path("/dev/shm").is_dir() else None
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="prevalidate-plane-", dir=base))
        self.token = secrets.token_hex(16)
        self.port = 0
        self.components: list[Component] = []
        self._api: Api | None = None
        self.started_in = 0.0

    # --- public ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> Path:
        return self.workdir / "admin.kubeconfig"

    @property
    def ca_file(self) -> Path:
        return self.workdir / "ca.crt"

    @property
    def api(self) -> Api:
        if self._api is None:
            self._api = Api(self.url, self.token, str(self.ca_file))
        return self._api

    def start(self) -> ControlPlane:
        began = time.monotonic()
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        self.started_in = time.monotonic() - began
        return self

    def stop(self) -> None:
        if self._api is not None:
            self._api.close()
            self._api = None
        # Clients first, storage last, so nothing logs a storm of connection errors.
        for component in reversed(self.components):
            component.stop()
        self.components.clear()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> ControlPlane:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def write_kubeconfig(self, path: str | Path) -> Path:
        """A copy of the admin kubeconfig with the CA inlined, so it outlives nothing but the plane."""
        config = yaml.safe_load(self.kubeconfig.read_text())
        ca = base64.b64encode(self.ca_file.read_bytes()).decode()
        config["clusters"][0]["cluster"].pop("certificate-authority", None)
        config["clusters"][0]["cluster"]["certificate-authority-data"] = ca
        target = Path(path)
        target.write_text(yaml.safe_dump(config))
        target.chmod(0o600)
        return target

    # --- start-up ----------------------------------------------------------------------------
    def _start(self) -> None:
        from .pki import make_pki  # cryptography (a test extra): only when a plane starts

        w = self.workdir
        pki = make_pki(w)
        (w / "tokens.csv").write_text(f'{self.token},admin,admin,"system:masters"\n')
        self.port = free_port()
        self._write_admin_kubeconfig()
        etcd_port, peer_port = free_port(), free_port()
        etcd_url = f"http://127.0.0.1:{etcd_port}"
        self._launch(
            "etcd",
            f"--data-dir={w / 'etcd'}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
            f"--initial-cluster=default=http://127.0.0.1:{peer_port}",
            "--unsafe-no-fsync",  # a throwaway store: durability buys nothing here
            "--log-level=warn",
        )
        self._launch(
            "kube-apiserver",
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={self.port}",
            f"--cert-dir={w / 'apiserver-certs'}",
            f"--tls-cert-file={pki.serving_cert}",
            f"--tls-private-key-file={pki.serving_key}",
            f"--client-ca-file={pki.ca_cert}",
            f"--token-auth-file={w / 'tokens.csv'}",
            "--authorization-mode=RBAC",
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            f"--service-account-key-file={pki.sa_pub}",
            f"--service-account-signing-key-file={pki.sa_key}",
            "--service-cluster-ip-range=10.0.0.0/24",
            f"--enable-admission-plugins={ADMISSION_PLUGINS}",
            f"--disable-admission-plugins={DISABLED_PLUGINS}",
            "--allow-privileged=true",
            "--endpoint-reconciler-type=none",
            "--profiling=false",
        )
        self._wait_ready()
        self._launch(
            "kube-controller-manager",
            f"--kubeconfig={self.kubeconfig}",
            f"--controllers={CONTROLLERS}",
            # The quota controller counts a new quota's usage from its informer's cache, which
            # may not hold pods created moments before (a loader creates quotas last): that
            # count stays short until the next full resync, 5 min by default. 2 s bounds it.
            "--resource-quota-sync-period=2s",
            f"--service-account-private-key-file={pki.sa_key}",
            f"--root-ca-file={pki.ca_cert}",
            "--leader-elect=false",
            "--secure-port=0",
            "--profiling=false",
        )
        self._launch(
            "kube-scheduler",
            f"--kubeconfig={self.kubeconfig}",
            "--leader-elect=false",
            "--secure-port=0",
            "--profiling=false",
        )

        # The default namespace's ServiceAccount proves the controller-manager is working.
        def controllers_working() -> object:
            self._check_alive()
            return self.api.get("ServiceAccount", "default", "default")

        wait_for(
            controllers_working,
            self.ready_timeout,
            "the default ServiceAccount (kube-controller-manager)",
        )

    def _launch(self, name: str, *args: str) -> None:
        if self.feature_gates and name in ("kube-apiserver", "kube-scheduler"):
            gates = ",".join(f"{k}={str(v).lower()}" for k, v in sorted(self.feature_gates.items()))
            args = (*args, f"--feature-gates={gates}")
        component = Component(name, [str(self.bin_dir / name), *args], self.workdir / f"{name}.log")
        self.components.append(component.start())

    def _check_alive(self) -> None:
        for component in self.components:
            if not component.running():
                raise PlaneError(f"{component.name} exited:\n{component.log_tail()}")

    def _wait_ready(self) -> None:
        context = ssl.create_default_context(cafile=str(self.ca_file))

        def ready() -> bool:
            self._check_alive()
            try:
                response = httpx.get(f"{self.url}/readyz", verify=context, timeout=2)
            except httpx.HTTPError:
                return False
            return response.status_code == 200

        try:
            wait_for(ready, self.ready_timeout, "kube-apiserver /readyz")
        except TimeoutError as exc:
            raise PlaneError(f"{exc}\n{self.components[-1].log_tail()}") from None

    def _write_admin_kubeconfig(self) -> None:
        config = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {
                    "name": "realplane",
                    "cluster": {"server": self.url, "certificate-authority": str(self.ca_file)},
                }
            ],
            "users": [{"name": "admin", "user": {"token": self.token}}],
            "contexts": [{"name": "realplane", "context": {"cluster": "realplane", "user": "admin"}}],
            "current-context": "realplane",
        }
        self.kubeconfig.write_text(yaml.safe_dump(config))
        self.kubeconfig.chmod(0o600)
