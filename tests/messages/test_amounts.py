"""Amounts in the units people type (CPUs, GiB, pods), and quota resource names read as the
resource they limit."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from prevalidate.messages import amount, base_resource

GIB = 2**30


@pytest.mark.parametrize(
    ("resource", "value", "milli", "text"),
    [
        ("cpu", Decimal("0.5"), False, "0.5 CPU"),
        ("cpu", Decimal(1), False, "1 CPU"),
        ("requests.cpu", Decimal(8), False, "8 CPUs"),
        ("limits.cpu", Decimal("0.25"), False, "0.25 CPU"),
        ("cpu", 62500, True, "62.5 CPUs"),
        ("cpu", 100, True, "0.1 CPU"),
        ("cpu", Decimal("1.5"), False, "1.5 CPUs"),
        ("memory", Decimal(1610612736), False, "1.5 GiB"),
        ("requests.memory", Decimal(4 * GIB), False, "4 GiB"),
        ("memory", Decimal(512 * 2**20), False, "512 MiB"),
        ("memory", Decimal(2**40), False, "1 TiB"),
        ("memory", Decimal(2048), False, "2 KiB"),
        ("memory", Decimal(100), False, "100 bytes"),
        ("memory", Decimal("1e9"), False, "953.67 MiB"),
        ("ephemeral-storage", Decimal(100 * GIB), False, "100 GiB"),
        ("gold.storageclass.storage.k8s.io/requests.storage", Decimal(10 * GIB), False, "10 GiB"),
        ("hugepages-2Mi", Decimal(GIB), False, "1 GiB"),
        ("pods", Decimal(1), False, "1 pod"),
        ("count/pods", Decimal(3), False, "3 pods"),
        ("persistentvolumeclaims", Decimal(2), False, "2 volume claims"),
        ("requests.nvidia.com/gpu", Decimal(2), False, "2 nvidia.com/gpu"),
        ("cpu", None, False, "nothing"),
    ],
)
def test_amounts_use_the_units_people_type(resource: str, value: Any, milli: bool, text: str) -> None:
    assert amount(resource, value, milli=milli) == text


@pytest.mark.parametrize(
    ("name", "base"),
    [
        ("requests.cpu", "cpu"),
        ("limits.memory", "memory"),
        ("count/pods", "pods"),
        ("gold.storageclass.storage.k8s.io/requests.storage", "storage"),
        ("gold.storageclass.storage.k8s.io/persistentvolumeclaims", "persistentvolumeclaims"),
        ("requests.nvidia.com/gpu", "nvidia.com/gpu"),
        ("memory", "memory"),
    ],
)
def test_base_resource_strips_quota_prefixes(name: str, base: str) -> None:
    assert base_resource(name) == base
