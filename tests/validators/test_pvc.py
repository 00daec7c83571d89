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
    pytest.param(["claim-alice"], [WFFC], (new_claim(),), id="new-claim-need-not-exist"),
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
    pytest.param(
        ["claim-alice"],
        [WFFC, pvc(phase="Pending", storage_class="fast")],
        [("pvc-not-bound", "warning")],
        id="storage-class-without-object-binds-statically",
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


# ---- storage classes the controllers resolve later (issue 9, family 5) ------------------------------

# The PV controller binds a claim to an existing PersistentVolume by class *name*: a class with no
# StorageClass object only rules out dynamic provisioning
# (pkg/controller/volume/persistentvolume/pv_controller.go syncUnboundClaim -> findBestMatchForClaim;
# storage/util IsDelayBindingMode returns Immediate for a class it cannot find). The hub cannot see
# PersistentVolumes, so such a claim is a warning, for a claim KubeSpawner is about to create
# exactly as for one that exists. DefaultStorageClass admission
# (plugin/pkg/admission/storage/storageclass/setdefault) fills the default class into a claim with
# no storageClassName, but not into one that says "".
WFFC_DEFAULT = storage_class("standard", "WaitForFirstConsumer", default=True)
CLASS_ROWS = [
    # (existing claims in the cluster, claims KubeSpawner creates, objects, expected findings)
    pytest.param(
        [], (new_claim(storage_class=None),), [WFFC_DEFAULT], [], id="new-claim-gets-the-default-class"
    ),
    pytest.param([], (new_claim(storage_class="standard"),), [IMMEDIATE], [], id="new-claim-class-exists"),
    pytest.param(
        [],
        (new_claim(storage_class="fast"),),
        [WFFC],
        [("pvc-not-bound", "warning")],
        id="new-claim-class-without-object",
    ),
    pytest.param(
        [pvc(phase="Pending", storage_class="fast")],
        (),
        [WFFC],
        [("pvc-not-bound", "warning")],
        id="existing-claim-class-without-object",
    ),
    pytest.param(
        [],
        (new_claim(storage_class=None),),
        [],
        [("pvc-not-bound", "warning")],
        id="new-claim-no-default-class",
    ),
    pytest.param(
        [],
        (new_claim(storage_class=""),),
        [WFFC_DEFAULT],
        [("pvc-not-bound", "warning")],
        id="new-claim-opts-out-of-the-default",
    ),
    pytest.param([pvc(storage_class="fast")], (), [WFFC], [], id="bound-claim-class-gone-later"),
    pytest.param(
        [pvc(phase="Pending", storage_class="fast", volume_name="pv-7")],
        (),
        [WFFC],
        [],
        id="pre-bound-to-a-named-volume",
    ),
]


@pytest.mark.parametrize(("existing", "new", "objects", "expected"), CLASS_ROWS)
def test_a_claim_whose_class_has_no_object_is_never_refused(
    existing: list[Any], new: tuple, objects: Any, expected: Any
) -> None:
    names = [c["metadata"]["name"] for c in existing] or [c.name for c in new]
    v = verdict(pod(claims=names), [*objects, *existing], checks=["pvc"], new_claims=new)
    assert pairs(v) == expected
    assert v.allowed


def test_new_and_existing_claims_of_a_missing_class_say_the_same() -> None:
    new = verdict(
        pod(claims=["claim-alice"]), [WFFC], checks=["pvc"], new_claims=(new_claim(storage_class="fast"),)
    )
    old = verdict(
        pod(claims=["claim-alice"]), [WFFC, pvc(phase="Pending", storage_class="fast")], checks=["pvc"]
    )
    (f_new,), (f_old,) = new.findings, old.findings
    assert {k: v for k, v in f_new.facts.items() if k != "new"} == {
        k: v for k, v in f_old.facts.items() if k != "new"
    }
    assert (f_new.facts["state"], f_new.facts["storage_classes"]) == ("no-storage-class", ["standard"])


def test_class_of_a_new_claim_is_not_judged_when_storage_classes_cannot_be_read() -> None:
    view = cluster(known={"PersistentVolumeClaim"})
    v = verdict(
        pod(claims=["claim-alice"]), view=view, checks=["pvc"], new_claims=(new_claim(storage_class="x"),)
    )
    assert pairs(v) == []


def _class(name: str, created: str) -> dict[str, Any]:
    obj = storage_class(name, default=True)
    obj["metadata"]["creationTimestamp"] = created
    return obj


@pytest.mark.parametrize(
    ("classes", "chosen"),
    [
        ([_class("a", "2024-01-01T00:00:00Z"), _class("b", "2025-01-01T00:00:00Z")], "b"),
        ([_class("b", "2024-01-01T00:00:00Z"), _class("a", "2023-01-01T00:00:00Z")], "b"),
        ([_class("b", "2024-01-01T00:00:00Z"), _class("a", "2024-01-01T00:00:00Z")], "a"),
        ([storage_class("only")], None),
    ],
)
def test_of_several_default_classes_the_newest_is_filled_in(classes: list[Any], chosen: str | None) -> None:
    """pkg/volume/util/storageclass.go GetDefaultClass: newest creationTimestamp, then name."""
    assert cluster(*classes).default_storage_class() == chosen
