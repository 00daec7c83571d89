"""The target namespace must exist and not be terminating; the apiserver refuses both."""

from __future__ import annotations

from typing import Any

import pytest
from factories import cluster, namespace, pairs, pod, verdict


@pytest.mark.parametrize(
    ("objects", "creates", "expected"),
    [
        pytest.param([namespace()], False, [], id="exists"),
        pytest.param([], True, [], id="missing-but-the-spawner-creates-it"),
        pytest.param([namespace(terminating=True)], True, [], id="spawner-creates-namespace-trusted"),
        pytest.param(
            [namespace("jhub"), namespace("other", terminating=True)], False, [], id="other-terminating"
        ),
        pytest.param([], False, [("namespace-not-found", "error")], id="missing"),
        pytest.param(
            [namespace("other")], False, [("namespace-not-found", "error")], id="only-another-exists"
        ),
        pytest.param(
            [namespace(terminating=True)], False, [("namespace-not-found", "error")], id="terminating"
        ),
    ],
)
def test_namespace_must_exist_unless_the_spawner_creates_it(
    objects: Any, creates: bool, expected: Any
) -> None:
    v = verdict(pod(), objects, checks=["namespace"], creates_namespace=creates)
    assert pairs(v) == expected


def test_terminating_namespace_is_reported_as_terminating() -> None:
    (finding,) = verdict(pod(), [namespace(terminating=True)], checks=["namespace"]).findings
    assert finding.facts == {"namespace": "jhub", "terminating": True}


def test_namespace_deleted_by_a_watch_event_is_missing() -> None:
    view = cluster(namespace())
    view.remove(namespace())
    assert pairs(verdict(pod(), view=view, checks=["namespace"])) == [("namespace-not-found", "error")]


def test_pod_without_namespace_goes_to_default() -> None:
    the_pod = pod()
    del the_pod["metadata"]["namespace"]
    assert pairs(verdict(the_pod, [namespace("default")], checks=["namespace"])) == []


def test_namespace_check_is_skipped_when_namespaces_cannot_be_read() -> None:
    v = verdict(pod(), view=cluster(known={"Node"}), checks=["namespace"])
    assert pairs(v) == [("check-skipped", "warning")]


def test_namespace_created_again_after_deletion_is_found() -> None:
    view = cluster(namespace(terminating=True))
    view.remove(namespace())
    view.apply(namespace())
    assert pairs(verdict(pod(), view=view, checks=["namespace"])) == []


def test_spawner_created_namespace_needs_no_namespace_list() -> None:
    v = verdict(pod(), view=cluster(known={"Node"}), checks=["namespace"], creates_namespace=True)
    assert pairs(v) == []
