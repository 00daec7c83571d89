"""What prevalidate knows of the apiserver's mutating admission: which plugins run (as far as
the admin told us), their configuration, and the RuntimeClass objects they read.

Pure, no I/O here. The plugins that change a pod before the scheduler sees it, in
kube-apiserver's order (pkg/kubeapiserver/options/plugins.go, ``AllOrderedPlugins``):
PodNodeSelector, DefaultTolerationSeconds, PodTolerationRestriction,
ExtendedResourceToleration, RuntimeClass. Of these only DefaultTolerationSeconds and
RuntimeClass are on by default (``DefaultOffAdmissionPlugins``); GKE and AKS also run
ExtendedResourceToleration. prevalidate cannot ask the apiserver which plugins it runs, so a
plugin the admin did not state is "auto": its mutations that can only make the pod *more*
schedulable (added tolerations) are assumed, its other mutations (node selectors) and its
refusals are not — an unknown never rejects a spawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .objects import name_of
from .resources import ResourceList, parse_resource_list
from .tolerations import Tol, parse_selector_map, parse_toleration

RUNTIME_CLASS = "RuntimeClass"
EXTENDED_RESOURCE_TOLERATION = "ExtendedResourceToleration"
POD_TOLERATION_RESTRICTION = "PodTolerationRestriction"
POD_NODE_SELECTOR = "PodNodeSelector"
DEFAULT_TOLERATION_SECONDS = "DefaultTolerationSeconds"
PLUGINS = (
    POD_NODE_SELECTOR,
    DEFAULT_TOLERATION_SECONDS,
    POD_TOLERATION_RESTRICTION,
    EXTENDED_RESOURCE_TOLERATION,
    RUNTIME_CLASS,
)
ON, OFF, AUTO = "on", "off", "auto"
STATES = (ON, OFF, AUTO)
# RuntimeClass is on by default in kube-apiserver and every managed offering keeps it on.
DEFAULT_STATES: Mapping[str, str] = {RUNTIME_CLASS: ON}

# Namespace annotations the plugins read (PodNodeSelector, PodTolerationRestriction).
NODE_SELECTOR_ANNOTATION = "scheduler.alpha.kubernetes.io/node-selector"
DEFAULT_TOLERATIONS_ANNOTATION = "scheduler.alpha.kubernetes.io/defaultTolerations"
TOLERATIONS_WHITELIST_ANNOTATION = "scheduler.alpha.kubernetes.io/tolerationsWhitelist"
NAMESPACE_ANNOTATIONS = (
    NODE_SELECTOR_ANNOTATION,
    DEFAULT_TOLERATIONS_ANNOTATION,
    TOLERATIONS_WHITELIST_ANNOTATION,
)
CLUSTER_DEFAULT_NODE_SELECTOR = "clusterDefaultNodeSelector"


@dataclass(frozen=True)
class AdmissionConfig:
    """The admin's statement of the cluster's admission plugins and their configuration.

    ``node_selectors`` is PodNodeSelector's ``podNodeSelectorPluginConfig``:
    ``clusterDefaultNodeSelector`` and, per namespace, the whitelist of node labels.
    ``default_tolerations`` / ``tolerations_whitelist`` are PodTolerationRestriction's
    cluster-wide ``default`` and ``whitelist`` (None: not configured).
    """

    plugins: Mapping[str, str] = field(default_factory=dict)
    node_selectors: Mapping[str, str] = field(default_factory=dict)
    default_tolerations: tuple[Tol, ...] | None = None
    tolerations_whitelist: tuple[Tol, ...] | None = None

    def state(self, plugin: str) -> str:
        return self.plugins.get(plugin) or DEFAULT_STATES.get(plugin, AUTO)

    def on(self, plugin: str) -> bool:
        return self.state(plugin) == ON

    def off(self, plugin: str) -> bool:
        return self.state(plugin) == OFF

    @classmethod
    def parse(
        cls, plugins: Mapping[str, Any] | None = None, configuration: Mapping[str, Any] | None = None
    ) -> AdmissionConfig:
        """From the trait / CLI forms: ``plugins`` maps a plugin name to on, off or auto;
        ``configuration`` maps PodNodeSelector and PodTolerationRestriction to their plugin
        configuration as in an AdmissionConfiguration file. ValueError with one line."""
        states: dict[str, str] = {}
        for name, state in (plugins or {}).items():
            if name not in PLUGINS:
                raise ValueError(f"unknown admission plugin {name!r}; known: {', '.join(PLUGINS)}")
            text = str(state).lower() if not isinstance(state, bool) else (ON if state else OFF)
            if text not in STATES:
                raise ValueError(f"admission plugin {name}: {state!r} is not one of on, off, auto")
            states[name] = text
        config = dict(configuration or {})
        unknown = set(config) - {POD_NODE_SELECTOR, POD_TOLERATION_RESTRICTION}
        if unknown:
            raise ValueError(
                f"no configuration is read for {sorted(unknown)}; only for "
                f"{POD_NODE_SELECTOR} and {POD_TOLERATION_RESTRICTION}"
            )
        selectors = _node_selector_config(config.get(POD_NODE_SELECTOR))
        default, whitelist = _toleration_config(config.get(POD_TOLERATION_RESTRICTION))
        return cls(states, selectors, default, whitelist)


def _node_selector_config(raw: Any) -> dict[str, str]:
    """``podNodeSelectorPluginConfig`` (the key may be left out): every value must parse."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise ValueError("PodNodeSelector configuration must be a mapping")
    inner = raw.get("podNodeSelectorPluginConfig", raw)
    if not isinstance(inner, Mapping):
        raise ValueError("podNodeSelectorPluginConfig must be a mapping of namespace to selector")
    out: dict[str, str] = {}
    for key, value in inner.items():
        text = "" if value is None else str(value)
        try:
            parse_selector_map(text)
        except ValueError as exc:
            raise ValueError(f"PodNodeSelector configuration {key}: {exc}") from None
        out[str(key)] = text
    return out


def _toleration_config(raw: Any) -> tuple[tuple[Tol, ...] | None, tuple[Tol, ...] | None]:
    """PodTolerationRestriction's ``Configuration``: ``default`` and ``whitelist`` lists."""
    if raw is None:
        return None, None
    if not isinstance(raw, Mapping):
        raise ValueError("PodTolerationRestriction configuration must be a mapping")
    lists: list[tuple[Tol, ...] | None] = []
    for key in ("default", "whitelist"):
        items = raw.get(key)
        if items is None:
            lists.append(None)
            continue
        if not isinstance(items, list):
            raise ValueError(f"PodTolerationRestriction {key} must be a list of tolerations")
        try:
            lists.append(tuple(parse_toleration(item) for item in items))
        except ValueError as exc:
            raise ValueError(f"PodTolerationRestriction {key}: {exc}") from None
    return lists[0], lists[1]


@dataclass(frozen=True)
class RuntimeClassInfo:
    """node.k8s.io/v1 RuntimeClass: what the RuntimeClass admission plugin copies into a pod.

    ``overhead`` is None when the class defines none (``overhead`` absent); ``overhead_raw``
    keeps the quantities as written, to be put into the pod as the plugin does."""

    name: str
    handler: str
    overhead: ResourceList | None
    overhead_raw: Mapping[str, Any] | None
    node_selector: Mapping[str, str] | None  # scheduling.nodeSelector
    tolerations: tuple[Tol, ...]  # scheduling.tolerations

    @classmethod
    def from_dict(cls, obj: Mapping[str, Any]) -> RuntimeClassInfo:
        overhead = obj.get("overhead")
        pod_fixed = overhead.get("podFixed") if isinstance(overhead, Mapping) else None
        raw = dict(pod_fixed) if isinstance(pod_fixed, Mapping) else None
        scheduling = obj.get("scheduling")
        scheduling = scheduling if isinstance(scheduling, Mapping) else {}
        selector = scheduling.get("nodeSelector")
        tolerations = scheduling.get("tolerations")
        parsed = parse_resource_list(raw)  # the apiserver validated it; skip what is not a quantity
        return cls(
            name=name_of(obj),
            handler=str(obj.get("handler") or ""),
            overhead=None if not isinstance(overhead, Mapping) else parsed,
            overhead_raw=None if not isinstance(overhead, Mapping) else {k: (raw or {})[k] for k in parsed},
            node_selector={str(k): str(v) for k, v in selector.items()}
            if isinstance(selector, Mapping)
            else None,
            tolerations=tuple(Tol.of(t) for t in tolerations if isinstance(t, Mapping))
            if isinstance(tolerations, list)
            else (),
        )


def admission_annotations(obj: Mapping[str, Any]) -> dict[str, str]:
    """The admission plugins' annotations of a Namespace object (only those: a view of
    thousands of namespaces keeps nothing else)."""
    meta = obj.get("metadata")
    annotations = meta.get("annotations") if isinstance(meta, Mapping) else None
    if not isinstance(annotations, Mapping):
        return {}
    return {k: str(annotations[k]) for k in NAMESPACE_ANNOTATIONS if annotations.get(k) is not None}
