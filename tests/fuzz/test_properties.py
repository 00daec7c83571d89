"""Properties the fixed-seed fuzz cannot show, searched and shrunk by hypothesis:

- never stricter than the decoder: a real manifest changed only in ways Go's encoding/json
  accepts (``null`` for any field or list item, an empty list or object, an integral float for
  an integer, an undeclared field) gets no shape finding and no failed check;
- never a traceback: any JSON value as a pod, or as a cluster object, ends in a verdict or in
  a one-line ``InputFileError``, and every message is bounded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from prevalidate.kube.dump import (
    InputFileError,
    cluster_from_objects,
    iter_objects,
    load_cluster,
    read_documents,
)
from prevalidate.messages import finding_json, render
from prevalidate.model.findings import Code, Verdict
from prevalidate.model.settings import Settings
from prevalidate.testing.fuzz.harness import MAX_MESSAGE
from prevalidate.testing.fuzz.mutate import Path as DocPath
from prevalidate.testing.fuzz.mutate import paths
from prevalidate.validators import run_all

ROOT = Path(__file__).parents[2]
CORPUS = ROOT / "tests/fuzz/corpus"
CLUSTERS = [ROOT / "examples/cluster.yaml", CORPUS / "cluster-rich.yaml"]
SETTINGS = Settings(offline=True)
PODS = [
    obj
    for path in sorted(CORPUS.rglob("*.yaml"))
    if "cluster" not in path.name
    and path.name != "pod-with-node-affinity.yaml"
    and "\t" not in path.read_text()
    for obj in iter_objects(read_documents(path))
    if obj.get("kind") == "Pod"
]
FAST = settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def views() -> list[Any]:
    return [load_cluster(p) for p in CLUSTERS]


def _failed_checks(verdict: Verdict) -> list[str]:
    return [f.subject for f in verdict.findings if f.code is Code.CHECK_SKIPPED and f.facts.get("failed")]


def _bounded(verdict: Verdict) -> None:
    for finding in verdict.findings:
        assert len(render(finding)) <= MAX_MESSAGE
        finding_json(finding)


def _set(document: Any, path: DocPath, value: Any) -> Any:
    if not path:
        return value
    copy = dict(document) if isinstance(document, dict) else list(document)
    copy[path[0]] = _set(document[path[0]], path[1:], value)  # type: ignore[index]
    return copy


def _benign(value: Any, how: str) -> Any:
    """A change encoding/json decodes to the same Go value or to a zero value."""
    if how == "null":
        return None
    if how == "empty":
        return [] if isinstance(value, list) else {} if isinstance(value, dict) else value
    if how == "float" and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if how == "null-item" and isinstance(value, list):
        return [*value, None]
    if how == "unknown-field" and isinstance(value, dict):
        return {**value, "x-not-a-field": "v"}  # a struct drops it; a map of strings takes it
    return value


@st.composite
def benign_pods(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    the_pod: Any = draw(st.sampled_from(PODS))
    done = []
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(the_pod)[1:]))  # not the whole pod
        how = draw(st.sampled_from(("null", "empty", "float", "null-item", "unknown-field")))
        node: Any = the_pod
        for key in path:
            node = node[key]
        the_pod = _set(the_pod, path, _benign(node, how))
        done.append(f"{how} at {path}")
    return the_pod, done


@FAST
@given(benign_pods())
def test_what_the_decoder_accepts_never_gets_a_shape_finding(
    views: list[Any], case: tuple[Any, list[str]]
) -> None:
    the_pod, done = case
    for view in views:
        verdict = run_all(the_pod, view, SETTINGS)
        assert [f.subject for f in verdict.findings if f.facts.get("shape")] == [], done
        assert _failed_checks(verdict) == [], done
        _bounded(verdict)


SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.sampled_from(
        ["1Gi", "100m", "-1", "In", "Exists", "NoSchedule", "Always", "nvidia.com/gpu", "x" * 5000]
    ),
)
KEYS = st.one_of(
    st.sampled_from(
        [
            "name",
            "image",
            "spec",
            "containers",
            "resources",
            "requests",
            "limits",
            "cpu",
            "affinity",
            "nodeAffinity",
            "volumes",
            "env",
            "valueFrom",
            "tolerations",
            "metadata",
            "labels",
            "items",
            "status",
            "allocatable",
            "hard",
            "used",
            "scopes",
            "limits",
            "data",
        ]
    ),
    st.text(max_size=6),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=5)),
    max_leaves=30,
)


@FAST
@given(
    st.one_of(
        JSON, st.fixed_dictionaries({"kind": st.just("Pod"), "spec": JSON}, optional={"metadata": JSON})
    )
)
def test_any_json_value_as_a_pod_gets_a_verdict(views: list[Any], the_pod: Any) -> None:
    for view in views:
        verdict = run_all(the_pod, view, SETTINGS)
        assert _failed_checks(verdict) == []
        _bounded(verdict)


KINDS = st.sampled_from(
    [
        "Node",
        "Pod",
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "PersistentVolumeClaim",
        "StorageClass",
        "ServiceAccount",
        "Secret",
        "ConfigMap",
        "PriorityClass",
    ]
)


@FAST
@given(
    st.lists(
        st.fixed_dictionaries(
            {"kind": KINDS},
            optional={"metadata": JSON, "spec": JSON, "status": JSON, "data": JSON, "imagePullSecrets": JSON},
        ),
        min_size=1,
        max_size=4,
    )
)
def test_any_json_cluster_object_loads_or_is_one_line(
    views: list[Any], objects: list[dict[str, Any]]
) -> None:
    base = list(iter_objects(read_documents(CLUSTERS[0])))
    warnings: list[str] = []
    try:
        view = cluster_from_objects([*base, *objects], "cluster.yaml", warnings.append)
    except InputFileError as exc:
        assert "\n" not in str(exc) and len(str(exc)) < 600
        return
    assert all("\n" not in w for w in warnings)
    verdict = run_all(PODS[0], view, SETTINGS)
    assert _failed_checks(verdict) == []
