"""The pod KubeSpawner is about to create, built by KubeSpawner itself, and the objects its
``_start`` creates around it (``model.request`` lists them), as a ``PodRequest``.

We never re-implement KubeSpawner's pod assembly: profile overrides, ``{pvc_name}`` and
``{username}`` expansion, ``extra_pod_config``, ``modify_pod_hook`` — all of it comes from
``load_user_options()`` + ``get_pod_manifest()``, so what we validate is what would be sent.
The names of the objects created around the pod come from the same spawner attributes
``_start`` reads (``pvc_name``, ``secret_name``, ``pod_name``).

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

from ..model.findings import shown
from ..model.objects import PVCInfo
from ..model.request import PodRequest

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
    companions: frozenset[tuple[str, str]] = frozenset()  # (kind, name) created around the pod
    open_ended: bool = False  # after_pod_created_hook may create objects nobody can name

    @property
    def request(self) -> PodRequest:
        claims = (PVCInfo.from_dict({"kind": "PersistentVolumeClaim", **self.pvc}),) if self.pvc else ()
        return PodRequest(self.pod, claims, self.creates_namespace, self.companions, self.open_ended)


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
    if getattr(spawner, "internal_ssl", False):
        # JupyterHub passes these to every spawner it builds (User._new_spawner); the pod
        # mounts the certificates' Secret only when internal_ssl is set.
        for name in ("internal_ssl", "internal_trust_bundles", "internal_certs_location"):
            kwargs[name] = getattr(spawner, name)
    shadow = type(spawner)(**kwargs)
    setattr(shadow, SHADOW_FLAG, True)
    shadow.load_state(spawner.get_state() or {})
    # get_state() stamps today's KubeSpawner version; the shadow must know what was loaded
    # (KubeSpawner 6.x state makes _start look for a legacy-named PVC).
    if hasattr(spawner, "_state_kubespawner_version"):
        shadow._state_kubespawner_version = spawner._state_kubespawner_version
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
    pvc, companions = None, set()
    if spawner.storage_pvc_ensure and not getattr(spawner, "_pvc_exists", False):
        if _legacy_pvc_name(spawner):
            # _start uses whichever of the two names exists and creates a PVC only when
            # neither does: never charge one to quota, never call the claim missing.
            companions.add(("PersistentVolumeClaim", str(spawner.pvc_name)))
        else:
            pvc = serialize(spawner.get_pvc_manifest())
            pvc.setdefault("metadata", {})["namespace"] = spawner.namespace
    if getattr(spawner, "internal_ssl", False):  # created once the pod has a UID
        companions.add(("Secret", str(spawner.secret_name)))
    if getattr(spawner, "internal_ssl", False) or getattr(spawner, "services_enabled", False):
        companions.add(("Service", str(spawner.pod_name)))
    return SpawnPlan(
        pod=pod,
        namespace=spawner.namespace,
        pvc=pvc,
        creates_namespace=bool(spawner.enable_user_namespaces),
        companions=frozenset(companions),
        open_ended=bool(getattr(spawner, "after_pod_created_hook", None)),
    )


def _legacy_pvc_name(spawner: Any) -> str | None:
    """The pre-7.0 PVC name ``_start`` may switch to for a user whose state came from
    KubeSpawner 6.x (``handle_legacy_names``: today's name if it exists, else the legacy one
    if that exists, else a new claim), when it differs from today's name; else None."""
    try:
        if not (
            spawner.handle_legacy_names
            and spawner.remember_pvc_name
            and getattr(spawner, "_state_kubespawner_version", None) == "unknown"
        ):
            return None
        legacy = spawner._expand_user_properties(spawner.pvc_name_template, slug_scheme="escape")
    except Exception:  # an older or newer KubeSpawner without this mechanism
        return None
    return str(legacy) if legacy != spawner.pvc_name else None


def options_problem(exc: BaseException) -> str:
    """The useful sentence of a TraitError/ValueError, without class names or tracebacks.
    KubeSpawner's errors quote the option (``No such profile: <value>``), which came over the
    REST API and can be 100 kB or hold control characters: kept to 200 of them, escaped."""
    text = str(exc).strip() or type(exc).__name__
    return shown(text.splitlines()[0])
