"""Run scenarios through prevalidate and through the real control plane, and compare.

Kubernetes' verdict on a pod comes in stages: the apiserver (validation, then admission:
LimitRanger, ServiceAccount, ResourceQuota) answers the create, then the scheduler binds it or
marks it `PodScheduled=False, Unschedulable`. Each is mapped to an error family; prevalidate's
finding codes are mapped to the same families. A kubelet (secrets, config maps, images) does
not exist here, so findings of that stage are out of the plane's reach and are counted apart.

prevalidate reads the cluster as `kubectl get -o yaml` would print the real one (`dump`): the
quota usage it sees is what the real quota controller computed, not what the generator guessed.
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from prevalidate.kube.dump import load_cluster
from prevalidate.model.admission import AdmissionConfig
from prevalidate.model.request import PodRequest
from prevalidate.model.settings import Settings
from prevalidate.testing.realplane import Api, RealCluster, admit, await_scheduling
from prevalidate.testing.realplane.api import wait_for
from prevalidate.testing.realplane.sync import await_scheduler_nodes, await_stable
from prevalidate.validators import run_all

from .scenarios import NS, Round

Obj = dict[str, Any]

FAMILY_OF_CODE = {
    "input-invalid": "invalid",
    "namespace-not-found": "namespace",
    "quota-exceeded": "quota",
    "quota-must-specify": "quota",
    "limitrange-violation": "limitrange",
    "no-node-fits": "scheduling",
    "insufficient-capacity": "scheduling",
    "pvc-not-found": "volume",
    "pvc-terminating": "volume",
    "pvc-not-bound": "volume",
    "pvc-in-use": "volume",
    "serviceaccount-not-found": "serviceaccount",
    "runtimeclass-not-found": "runtimeclass",
    "priorityclass-not-found": "priorityclass",
    "admission-refused": "admission",
}
# For a pod with spec.nodeName the scheduler is bypassed, so these are the kubelet's to decide:
# its admission (validators/nodename.py: room, selector, NoExecute taints) and its volume
# manager (a claim that does not exist or is not bound: the pod stays ContainerCreating with
# FailedMount). The plane has no kubelet and binds such a pod whatever they say.
NODE_NAME_KUBELET_STAGE = {"no-node-fits", "insufficient-capacity", "pvc-not-found", "pvc-not-bound",
                           "pvc-terminating", "pvc-in-use"}
# Decided by the kubelet, which the plane has not got: we refuse, the plane cannot.
KUBELET_STAGE = {"secret-not-found", "configmap-not-found", "secret-key-not-found", "configmap-key-not-found",
                 "pull-secret-not-found", "image-reference-invalid", "image-not-found",
                 "image-access-denied", "image-platform-unsupported", "image-registry-not-allowed"}


@dataclass(frozen=True)
class Outcome:
    """One side's verdict: allowed, or refused with a family; `detail` is the message."""

    allowed: bool
    families: frozenset[str]
    detail: str
    kubelet_only: frozenset[str] = frozenset()
    preempted: bool = False  # allowed by the scheduler's preemption (nominated, victims evicted)


@dataclass(frozen=True)
class Comparison:
    round: int
    pod: Obj
    ours: Outcome
    real: Outcome

    @property
    def agree(self) -> bool:
        if self.real.allowed:
            return self.ours.allowed or not self.ours.families
        return bool(self.real.families & self.ours.families)

    @property
    def false_rejection(self) -> bool:
        """We refuse, on a family the plane can judge, a pod the real plane admitted and bound."""
        return self.real.allowed and bool(self.ours.families)

    def describe(self) -> str:
        return (f"round {self.round} pod {self.pod['metadata']['name']}: real {self._fmt(self.real)}; "
                f"prevalidate {self._fmt(self.ours)}\n"
                f"  pod spec: {yaml.safe_dump(self.pod['spec'], width=200)}")

    @staticmethod
    def _fmt(o: Outcome) -> str:
        return "allowed" if o.allowed and not o.families else f"{sorted(o.families)} ({o.detail})"


def real_family(status: int, message: str) -> str:
    if status == 422:
        return "invalid"
    if "conflict: runtimeClass.scheduling" in message:  # the RuntimeClass plugin's merge
        return "admission"
    if "RuntimeClass" in message:
        return "runtimeclass"
    if "PriorityClass" in message:
        return "priorityclass"
    if "exceeded quota" in message or "failed quota" in message or "must specify" in message:
        return "quota"
    if "per Container" in message or "per Pod" in message or "limit to request ratio" in message:
        return "limitrange"
    if "service account" in message or "serviceaccount" in message:
        return "serviceaccount"
    if "namespace" in message and status in (403, 404):
        return "namespace"
    return f"http-{status}"


def scheduling_family(message: str) -> str:
    if re.search(r"persistentvolumeclaim|PersistentVolumeClaim|volume", message):
        return "volume"
    return "scheduling"


# The mutating admission plugins the plane's kube-apiserver runs (realplane/plane.py:
# --enable-admission-plugins plus kube-apiserver's default-on set, which has RuntimeClass and
# DefaultTolerationSeconds but not the other three), stated as an admin would state them:
# prevalidate otherwise assumes ExtendedResourceToleration's tolerations ("auto"), as it must
# on GKE and AKS, and allows GPU pods this plane leaves Pending for an untolerated GPU taint.
PLANE_ADMISSION = AdmissionConfig.parse(
    {
        "RuntimeClass": "on",
        "DefaultTolerationSeconds": "on",
        "ExtendedResourceToleration": "off",
        "PodNodeSelector": "off",
        "PodTolerationRestriction": "off",
    }
)


def ours(request: PodRequest | Obj, cluster_file: Path, settings: Settings | None = None) -> Outcome:
    """prevalidate's verdict on a pod (or a spawner's request) over a dump of the plane; by
    default told the plane's admission plugins, as an admin would tell it."""
    settings = settings or Settings(offline=True, admission=PLANE_ADMISSION)
    verdict = run_all(request, load_cluster(cluster_file), settings, {})
    pod = PodRequest.of(request).pod
    errors = [f for f in verdict.findings if f.severity.value == "error"]
    kubelet_stage = KUBELET_STAGE | (NODE_NAME_KUBELET_STAGE if pod["spec"].get("nodeName") else set())
    families = frozenset(FAMILY_OF_CODE.get(f.code.value, f.code.value) for f in errors
                         if f.code.value not in kubelet_stage)
    kubelet = frozenset(f.code.value for f in errors if f.code.value in kubelet_stage)
    return Outcome(not families, families, ", ".join(sorted(f.code.value for f in errors)), kubelet)


# --- the real side -----------------------------------------------------------------------------
_DUMPED = ("Namespace", "Node", "Pod", "ResourceQuota", "LimitRange", "PersistentVolumeClaim", "StorageClass",
           "ServiceAccount", "Secret", "ConfigMap", "PriorityClass", "RuntimeClass")
_API_VERSION = {"StorageClass": "storage.k8s.io/v1", "PriorityClass": "scheduling.k8s.io/v1",
                "RuntimeClass": "node.k8s.io/v1"}


def dump(api: Api, namespace: str) -> Obj:
    """`kubectl get <every kind prevalidate reads> -o yaml` of the plane, for one namespace."""
    items: list[Obj] = []
    for kind in _DUMPED:
        if kind == "Namespace":
            found = [o for o in api.list(kind) if o["metadata"]["name"] == namespace]
        elif kind in ("Node", "StorageClass", "PriorityClass", "RuntimeClass"):
            found = api.list(kind)
        else:
            found = api.list(kind, namespace)
        for obj in found:
            obj["kind"], obj["apiVersion"] = kind, _API_VERSION.get(kind, "v1")
            obj["metadata"].pop("managedFields", None)
            items.append(obj)
    return {"apiVersion": "v1", "kind": "List", "items": items}


def _quota_usage(api: Api, namespace: str) -> dict[str, Obj]:
    return {q["metadata"]["name"]: (q.get("status") or {}).get("used") or {}
            for q in api.list("ResourceQuota", namespace)}


class RoundRunner:
    """Loads one Round into the plane, then judges its pods one at a time: a `dryRun=All`
    create for admission; if admitted, a real create for the scheduler's verdict, then the pod
    is deleted and the quota usage awaited back at its baseline so the next pod sees the same
    cluster."""

    def __init__(self, cluster: RealCluster, rnd: Round, workdir: Path) -> None:
        self.cluster, self.round = cluster, rnd
        self.ns = cluster.ns(NS)
        cluster.load(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": rnd.objects}))
        # Settled first, then dumped: the quota controller's first count can miss pods created
        # moments before (its informer had not seen them yet), and both sides must see the
        # final usage.
        self.baseline = self._settled_usage()
        self.cluster_file = workdir / f"round-{rnd.index}.yaml"
        self.cluster_file.write_text(yaml.safe_dump(dump(cluster.api, self.ns)))
        self.nodes = set(rnd.node_names)

    def run(self) -> list[Comparison]:
        return [self.compare(pod) for pod in self.round.pods]

    def compare(self, pod: Obj) -> Comparison:
        placed = {**pod, "metadata": {**pod["metadata"], "namespace": self.ns}}
        return Comparison(self.round.index, placed, ours(placed, self.cluster_file), self.real(placed))

    def real(self, pod: Obj) -> Outcome:
        api = self.cluster.api
        admission = admit(api, pod)
        if not admission.allowed:
            family = real_family(admission.status, admission.message)
            return Outcome(False, frozenset({family}), f"{admission.status}: {admission.message}")
        # No retry: the loader proved the scheduler holds this round's nodes before any pod is
        # judged, and each bound pod's deletion is seen by it before the next (below), so a
        # verdict here is the scheduler's real answer and a disagreement is a real one.
        created = admit(api, pod, dry_run=False)
        if not created.allowed:  # cannot happen once usage is back at baseline; say so if it does
            return Outcome(False, frozenset({"unstable"}), f"real create: {created.message}")
        verdict = await_scheduling(api, created.pod, timeout=60)
        api.delete("Pod", pod["metadata"]["name"], self.ns)
        if verdict.nominated:
            self._restore_victims()  # loads them: the loader awaits the scheduler's view
            # The victims are new pods now: read the cluster again, as both sides will.
            self.baseline = self._settled_usage()
            self.cluster_file.write_text(yaml.safe_dump(dump(api, self.ns)))
        elif verdict.scheduled:
            # The scheduler must drop the deleted pod from its node before the next pod meets it.
            await_scheduler_nodes(api)
        self._await_baseline()
        if verdict.scheduled:
            return Outcome(True, frozenset(), f"bound to {verdict.node}")
        if verdict.nominated:
            return Outcome(True, frozenset(), f"nominated to {verdict.nominated} by preemption "
                           f"({verdict.message})", preempted=True)
        if verdict.reason == "Timeout":
            return Outcome(False, frozenset({"timeout"}), verdict.message)
        return Outcome(False, frozenset({scheduling_family(verdict.message)}), verdict.message)

    def _restore_victims(self) -> None:
        """Preemption deleted running pods (gracefully: they stay Terminating, as no kubelet ends
        them). Put the round's running pods back as they were, so the next pod sees the same
        cluster."""
        api = self.cluster.api
        for pod in self.round.running_pods:
            name = pod["metadata"]["name"]
            current = api.get("Pod", name, self.ns)
            if current is not None and not current["metadata"].get("deletionTimestamp"):
                continue
            api.delete("Pod", name, self.ns)
            wait_for(lambda name=name: api.get("Pod", name, self.ns) is None, 60, f"victim {name} gone")
            self.cluster.load(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [pod]}))

    def _settled_usage(self) -> dict[str, Obj]:
        """Quota usage once the controller has stopped changing it: the same for 1 s, and
        counting every pod the round put there (its first count may have been taken before it
        saw them)."""
        last = _quota_usage(self.cluster.api, self.ns)
        if not last:
            return last
        pods = self.cluster.api.list("Pod", self.ns)
        active = sum(1 for p in pods if (p.get("status") or {}).get("phase") not in ("Succeeded", "Failed"))
        same_since = time.monotonic()
        deadline = same_since + 60
        while time.monotonic() < deadline:
            time.sleep(0.1)
            now = _quota_usage(self.cluster.api, self.ns)
            if now != last:
                last, same_since = now, time.monotonic()
            elif time.monotonic() - same_since >= 1.0 and self._counts_pods(now, active):
                return now
        return last

    def _counts_pods(self, usage: dict[str, Obj], active: int) -> bool:
        """Every unscoped quota with a `pods` limit counts every active pod (a scoped one may
        rightly count fewer, so it is not asked)."""
        for quota in self.cluster.api.list("ResourceQuota", self.ns):
            spec = quota.get("spec") or {}
            used = usage.get(quota["metadata"]["name"]) or {}
            unscoped = not spec.get("scopes") and not spec.get("scopeSelector")
            if "pods" in (spec.get("hard") or {}) and unscoped and int(used.get("pods", -1)) != active:
                return False
        return True

    def _await_baseline(self) -> None:
        # Waited for as long as the quota controller keeps changing the usage (a loaded machine
        # delays its recalculation by tens of seconds), failing only after 120 s with no change.
        # Polled every 0.2 s: a tighter loop was itself a load on the apiserver it waited for.
        if not self.baseline:
            return
        await_stable(lambda: _quota_usage(self.cluster.api, self.ns), lambda now: now == self.baseline,
                     f"quota usage in {self.ns} returning to {self.baseline}")


def run_rounds(make_cluster: Any, rounds: Iterable[Round]) -> list[Comparison]:
    """Every round in a fresh RealCluster (`make_cluster()`), cleaned after."""
    results: list[Comparison] = []
    with tempfile.TemporaryDirectory(prefix="agree-") as tmp:
        for rnd in rounds:
            cluster = make_cluster()
            try:
                results += RoundRunner(cluster, rnd, Path(tmp)).run()
            finally:
                cluster.clean()
    return results
