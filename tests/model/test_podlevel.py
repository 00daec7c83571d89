"""Pod-level resources against the containers' own after LimitRanger's defaults
(pkg/apis/core/validation/validation.go validatePodResourceConsistency; model/podlevel.py).

The case that found it: kubernetes/website content/en/examples/pods/resource/pod-level-resources.yaml
(tests/fuzz/corpus/k8s-website/resource-pod-level-resources.yaml) in a namespace with the
documentation's default LimitRange (admin/resource/memory-defaults.yaml, cpu-defaults.yaml):
kube-apiserver v1.37.2 answers `spec.resources.requests[memory]: Invalid value: "100Mi": must be
greater than or equal to aggregate container requests of 306Mi` (tests/agreement/test_corpus.py).
As many allowed cases as refused ones: a check that refused a valid pod-level pod would be worse
than none.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from factories import container, limit_item, limitrange, pod, sidecar

from prevalidate.messages import render
from prevalidate.model.demand import build_demand
from prevalidate.model.objects import LimitRangeInfo

DOCS_POD = Path(__file__).parents[1] / "fuzz/corpus/k8s-website/resource-pod-level-resources.yaml"
DEFAULTS = limit_item(default={"cpu": "1", "memory": "512Mi"},
                      defaultRequest={"cpu": "500m", "memory": "256Mi"})


def problems(the_pod: dict[str, Any], *items: dict[str, Any]) -> list[tuple[str, str]]:
    ranges = [LimitRangeInfo.from_dict(limitrange(*items))] if items else []
    demand = build_demand(the_pod, ranges)
    return [(str(f.facts["field"]), str(f.facts["reason"])) for f in demand.problems
            if f.facts.get("rule") == "pod-level-resources"]


def docs_pod() -> dict[str, Any]:
    the_pod: dict[str, Any] = yaml.safe_load(DOCS_POD.read_text())
    the_pod["metadata"]["namespace"] = "jhub"
    return the_pod


def test_the_documentation_pod_is_valid_on_its_own() -> None:
    assert problems(docs_pod()) == []


def test_the_documentation_pod_with_namespace_defaults_is_refused_as_the_apiserver_does() -> None:
    found = problems(docs_pod(), DEFAULTS)
    # Both 422 causes kube-apiserver v1.37.2 gave: 50Mi + 256Mi (defaulted) > 100Mi; and the
    # defaulted 512Mi limit of the second container > the pod's 200Mi (its cpu default of 1 is
    # not above the pod's 1, and 0.5 + 0.5 is not above the pod's request of 1).
    assert ("spec.resources.requests.memory", "must be greater than or equal to aggregate container "
            "requests of 306Mi") in found
    assert ("spec.resources.limits.memory", "container pod-resources-demo-ctr-2's limit must be less than or "
            "equal to pod limits of 200Mi") in found
    assert not any("cpu" in f for f, _ in found)


def one(requests: dict[str, str] | None = None, limits: dict[str, str] | None = None) -> dict[str, Any]:
    return container(requests=requests, limits=limits)


@pytest.mark.parametrize(
    ("the_pod", "expected"),
    [
        pytest.param(pod(containers=[one({"cpu": "1"})], resources={"requests": {"cpu": "1"}}),
                     [], id="equal-is-allowed"),
        pytest.param(pod(containers=[one({"cpu": "1"})], resources={"requests": {"cpu": "2"}}),
                     [], id="pod-above-containers"),
        pytest.param(pod(containers=[one({"cpu": "1"})], resources={"requests": {"memory": "1Gi"}}),
                     [], id="only-resources-named-at-pod-level"),
        pytest.param(pod(containers=[container(requests={"cpu": "1"}), container("b")],
                         resources={"limits": {"cpu": "2"}}), [], id="no-pod-request-no-check"),
        pytest.param(pod(containers=[container(requests={"cpu": "1"})], init_containers=[
                         container("init", requests={"cpu": "2"})], resources={"requests": {"cpu": "2"}}),
                     [], id="init-peak-not-summed"),
        pytest.param(pod(containers=[one({"cpu": "1"})], resources={"requests": {"cpu": "500m"}}),
                     ["spec.resources.requests.cpu"], id="pod-below-containers"),
        pytest.param(pod(containers=[container(requests={"cpu": "1"})],
                         init_containers=[sidecar("side", requests={"cpu": "1"})],
                         resources={"requests": {"cpu": "1500m"}}),
                     ["spec.resources.requests.cpu"], id="sidecar-counted"),
        pytest.param(pod(containers=[one(limits={"memory": "2Gi"})], resources={"limits": {"memory": "1Gi"}}),
                     ["spec.resources.limits.memory"], id="container-limit-above-pod-limit"),
    ],
)
def test_pod_level_against_containers(the_pod: dict[str, Any], expected: list[str]) -> None:
    assert [f for f, _ in problems(the_pod)] == expected


def test_the_message_names_the_amounts_and_the_namespace_defaults() -> None:
    demand = build_demand(docs_pod(), [LimitRangeInfo.from_dict(limitrange(DEFAULTS))])
    [finding] = [f for f in demand.problems if f.facts.get("side") == "requests"]
    assert render(finding) == (
        "The pod's memory request of 100 MiB (spec.resources) is less than its containers' requests "
        "together, 306 MiB (with the namespace defaults given to pod-resources-demo-ctr-2). Raise the "
        "pod's request to at least 306 MiB, or ask your administrator.")
