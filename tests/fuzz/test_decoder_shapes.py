"""What the type-mutation fuzz found, pinned down: a mistyped pod is the apiserver's 400
(``input-invalid`` naming the field), never a traceback; and what the apiserver's decoder
accepts is never refused.

Go's encoding/json (through sigs.k8s.io/json, k8s.io/apimachinery/pkg/runtime/serializer/json)
refuses a JSON value of the wrong type for a typed field — ``json: cannot unmarshal array into
Go struct field NodeAffinity.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuring
Execution of type core.NodeSelector`` — and accepts ``null`` anywhere (the zero value), a
``null`` item of a list (a zero item), a number for a ``resource.Quantity``
(``Quantity.UnmarshalJSON`` parses unquoted values), and fields the struct does not declare
(dropped). The field types are those of k8s.io/api/core/v1/types.go.
"""

from __future__ import annotations

import copy
import datetime
from pathlib import Path
from typing import Any

import pytest
from factories import base_objects, cluster, container, node, pod

from prevalidate.kube.dump import iter_objects, read_documents
from prevalidate.model.findings import Code, Verdict
from prevalidate.model.settings import Settings
from prevalidate.validators import run_all

CORPUS = Path(__file__).parent / "corpus"
SETTINGS = Settings(offline=True)


def view() -> Any:
    return cluster(*base_objects(), node("n1", cpu="8", memory="32Gi", labels={"zone": "a"}))


def check(the_pod: Any) -> Verdict:
    return run_all(the_pod, view(), SETTINGS)


def shape_findings(verdict: Verdict) -> list[tuple[str, str]]:
    return [(f.subject, f.facts["reason"]) for f in verdict.findings if f.facts.get("shape")]


def with_spec(**spec: Any) -> dict[str, Any]:
    the_pod = pod(requests={"cpu": "1"})
    the_pod["spec"].update(spec)
    return the_pod


def with_container(**fields: Any) -> dict[str, Any]:
    return pod(containers=[container("notebook", {"cpu": "1"}, None, **fields)])


# ---- refused: the decoder's 400, named ---------------------------------------------------------

TERM = {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a"]}]}
POD_TERM = {"labelSelector": {"matchLabels": {"app": "x"}}, "topologyKey": "kubernetes.io/hostname"}
REFUSED = [
    pytest.param(
        with_spec(affinity={"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": [TERM]}}),
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
        "must be an object, not an array",
        id="NodeAffinity.required-is-a-NodeSelector-not-a-list",
    ),
    pytest.param(
        with_spec(
            affinity={
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 1, "preference": {"matchExpressions": "zone In a"}}
                    ]
                }
            }
        ),
        "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].preference.matchExpressions",
        'must be an array, not the string "zone In a"',
        id="NodeSelectorTerm.matchExpressions-is-a-list",
    ),
    pytest.param(
        with_spec(
            affinity={
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "zone", "operator": "In", "values": "a"}]}
                        ]
                    }
                }
            }
        ),
        "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
        ".matchExpressions[0].values",
        'must be an array, not the string "a"',
        id="NodeSelectorRequirement.values-is-a-string-list",
    ),
    pytest.param(
        with_spec(affinity={"podAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": POD_TERM}}),
        "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution",
        "must be an array, not an object",
        id="PodAffinity.required-is-a-list-of-PodAffinityTerm",
    ),
    pytest.param(
        with_spec(
            affinity={
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {"weight": 10, "podAffinityTerm": [POD_TERM]}
                    ]
                }
            }
        ),
        "spec.affinity.podAntiAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].podAffinityTerm",
        "must be an object, not an array",
        id="WeightedPodAffinityTerm.podAffinityTerm-is-an-object",
    ),
    pytest.param(
        with_spec(
            affinity={
                "podAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": [{**POD_TERM, "namespaces": "jhub"}]
                }
            }
        ),
        "spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespaces",
        'must be an array, not the string "jhub"',
        id="PodAffinityTerm.namespaces-is-a-string-list",
    ),
    pytest.param(
        with_spec(volumes=[{"name": "v", "projected": {"sources": {"secret": {"name": "s"}}}}]),
        "spec.volumes[0].projected.sources",
        "must be an array, not an object",
        id="ProjectedVolumeSource.sources-is-a-list",
    ),
    pytest.param(
        with_spec(volumes=[{"name": "v", "configMap": {"name": "c", "items": {"key": "k", "path": "p"}}}]),
        "spec.volumes[0].configMap.items",
        "must be an array, not an object",
        id="ConfigMapVolumeSource.items-is-a-list",
    ),
    pytest.param(
        with_container(env=[{"name": "A", "valueFrom": [{"secretKeyRef": {"name": "s", "key": "k"}}]}]),
        "spec.containers[0].env[0].valueFrom",
        "must be an object, not an array",
        id="EnvVar.valueFrom-is-an-EnvVarSource",
    ),
    pytest.param(
        pod(containers=[{"name": "nb", "image": "x", "resources": {"requests": [{"cpu": "1"}]}}]),
        "spec.containers[0].resources.requests",
        "must be an object, not an array",
        id="ResourceRequirements.requests-is-a-ResourceList",
    ),
    pytest.param(
        with_spec(tolerations={"key": "gpu", "operator": "Exists"}),
        "spec.tolerations",
        "must be an array, not an object",
        id="PodSpec.tolerations-is-a-list",
    ),
    pytest.param(
        pod(containers=[{"name": "nb", "image": "x", "resources": {"requests": {"cpu": {"value": 1}}}}]),
        "spec.containers[0].resources.requests.cpu",
        "must be a quantity (a string or a number), not an object",
        id="Quantity-is-not-an-object",
    ),
]


@pytest.mark.parametrize(("the_pod", "field", "reason"), REFUSED)
def test_a_value_of_the_wrong_json_type_is_input_invalid_naming_the_field(
    the_pod: dict[str, Any], field: str, reason: str
) -> None:
    verdict = check(the_pod)
    assert not verdict.allowed
    assert shape_findings(verdict) == [(field, reason)]


def test_the_documentation_pod_with_a_list_for_a_node_selector_is_refused_not_a_traceback() -> None:
    """kubernetes/website content/en/examples/pods/pod-with-node-affinity.yaml (as stored in the
    corpus) gives requiredDuringSchedulingIgnoredDuringExecution a list, which `kubectl apply`
    answers with a 400; build_demand used to raise AttributeError on it."""
    [the_pod] = [o for o in iter_objects(read_documents(CORPUS / "k8s-website/pod-with-node-affinity.yaml"))]
    assert shape_findings(check(the_pod)) == [
        (
            "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution",
            "must be an object, not an array",
        )
    ]


# ---- allowed: everything the decoder accepts -------------------------------------------------

BROKEN = {"pod-with-node-affinity.yaml"}  # the one corpus pod the apiserver refuses (above)
CORPUS_PODS = [
    pytest.param(obj, id=f"{path.parent.name}/{path.name}")
    for path in sorted(CORPUS.rglob("*.yaml"))
    if path.name not in BROKEN and "cluster" not in path.name and "\t" not in path.read_text()
    for obj in iter_objects(read_documents(path))
    if obj.get("kind") == "Pod"
]


@pytest.mark.parametrize("the_pod", CORPUS_PODS)
def test_every_real_manifest_in_the_corpus_has_the_types_the_api_defines(the_pod: dict[str, Any]) -> None:
    """The Kubernetes documentation's example pods and the pods KubeSpawner 7.1 builds for
    z2jh's settings: quantities as numbers (KubeSpawner's ``memory: 1073741824``), empty
    ``imagePullSecrets: []``, ``lifecycle: {}``, probes with int-or-string ports."""
    verdict = check(the_pod)
    assert shape_findings(verdict) == []
    assert not any(f.code is Code.CHECK_SKIPPED and f.facts.get("failed") for f in verdict.findings)


def test_the_corpus_has_both_sources() -> None:
    ids = [p.id for p in CORPUS_PODS]
    assert sum(i.startswith("k8s-website/") for i in ids) >= 40
    assert sum(i.startswith("kubespawner/") for i in ids) >= 7


ALLOWED = [
    pytest.param(
        pod(containers=[container("nb", {"cpu": 1.5, "memory": 1073741824}, {"memory": 2147483648})]),
        id="Quantity.UnmarshalJSON-takes-numbers",
    ),
    pytest.param(
        with_spec(affinity=None, tolerations=None, nodeSelector=None, volumes=None, overhead=None),
        id="null-optional-fields-are-zero-values",
    ),
    pytest.param(with_container(env=[{"name": "A", "value": None}], args=[None, "x"]), id="null-strings"),
    pytest.param(with_spec(imagePullSecrets=[None]), id="null-LocalObjectReference-item-is-an-empty-name"),
    pytest.param(
        with_spec(
            affinity={
                "nodeAffinity": {
                    "requiredDuringSchedulingIgnoredDuringExecution": {
                        "nodeSelectorTerms": [
                            {"matchExpressions": [{"key": "zone", "operator": "In", "values": ["a", None]}]}
                        ]
                    }
                }
            }
        ),
        id="null-item-of-a-string-list-is-empty",
    ),
    pytest.param(
        with_spec(volumes=[], tolerations=[], nodeSelector={}, imagePullSecrets=[]), id="empty-lists-and-maps"
    ),
    pytest.param(
        with_spec(
            tolerations=[
                {"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300.0}
            ],
            affinity={
                "nodeAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 50.0, "preference": TERM}]
                }
            },
        ),
        id="integral-floats-for-integers",
    ),
    pytest.param(
        with_container(
            ports=[{"containerPort": 8888.0, "hostPort": None}],
            livenessProbe={"httpGet": {"port": "http", "path": "/"}},
            securityContext={"runAsUser": 1000},
        ),
        id="int-or-string-and-fields-not-read",
    ),
    pytest.param(
        with_spec(fooBar=[1, {"x": None}], schedulingGates=[{"name": "g"}]), id="unknown-fields-dropped"
    ),
    pytest.param(
        with_container(env=[{"name": "D", "value": datetime.date(2024, 1, 1)}]), id="yaml-date-is-a-string"
    ),
    pytest.param(
        with_spec(
            affinity={
                "podAntiAffinity": {
                    "preferredDuringSchedulingIgnoredDuringExecution": [
                        {
                            "weight": 100,
                            "podAffinityTerm": {**POD_TERM, "namespaceSelector": {}, "namespaces": None},
                        }
                    ]
                }
            }
        ),
        id="empty-namespaceSelector",
    ),
    pytest.param(
        with_spec(
            volumes=[{"name": "v", "projected": {"sources": [None, {"serviceAccountToken": {"path": "t"}}]}}]
        ),
        id="null-projection-is-an-empty-one",
    ),
]


@pytest.mark.parametrize("the_pod", ALLOWED)
def test_what_the_decoder_accepts_is_allowed(the_pod: dict[str, Any]) -> None:
    verdict = check(the_pod)
    assert verdict.allowed, [f.facts for f in verdict.findings]
    assert verdict.findings == ()


def test_a_null_container_decodes_to_an_empty_one_and_gets_the_validation_422s() -> None:
    """``containers: [null]`` is no 400: Go decodes a zero Container, which ValidatePodSpec then
    refuses (name and image are required) — the same verdict, never an AttributeError."""
    verdict = check(with_spec(containers=[None]))
    rules = sorted({f.facts.get("rule") for f in verdict.findings if f.code is Code.INPUT_INVALID})
    assert rules == ["container-name", "image-required"]


def test_checking_never_changes_the_pod() -> None:
    the_pod = with_spec(
        affinity={
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [None, TERM]}
            }
        },
        volumes=[None],
        imagePullSecrets=[None],
    )
    before = copy.deepcopy(the_pod)
    check(the_pod)
    assert the_pod == before


# ---- against kubesim's decoder, an independent implementation -------------------------------

KUBESIM_TYPES = {  # the refused fields kubesim's schema also types (it leaves the rest "any")
    "NodeAffinity.required-is-a-NodeSelector-not-a-list",
    "NodeSelectorRequirement.values-is-a-string-list",
    "EnvVar.valueFrom-is-an-EnvVarSource",
    "ResourceRequirements.requests-is-a-ResourceList",
    "PodSpec.tolerations-is-a-list",
}


@pytest.mark.parametrize(("the_pod", "field", "reason"), [p for p in REFUSED if p.id in KUBESIM_TYPES])
def test_kubesim_decoder_refuses_them_too(the_pod: dict[str, Any], field: str, reason: str) -> None:
    from prevalidate.testing.kubesim.schema import ShapeError, conform

    with pytest.raises(ShapeError, match="json: cannot unmarshal"):
        conform("Pod", the_pod)


@pytest.mark.parametrize("the_pod", [p for p in ALLOWED + CORPUS_PODS if p.id != "yaml-date-is-a-string"])
def test_kubesim_decoder_accepts_what_we_accept(the_pod: dict[str, Any]) -> None:
    """(A YAML date never reaches an apiserver: kubectl sends JSON, where it is a string.)"""
    from prevalidate.testing.kubesim.schema import conform

    conform("Pod", the_pod)


def test_a_null_node_selector_value_is_empty_also_after_admission_merges_a_runtime_class() -> None:
    """encoding/json stores ``""`` for a ``null`` value of a map[string]string; the RuntimeClass
    plugin (plugin/pkg/admission/runtimeclass) then merges the class's scheduling.nodeSelector.
    The selector copy used to turn the null into "None", and no node has that label value."""
    runtime_class = {
        "apiVersion": "node.k8s.io/v1",
        "kind": "RuntimeClass",
        "metadata": {"name": "gvisor"},
        "handler": "runsc",
        "scheduling": {"nodeSelector": {"kubernetes.io/arch": "amd64"}},
    }
    labels = {"zone": "", "kubernetes.io/arch": "amd64"}
    the_view = cluster(*base_objects(), node("n1", labels=labels), runtime_class)
    the_pod = with_spec(nodeSelector={"zone": None}, runtimeClassName="gvisor")
    verdict = run_all(the_pod, the_view, SETTINGS)
    assert verdict.allowed and verdict.findings == ()
