"""What the admission plugins read from the ClusterView: node.k8s.io/v1 RuntimeClasses and
the namespaces' admission annotations, kept current by watch events; odd objects from the
cluster never break a validation."""

from __future__ import annotations

import json
from typing import Any

from factories import base_objects, cluster, namespace, namespace_with, pod, runtime_class
from hypothesis import given, settings
from hypothesis import strategies as st

from prevalidate.model.admission import PLUGINS, AdmissionConfig, RuntimeClassInfo
from prevalidate.model.settings import Settings
from prevalidate.validators import run_all
from prevalidate.validators.admission import admit

ANNOTATION = "scheduler.alpha.kubernetes.io/node-selector"


def test_runtime_classes_are_added_replaced_and_removed() -> None:
    view = cluster(runtime_class("kata", overhead={"cpu": "250m"}))
    assert view.runtime_classes["kata"].overhead_raw == {"cpu": "250m"}
    view.apply(runtime_class("kata", overhead={"cpu": "500m"}))
    assert str(view.runtime_classes["kata"].overhead["cpu"]) == "0.5"  # type: ignore[index]
    view.remove({"kind": "RuntimeClass", "metadata": {"name": "kata"}})
    assert view.runtime_classes == {}


def test_only_the_admission_annotations_of_a_namespace_are_kept() -> None:
    view = cluster(namespace_with({ANNOTATION: "pool=ml", "owner": "ml-team"}))
    assert view.namespace_annotations == {"jhub": {ANNOTATION: "pool=ml"}}
    view.apply(namespace())  # the annotation was removed
    assert view.namespace_annotations == {}
    view.apply(namespace_with({ANNOTATION: ""}))  # an empty value is a value
    assert view.namespace_annotations == {"jhub": {ANNOTATION: ""}}
    view.remove(namespace())
    assert view.namespace_annotations == {}


def test_a_class_without_overhead_differs_from_one_with_an_empty_overhead() -> None:
    """runtimeclass/admission.go setOverhead acts when ``Overhead`` is set, even empty."""
    plain = RuntimeClassInfo.from_dict(runtime_class("a"))
    empty = RuntimeClassInfo.from_dict({**runtime_class("b"), "overhead": {}})
    assert plain.overhead is None and empty.overhead == {}


ODD = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=5)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


ANNOTATIONS = (
    "scheduler.alpha.kubernetes.io/defaultTolerations",
    "scheduler.alpha.kubernetes.io/tolerationsWhitelist",
    ANNOTATION,
)


@settings(max_examples=300, deadline=None)
@given(overhead=ODD, scheduling=ODD, annotation=ODD, state=st.sampled_from(["on", "auto", "off"]))
def test_odd_runtime_classes_and_annotations_never_break_a_validation(
    overhead: Any, scheduling: Any, annotation: Any, state: str
) -> None:
    klass = {**runtime_class("odd"), "overhead": overhead, "scheduling": scheduling}
    text = annotation if isinstance(annotation, str) else json.dumps(annotation)
    ns = namespace_with(dict.fromkeys(ANNOTATIONS, text))
    view = cluster(ns, *base_objects()[1:], klass)
    the_pod = pod(runtimeClassName="odd", tolerations=[{"key": "a", "operator": "Exists"}])
    stated = Settings(offline=True, admission=AdmissionConfig.parse(dict.fromkeys(PLUGINS, state)))
    admit(the_pod, view, stated)
    verdict = run_all(the_pod, view, stated)
    # a bad quantity in the class is the cluster's, never blamed on the user's pod
    assert not any(str(f.facts.get("field", "")).startswith("spec.overhead") for f in verdict.findings)


@settings(max_examples=300, deadline=None)
@given(
    overhead=ODD,
    tolerations=ODD,
    selector=ODD,
    resources=ODD,
    klass=st.one_of(st.none(), st.sampled_from(["odd", "missing", ""]), ODD),
    state=st.sampled_from(["on", "auto", "off"]),
)
def test_odd_pods_never_break_admission(
    overhead: Any, tolerations: Any, selector: Any, resources: Any, klass: Any, state: str
) -> None:
    """Whatever the pod (run_all refuses mistyped ones before admission), no traceback."""
    the_pod = pod(runtimeClassName=klass, overhead=overhead, tolerations=tolerations, nodeSelector=selector)
    the_pod["spec"]["containers"][0]["resources"] = resources
    view = cluster(
        namespace_with(dict.fromkeys(ANNOTATIONS, "[]")), *base_objects()[1:], runtime_class("odd")
    )
    stated = Settings(offline=True, admission=AdmissionConfig.parse(dict.fromkeys(PLUGINS, state)))
    run_all(the_pod, view, stated)
