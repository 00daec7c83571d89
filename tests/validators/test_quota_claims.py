"""ResourceQuota admission of the PVCs the spawner creates just before the pod (reference §1.8):
storage and claim counts, per-class quotas, the default class filled in before the quota."""

from __future__ import annotations

from typing import Any

import pytest
from factories import (
    new_claim,
    pod,
    quota,
    storage_class,
)

from .quota_cases import exceeded, quota_findings

# ---- PVCs the spawner creates just before the pod (§1.8) ------------------------------------

SC = "standard.storageclass.storage.k8s.io"

PVC_ALLOWED = [
    pytest.param(
        (new_claim(storage="10Gi"),),
        [quota({"requests.storage": "500Gi"}, {"requests.storage": "490Gi"})],
        id="storage-exact-boundary",
    ),
    pytest.param(
        (new_claim(storage="10Gi"),),
        [quota({"persistentvolumeclaims": "3"}, {"persistentvolumeclaims": "2"})],
        id="claim-count-exact-boundary",
    ),
    pytest.param(
        (new_claim(storage="10Gi", storage_class="standard"),),
        [quota({"fast.storageclass.storage.k8s.io/requests.storage": "0"})],
        id="per-class-quota-of-another-class",
    ),
    pytest.param(
        (new_claim(storage="10Gi", storage_class=""),),
        [storage_class("standard", default=True), quota({f"{SC}/requests.storage": "0"})],
        id="explicit-empty-class-gets-no-default",
    ),
    pytest.param(
        (new_claim(storage="10Gi", storage_class=None),),
        [storage_class("standard"), quota({f"{SC}/requests.storage": "0"})],
        id="no-default-class-no-per-class-charge",
    ),
    pytest.param(
        (new_claim(storage="1.5"),),
        [quota({"requests.storage": "2"})],
        id="storage-rounded-up-to-whole-bytes-at-boundary",
    ),
    pytest.param(
        (new_claim(storage="10Gi"),),
        [quota({"requests.storage": "0"}, scopes=["NotTerminating"])],
        id="scoped-quota-never-applies-to-claims",
    ),
    pytest.param((), [quota({"requests.storage": "0", "persistentvolumeclaims": "0"})], id="no-new-claims"),
]

PVC_REJECTED = [
    pytest.param(
        (new_claim(storage="10Gi"),),
        [quota({"requests.storage": "500Gi"}, {"requests.storage": "495Gi"})],
        exceeded("requests.storage"),
        id="storage-over",
    ),
    pytest.param(
        (new_claim(storage="10Gi"),),
        [quota({"count/persistentvolumeclaims": "3"}, {"count/persistentvolumeclaims": "3"})],
        exceeded("count/persistentvolumeclaims"),
        id="claim-count-full",
    ),
    pytest.param(
        (new_claim(storage="10Gi", storage_class=None),),
        [
            storage_class("standard", default=True),
            quota(
                {f"{SC}/requests.storage": "10Gi", f"{SC}/persistentvolumeclaims": "5"},
                {f"{SC}/requests.storage": "5Gi"},
            ),
        ],
        exceeded(f"{SC}/requests.storage"),
        id="default-class-filled-in-before-quota",
    ),
    pytest.param(
        (new_claim(storage="1.5"),),
        [quota({"requests.storage": "2"}, {"requests.storage": "1"})],
        exceeded("requests.storage"),
        id="storage-rounded-up-over",
    ),
    pytest.param(
        (new_claim("claim-a", storage="6Gi"), new_claim("claim-b", storage="6Gi")),
        [quota({"requests.storage": "10Gi"})],
        exceeded("requests.storage"),
        id="two-new-claims-together",
    ),
]


@pytest.mark.parametrize(("claims", "objects"), PVC_ALLOWED)
def test_pvc_quota_allows_new_claims_within_hard(claims: Any, objects: Any) -> None:
    assert quota_findings(pod(), objects, claims) == []


@pytest.mark.parametrize(("claims", "objects", "expected"), PVC_REJECTED)
def test_pvc_quota_rejects_new_claims_over_hard(claims: Any, objects: Any, expected: Any) -> None:
    assert quota_findings(pod(), objects, claims) == expected
