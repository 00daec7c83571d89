"""RBAC denials: `SimSettings.forbid` rules answered with the apiserver's real 403 Status.

kubesim has no authentication and allows everything by default. A client that must survive a
hub ServiceAccount without some RBAC rule (the live cluster cache of prevalidate) needs the
denial exactly as kube-apiserver's authorization filter writes it
(`k8s.io/apiserver/pkg/endpoints/handlers/responsewriters/errors.go`, `forbiddenMessage`):

    nodes is forbidden: User "system:serviceaccount:jhub:hub" cannot list resource "nodes"
    in API group "" at the cluster scope

Authorization runs before anything else (before decoding a body, before admission), and a
watch that is not allowed is refused with HTTP 403 before the stream starts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .status import ApiError

VERBS = frozenset({"get", "list", "watch", "create", "update", "patch", "delete"})


@dataclass(frozen=True)
class ForbidRule:
    """Deny `verbs` (None: every verb) on `resource` in `namespace` (None: every scope;
    "": the cluster scope only — cluster-scoped objects and lists across all namespaces)."""

    resource: str
    verbs: frozenset[str] | None = None
    namespace: str | None = None

    @classmethod
    def from_spec(cls, spec: Any) -> ForbidRule:
        if isinstance(spec, str):
            spec = {"resource": spec}
        if not isinstance(spec, dict) or not isinstance(spec.get("resource"), str):
            raise ValueError(f"SimSettings: forbid entries need a resource, got {spec!r}")
        verbs = spec.get("verbs")
        if verbs is not None:
            unknown = set(verbs) - VERBS
            if unknown:
                raise ValueError(f"SimSettings: unknown verbs {sorted(unknown)} in forbid")
            verbs = frozenset(verbs)
        namespace = spec.get("namespace")
        return cls(spec["resource"], verbs, None if namespace is None else str(namespace))

    def matches(self, verb: str, resource: str, namespace: str | None) -> bool:
        if resource != self.resource or (self.verbs is not None and verb not in self.verbs):
            return False
        return self.namespace is None or self.namespace == (namespace or "")


def authorize(
    rules: list[ForbidRule],
    user: str,
    verb: str,
    resource: str,
    group: str,
    namespace: str | None,
    name: str | None,
    sub: str | None = None,
) -> None:
    """Raise the apiserver's 403 when a rule denies this request; return when allowed."""
    what = f"{resource}/{sub}" if sub else resource
    # RBAC names pods/log on its own (a rule on pods does not cover it); status goes with its kind
    ruled = what if sub == "log" else resource
    if not any(rule.matches(verb, ruled, namespace) for rule in rules):
        return
    where = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    reason = f'User "{user}" cannot {verb} resource "{what}" in API group "{group}" {where}'
    qualified = f"{resource}.{group}" if group else resource
    # apierrors.NewForbidden: `<resource> "<name>" is forbidden: …`, or without a name
    # `<resource> is forbidden: …`; details omit empty fields (omitempty).
    message = (
        f'{qualified} "{name}" is forbidden: {reason}' if name else f"{qualified} is forbidden: {reason}"
    )
    details: dict[str, Any] = {"kind": resource}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    raise ApiError(403, "Forbidden", message, details)
