"""deploy/: the RBAC manifests parse and grant exactly what the live cluster view reads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from prevalidate.kube.watchkinds import WATCH_KINDS

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
READ = {"get", "list", "watch"}


def documents(name: str) -> dict[str, dict[str, Any]]:
    docs = [d for d in yaml.safe_load_all((DEPLOY / name).read_text()) if d]
    return {d["kind"]: d for d in docs}


def granted(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    """(group, resource) -> verbs."""
    out: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                out.setdefault((group, resource), set()).update(rule["verbs"])
    return out


def test_every_manifest_and_the_kustomization_parse() -> None:
    assert set(documents("hub-rbac.yaml")) == {"Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"}
    assert set(documents("hub-rbac-user-namespaces.yaml")) == {"ClusterRole", "ClusterRoleBinding"}
    kustomization = documents("kustomization.yaml")["Kustomization"]
    assert all((DEPLOY / r).is_file() for r in kustomization["resources"])
    for patch in kustomization["patches"]:
        [op] = yaml.safe_load(patch["patch"])
        assert op == {"op": "replace", "path": "/subjects/0/namespace", "value": kustomization["namespace"]}


def test_the_role_and_cluster_role_cover_every_kind_the_live_view_lists() -> None:
    rbac = documents("hub-rbac.yaml")
    role, cluster_role = granted(rbac["Role"]), granted(rbac["ClusterRole"])
    for spec in WATCH_KINDS.values():
        key = (spec.group, spec.plural)
        if spec.namespaced:
            assert {"list", "watch"} <= role[key], spec.kind
        if not spec.namespaced or spec.kind == "Pod":  # pods cluster-wide: every node's usage
            assert {"list", "watch"} <= cluster_role[key], spec.kind
    user_namespaces = granted(documents("hub-rbac-user-namespaces.yaml")["ClusterRole"])
    assert set(user_namespaces) == {
        (s.group, s.plural) for s in WATCH_KINDS.values() if s.namespaced and s.kind != "Pod"
    }


def test_the_rules_only_read() -> None:
    for name in ("hub-rbac.yaml", "hub-rbac-user-namespaces.yaml"):
        for kind, doc in documents(name).items():
            if kind in ("Role", "ClusterRole"):
                assert all(verbs <= READ for verbs in granted(doc).values()), name


def test_the_bindings_bind_the_z2jh_hub_service_account_to_these_roles() -> None:
    for name in ("hub-rbac.yaml", "hub-rbac-user-namespaces.yaml"):
        docs = documents(name)
        for binding, role in (("RoleBinding", "Role"), ("ClusterRoleBinding", "ClusterRole")):
            if binding not in docs:
                continue
            assert docs[binding]["roleRef"] == {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": role,
                "name": docs[role]["metadata"]["name"],
            }
            assert docs[binding]["subjects"] == [
                {"kind": "ServiceAccount", "name": "hub", "namespace": "jhub"}
            ]
