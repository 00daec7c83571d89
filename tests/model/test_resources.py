"""Which resource names Kubernetes treats as native and which as extended (v1helper)."""

from __future__ import annotations

import pytest
from factories import pod, verdict

from prevalidate.model.resources import is_extended, is_native


@pytest.mark.parametrize(
    ("name", "native", "extended"),
    [
        ("cpu", True, False),
        ("hugepages-2Mi", True, False),
        ("nvidia.com/gpu", False, True),
        ("kubernetes.io/foo", True, False),
        ("example.kubernetes.io/foo", True, False),  # IsPrefixedNativeResource: strings.Contains
        ("requests.nvidia.com/gpu", False, False),
    ],
)
def test_native_and_extended_names(name: str, native: bool, extended: bool) -> None:
    assert (is_native(name), is_extended(name)) == (native, extended)


def test_a_prefixed_native_resource_may_be_overcommitted_and_fractional() -> None:
    # Neither "must be equal to limit" nor "must be an integer": those are for extended resources.
    the_pod = pod(requests={"example.kubernetes.io/foo": "500m"}, limits={"example.kubernetes.io/foo": "1"})
    assert [f for f in verdict(the_pod, checks=["quota"]).findings if f.code.value == "input-invalid"] == []
