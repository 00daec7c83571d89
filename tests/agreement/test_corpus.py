"""The documentation pods on the real control plane: no false rejection.

The claim under test: pods nobody here wrote (Kubernetes' documentation examples, pods
KubeSpawner builds from the z2jh and KubeSpawner docs; tests/fuzz/corpus, provenance in its
README) that Kubernetes creates and binds are not refused by prevalidate. Every corpus pod is
created on a real kube-apiserver + kube-scheduler (v1.37) on five clusters (corpus.py,
corpus_clusters/): an admin's cluster where everything the pods name exists and nodes offer what
they ask for; the same with the documentation's default LimitRange and CPU/memory quota in every
namespace ("policy"); the same with its LimitRange min/max/ratio bounds and scoped quotas
("constraints"); the same with every node full of priority -10 pods, z2jh's user
placeholders on the user nodes ("packed": pods fit by preemption); and a small plain one where
nothing they name exists. A false rejection (the plane binds the pod, or nominates it by
preemption, nothing it names is missing, and prevalidate reports an error) fails the test unless
known.py explains it; the reverse (the plane refuses, prevalidate allows) is reported as a
missed catch, not asserted. One plane for all; `-s` prints the table (RESULTS.md has it).
"""

from __future__ import annotations

import collections
import copy
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml

from prevalidate.cli import EXIT_UNUSABLE, main
from prevalidate.kube.dump import load_cluster
from prevalidate.testing.realplane import (
    ControlPlane,
    RealCluster,
    admit,
    schedule,
)
from prevalidate.testing.realplane.api import wait_for
from prevalidate.testing.realplane.pytest_plugin import binaries_or_skip
from prevalidate.validators import run_all

from .corpus import BROKEN, CLUSTERS, CORPUS, VARIANTS, Judged, corpus_pods, run_variant
from .judge import dump, ours, real_family
from .known import explain


def test_the_corpus_is_all_there() -> None:
    """47 documentation pods and 8 KubeSpawner pods, of which two files are broken on purpose."""
    assert len(list((CORPUS / "k8s-website").glob("*.yaml"))) == 47
    assert len(list((CORPUS / "kubespawner").glob("*.yaml"))) == 8
    assert len(corpus_pods()) == 55 - len(BROKEN)


def test_no_false_rejection_of_documentation_pods(real_plane: ControlPlane) -> None:
    results: list[Judged] = []
    times = {}
    with tempfile.TemporaryDirectory(prefix="corpus-") as tmp:
        for variant in VARIANTS:
            cluster = RealCluster(real_plane)
            try:
                judged, times[variant.name] = run_variant(cluster, variant, Path(tmp))
                results += judged
            finally:
                cluster.clean()
    unexplained, lines = [], []
    for variant in VARIANTS:
        mine = [j for j in results if j.variant is variant]
        tally: collections.Counter[str] = collections.Counter()
        for j in mine:
            tally["pods"] += 1
            tally["created"] += j.created
            tally["bound"] += j.bound and not j.real.preempted
            tally["bound by preemption"] += j.real.preempted
            tally["gated first"] += j.gated
            tally["refused by plane"] += not j.real.allowed
            tally["refused by us"] += j.refused_by_us
            tally["missed catches"] += j.missed_catch
            tally["known differences"] += j.known
            if j.false_rejection:
                reason = explain(j.comparison)
                tally["known" if reason else "false rejections"] += 1
                if not reason:
                    unexplained.append(j)
        counts = ", ".join(f"{k} {v}" for k, v in tally.items())
        lines.append(f"  {variant.name:6s} {times[variant.name]:5.1f}s  {counts}")
        for j in mine:
            mark = "FALSE REJECTION" if j in unexplained else "missed catch" if j.missed_catch else ""
            lines.append(
                f"    {j.source.name:50s} real: {j.real.detail[:90]} | "
                f"ours: {j.ours.detail or 'allowed'}  {mark}"
            )
    print("\ndocumentation pods on the real control plane:\n" + "\n".join(lines))
    for j in results:  # the plane's and our words on every difference worth reading
        if j.missed_catch or j in unexplained:
            print(
                f"  [{j.variant.name}] {j.source.name}\n    real: {j.real.detail}\n    ours: {j.ours.detail}"
            )
    assert len(results) == len(VARIANTS) * len(corpus_pods())
    # Every outcome was reached: bound, bound by preemption, refused by the apiserver and by the scheduler.
    assert any(j.bound and not j.real.preempted for j in results) and any(j.real.preempted for j in results)
    assert any(not j.created for j in results) and any(j.created and not j.real.allowed for j in results)
    assert not unexplained, "\n".join(j.describe() for j in unexplained)


def test_the_mistyped_affinity_file_is_refused_by_both(real_plane: ControlPlane) -> None:
    """pod-with-node-affinity.yaml (this version) gives requiredDuringScheduling... a list:
    the apiserver cannot decode it (400) and prevalidate says input-invalid."""
    text = (CORPUS / "k8s-website/pod-with-node-affinity.yaml").read_text()
    [pod] = [d for d in yaml.safe_load_all(text) if d]
    cluster = RealCluster(real_plane)
    try:
        cluster.load(CLUSTERS / "plain.yaml")
        pod["metadata"]["namespace"] = cluster.ns("docs")
        answer = admit(cluster.api, pod)
    finally:
        cluster.clean()
    assert not answer.allowed and answer.status == 400, (answer.status, answer.message)
    assert real_family(answer.status, answer.message) == "http-400"
    verdict = run_all(pod, load_cluster(CLUSTERS / "plain.yaml"))
    assert [f.code.value for f in verdict.findings if f.severity.value == "error"] == ["input-invalid"]


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_a_broken_file_is_unusable_input(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    """`prevalidate check` on a broken documentation file (a tab in the indentation; a list
    where an object belongs): exit 2 with one line naming the problem, never a traceback."""
    code = main(
        [
            "check",
            "--cluster",
            str(CLUSTERS / "plain.yaml"),
            "--pod",
            str(CORPUS / "k8s-website" / name),
            "--offline",
        ]
    )
    err = capsys.readouterr().err
    assert code == EXIT_UNUSABLE, (code, err)
    assert len(err.strip().splitlines()) == 1 and name in err and "Traceback" not in err


SLA = "servicelevel.organization.example/agreed-service-level"


def _sla_node(name: str, level: str) -> dict[str, Any]:
    labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"}
    return {
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels},
        "spec": {"taints": [{"key": SLA, "value": level, "effect": "NoSchedule"}]},
        "status": {"allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}},
    }


def test_numeric_tolerations_with_the_gate_on() -> None:
    """pod-with-numeric-toleration.yaml (`Gt 900`) on a plane with TaintTolerationComparisonOperators
    on: bound to the node tainted 950, not the one tainted 800; and `Gt 990` binds nowhere. prevalidate
    agrees both ways (the apiserver without the gate refuses the pod: the other test's missed catch)."""
    folder = binaries_or_skip()
    text = (CORPUS / "k8s-website/pod-with-numeric-toleration.yaml").read_text()
    [docs_pod] = [d for d in yaml.safe_load_all(text) if d]
    with (
        ControlPlane(folder, feature_gates={"TaintTolerationComparisonOperators": True}) as plane,
        tempfile.TemporaryDirectory(prefix="corpus-sla-") as tmp,
    ):
        cluster = RealCluster(plane)
        items = [
            {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "docs"}},
            _sla_node("gold", "950"),
            _sla_node("bronze", "800"),
        ]
        cluster.load(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": items}))
        ns = cluster.ns("docs")
        wait_for(lambda: plane.api.get("ServiceAccount", "default", ns), 60, "default account")
        dumped = Path(tmp) / "cluster.yaml"
        dumped.write_text(yaml.safe_dump(dump(plane.api, ns)))
        outcomes = {}
        for level in ("900", "990"):
            the_pod = copy.deepcopy(docs_pod)
            the_pod["metadata"].update(namespace=ns, name=f"sla-{level}")
            the_pod["spec"]["tolerations"][0]["value"] = level
            admission, scheduling = schedule(plane.api, the_pod, timeout=60)
            assert admission.allowed, admission.message
            assert scheduling is not None
            outcomes[level] = (scheduling.node, ours(the_pod, dumped))
    assert outcomes["900"][0] == "gold" and outcomes["900"][1].allowed
    assert outcomes["990"][0] is None and outcomes["990"][1].families == {"scheduling"}
