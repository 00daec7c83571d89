"""run_all on hostile or odd input: a clear finding, never a traceback, never a false rejection."""

from __future__ import annotations

import pytest

from prevalidate.model.cluster import ClusterView
from prevalidate.model.findings import Code, Severity
from prevalidate.validators import CHECKS, run_all


def _view() -> ClusterView:
    view = ClusterView()
    view.apply({"kind": "Namespace", "metadata": {"name": "default"}})
    view.apply({"kind": "ServiceAccount", "metadata": {"name": "default", "namespace": "default"}})
    view.apply(
        {"kind": "Node", "metadata": {"name": "n1"}, "status": {"allocatable": {"cpu": "4", "memory": "8Gi"}}}
    )
    return view


@pytest.mark.parametrize(
    "pod, field",
    [
        ({"metadata": "x", "spec": {"containers": [{"name": "a", "image": "b"}]}}, "metadata"),
        ({"spec": {"containers": ["not-a-map"]}}, "spec.containers[0]"),
        (
            {"spec": {"containers": [{"name": "a", "image": "b"}], "tolerations": ["x"]}},
            "spec.tolerations[0]",
        ),
        ({"spec": {"containers": [{"name": "a", "image": 7}]}}, "spec.containers[0].image"),
        ({"spec": "nope"}, "spec"),
        ("not a pod", "pod"),
    ],
)
def test_mistyped_pod_fields_are_input_invalid(pod, field):
    verdict = run_all(pod, _view())
    assert not verdict.allowed
    assert [(f.code, f.subject) for f in verdict.findings] == [(Code.INPUT_INVALID, field)]


def test_a_check_that_fails_is_skipped_with_a_warning_and_never_blocks(monkeypatch):
    def broken(_ctx):
        raise TypeError("deep odd field")

    monkeypatch.setitem(CHECKS, "capacity", broken)
    pod = {"spec": {"containers": [{"name": "a", "image": "quay.io/x/y:1"}]}}
    verdict = run_all(pod, _view())
    assert verdict.allowed
    assert [(f.code, f.severity, f.subject) for f in verdict.findings] == [
        (Code.CHECK_SKIPPED, Severity.WARNING, "capacity")
    ]


def test_a_valid_pod_on_this_view_is_allowed():
    pod = {
        "spec": {
            "containers": [{"name": "a", "image": "quay.io/x/y:1", "resources": {"requests": {"cpu": "1"}}}]
        }
    }
    assert run_all(pod, _view()).findings == ()


def test_a_fitting_node_that_is_still_starting_is_a_wait_not_a_rejection():
    view = _view()
    view.apply(
        {
            "kind": "Node",
            "metadata": {"name": "big"},
            "spec": {"taints": [{"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"}]},
            "status": {"allocatable": {"cpu": "64", "memory": "256Gi"}},
        }
    )
    pod = {
        "spec": {
            "containers": [{"name": "a", "image": "quay.io/x/y:1", "resources": {"requests": {"cpu": "32"}}}]
        }
    }
    verdict = run_all(pod, view)
    assert verdict.allowed
    assert [(f.code, f.severity) for f in verdict.findings] == [
        (Code.INSUFFICIENT_CAPACITY, Severity.WARNING)
    ]


def test_a_node_tainted_for_good_still_means_no_node_fits():
    view = _view()
    view.apply(
        {
            "kind": "Node",
            "metadata": {"name": "big"},
            "spec": {
                "taints": [
                    {"key": "dedicated", "value": "ml", "effect": "NoSchedule"},
                    {"key": "node.kubernetes.io/not-ready", "effect": "NoSchedule"},
                ]
            },
            "status": {"allocatable": {"cpu": "64", "memory": "256Gi"}},
        }
    )
    pod = {
        "spec": {
            "containers": [{"name": "a", "image": "quay.io/x/y:1", "resources": {"requests": {"cpu": "32"}}}]
        }
    }
    verdict = run_all(pod, view)
    assert [(f.code, f.severity) for f in verdict.findings] == [(Code.NO_NODE_FITS, Severity.ERROR)]


def test_priority_class_scoped_quota_is_not_enforced_when_classes_are_unknown(tmp_path):
    from prevalidate.kube.dump import load_cluster

    dump = tmp_path / "cluster.yaml"
    dump.write_text(
        "kind: List\nitems:\n"
        "- {kind: Namespace, metadata: {name: default}}\n"
        "- {kind: ServiceAccount, metadata: {name: default, namespace: default}}\n"
        "- {kind: Node, metadata: {name: n1}, status: {allocatable: {cpu: '8', memory: 8Gi}}}\n"
        "- kind: ResourceQuota\n  metadata: {name: low, namespace: default}\n"
        "  spec: {scopeSelector: {matchExpressions: [{scopeName: PriorityClass, operator: NotIn,"
        " values: [high]}]}}\n"
        "  status: {hard: {requests.cpu: '1'}, used: {requests.cpu: '0'}}\n"
    )
    view = load_cluster(dump)
    pod = {
        "spec": {
            "containers": [{"name": "a", "image": "quay.io/x/y:1", "resources": {"requests": {"cpu": "2"}}}]
        }
    }
    # A global default class "high" (not in the dump) would make the quota not apply: don't guess.
    verdict = run_all(pod, view, None)
    assert verdict.allowed
    assert [(f.code, f.subject) for f in verdict.findings] == [(Code.CHECK_SKIPPED, "quota low")]
    view.apply({"kind": "PriorityClass", "metadata": {"name": "system-node-critical"}})
    view.mark_known("PriorityClass")
    assert [f.code for f in run_all(pod, view).findings] == [Code.QUOTA_EXCEEDED]


def test_a_failed_check_says_which_and_that_the_server_still_starts(monkeypatch):
    from prevalidate.messages import render

    monkeypatch.setitem(CHECKS, "pvc", lambda _ctx: [][0])
    pod = {"spec": {"containers": [{"name": "a", "image": "quay.io/x/y:1"}]}}
    [finding] = run_all(pod, _view()).findings
    assert render(finding) == (
        "The pvc check could not run on these options and was skipped; your server will still start."
    )


def test_a_kind_listed_in_other_namespaces_only_is_skipped_not_read_as_empty() -> None:
    """A hub that may list PVCs, secrets and quotas only in its own namespace decides nothing
    about another namespace from those empty tables."""
    view = _view()
    view.apply({"kind": "Namespace", "metadata": {"name": "jhub"}})
    for kind in ("PersistentVolumeClaim", "Secret", "ConfigMap", "ResourceQuota", "LimitRange"):
        view.mark_known(kind, "jhub")
    pod = {
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "containers": [{"name": "a", "image": "b", "envFrom": [{"secretRef": {"name": "creds"}}]}],
            "volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-x"}}],
        },
    }
    assert run_all(pod, view).allowed
    pod["metadata"]["namespace"] = "jhub"
    codes = {f.code for f in run_all(pod, view).findings}
    assert {Code.PVC_NOT_FOUND, Code.SECRET_NOT_FOUND} <= codes
