"""The documentation pods (tests/fuzz/corpus: Kubernetes' own examples and the pods KubeSpawner
builds from the z2jh and KubeSpawner docs) judged by the real control plane and by prevalidate.

Each corpus pod is created on a cluster variant (corpus_clusters/*.yaml) and the plane's answer
recorded: the apiserver's (refused with a status, or created) and then the scheduler's (bound,
or Unschedulable with its message). prevalidate judges the same pod over a dump of the same
cluster, as `prevalidate check` would (judge.ours). Pods nobody here wrote: a false rejection
among them is what a new user meets first.

Three adjustments, each what the pod's owner or a real cluster does, not a change to the pod:
- z2jh's pods name `schedulerName: jhub-user-scheduler`, the chart's own kube-scheduler (the
  same binary with a packing profile, z2jh templates/scheduling/user-scheduler). The plane runs
  one kube-scheduler, `default-scheduler`, which stands in for it; prevalidate sees the pod
  unchanged.
- pod-with-scheduling-gates is held by the scheduler (`SchedulingGated`) until a controller
  removes its gates; the plane's verdict is then taken on the pod with its gates lifted the way
  that controller lifts them (an update that removes them, KEP-3521), and the hold recorded.
- each test runs in its own copy of a namespace (`docs` stands for `default`, `jhub-t3` for
  `jhub`), so a pod (anti-)affinity term's `namespaces` follow it (rename_term_namespaces).
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from prevalidate.model.request import PodRequest, kubespawner_request
from prevalidate.model.settings import Settings
from prevalidate.testing.realplane import (
    Api,
    RealCluster,
    Scheduling,
    admit,
    await_scheduler_nodes,
    await_scheduling,
    await_stable,
    read_objects,
)
from prevalidate.testing.realplane.api import collection, wait_for

from .judge import Comparison, Outcome, _quota_usage, dump, ours, real_family, scheduling_family
from .known import explain

Obj = dict[str, Any]
CORPUS = Path(__file__).parents[1] / "fuzz" / "corpus"
CLUSTERS = Path(__file__).parent / "corpus_clusters"
# Kept broken on purpose (tests/fuzz/corpus/README.md): a tab in the indentation (not YAML), and
# a list where `requiredDuringSchedulingIgnoredDuringExecution` takes an object.
BROKEN = {"inject-pod-multiple-secret-env-variable.yaml", "pod-with-node-affinity.yaml"}
DOCS_NAMESPACE = "docs"  # stands for `default`, where the documentation creates its pods
USER_SCHEDULER = "jhub-user-scheduler"
# The kubelet's to decide, and justified only where the cluster lacks what the pod names (the
# plain variant): a missing config map, secret or key, or the node a nodeName pod names.
MISSING_REFERENCE = {"secret-not-found", "configmap-not-found", "secret-key-not-found",
                     "configmap-key-not-found", "pull-secret-not-found"}
NODE_NAME_ABSENT = {"no-node-fits", "insufficient-capacity"}
# Kubelet-stage refusals that are right whatever the cluster holds. private-reg-pod's image is the
# documentation's placeholder `<your-private-image>`: the apiserver only asks for a non-blank
# string (pkg/apis/core/validation validateContainerCommon), the kubelet cannot parse it as a
# reference and leaves the container in InvalidImageName (pkg/kubelet/images/image_manager.go).
RIGHT_ANYWAY = {"k8s-website/private-reg-pod.yaml": {"image-reference-invalid"}}


@dataclass(frozen=True)
class CorpusPod:
    path: Path
    pod: Obj
    alongside: tuple[Obj, ...]  # the other objects of the file (the claim KubeSpawner creates)

    @property
    def name(self) -> str:
        return f"{self.path.parent.name}/{self.path.name}"

    @property
    def kubespawner(self) -> bool:
        return self.path.parent.name == "kubespawner"


def corpus_pods() -> list[CorpusPod]:
    """Every pod of the corpus but the two broken files, in file order."""
    found = []
    for folder in ("k8s-website", "kubespawner"):
        for path in sorted((CORPUS / folder).glob("*.yaml")):
            if path.name in BROKEN:
                continue
            docs = [d for d in yaml.safe_load_all(path.read_text()) if isinstance(d, dict)]
            [pod] = [d for d in docs if d.get("kind") == "Pod"]
            found.append(CorpusPod(path, pod, tuple(d for d in docs if d is not pod)))
    return found


@dataclass(frozen=True)
class Variant:
    name: str
    cluster_files: tuple[Path, ...]  # loaded in order
    references_present: bool  # every object the pods name exists (the pods can really start)


VARIANTS = (
    Variant("admin", (CLUSTERS / "admin.yaml",), True),
    Variant("policy", (CLUSTERS / "admin.yaml", CLUSTERS / "policy.yaml"), True),
    Variant("packed", (CLUSTERS / "admin.yaml", CLUSTERS / "packed.yaml"), True),
    Variant("constraints", (CLUSTERS / "admin.yaml", CLUSTERS / "constraints.yaml"), True),
    Variant("plain", (CLUSTERS / "plain.yaml",), False),
)


@dataclass(frozen=True)
class Judged:
    variant: Variant
    source: CorpusPod
    comparison: Comparison
    created: bool  # the apiserver created it
    bound: bool  # bound, or nominated to a node by preemption (it binds once the victims are gone)
    gated: bool = False  # the scheduler held it for its schedulingGates first
    # prevalidate's verdict with its default settings (`prevalidate check` untold of the plane's
    # admission plugins: "auto" assumes the mutations that make a pod more schedulable)
    untold: Outcome | None = None

    @property
    def ours(self) -> Outcome:
        return self.comparison.ours

    @property
    def real(self) -> Outcome:
        return self.comparison.real

    @property
    def unjustified_kubelet(self) -> frozenset[str]:
        """Kubelet-stage errors with no cause: in the admin variant every object exists."""
        right = RIGHT_ANYWAY.get(self.source.name, set())
        if not self.variant.references_present:
            absent = NODE_NAME_ABSENT if self.source.pod["spec"].get("nodeName") else set()
            right = right | MISSING_REFERENCE | absent
        return frozenset(self.ours.kubelet_only - right)

    @property
    def refused_by_us(self) -> bool:
        return bool(self.ours.families or self.ours.kubelet_only)

    @property
    def false_rejection(self) -> bool:
        """The plane created and bound the pod, nothing it names is missing, and we refuse
        (told of the plane's admission plugins or not)."""
        refused = bool(self.ours.families) or bool(self.untold and self.untold.families)
        return self.bound and (refused or bool(self.unjustified_kubelet))

    @property
    def missed_catch(self) -> bool:
        """The plane refuses (apiserver or scheduler), we report no error at all, and known.py
        does not explain why."""
        return not self.real.allowed and not self.refused_by_us and explain(self.comparison) is None

    @property
    def known(self) -> bool:
        return not self.comparison.agree and explain(self.comparison) is not None

    def describe(self) -> str:
        return f"[{self.variant.name}] {self.source.name}: " + self.comparison.describe().split(": ", 1)[1]


@dataclass
class CorpusRun:
    """One variant loaded in the plane, its pods judged one at a time (each deleted after its
    verdict, and seen gone by the scheduler, so every pod meets the same cluster)."""

    cluster: RealCluster
    variant: Variant
    workdir: Path
    results: list[Judged] = field(default_factory=list)

    def __post_init__(self) -> None:
        namespaces: set[str] = set()
        for cluster_file in self.variant.cluster_files:
            namespaces |= set(self.cluster.load(cluster_file).namespaces)
        api = self.cluster.api
        for ns in namespaces:  # the serviceaccount controller makes each `default` soon after
            wait_for(lambda ns=ns: api.get("ServiceAccount", "default", ns), 60, f"{ns}/default account")
        # Dumped once the quota controller has counted the running pods, as both sides must see it.
        self.baseline = {ns: await_stable(lambda ns=ns: _quota_usage(api, ns),
                                          lambda usage, ns=ns: _counts_pods(api, ns, usage),
                                          f"quota usage in {ns} counting its pods") for ns in namespaces}
        self.dump_file = self.workdir / f"{self.variant.name}.yaml"
        items: dict[tuple[str, str, str], Obj] = {}
        for ns in sorted(namespaces):
            for obj in dump(api, ns)["items"]:
                meta = obj["metadata"]
                items[(obj["kind"], meta.get("namespace", ""), meta["name"])] = obj
        whole = {"apiVersion": "v1", "kind": "List", "items": list(items.values())}
        self.dump_file.write_text(yaml.safe_dump(whole))

    def _restore_victims(self) -> None:
        """Preemption deleted running pods (gracefully: they stay Terminating, no kubelet ends
        them). Put the variant's running pods back as they were, for the next pod."""
        api = self.cluster.api
        running = [(pod, pod["metadata"]["name"], self.cluster.ns(pod["metadata"]["namespace"]))
                   for cluster_file in self.variant.cluster_files
                   for pod in read_objects(cluster_file) if pod.get("kind") == "Pod"]

        def victims() -> list[tuple[Obj, str, str]]:
            found = []
            for pod, name, ns in running:
                current = api.get("Pod", name, ns)
                if current is None or current["metadata"].get("deletionTimestamp"):
                    found.append((pod, name, ns))
            return found

        # The scheduler may nominate before it deletes the victims (asynchronous preemption).
        pending = wait_for(victims, 60, "preemption's victims deleted")
        while pending:
            for pod, name, ns in pending:
                api.delete("Pod", name, ns)
                wait_for(lambda name=name, ns=ns: api.get("Pod", name, ns) is None, 60, f"victim {name} gone")
                self.cluster.load(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": [pod]}))
            pending = victims()

    def place(self, source: CorpusPod) -> tuple[Obj, PodRequest]:
        """The pod in this test's namespace (as the plane gets it) and prevalidate's request."""
        pod = copy.deepcopy(source.pod)
        ns = self.cluster.ns(str(pod["metadata"].get("namespace") or DOCS_NAMESPACE))
        pod["metadata"]["namespace"] = ns
        rename_term_namespaces(pod["spec"], self.cluster.ns)
        if source.kubespawner:
            alongside = [{**o, "metadata": {**o["metadata"], "namespace": ns}} for o in source.alongside]
            request = kubespawner_request(pod, alongside)
        else:
            request = PodRequest(pod)
        for_plane = copy.deepcopy(pod)
        if for_plane["spec"].get("schedulerName") == USER_SCHEDULER:
            for_plane["spec"]["schedulerName"] = "default-scheduler"
        return for_plane, request

    def judge(self, source: CorpusPod) -> Judged:
        for_plane, request = self.place(source)
        mine = ours(request, self.dump_file)
        untold = ours(request, self.dump_file, Settings(offline=True))
        real, created, bound, gated = self.real(for_plane)
        comparison = Comparison(0, for_plane, mine, real)
        judged = Judged(self.variant, source, comparison, created, bound, gated, untold)
        self.results.append(judged)
        return judged

    def real(self, pod: Obj) -> tuple[Outcome, bool, bool, bool]:
        api = self.cluster.api
        answer = admit(api, pod, dry_run=False)
        if not answer.allowed:
            refused = Outcome(False, frozenset({real_family(answer.status, answer.message)}),
                              f"{answer.status}: {answer.message}")
            return refused, False, False, False
        meta = answer.pod["metadata"]
        verdict = await_scheduling(api, answer.pod, timeout=60)
        gated = verdict.reason == "SchedulingGated"
        if gated:
            lift_gates(api, answer.pod)
            verdict = await_ungated(api, meta["name"], meta["namespace"])
        api.delete("Pod", meta["name"], meta["namespace"])
        wait_for(lambda: api.get("Pod", meta["name"], meta["namespace"]) is None, 60, f"{meta['name']} gone")
        if self.baseline.get(meta["namespace"]):  # the next pod must meet the same quota usage
            ns = meta["namespace"]
            await_stable(lambda: _quota_usage(api, ns), lambda now: now == self.baseline[ns],
                         f"quota usage in {ns} returning to {self.baseline[ns]}")
        if verdict.scheduled:
            # The next pod must meet a scheduler that has dropped this one from its node.
            await_scheduler_nodes(api)
            return Outcome(True, frozenset(), f"bound to {verdict.node}"), True, True, gated
        if verdict.nominated:
            self._restore_victims()
            said = f"nominated to {verdict.nominated} by preemption"
            return Outcome(True, frozenset(), said, preempted=True), True, True, gated
        if verdict.reason == "Timeout":
            return Outcome(False, frozenset({"timeout"}), verdict.message), True, False, gated
        refused = Outcome(False, frozenset({scheduling_family(verdict.message)}),
                          f"{verdict.reason}: {verdict.message}")
        return refused, True, False, gated


def _counts_pods(api: Api, namespace: str, usage: dict[str, Obj]) -> bool:
    """Every unscoped quota's usage counts every pod of the namespace (a scoped one may rightly
    count fewer, so it is not asked)."""
    pods = len(api.list("Pod", namespace))
    for quota in api.list("ResourceQuota", namespace):
        spec = quota.get("spec") or {}
        used = usage.get(quota["metadata"]["name"]) or {}
        if not spec.get("scopes") and not spec.get("scopeSelector") and int(used.get("pods", pods)) != pods:
            return False
    return True


def rename_term_namespaces(spec: Obj, rename: Callable[[str], str]) -> None:
    """A pod (anti-)affinity term's `namespaces` name the pod's own namespace (KubeSpawner's
    traits say `jhub`): they follow it into the test's copy of that namespace, or the term
    would look at a namespace that does not exist here (and the scheduler's rule that a pod
    matching its own term may start a group would not apply)."""
    for kind in ("podAffinity", "podAntiAffinity"):
        block = ((spec.get("affinity") or {}).get(kind)) or {}
        terms = list(block.get("requiredDuringSchedulingIgnoredDuringExecution") or [])
        preferred = block.get("preferredDuringSchedulingIgnoredDuringExecution") or []
        terms += [t.get("podAffinityTerm") or {} for t in preferred]
        for term in terms:
            if term.get("namespaces"):
                term["namespaces"] = [rename(ns) for ns in term["namespaces"]]


def lift_gates(api: Api, pod: Obj) -> Obj:
    """Remove a pod's schedulingGates as the controller that owns them would (an update)."""
    meta = pod["metadata"]
    path = f"{collection('Pod', meta['namespace'])}/{meta['name']}"
    status, body = api.request("PATCH", path, {"spec": {"schedulingGates": None}},
                               content_type="application/merge-patch+json")
    if status >= 400:
        raise RuntimeError(f"lifting the scheduling gates of {meta['name']}: {status} {body.get('message')}")
    return body


def await_ungated(api: Api, name: str, namespace: str) -> Scheduling:
    """The scheduler's verdict on a pod whose gates were lifted (its status still says
    SchedulingGated until the scheduler has judged it again)."""

    def verdict() -> Scheduling | None:
        pod = api.get("Pod", name, namespace) or {}
        if (node := (pod.get("spec") or {}).get("nodeName")):
            return Scheduling(node)
        for cond in (pod.get("status") or {}).get("conditions") or []:
            if cond.get("type") == "PodScheduled" and cond.get("reason") not in (None, "SchedulingGated"):
                return Scheduling(None, str(cond["reason"]), str(cond.get("message", "")))
        return None

    found: Scheduling = wait_for(verdict, 60, f"the scheduler's verdict on {name} once ungated")
    return found


def run_variant(cluster: RealCluster, variant: Variant, workdir: Path) -> tuple[list[Judged], float]:
    began = time.monotonic()
    run = CorpusRun(cluster, variant, workdir)
    for source in corpus_pods():
        run.judge(source)
    return run.results, time.monotonic() - began
