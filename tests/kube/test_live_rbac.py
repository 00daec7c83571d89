"""The live view under RBAC: a forbidden kind is unknown (fail open) with one warning naming
the rule to add, retried quietly; pods fall back to the hub namespaces."""

from __future__ import annotations

import logging

import pytest

from prevalidate import Settings, run_all
from prevalidate.kube.dump import load_pod
from prevalidate.testing.kubesim import KubeSim
from prevalidate.testing.kubesim.authz import ForbidRule
from prevalidate.testing.kubesim.pytest_plugin import StartKubeSim

from .conftest import EXAMPLE_CLUSTER, EXAMPLE_PODS, FAST, LOGGER, StartLive, eventually, records
from .helpers import forbid, lists_of, pod, watching

OFFLINE = Settings(offline=True)


@pytest.mark.fault("rbac-missing")
async def test_forbidden_nodes_make_node_unknown_with_one_warning_naming_the_rbac_rule(
    start_kubesim: StartKubeSim, start_live: StartLive, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    sim = await start_kubesim(EXAMPLE_CLUSTER, forbid("{resource: nodes}"))
    live = await start_live(sim, **FAST)
    assert await live.wait_ready(5)  # nodes are given up on, not waited for
    assert not live.view.knows("Node")
    assert live.view.knows("Pod") and live.view.knows("PersistentVolumeClaim", "jhub")
    # keep retrying quietly (every 0.1 s here, 5 min by default)
    await eventually(lambda: lists_of(sim, "/nodes") >= 4)
    warnings = records(caplog, logging.WARNING)
    assert len(warnings) == 1, warnings
    assert "cannot list Node at the cluster scope" in warnings[0]
    assert "list, watch on nodes (ClusterRole)" in warnings[0]
    assert (
        'nodes is forbidden: User "system:serviceaccount:jhub:hub" cannot list resource "nodes" '
        'in API group "" at the cluster scope' in warnings[0]
    )
    verdict = run_all(load_pod(EXAMPLE_PODS[-1]), live.view, OFFLINE)
    assert "check-skipped" in [f.code.value for f in verdict.findings]  # fail open, never "no node"

    sim.settings.forbid.clear()  # the admin fixes RBAC
    await eventually(
        lambda: any(
            "Node can be listed and watched at the cluster scope now" in m
            for m in records(caplog, logging.INFO)
        )
    )
    assert live.view.knows("Node")
    assert len(live.view.nodes) == 6
    assert len(records(caplog, logging.WARNING)) == 1


@pytest.mark.fault("rbac-revoked")
async def test_rbac_revoked_later_drops_the_kind_instead_of_keeping_a_stale_copy(
    example_sim: KubeSim, start_live: StartLive, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    live = await start_live(example_sim, **FAST)
    assert await live.wait_ready(5)
    assert live.view.secrets.get("jhub")
    await watching(example_sim)
    example_sim.settings.forbid.append(ForbidRule("secrets"))
    example_sim.end_watches()
    await eventually(lambda: not live.view.knows("Secret"))
    assert not live.view.secrets.get("jhub")
    [warning] = records(caplog, logging.WARNING)
    assert "cannot watch Secret at the cluster scope" in warning


@pytest.mark.fault("rbac-no-cluster-pods")
async def test_pods_fall_back_to_the_hub_namespaces_when_cluster_wide_pods_are_forbidden(
    start_kubesim: StartKubeSim, start_live: StartLive, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    sim = await start_kubesim(EXAMPLE_CLUSTER, forbid('{resource: pods, namespace: ""}'))
    other = pod("elsewhere")
    other["metadata"] = {"name": "elsewhere", "namespace": "kube-system"}
    other["spec"]["nodeName"] = "std-3"  # type: ignore[index]
    sim.store.create("pods", other)
    live = await start_live(sim, namespaces=["jhub"], **FAST)
    assert await live.wait_ready(5)
    view = live.view
    assert view.scoped["Pod"] == {"jhub"}
    assert view.knows("Pod", "jhub") and not view.knows("Pod", "kube-system")
    assert view.pod_count() == 3  # jhub's; kube-system's is not counted (errs towards allowing)
    [warning] = records(caplog, logging.WARNING)
    assert "cannot list Pod at the cluster scope" in warning
    assert "Watching pods in namespace(s) jhub instead" in warning
    assert "list, watch on pods (ClusterRole)" in warning

    sim.settings.forbid.clear()
    await eventually(lambda: "Pod" not in view.scoped)
    await eventually(lambda: view.pod_count() == 4)
    assert view.knows("Pod", "kube-system")
