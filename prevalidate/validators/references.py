"""Secrets, config maps and the service account the pod needs (the kubelet, pkg/kubelet): a missing
non-optional volume source leaves the pod in ContainerCreating (FailedMount), a missing env
source in CreateContainerConfigError, both for good. So does a key the pod names (env
``secretKeyRef``/``configMapKeyRef``, volume ``items``) that the object lacks: ``couldn't find
key <key> in Secret <ns>/<name>`` for env, ``references non-existent secret key: <key>`` for a
volume. A missing service account makes the apiserver refuse the pod. Missing pull secrets are
only warnings: the kubelet pulls without them and the image may be public. Only key *names*
are read here; secret values are never kept.

Pure, no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..model.cluster import ClusterView
from ..model.demand import SpawnDemand
from ..model.findings import Code, Finding, Severity
from ..model.objects import ConfigMapInfo, SecretInfo
from ..model.podrefs import ObjectRef
from .context import CheckInput, closest

_CODES = {"secret": Code.SECRET_NOT_FOUND, "configmap": Code.CONFIGMAP_NOT_FOUND}
_KEY_CODES = {"secret": Code.SECRET_KEY_NOT_FOUND, "configmap": Code.CONFIGMAP_KEY_NOT_FOUND}
_KINDS = {"secret": "Secret", "configmap": "ConfigMap"}


def pull_secret_names(cluster: ClusterView, demand: SpawnDemand) -> list[str]:
    """The pod's imagePullSecrets then its service account's, as the kubelet will see them
    (the ServiceAccount admission plugin copies the account's into the pod)."""
    names = list(demand.image_pull_secrets)
    account = cluster.service_accounts.get((demand.namespace, demand.service_account))
    if account is not None:
        names += [n for n in account.image_pull_secrets if n not in names]
    return names


def pull_secret_configs(cluster: ClusterView, demand: SpawnDemand) -> list[tuple[str, str]]:
    """(secret type, docker config JSON) of the pull secrets that exist, in kubelet order."""
    secrets = cluster.secrets.get(demand.namespace, {})
    return [
        (secrets[n].type, secrets[n].docker_config or "")
        for n in pull_secret_names(cluster, demand)
        if n in secrets and secrets[n].docker_config
    ]


def _missing_keys(ref: ObjectRef, obj: SecretInfo | ConfigMapInfo, ns: str) -> list[Finding]:
    """A finding for each key ``ref`` names that ``obj`` lacks (none when its keys are unknown)."""
    if obj.keys is None:
        return []
    binary = obj.binary_keys if isinstance(obj, ConfigMapInfo) and ref.data_only else frozenset()
    readable = obj.keys - binary
    existing = sorted(readable)
    return [
        Finding(
            _KEY_CODES[ref.kind],
            Severity.ERROR,
            f"{ref.name}/{key}",
            {
                "name": ref.name,
                "key": key,
                "where": ref.where,
                "namespace": ns,
                "keys": existing,
                "closest": closest(key, existing),
                "binary_only": key in binary,
            },
        )
        for key in dict.fromkeys(ref.keys)
        if key not in readable
    ]


def check(ctx: CheckInput) -> list[Finding]:
    cluster, demand = ctx.cluster, ctx.demand
    ns = demand.namespace
    findings: list[Finding] = []
    tables: dict[str, Mapping[str, SecretInfo | ConfigMapInfo]] = {
        "secret": cluster.secrets.get(ns, {}),
        "configmap": cluster.configmaps.get(ns, {}),
    }
    seen: set[tuple[str, str]] = set()
    seen_keys: set[tuple[str, str]] = set()
    for ref in demand.object_refs:
        if ref.optional or not cluster.knows(_KINDS[ref.kind], demand.namespace):
            continue
        if ctx.request.creates(_KINDS[ref.kind], ref.name):
            continue  # the spawner creates it around the pod (KubeSpawner's internal_ssl Secret)
        obj = tables[ref.kind].get(ref.name)
        if obj is not None:
            for finding in _missing_keys(ref, obj, ns):
                if (ref.kind, finding.subject) not in seen_keys:
                    seen_keys.add((ref.kind, finding.subject))
                    findings.append(finding)
            continue
        if (ref.kind, ref.name) in seen:
            continue
        seen.add((ref.kind, ref.name))
        findings.append(
            Finding(
                _CODES[ref.kind],
                Severity.ERROR,
                ref.name,
                {
                    "name": ref.name,
                    "where": ref.where,
                    "namespace": ns,
                    "closest": closest(ref.name, tables[ref.kind]),
                },
            )
        )

    account_known = (ns, demand.service_account) in cluster.service_accounts
    account_missing = not account_known and not ctx.creates_namespace and ns in cluster.namespaces
    if cluster.knows("ServiceAccount", ns) and account_missing:
        findings.append(
            Finding(
                Code.SERVICEACCOUNT_NOT_FOUND,
                Severity.ERROR,
                demand.service_account,
                {"name": demand.service_account, "namespace": ns},
            )
        )
    if cluster.knows("Secret", ns):
        for name in pull_secret_names(cluster, demand):
            if name not in tables["secret"]:
                findings.append(
                    Finding(
                        Code.PULL_SECRET_NOT_FOUND, Severity.WARNING, name, {"name": name, "namespace": ns}
                    )
                )
    return findings
