"""Wording for what the apiserver's mutating admission plugins refuse: a RuntimeClass that does
not exist, overhead or node selectors that conflict, tolerations a namespace does not allow.

Pure, no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..amounts import amount
from ..model.quantity import parse_quantity


def runtimeclass_not_found(f: Mapping[str, Any]) -> str:
    hint = f' Did you mean "{f["closest"]}"?' if f.get("closest") else ""
    return (
        f'The runtime class "{f["name"]}" does not exist in this cluster, so Kubernetes cannot run '
        f"your server.{hint} Choose another profile, or ask your administrator to create it."
    )


def _toleration(t: Mapping[str, Any]) -> str:
    key = t.get("key") or "every taint"
    text = str(key) if t.get("operator") == "Exists" or not t.get("value") else f"{key}={t.get('value')}"
    return f"{text} ({t['effect']})" if t.get("effect") else text


def _overhead(raw: Mapping[str, Any]) -> str:
    parts = []
    for name in sorted(raw):
        try:
            parts.append(amount(name, parse_quantity(str(raw[name]))))
        except ValueError:
            parts.append(f"{name} {raw[name]}")
    return ", ".join(parts) or "none"


def admission_refused(f: Mapping[str, Any]) -> str:
    reason, ns = f.get("reason"), f.get("namespace")
    klass = f.get("runtime_class")
    if reason == "overhead-mismatch":
        return (
            f'Your server\'s pod sets spec.overhead, but the runtime class "{klass}" defines its own '
            f"({_overhead(f.get('overhead') or {})}), and Kubernetes refuses a pod whose overhead "
            "differs. Remove spec.overhead: Kubernetes fills it in from the runtime class."
        )
    if reason == "overhead-without-class":
        which = f'the runtime class "{klass}" defines none' if klass else "it names no runtime class"
        return (
            f"Your server's pod sets spec.overhead, but {which}, and Kubernetes refuses such a pod. "
            "Remove spec.overhead."
        )
    if reason == "runtimeclass-selector-conflict":
        return (
            f'The runtime class "{klass}" runs pods only on nodes labelled {f["key"]}={f["required"]}, '
            f"but your server asks for {f['key']}={f['value']}, so Kubernetes refuses it. Choose "
            "options without that node selector, or another runtime class."
        )
    if reason == "namespace-selector-conflict":
        return (
            f"Namespace {ns} runs pods only on nodes labelled {f['key']}={f['required']}, but your "
            f"server asks for {f['key']}={f['value']}, so Kubernetes refuses it. Choose options "
            "without that node selector."
        )
    if reason == "node-selector-not-whitelisted":
        allowed = f.get("allowed") or "none"
        return (
            f"Namespace {ns} does not allow the node selector {f['key']}={f['value']} (allowed: "
            f"{allowed}), so Kubernetes refuses your server. Choose other options, or ask your "
            "administrator."
        )
    if reason == "toleration-not-whitelisted":
        toleration = _toleration(f.get("toleration") or {})
        origin = (
            "a toleration Kubernetes adds itself" if f.get("added") else "a toleration your server asks for"
        )
        return (
            f"Namespace {ns} does not allow the toleration {toleration}, {origin}, so Kubernetes "
            "refuses your server. Ask your administrator to allow it in the namespace's "
            "tolerationsWhitelist."
        )
    if reason == "annotation-invalid":
        return (
            f"The annotation {f.get('annotation')} of namespace {ns} cannot be read "
            f"({f.get('detail')}), so Kubernetes refuses every pod in it. Ask your administrator "
            "to fix it."
        )
    return f"Kubernetes' {f.get('plugin')} admission plugin refuses your server ({reason})."
