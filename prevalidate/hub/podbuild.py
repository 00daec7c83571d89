"""The pod (and PVC) KubeSpawner is about to create, built by KubeSpawner itself.

We never re-implement KubeSpawner's pod assembly: profile overrides, ``{pvc_name}`` and
``{username}`` expansion, ``extra_pod_config``, ``modify_pod_hook`` — all of it comes from
``load_user_options()`` + ``get_pod_manifest()``, so what we validate is what would be sent.

``load_user_options()`` mutates the spawner it runs on (it applies the profile's
``kubespawner_override``). Before a spawn has started (the form, the pre-spawn hook) we
therefore run it on a *shadow*: a second instance of the same spawner class, built from the
same config and persisted state, that is thrown away afterwards and never starts anything.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..model.cluster import ClusterView
from ..model.objects import PVCInfo

SHADOW_FLAG = "_prevalidate_shadow"


class OptionsError(Exception):
    """The user options cannot be applied at all (unknown profile, a value of the wrong type).
    KubeSpawner would fail the spawn with a traceback; we say which option and why."""


@dataclass
class SpawnPlan:
    pod: dict[str, Any]
    namespace: str
    pvc: dict[str, Any] | None = None  # the PVC KubeSpawner creates when storage_pvc_ensure is on
    creates_namespace: bool = False  # enable_user_namespaces: KubeSpawner creates the namespace

    def new_claims(self, cluster: ClusterView) -> tuple[PVCInfo, ...]:
        """The PVC counts against quota only if KubeSpawner will really create it: not when it
        already exists (KubeSpawner gets a 409 and reuses it), and not when we cannot see PVCs
        (an unknown must never add to a quota sum and reject a valid spawn)."""
        if self.pvc is None or not cluster.knows("PersistentVolumeClaim", self.namespace):
            return ()
        name = str((self.pvc.get("metadata") or {}).get("name") or "")
        if name in cluster.pvcs_in(self.namespace):
            return ()
        return (PVCInfo.from_dict({"kind": "PersistentVolumeClaim", **self.pvc}),)


def make_shadow(spawner: Any, user_options: Mapping[str, Any]) -> Any:
    """A throwaway instance of ``spawner``'s class with the same config, user, server name and
    persisted state (pvc_name, namespace), and ``user_options`` applied by nobody yet."""
    kwargs: dict[str, Any] = {
        "user": spawner.user,
        "orm_spawner": spawner.orm_spawner,
        "hub": spawner.hub,
        "authenticator": getattr(spawner, "authenticator", None),
        "config": spawner.config,
        "user_options": dict(user_options),
    }
    shadow = type(spawner)(**kwargs)
    setattr(shadow, SHADOW_FLAG, True)
    shadow.load_state(spawner.get_state() or {})
    return shadow


async def _maybe_await(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def build_plan(spawner: Any, *, apply_options: bool) -> SpawnPlan:
    """Run KubeSpawner's own assembly on ``spawner``. With ``apply_options`` the profile
    overrides are applied first (``spawner`` must then be a shadow or a spawner whose
    ``_start`` would do the same next)."""
    if apply_options:
        try:
            await _maybe_await(spawner.load_user_options())
        except Exception as exc:  # any failure here is KubeSpawner refusing the options
            raise OptionsError(options_problem(exc)) from exc
    # Failures from here on are not classified as the user's: the caller lets the spawn proceed.
    pod_model = await spawner.get_pod_manifest()
    hook = getattr(spawner, "modify_pod_hook", None)
    if hook:
        pod_model = await _maybe_await(hook(spawner, pod_model))
    serialize = spawner.api.api_client.sanitize_for_serialization
    pod = serialize(pod_model)
    pod.setdefault("metadata", {})["namespace"] = spawner.namespace
    pod.setdefault("kind", "Pod")
    pvc = None
    if spawner.storage_pvc_ensure and not getattr(spawner, "_pvc_exists", False):
        pvc = serialize(spawner.get_pvc_manifest())
        pvc.setdefault("metadata", {})["namespace"] = spawner.namespace
    return SpawnPlan(
        pod=pod,
        namespace=spawner.namespace,
        pvc=pvc,
        creates_namespace=bool(spawner.enable_user_namespaces),
    )


def options_problem(exc: BaseException) -> str:
    """The useful sentence of a TraitError/ValueError, without class names or tracebacks."""
    text = str(exc).strip() or type(exc).__name__
    first = text.splitlines()[0]
    return first[:300]
