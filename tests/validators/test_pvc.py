"""PersistentVolumeClaims the pod mounts (reference §4.2 VolumeBinding, VolumeRestrictions)."""

from __future__ import annotations

from typing import Any

import pytest
from factories import cluster, new_claim, pairs, pod, pvc, storage_class, verdict, with_code

OWN = "jupyter-alice"  # the spawning pod's name (the factories' default)


def _pvc_check(the_pod: Any, objects: Any, claims: tuple = ()) -> list[tuple[str, str]]:
    return pairs(verdict(the_pod, objects, checks=["pvc"], new_claims=claims))


def user(
    name: str, claim: str = "claim-alice", node: str | None = "node-1", phase: str = "Running", **kw: Any
) -> Any:
    return pod(name, claims=[claim], node_name=node, phase=phase, **kw)


WFFC = storage_class("standard", "WaitForFirstConsumer")
IMMEDIATE = storage_class("standard", "Immediate")

ALLOWED = [
    pytest.param(["claim-alice"], [pvc()], (), id="bound-claim"),
    pytest.param(["claim-alice"], [WFFC, pvc(phase="Pending")], (), id="pending-wait-for-first-consumer"),
    pytest.param(
        ["claim-alice"],
        [
            storage_class("standard", "WaitForFirstConsumer", default=True),
            pvc(phase="Pending", storage_class=None),
        ],
        (),
        id="pending-default-class-wait-for-first-consumer",
    ),
    pytest.param(
        ["claim-alice"], [IMMEDIATE, pvc(phase="Pending", volume_name="pv-1")], (), id="pending-volume-named"
    ),
    pytest.param(["claim-alice"], [], (new_claim(),), id="new-claim-need-not-exist"),
    pytest.param(
        ["data"],
        [pvc("data", access_modes=["ReadOnlyMany"]), user("bob", "data")],
        (),
        id="read-only-many-in-use",
    ),
    pytest.param(
        ["data"],
        [pvc("data", access_modes=["ReadWriteMany"]), user("bob", "data")],
        (),
        id="read-write-many-in-use",
    ),
    pytest.param(
        ["claim-alice"],
        [pvc(access_modes=["ReadWriteOncePod"]), user(OWN, terminating=True)],
        (),
        id="rwop-held-by-the-pods-own-old-instance",
    ),
    pytest.param(["claim-alice"], [pvc(), user(OWN)], (), id="rwo-held-by-the-pods-own-old-instance"),
    pytest.param(
        ["claim-alice"],
        [pvc(access_modes=["ReadWriteOncePod"]), user("bob", phase="Succeeded")],
        (),
        id="rwop-held-by-succeeded-pod",
    ),
    pytest.param(
        ["claim-alice"],
        [pvc(access_modes=["ReadWriteOncePod"]), user("bob", phase="Failed")],
        (),
        id="rwop-failed-pod",
    ),
    pytest.param(
        ["claim-alice"],
        [pvc(access_modes=["ReadWriteOncePod"]), pod("bob", "other", claims=["claim-alice"], node_name="n")],
        (),
        id="same-claim-name-in-another-namespace",
    ),
    pytest.param([], [], (), id="no-claims"),
]


@pytest.mark.parametrize(("claims", "objects", "new"), ALLOWED)
def test_pvc_allows(claims: list[str], objects: Any, new: tuple) -> None:
    assert _pvc_check(pod(claims=claims), objects, new) == []


WARNED = [
    pytest.param(
        ["claim-alice"],
        [IMMEDIATE, pvc(phase="Pending")],
        [("pvc-not-bound", "warning")],
        id="pending-immediate",
    ),
    pytest.param(
        ["claim-alice"],
        [pvc(phase="Pending", storage_class=None)],
        [("pvc-not-bound", "warning")],
        id="pending-no-class-at-all",
    ),
    pytest.param(
        ["claim-alice"], [pvc(), user("bob")], [("pvc-in-use", "warning")], id="rwo-on-another-node"
    ),
]


@pytest.mark.parametrize(("claims", "objects", "expected"), WARNED)
def test_pvc_warns_but_allows_what_may_still_work(claims: list[str], objects: Any, expected: Any) -> None:
    v = verdict(pod(claims=claims), objects, checks=["pvc"])
    assert pairs(v) == expected
    assert v.allowed


REJECTED = [
    pytest.param(["claim-alcie"], [pvc()], [("pvc-not-found", "error")], id="not-found"),
    pytest.param(["claim-alice"], [pvc(terminating=True)], [("pvc-terminating", "error")], id="terminating"),
    pytest.param(["claim-alice"], [pvc(phase="Lost")], [("pvc-not-bound", "error")], id="lost"),
    pytest.param(
        ["claim-alice"],
        [WFFC, pvc(phase="Pending", storage_class="fast")],
        [("pvc-not-bound", "error")],
        id="storage-class-does-not-exist",
    ),
    pytest.param(
        ["claim-alice"],
        [pvc(access_modes=["ReadWriteOncePod"]), user("bob")],
        [("pvc-in-use", "error")],
        id="rwop-in-use",
    ),
    pytest.param(
        ["claim-alice"],
        [pvc(access_modes=["ReadWriteOncePod"]), user("bob", node=None, phase="Pending", terminating=True)],
        [("pvc-in-use", "error")],
        id="rwop-in-use-by-terminating-pod",
    ),
    pytest.param(
        ["missing-a", "missing-b"],
        [],
        [("pvc-not-found", "error"), ("pvc-not-found", "error")],
        id="every-missing-claim-reported",
    ),
]


@pytest.mark.parametrize(("claims", "objects", "expected"), REJECTED)
def test_pvc_rejects(claims: list[str], objects: Any, expected: Any) -> None:
    v = verdict(pod(claims=claims), objects, checks=["pvc"])
    assert pairs(v) == expected
    assert not v.allowed


def test_pvc_not_found_suggests_the_closest_existing_claim() -> None:
    objects = [pvc("claim-alice"), pvc("claim-bob"), pvc("data-shared")]
    (finding,) = with_code(verdict(pod(claims=["claim-alcie"]), objects, checks=["pvc"]), "pvc-not-found")
    assert finding.facts["closest"] == "claim-alice"
    assert finding.facts["existing"] == ["claim-alice", "claim-bob", "data-shared"]


def test_pvc_not_found_suggests_nothing_when_no_name_is_close() -> None:
    (finding,) = verdict(pod(claims=["scratch"]), [pvc("claim-alice")], checks=["pvc"]).findings
    assert finding.facts["closest"] is None


def test_a_claim_mounted_twice_is_reported_once() -> None:
    the_pod = pod(
        claims=["claim-alcie"],
        volumes=[{"name": "again", "persistentVolumeClaim": {"claimName": "claim-alcie"}}],
    )
    assert pairs(verdict(the_pod, [], checks=["pvc"])) == [("pvc-not-found", "error")]


def test_rwo_in_use_names_the_pods_and_their_nodes() -> None:
    (finding,) = verdict(
        pod(claims=["claim-alice"]), [pvc(), user("bob", node="node-7")], checks=["pvc"]
    ).findings
    assert (finding.facts["pods"], finding.facts["nodes"]) == (["bob"], ["node-7"])


def test_claim_released_when_the_other_pod_goes() -> None:
    view = cluster(pvc(access_modes=["ReadWriteOncePod"]), user("bob"))
    assert pairs(verdict(pod(claims=["claim-alice"]), view=view, checks=["pvc"])) == [("pvc-in-use", "error")]
    view.remove(user("bob"))
    assert pairs(verdict(pod(claims=["claim-alice"]), view=view, checks=["pvc"])) == []


def test_pvc_check_is_skipped_when_claims_cannot_be_read() -> None:
    view = cluster(known={"Node"})
    assert pairs(verdict(pod(claims=["claim-alice"]), view=view, checks=["pvc"])) == [
        ("check-skipped", "warning")
    ]
