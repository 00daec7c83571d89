"""The apiserver's check of container resource names (validateContainerResourceName, 422):
exactly what pkg/apis/core/validation refuses, and nothing it accepts."""

from __future__ import annotations

import pytest

from prevalidate.model.podfields import container_resource_name_problem

# ---- container resource names (validateContainerResourceName) -------------------------------

ACCEPTED_NAMES = [
    "cpu",
    "memory",
    "ephemeral-storage",
    "hugepages-2Mi",
    "hugepages-1Gi",
    "nvidia.com/gpu",
    "amd.com/gpu",
    "gpu.intel.com/i915",
    "squat.ai/fuse",
    "example.com/foo_bar",
    "example.com/Foo",
    "kubernetes.io/something",  # a prefixed native resource: validation lets it through
    "example.kubernetes.io/thing",
    "example.com/" + "a" * 63,
]


@pytest.mark.parametrize("name", ACCEPTED_NAMES)
def test_resource_names_kubernetes_accepts_pass(name: str) -> None:
    assert container_resource_name_problem(name) is None


REFUSED_NAMES = [
    ("foo", "must be a standard resource for containers"),
    ("cpus", "must be a standard resource for containers"),
    ("Memory", "must be a standard resource for containers"),
    ("gpu", "must be a standard resource for containers"),
    ("pods", "must be a standard resource for containers"),
    ("storage", "must be a standard resource for containers"),
    ("requests.cpu", "must be a standard resource for containers"),
    ("limits.memory", "must be a standard resource for containers"),
    ("requests.nvidia.com/gpu", "doesn't follow extended resource name standard"),
    ("NVIDIA.com/gpu", "prefix part a lowercase RFC 1123 subdomain"),
    ("/gpu", "prefix part must be non-empty"),
    ("nvidia.com/", "name part must be non-empty"),
    ("a/b/c", "a qualified name must consist of"),
    ("nvidia.com/-gpu", "name part must consist of"),
    ("example.com/" + "a" * 64, "name part must be no more than 63 characters"),
    ("hugepages-", "name part must consist of"),
]


@pytest.mark.parametrize(("name", "reason"), REFUSED_NAMES)
def test_resource_names_kubernetes_refuses_fail_with_its_reason(name: str, reason: str) -> None:
    problem = container_resource_name_problem(name)
    assert problem is not None and problem.startswith(reason)
