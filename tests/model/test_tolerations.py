"""Toleration and label-set rules of the admission plugins, from the Kubernetes tables.

The named tolerations and the expectations (tests/tolerations_table.py) are kubernetes/kubernetes
pkg/util/tolerations/tolerations_test.go (``TestIsSuperset``, ``TestVerifyAgainstWhitelist``,
``TestMergeTolerations``, ``TestFuzzed``'s property); the label rules are
staging/src/k8s.io/apimachinery/pkg/labels/labels.go (``ConvertSelectorToLabelsMap``,
``Conflicts``, ``AreLabelsInWhiteList``).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tolerations_table import SUPERSET_OF, TOLERATIONS

from prevalidate.model.tolerations import (
    Tol,
    add_or_update,
    conflict,
    is_superset,
    merge,
    not_whitelisted,
    parse_selector_map,
    parse_tolerations,
    whitelisted,
)


def tols(*names: str) -> list[Tol]:
    return [TOLERATIONS[n] for n in names]


@pytest.mark.parametrize("wide", list(SUPERSET_OF))
def test_is_superset_matches_the_kubernetes_table(wide: str) -> None:
    for narrow in TOLERATIONS:
        expected = narrow == wide or narrow in SUPERSET_OF[wide]
        assert is_superset(TOLERATIONS[wide], TOLERATIONS[narrow]) is expected, (wide, narrow)


@pytest.mark.parametrize(
    ("given_", "whitelist", "allowed"),
    [
        pytest.param(
            ("foo-bar-nosched", "foo-baz-nosched"), ("foo-bar-nosched", "foo-baz-nosched"), True, id="equal"
        ),
        pytest.param(
            ("foo-bar-nosched", "foo-bar-nosched"), ("foo-bar-nosched", "foo-baz-nosched"), True, id="dup-ok"
        ),
        pytest.param(("foo-bar-nosched", "foo-bar-nosched"), ("all",), True, id="allow-all"),
        pytest.param((), ("foo-bar",), True, id="empty-input"),
        pytest.param(("foo-bar",), (), True, id="empty-whitelist"),
        pytest.param(("foo-bar-nosched", "foo-bar-nosched"), ("foo-baz-nosched",), False, id="dup-forbidden"),
        pytest.param(
            ("foo-bar-nosched", "foo-baz-nosched"), ("foo-baz-nosched",), False, id="value-mismatch"
        ),
        pytest.param(("foo-bar-nosched",), ("foo-baz-nosched",), False, id="not-in-whitelist"),
        pytest.param(("foo-bar",), ("foo-nosched",), False, id="disjoint"),
    ],
)
def test_verify_against_whitelist_matches_the_kubernetes_table(
    given_: tuple[str, ...], whitelist: tuple[str, ...], allowed: bool
) -> None:
    assert (whitelisted(tols(*given_), tols(*whitelist)) is None) is allowed


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        pytest.param(
            ("foo-bar-nosched", "faz-baz-nosched", "foo-noexec-10"),
            ("foo-prefnosched", "foo-baz-nosched"),
            ("foo-bar-nosched", "faz-baz-nosched", "foo-noexec-10", "foo-prefnosched", "foo-baz-nosched"),
            id="disjoint",
        ),
        pytest.param(
            ("foo-bar-nosched", "faz-baz-nosched", "foo-noexec-10"),
            ("foo-bar-nosched", "faz-baz-nosched", "foo-noexec-10"),
            ("foo-bar-nosched", "faz-baz-nosched", "foo-noexec-10"),
            id="duplicate",
        ),
        pytest.param(
            ("foo-bar-nosched", "foo-baz-nosched"),
            ("foo-nosched", "faz-baz-nosched"),
            ("foo-nosched", "faz-baz-nosched"),
            id="merge-redundant",
        ),
        pytest.param(
            ("foo-bar-nosched", "foo-baz-nosched", "foo-noexec-10"), ("all",), ("all",), id="merge-all"
        ),
        pytest.param(
            ("all",), ("foo-bar-nosched", "foo-baz-nosched", "foo-noexec-10"), ("all",), id="into-all"
        ),
    ],
)
def test_merge_tolerations_matches_the_kubernetes_table(
    first: tuple[str, ...], second: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert merge(tols(*first), tols(*second)) == tols(*expected)


_TOL = st.builds(
    Tol,
    key=st.sampled_from(["", "a", "aa", "aaa"]),
    operator=st.sampled_from(["Exists", "Equal"]),
    value=st.sampled_from(["", "b", "bb"]),
    effect=st.sampled_from(["", "NoSchedule", "NoExecute", "PreferNoSchedule"]),
    seconds=st.one_of(st.none(), st.integers(0, 9)),
)


@given(st.lists(_TOL, max_size=8), st.lists(_TOL, max_size=8))
def test_a_merge_still_tolerates_everything_either_side_did(first: list[Tol], second: list[Tol]) -> None:
    """TestFuzzed's MergeTolerations property."""
    result = merge(first, second)
    assert all(any(is_superset(kept, t) for kept in result) for t in [*first, *second])


def test_extended_resource_toleration_adds_once_and_updates_a_matching_one() -> None:
    """helper.AddOrUpdateTolerationInPod, as ExtendedResourceToleration calls it."""
    gpu = Tol("nvidia.com/gpu", "Exists", effect="NoSchedule")
    assert add_or_update([], gpu) == [gpu]
    assert add_or_update([gpu], gpu) == [gpu]
    other = Tol("dedicated", "Equal", "ml", "NoSchedule")
    assert add_or_update([other], gpu) == [other, gpu]


def test_namespace_annotation_tolerations_parse_like_gos_json_decoder() -> None:
    assert parse_tolerations('[{"key": "a", "operator": "Exists", "effect": "NoSchedule"}]') == [
        Tol("a", "Exists", effect="NoSchedule")
    ]
    assert parse_tolerations("[]") == []
    for bad in ("{", '{"key": "a"}', '[{"key": 1}]', '[{"tolerationSeconds": "5"}]'):
        with pytest.raises(ValueError):
            parse_tolerations(bad)


@pytest.mark.parametrize(
    ("text", "labels"),
    [
        ("", {}),
        ("env=prod", {"env": "prod"}),
        (" env = prod , tier=gpu", {"env": "prod", "tier": "gpu"}),
        ("example.com/pool=", {"example.com/pool": ""}),
    ],
)
def test_selector_map_parses_like_convert_selector_to_labels_map(text: str, labels: dict[str, str]) -> None:
    assert parse_selector_map(text) == labels


@pytest.mark.parametrize("text", ["env", "env=prod=x", "env!=prod", "-bad=x", "env=not valid"])
def test_selector_map_refuses_what_convert_selector_to_labels_map_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_selector_map(text)


def test_label_conflicts_and_whitelist() -> None:
    assert conflict({"env": "prod"}, {"env": "prod", "x": "y"}) is None
    assert conflict({"env": "prod"}, {"env": "dev"}) == ("env", "prod", "dev")
    assert list(not_whitelisted({"env": "prod"}, {})) == []  # no whitelist: anything goes
    assert list(not_whitelisted({"env": "prod"}, {"env": "prod", "a": "b"})) == []
    assert list(not_whitelisted({"env": "dev"}, {"env": "prod"})) == ["env"]
