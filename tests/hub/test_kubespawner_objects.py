"""Objects KubeSpawner creates around the pod count as present (issue 9, family 3).

KubeSpawner 7.x ``KubeSpawner._start`` (kubespawner/spawner.py) creates, after the pod has a
UID: the ``internal_ssl`` Secret (``get_secret_manifest``, named ``secret_name``) that the pod
mounts through the ``jupyterhub-internal-certs`` volume (kubespawner/objects.py ``make_pod``),
and a Service (``get_service_manifest``) with ``internal_ssl`` or ``services_enabled``; then
``after_pod_created_hook``. The kubelet retries a missing secret volume (FailedMount) until
the Secret exists, so such a pod starts. Every pod here is built by a real KubeSpawner.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from factories import base_objects, cluster, node, pvc, quota, secret

from prevalidate.cli import main
from prevalidate.hub.podbuild import build_plan, make_shadow
from prevalidate.model.request import PodRequest
from prevalidate.validators import run_all

# What JupyterHub passes to every spawner when c.JupyterHub.internal_ssl is True
# (jupyterhub/user.py, User._new_spawner).
INTERNAL_SSL = {
    "internal_ssl": True,
    "internal_trust_bundles": {"hub-ca": "/srv/jupyterhub/internal-ssl/hub-ca_trust.crt"},
    "internal_certs_location": "/srv/jupyterhub/internal-ssl",
}


def codes(request: PodRequest | dict[str, Any], *objects: dict[str, Any]) -> list[str]:
    """The errors (what refuses the spawn) of ``request`` on a cluster with room."""
    view = cluster(*base_objects(), node(cpu="16", memory="64Gi"), *objects)
    return [f"{f.code.value}:{f.severity.value}" for f in run_all(request, view).errors]


async def test_internal_ssl_secret_created_after_the_pod_is_not_missing(
    make_spawner: Callable[..., Any],
) -> None:
    spawner = make_spawner(**INTERNAL_SSL)
    plan = await build_plan(make_shadow(spawner, {}), apply_options=True)
    volumes = {v["name"]: v for v in plan.pod["spec"]["volumes"]}
    assert volumes["jupyterhub-internal-certs"]["secret"]["secretName"] == spawner.secret_name
    assert ("Secret", spawner.secret_name) in plan.request.companions
    assert ("Service", spawner.pod_name) in plan.request.companions
    assert codes(plan.request) == []  # allowed: KubeSpawner creates the Secret
    # The same pod without the spawner's context: the Secret really is missing.
    assert codes(PodRequest(plan.pod)) == ["secret-not-found:error"]


async def test_internal_ssl_at_start_checks_the_spawners_own_pod(make_spawner: Callable[..., Any]) -> None:
    """At start (``load_user_options``) the spawner itself builds the pod, not a shadow."""
    spawner = make_spawner(**INTERNAL_SSL)
    plan = await build_plan(spawner, apply_options=False)
    assert codes(plan.request) == []
    assert codes(PodRequest(plan.pod)) == ["secret-not-found:error"]


async def test_the_shadow_carries_internal_ssl_so_the_form_checks_the_pod_that_will_run(
    make_spawner: Callable[..., Any],
) -> None:
    spawner = make_spawner(**INTERNAL_SSL)
    shadow_plan = await build_plan(make_shadow(spawner, {}), apply_options=True)
    own_plan = await build_plan(spawner, apply_options=False)
    assert shadow_plan.pod["spec"]["volumes"] == own_plan.pod["spec"]["volumes"]


async def test_an_existing_secret_of_that_name_is_fine_too(make_spawner: Callable[..., Any]) -> None:
    """A leftover Secret from an earlier spawn: KubeSpawner deletes and recreates it."""
    spawner = make_spawner(**INTERNAL_SSL)
    plan = await build_plan(make_shadow(spawner, {}), apply_options=True)
    assert codes(plan.request, secret(spawner.secret_name)) == []


async def test_without_internal_ssl_nothing_is_created_around_the_pod(
    make_spawner: Callable[..., Any],
) -> None:
    spawner = make_spawner()
    plan = await build_plan(make_shadow(spawner, {}), apply_options=True)
    assert "volumes" not in plan.pod["spec"] or not any(
        v["name"] == "jupyterhub-internal-certs" for v in plan.pod["spec"]["volumes"]
    )
    assert plan.request.companions == frozenset() and not plan.request.open_ended
    assert codes(plan.request) == []


async def test_services_enabled_creates_a_service_only(make_spawner: Callable[..., Any]) -> None:
    spawner = make_spawner({"KubeSpawner.services_enabled": True})
    plan = await build_plan(make_shadow(spawner, {}), apply_options=True)
    assert plan.request.companions == frozenset({("Service", spawner.pod_name)})


HOOK_VOLUMES = {
    "KubeSpawner.volumes": [{"name": "token", "secret": {"secretName": "token-{username}"}}],
    "KubeSpawner.volume_mounts": [{"name": "token", "mountPath": "/etc/token"}],
}


def create_token_secret(spawner: Any, pod: Any) -> None:
    """An after_pod_created_hook as KubeSpawner's docs describe: create an object the pod
    needs, owned by the pod (it needs the pod's UID, so it can only run after)."""


async def test_objects_an_after_pod_created_hook_may_create_are_not_missing(
    make_spawner: Callable[..., Any],
) -> None:
    spawner = make_spawner({**HOOK_VOLUMES, "KubeSpawner.after_pod_created_hook": create_token_secret})
    plan = await build_plan(make_shadow(spawner, {}), apply_options=True)
    assert plan.request.open_ended
    assert codes(plan.request) == []


async def test_without_the_hook_the_same_missing_secret_refuses(make_spawner: Callable[..., Any]) -> None:
    spawner = make_spawner(HOOK_VOLUMES)
    plan = await build_plan(make_shadow(spawner, {}), apply_options=True)
    assert not plan.request.open_ended
    assert codes(plan.request) == ["secret-not-found:error"]


STORAGE = {
    "KubeSpawner.storage_pvc_ensure": True,
    "KubeSpawner.storage_capacity": "10Gi",
    "KubeSpawner.volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": "{pvc_name}"}}],
    "KubeSpawner.volume_mounts": [{"name": "home", "mountPath": "/home/jovyan"}],
}
FULL = quota({"persistentvolumeclaims": "3"}, {"persistentvolumeclaims": "3"}, name="claims")


async def test_a_user_from_kubespawner_6_may_reuse_a_legacy_named_pvc(
    make_spawner: Callable[..., Any],
) -> None:
    """``_start`` with ``handle_legacy_names``: state from 6.x (no ``kubespawner_version``)
    makes it use today's claim if it exists, else the legacy-named one if that exists, and
    create a claim only when neither does. We cannot tell which without reading PVCs at
    start, so nothing is charged to quota and the claim is not called missing."""
    spawner = make_spawner({**STORAGE, "KubeSpawner.handle_legacy_names": True})
    spawner.load_state({"pod_name": spawner.pod_name})  # 6.x state: no kubespawner_version
    # KubeSpawner's mock user is "mock@name": the 6.x "escape" slug scheme spells it differently.
    legacy = spawner._expand_user_properties(spawner.pvc_name_template, slug_scheme="escape")
    assert legacy != spawner.pvc_name
    plan = await build_plan(make_shadow(spawner, {}), apply_options=True)
    assert plan.pvc is None and ("PersistentVolumeClaim", spawner.pvc_name) in plan.request.companions
    assert codes(plan.request, FULL, pvc(legacy)) == []


async def test_a_fresh_user_gets_a_new_pvc_charged_to_the_claim_quota(
    make_spawner: Callable[..., Any],
) -> None:
    spawner = make_spawner({**STORAGE, "KubeSpawner.handle_legacy_names": True})
    plan = await build_plan(make_shadow(spawner, {}), apply_options=True)
    assert plan.pvc is not None
    assert codes(plan.request, FULL) == ["quota-exceeded:error"]
    assert codes(plan.request, FULL, pvc(spawner.pvc_name)) == []  # exists: reused, not charged


# ---- prevalidate check --from-kubespawner -------------------------------------------------


def spawn_files(
    tmp_path: Path,
    make_spawner: Callable[..., Any],
    settings: dict[str, Any],
    *cluster_objects: Any,
    **kw: Any,
) -> tuple[Path, Path]:
    """(cluster file, pod file): the pod, and the PVC KubeSpawner would create, built by a real
    KubeSpawner, written as ``kubectl``-style YAML documents."""

    async def build() -> Any:
        return await build_plan(make_shadow(make_spawner(settings, **kw), {}), apply_options=True)

    plan = asyncio.run(build())
    docs = [plan.pod, *([plan.pvc] if plan.pvc else [])]
    pod_file, cluster_file = tmp_path / "spawn.yaml", tmp_path / "cluster.yaml"
    if plan.pvc:
        docs[1] = {"kind": "PersistentVolumeClaim", **plan.pvc}
    pod_file.write_text(yaml.safe_dump_all(docs))
    objects = [*base_objects(), node(cpu="16", memory="64Gi"), *cluster_objects]
    cluster_file.write_text(yaml.safe_dump({"kind": "List", "items": objects}))
    return cluster_file, pod_file


def cli(
    capsys: pytest.CaptureFixture[str], cluster_file: Path, pod_file: Path, *flags: str
) -> tuple[int, str]:
    code = main(["check", "--cluster", str(cluster_file), "--pod", str(pod_file), "--offline", *flags])
    return code, capsys.readouterr().out


def test_the_cli_told_the_pod_is_kubespawners_counts_the_internal_ssl_secret(
    tmp_path: Path, make_spawner: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    cluster_file, pod_file = spawn_files(tmp_path, make_spawner, {}, **INTERNAL_SSL)
    assert cli(capsys, cluster_file, pod_file, "--from-kubespawner")[0] == 0
    code, out = cli(capsys, cluster_file, pod_file)
    assert code == 1 and "[secret-not-found]" in out


def test_the_cli_charges_the_pvc_given_next_to_a_kubespawner_pod(
    tmp_path: Path, make_spawner: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    cluster_file, pod_file = spawn_files(tmp_path, make_spawner, STORAGE, FULL)
    code, out = cli(capsys, cluster_file, pod_file, "--from-kubespawner")
    assert code == 1 and "[quota-exceeded]" in out and "[pvc-not-found]" not in out
    room = quota({"persistentvolumeclaims": "4"}, {"persistentvolumeclaims": "3"}, name="claims")
    cluster_file, pod_file = spawn_files(tmp_path, make_spawner, STORAGE, room)
    assert cli(capsys, cluster_file, pod_file, "--from-kubespawner")[0] == 0
    code, out = cli(capsys, cluster_file, pod_file)  # a plain pod: its claim does not exist
    assert code == 1 and "[pvc-not-found]" in out


def test_the_cli_takes_a_user_namespace_given_next_to_a_kubespawner_pod(
    tmp_path: Path, make_spawner: Callable[..., Any], capsys: pytest.CaptureFixture[str]
) -> None:
    """``_ensure_namespace`` (enable_user_namespaces) creates the namespace before the pod."""
    cluster_file, pod_file = spawn_files(tmp_path, make_spawner, {"KubeSpawner.enable_user_namespaces": True})
    pod = yaml.safe_load(pod_file.read_text())
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": pod["metadata"]["namespace"]}}
    code, out = cli(capsys, cluster_file, pod_file, "--from-kubespawner")
    assert code == 1 and "[namespace-not-found]" in out  # not said: the file holds only the pod
    pod_file.write_text(yaml.safe_dump_all([pod, namespace]))
    assert cli(capsys, cluster_file, pod_file, "--from-kubespawner")[0] == 0
