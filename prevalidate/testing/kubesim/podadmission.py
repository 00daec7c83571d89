"""kube-apiserver's admission plugins that change a pod before the scheduler sees it.

Written from kubernetes/kubernetes plugin/pkg/admission/{podnodeselector,
podtolerationrestriction, extendedresourcetoleration, runtimeclass}/admission.go and
pkg/util/tolerations/tolerations.go; DefaultTolerationSeconds is part of `validation.default_pod`.
Which plugins run follows kube-apiserver's flags: RuntimeClass is on by default
(`DefaultOffAdmissionPlugins`), the others only when `SimSettings.enableAdmissionPlugins` names
them (GKE and AKS run ExtendedResourceToleration: name it to act like them). Their
configuration is `SimSettings.admissionConfiguration`, keyed by plugin name as the
`configuration` of an AdmissionConfiguration file:

    PodNodeSelector: {podNodeSelectorPluginConfig: {clusterDefaultNodeSelector: "a=b", <ns>: "c=d"}}
    PodTolerationRestriction: {default: [<toleration>...], whitelist: [<toleration>...]}

`mutate` runs in the mutating phase (in AllOrderedPlugins order), `validate` in the validating
phase, on the final pod. Refusals are ApiErrors with the apiserver's texts.
"""

from __future__ import annotations

import json
from typing import Any

from .podresources import container_resources, qos_class
from .quantity import parse_json_quantity
from .settings import SimSettings
from .status import ApiError, forbidden
from .store import Store

Obj = dict[str, Any]
DEFAULT_ON = ("RuntimeClass",)
NS_NODE_SELECTOR = "scheduler.alpha.kubernetes.io/node-selector"
NS_DEFAULT_TOLERATIONS = "scheduler.alpha.kubernetes.io/defaultTolerations"
NS_WHITELIST = "scheduler.alpha.kubernetes.io/tolerationsWhitelist"
NS_CONFLICT = "pod node label selector conflicts with its namespace node label selector"
NS_NOT_WHITELISTED = "pod node label selector labels conflict with its namespace whitelist"
OVERHEAD_MISMATCH = "pod rejected: Pod's Overhead doesn't match RuntimeClass's defined Overhead"
OVERHEAD_WITHOUT_CLASS = "pod rejected: Pod Overhead set without corresponding RuntimeClass defined Overhead"
MEMORY_PRESSURE = {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"}


def enabled(settings: SimSettings, plugin: str) -> bool:
    if plugin in settings.disable_admission_plugins:
        return False
    return plugin in DEFAULT_ON or plugin in settings.enable_admission_plugins


def _config(settings: SimSettings, plugin: str) -> Obj:
    value = settings.admission_configuration.get(plugin)
    return value if isinstance(value, dict) else {}


def _internal(message: str) -> ApiError:
    # A plugin error that is not an API status leaves the apiserver as a 500 with its text.
    return ApiError(500, "", message)


# -- tolerations (pkg/util/tolerations) -----------------------------------------------------------


def _field(t: Obj, name: str) -> Any:
    value = t.get(name)
    return "" if value is None and name != "tolerationSeconds" else value


def _covers(wide: Obj, narrow: Obj) -> bool:
    """isSuperset(wide, narrow)."""
    names = ("key", "operator", "value", "effect", "tolerationSeconds")
    if all(_field(wide, n) == _field(narrow, n) for n in names):
        return True
    key, operator = _field(wide, "key"), _field(wide, "operator")
    if _field(narrow, "key") != key and not (key == "" and operator == "Exists"):
        return False
    effect = _field(wide, "effect")
    if effect not in ("", _field(narrow, "effect")):
        return False
    if effect == "NoExecute" and wide.get("tolerationSeconds") is not None:
        seconds = narrow.get("tolerationSeconds")
        if seconds is None or seconds > wide["tolerationSeconds"]:
            return False
    if operator in ("", "Equal"):
        return _field(narrow, "operator") == "Equal" and _field(narrow, "value") == _field(wide, "value")
    return operator == "Exists"


def merge_tolerations(first: list[Obj], second: list[Obj]) -> list[Obj]:
    """MergeTolerations: drop each toleration another one covers (of two equal, keep the first)."""
    pool = list(first) + list(second)
    kept: list[Obj] = []
    for i, t in enumerate(pool):
        if any(_covers(k, t) for k in kept):
            continue
        names = ("key", "operator", "value", "effect", "tolerationSeconds")
        if any(
            _covers(later, t) and not all(_field(later, n) == _field(t, n) for n in names)
            for later in pool[i + 1 :]
        ):
            continue
        kept.append(dict(t))
    return kept


def _parse_tolerations(text: str) -> list[Obj]:
    value = json.loads(text)
    if not isinstance(value, list) or not all(isinstance(t, dict) for t in value):
        raise ValueError("json: cannot unmarshal into Go value of type []v1.Toleration")
    return value


def _annotation(store: Store, namespace: str, key: str) -> str | None:
    ns = store.peek("namespaces", "", namespace) or {}
    annotations = (ns.get("metadata") or {}).get("annotations") or {}
    return annotations.get(key)


# -- labels (apimachinery/pkg/labels) -------------------------------------------------------------


def _labels(selector: str) -> dict[str, str]:
    """ConvertSelectorToLabelsMap (key/value syntax checks left out)."""
    out: dict[str, str] = {}
    for part in selector.split(",") if selector else []:
        pieces = part.split("=")
        if len(pieces) != 2:
            raise ValueError(f"invalid selector: {pieces}")
        out[pieces[0].strip()] = pieces[1].strip()
    return out


def _clash(a: dict[str, str], b: dict[str, str]) -> str | None:
    return next((k for k in a if k in b and a[k] != b[k]), None)


# -- the plugins ------------------------------------------------------------------------------------


def _namespace_selector(store: Store, settings: SimSettings, namespace: str) -> dict[str, str]:
    text = _annotation(store, namespace, NS_NODE_SELECTOR)
    if text is None:
        config = _config(settings, "PodNodeSelector").get("podNodeSelectorPluginConfig") or {}
        text = str(config.get("clusterDefaultNodeSelector") or "")
    try:
        return _labels(text)
    except ValueError as exc:
        raise _internal(str(exc)) from None


def pod_node_selector(store: Store, settings: SimSettings, pod: Obj, name: str) -> None:
    spec = pod["spec"]
    wanted = _namespace_selector(store, settings, pod["metadata"]["namespace"])
    own = spec.get("nodeSelector") or {}
    if _clash(wanted, own) is not None:
        raise forbidden("pods", name, NS_CONFLICT)
    spec["nodeSelector"] = {**wanted, **own}


def pod_toleration_restriction(store: Store, settings: SimSettings, pod: Obj) -> None:
    spec = pod["spec"]
    text = _annotation(store, pod["metadata"]["namespace"], NS_DEFAULT_TOLERATIONS)
    try:
        extra = _parse_tolerations(text) if text else ([] if text is not None else None)
    except ValueError as exc:
        raise _internal(str(exc)) from None
    if extra is None:
        extra = list(_config(settings, "PodTolerationRestriction").get("default") or [])
    if qos_class(pod) != "BestEffort":
        extra.append(
            {"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"}
        )
    if extra:
        spec["tolerations"] = merge_tolerations(spec.get("tolerations") or [], extra)


def extended_resource_toleration(pod: Obj) -> None:
    spec = pod["spec"]
    names: set[str] = set()
    for key in ("containers", "initContainers"):
        for c in spec.get(key) or []:
            names.update(n for n in container_resources(c, "requests") if _is_extended(n))
    for resource in sorted(names):
        wanted = {"key": resource, "operator": "Exists", "effect": "NoSchedule"}
        tolerations = spec.get("tolerations") or []
        same = [
            i
            for i, t in enumerate(tolerations)
            if all(_field(t, f) == wanted[f] for f in ("key", "operator", "effect"))
            and _field(t, "value") == ""
        ]
        if any(tolerations[i] == wanted for i in same):
            continue
        if same:
            for i in same:
                tolerations[i] = dict(wanted)
        else:
            tolerations.append(dict(wanted))
        spec["tolerations"] = tolerations


def _is_extended(name: str) -> bool:
    # helper.IsExtendedResourceName: outside kubernetes.io, not a quota "requests." name
    return "/" in name and "kubernetes.io/" not in name and not name.startswith("requests.")


def runtime_class(store: Store, pod: Obj, name: str) -> None:
    spec = pod["spec"]
    klass = _lookup_runtime_class(store, spec, name)
    if klass is None:
        return
    overhead = klass.get("overhead")
    if overhead is not None:
        fixed = overhead.get("podFixed") or {}
        if spec.get("overhead") and not _same_quantities(spec["overhead"], fixed):
            raise forbidden("pods", name, OVERHEAD_MISMATCH)
        if fixed:
            spec["overhead"] = dict(fixed)
        else:
            spec.pop("overhead", None)
    scheduling = klass.get("scheduling")
    if scheduling is None:
        return
    selector = dict(scheduling.get("nodeSelector") or {})
    if spec.get("nodeSelector") is not None:
        mine = spec["nodeSelector"]
        for key, value in selector.items():
            if key in mine and mine[key] != value:
                raise forbidden(
                    "pods",
                    name,
                    f"conflict: runtimeClass.scheduling.nodeSelector[{key}] = {value}; "
                    f"pod.spec.nodeSelector[{key}] = {mine[key]}",
                )
        selector = {**mine, **selector}
    if selector:
        spec["nodeSelector"] = selector
    spec["tolerations"] = merge_tolerations(
        spec.get("tolerations") or [], scheduling.get("tolerations") or []
    )


def _lookup_runtime_class(store: Store, spec: Obj, name: str) -> Obj | None:
    wanted = spec.get("runtimeClassName")
    if wanted is None:
        return None
    klass = store.peek("runtimeclasses", "", wanted)
    if klass is None:
        raise forbidden("pods", name, f'pod rejected: RuntimeClass "{wanted}" not found')
    return klass


def _same_quantities(a: Obj, b: Obj) -> bool:
    return set(a) == set(b) and all(
        parse_json_quantity(a[k]).value == parse_json_quantity(b[k]).value for k in a
    )


def mutate(store: Store, settings: SimSettings, pod: Obj, name: str) -> None:
    """The mutating phase, after LimitRanger: PodNodeSelector (then Priority, run by the caller
    in between in the real order, touches none of this) → PodTolerationRestriction →
    ExtendedResourceToleration → RuntimeClass."""
    if enabled(settings, "PodNodeSelector"):
        pod_node_selector(store, settings, pod, name)
    if enabled(settings, "PodTolerationRestriction"):
        pod_toleration_restriction(store, settings, pod)
        validate_whitelist(store, settings, pod)
    if enabled(settings, "ExtendedResourceToleration"):
        extended_resource_toleration(pod)
    if enabled(settings, "RuntimeClass"):
        runtime_class(store, pod, name)


def validate_whitelist(store: Store, settings: SimSettings, pod: Obj) -> None:
    tolerations = pod["spec"].get("tolerations") or []
    if not tolerations:
        return
    text = _annotation(store, pod["metadata"]["namespace"], NS_WHITELIST)
    scope = "namespace"
    try:
        allowed = _parse_tolerations(text) if text else ([] if text is not None else None)
    except ValueError as exc:
        raise _internal(str(exc)) from None
    if allowed is None:
        allowed, scope = list(_config(settings, "PodTolerationRestriction").get("whitelist") or []), "cluster"
    if allowed and not all(any(_covers(w, t) for w in allowed) for t in tolerations):
        raise _internal(
            "pod tolerations (possibly merged with namespace default tolerations) conflict with "
            f"its {scope} whitelist"
        )


def validate(store: Store, settings: SimSettings, pod: Obj, name: str) -> None:
    """The validating phase on the final pod: RuntimeClass's overhead rule, PodNodeSelector's
    conflict and whitelist, PodTolerationRestriction's whitelist."""
    spec = pod["spec"]
    if enabled(settings, "RuntimeClass") and spec.get("overhead"):
        klass = _lookup_runtime_class(store, spec, name)
        fixed = ((klass or {}).get("overhead") or {}).get("podFixed") if klass else None
        if klass is None or (klass.get("overhead") is None):
            raise forbidden(
                "pods",
                name,
                OVERHEAD_WITHOUT_CLASS,
            )
        if not _same_quantities(spec["overhead"], fixed or {}):
            raise forbidden("pods", name, OVERHEAD_MISMATCH)
    if enabled(settings, "PodNodeSelector"):
        namespace = pod["metadata"]["namespace"]
        own = spec.get("nodeSelector") or {}
        if _clash(_namespace_selector(store, settings, namespace), own) is not None:
            raise forbidden("pods", name, NS_CONFLICT)
        config = _config(settings, "PodNodeSelector").get("podNodeSelectorPluginConfig") or {}
        whitelist = _labels(str(config.get(namespace) or ""))
        if whitelist and any(whitelist.get(k) != v for k, v in own.items()):
            raise forbidden("pods", name, NS_NOT_WHITELISTED)
    if enabled(settings, "PodTolerationRestriction"):
        validate_whitelist(store, settings, pod)
