"""The apiserver's field validation (422) of the fields a spawn can get wrong: exactly what
pkg/apis/core/validation refuses, and nothing it accepts."""

from __future__ import annotations

from typing import Any

import pytest

from prevalidate.model.podfields import container_resource_name_problem, field_problems

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


# ---- the pod's fields ----------------------------------------------------------------------


def spec(containers: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": fields.pop("name", "jupyter-alice")},
        "spec": {"containers": containers if containers is not None else [nb()], **fields},
    }


def nb(name: str = "notebook", image: str = "jupyter/base-notebook", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **fields}


def mount(name: str, path: str = "/home/jovyan", **fields: Any) -> dict[str, Any]:
    return {"name": name, "mountPath": path, **fields}


HOME = {"name": "home", "persistentVolumeClaim": {"claimName": "claim-alice"}}
DATA = {"name": "data", "emptyDir": {}}

ALLOWED = [
    pytest.param(spec(), id="plain"),
    pytest.param(spec([nb(volumeMounts=[mount("home")])], volumes=[HOME]), id="mount-of-a-volume"),
    pytest.param(
        spec([nb(volumeMounts=[mount("home"), mount("home", "/srv/data", subPath="alice")])], volumes=[HOME]),
        id="one-volume-twice-at-two-paths",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home"), mount("data", "/home/jovyan/")])], volumes=[HOME, DATA]),
        id="paths-compare-as-strings",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home")]), nb("sidecar", volumeMounts=[mount("home")])], volumes=[HOME]),
        id="same-path-in-two-containers",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home", subPath="users/a..b/x")])], volumes=[HOME]),
        id="dots-inside-a-subpath-segment",
    ),
    pytest.param(spec(initContainers=[nb("init", volumeMounts=[mount("home")])], volumes=[HOME]), id="init"),
    pytest.param(spec(name="jupyter-alice.example"), id="pod-name-with-dots"),
    pytest.param(spec(name=""), id="no-name-left-to-generate-name"),
    pytest.param(spec([nb("a" * 63)]), id="container-name-63"),
]


@pytest.mark.parametrize("pod", ALLOWED)
def test_fields_kubernetes_accepts_pass(pod: dict[str, Any]) -> None:
    assert field_problems(pod) == []


REJECTED = [
    pytest.param(
        spec([nb(volumeMounts=[mount("homee")])], volumes=[HOME]),
        [("spec.containers[0].volumeMounts[0].name", 'Not found: "homee"')],
        id="mount-of-an-undefined-volume",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home")])]),
        [("spec.containers[0].volumeMounts[0].name", 'Not found: "home"')],
        id="mount-without-any-volume",
    ),
    pytest.param(
        spec(initContainers=[nb("init", volumeMounts=[mount("x")])]),
        [("spec.initContainers[0].volumeMounts[0].name", 'Not found: "x"')],
        id="init-container-mount",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home"), mount("data")])], volumes=[HOME, DATA]),
        [("spec.containers[0].volumeMounts[1].mountPath", "must be unique")],
        id="two-mounts-at-one-path",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home", subPath="/etc")])], volumes=[HOME]),
        [("spec.containers[0].volumeMounts[0].subPath", "must be a relative path")],
        id="absolute-subpath",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home", subPath="a/../../b")])], volumes=[HOME]),
        [("spec.containers[0].volumeMounts[0].subPath", "must not contain '..'")],
        id="subpath-backsteps",
    ),
    pytest.param(
        spec([nb(volumeMounts=[mount("home", path="")])], volumes=[HOME]),
        [("spec.containers[0].volumeMounts[0].mountPath", "Required value")],
        id="mount-path-required",
    ),
    pytest.param(
        spec(volumes=[HOME, dict(HOME)]),
        [("spec.volumes[1].name", 'Duplicate value: "home"')],
        id="duplicate-volume",
    ),
    pytest.param(
        spec(volumes=[{"name": "Shared_Data", "emptyDir": {}}]),
        [("spec.volumes[0].name", "a lowercase RFC 1123 label")],
        id="volume-name-not-a-label",
    ),
    pytest.param(
        spec(volumes=[{"name": "my.data", "emptyDir": {}}]),
        [("spec.volumes[0].name", "must not contain dots")],
        id="volume-name-with-dots",
    ),
    pytest.param(spec([]), [("spec.containers", "Required value")], id="no-containers"),
    pytest.param(spec([nb(image="")]), [("spec.containers[0].image", "Required value")], id="image-required"),
    pytest.param(
        spec([nb("Notebook")]),
        [("spec.containers[0].name", "a lowercase RFC 1123 label")],
        id="container-name",
    ),
    pytest.param(
        spec([nb("a" * 64)]),
        [("spec.containers[0].name", "must be no more than 63 characters")],
        id="container-name-64",
    ),
    pytest.param(
        spec([nb(), nb()]),
        [("spec.containers[1].name", 'Duplicate value: "notebook"')],
        id="duplicate-container",
    ),
    pytest.param(
        spec(initContainers=[nb()]),
        [("spec.initContainers[0].name", 'Duplicate value: "notebook"')],
        id="init-container-reuses-a-container-name",
    ),
    pytest.param(
        spec(name="Jupyter-Alice"), [("metadata.name", "a lowercase RFC 1123 subdomain")], id="pod-name"
    ),
]


@pytest.mark.parametrize(("pod", "expected"), REJECTED)
def test_fields_kubernetes_refuses_are_input_invalid_with_the_field_path(
    pod: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    problems = field_problems(pod)
    assert [f.code.value for f in problems] == ["input-invalid"] * len(expected)
    assert all(f.blocks for f in problems)
    got = [(f.facts["field"], f.facts["reason"]) for f in problems]
    assert [
        (path, reason[: len(want)]) for (path, reason), (_, want) in zip(got, expected, strict=True)
    ] == expected


# ---- labels, node selector, tolerations, node affinity, pull policy ---------------------------

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}
USER_TOLERATION = {
    "key": "hub.jupyter.org/dedicated",
    "operator": "Equal",
    "value": "user",
    "effect": "NoSchedule",
}


def required_affinity(*expressions: dict[str, Any], terms: list[Any] | None = None) -> dict[str, Any]:
    selector = {
        "nodeSelectorTerms": terms if terms is not None else [{"matchExpressions": list(expressions)}]
    }
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": selector}}


def preferred_affinity(weight: Any, *expressions: dict[str, Any]) -> dict[str, Any]:
    term = {"weight": weight, "preference": {"matchExpressions": list(expressions)}}
    return {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [term]}}


def expr(key: str, operator: str, *values: str) -> dict[str, Any]:
    return (
        {"key": key, "operator": operator, "values": list(values)}
        if values
        else {"key": key, "operator": operator}
    )


SCHEDULING_ALLOWED = [
    pytest.param(spec(nodeSelector={"hub.jupyter.org/node-purpose": "user", "gpu": ""}), id="node-selector"),
    pytest.param(spec(tolerations=[GPU_TOLERATION, USER_TOLERATION]), id="z2jh-tolerations"),
    pytest.param(spec(tolerations=[{"operator": "Exists"}]), id="tolerate-everything"),
    pytest.param(
        spec(
            tolerations=[{"key": "k", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 60}]
        ),
        id="toleration-seconds-with-no-execute",
    ),
    pytest.param(spec(tolerations=[{"key": "k", "value": "v"}]), id="empty-operator-is-equal"),
    pytest.param(
        spec(tolerations=[{"key": "k", "operator": "Gt", "value": "5"}]), id="numeric-operator-left-to-newer"
    ),
    pytest.param(
        spec(
            affinity=required_affinity(
                expr("node-pool", "In", "user"), expr("gpu", "Exists"), expr("cores", "Gt", "8")
            )
        ),
        id="required-affinity",
    ),
    pytest.param(
        spec(affinity=preferred_affinity(100, expr("pool", "NotIn", "spot"))), id="preferred-affinity"
    ),
    pytest.param(
        spec([nb(imagePullPolicy="Always")], initContainers=[nb("init", imagePullPolicy="Never")]), id="pull"
    ),
    pytest.param(spec([nb(imagePullPolicy="")]), id="empty-pull-policy-is-defaulted"),
]


@pytest.mark.parametrize("pod", SCHEDULING_ALLOWED)
def test_scheduling_fields_kubernetes_accepts_pass(pod: dict[str, Any]) -> None:
    assert field_problems(pod) == []


def test_labels_kubernetes_accepts_pass() -> None:
    pod = spec()
    pod["metadata"]["labels"] = {
        "hub.jupyter.org/username": "alice-40uni-2eedu",
        "hub.jupyter.org/servername": "",
    }
    assert field_problems(pod) == []


SCHEDULING_REJECTED = [
    pytest.param(
        spec(nodeSelector={"node pool": "user"}),
        [("spec.nodeSelector", "name part must consist")],
        id="selector-key",
    ),
    pytest.param(
        spec(nodeSelector={"pool": "GPU nodes"}),
        [("spec.nodeSelector", "a valid label must be")],
        id="selector-value",
    ),
    pytest.param(
        spec(tolerations=[{**GPU_TOLERATION, "effect": "NoScheduled"}]),
        [("spec.tolerations[0].effect", 'Unsupported value: "NoScheduled"')],
        id="toleration-effect-typo",
    ),
    pytest.param(
        spec(tolerations=[{**GPU_TOLERATION, "operator": "exists"}]),
        [("spec.tolerations[0].operator", 'Unsupported value: "exists"')],
        id="toleration-operator-case",
    ),
    pytest.param(
        spec(tolerations=[{**GPU_TOLERATION, "value": "present"}]),
        [("spec.tolerations[0].operator", "value must be empty when `operator` is 'Exists'")],
        id="exists-with-value",
    ),
    pytest.param(
        spec(tolerations=[{"effect": "NoSchedule"}]),
        [("spec.tolerations[0].operator", "operator must be Exists when `key` is empty")],
        id="empty-key-without-exists",
    ),
    pytest.param(
        spec(tolerations=[{**USER_TOLERATION, "tolerationSeconds": 30}]),
        [("spec.tolerations[0].effect", "effect must be 'NoExecute' when `tolerationSeconds` is set")],
        id="toleration-seconds-without-no-execute",
    ),
    pytest.param(
        spec(tolerations=[{**USER_TOLERATION, "value": "user pods"}]),
        [("spec.tolerations[0].operator", "a valid label must be")],
        id="toleration-value-not-a-label-value",
    ),
    pytest.param(
        spec(affinity=required_affinity(expr("pool", "In"))),
        [
            (
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                ".matchExpressions[0].values",
                "Required value: must be specified when `operator` is 'In' or 'NotIn'",
            )
        ],
        id="in-without-values",
    ),
    pytest.param(
        spec(affinity=required_affinity(expr("pool", "Exists", "user"))),
        [
            (
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                ".matchExpressions[0].values",
                "Forbidden",
            )
        ],
        id="exists-with-values",
    ),
    pytest.param(
        spec(affinity=required_affinity(expr("pool", "Equals", "user"))),
        [
            (
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                ".matchExpressions[0].operator",
                "not a valid selector operator",
            )
        ],
        id="unknown-operator",
    ),
    pytest.param(
        spec(affinity=required_affinity(terms=[])),
        [
            (
                "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms",
                "Required value: must have at least one node selector term",
            )
        ],
        id="no-terms",
    ),
    pytest.param(
        spec(affinity=preferred_affinity(0, expr("pool", "In", "user"))),
        [
            (
                "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight",
                "must be in the range 1-100",
            )
        ],
        id="preferred-weight",
    ),
    pytest.param(
        spec([nb(imagePullPolicy="always")]),
        [("spec.containers[0].imagePullPolicy", 'Unsupported value: "always"')],
        id="pull-policy-case",
    ),
]


@pytest.mark.parametrize(("pod", "expected"), SCHEDULING_REJECTED)
def test_scheduling_fields_kubernetes_refuses_are_input_invalid(
    pod: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    problems = field_problems(pod)
    got = [(f.facts["field"], f.facts["reason"]) for f in problems]
    assert [
        (path, reason[: len(want)]) for (path, reason), (_, want) in zip(got, expected, strict=True)
    ] == expected
    assert all(f.code.value == "input-invalid" and f.blocks for f in problems)


def test_an_invalid_label_value_is_refused() -> None:
    pod = spec()
    pod["metadata"]["labels"] = {"user": "alice@uni.edu"}
    assert [(f.facts["field"], f.facts["value"]) for f in field_problems(pod)] == [
        ("metadata.labels", "alice@uni.edu")
    ]


# ---- env key selectors (validateSecretKeySelector / validateConfigMapKeySelector) ---------------


def env_ref(kind: str = "secretKeyRef", **ref: Any) -> dict[str, Any]:
    return spec([nb(env=[{"name": "TOKEN", "valueFrom": {kind: ref}}])])


@pytest.mark.parametrize(
    "pod",
    [
        pytest.param(env_ref(name="hub-secret", key="token"), id="secret-key"),
        pytest.param(env_ref("configMapKeyRef", name="settings", key="jupyter_config.py"), id="config-key"),
        pytest.param(env_ref(name="pull", key=".dockerconfigjson"), id="key-starting-with-one-dot"),
        pytest.param(env_ref(name="s", key="KEY_NAME-1.x"), id="key-characters"),
    ],
)
def test_env_key_selectors_kubernetes_accepts_pass(pod: dict[str, Any]) -> None:
    assert field_problems(pod) == []


ENV = "spec.containers[0].env[0].valueFrom"


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        pytest.param(env_ref(name="s"), (f"{ENV}.secretKeyRef.key", "Required value"), id="key-forgotten"),
        pytest.param(
            env_ref("configMapKeyRef", name="c", key="my key"),
            (f"{ENV}.configMapKeyRef.key", "a valid config key must consist"),
            id="key-with-space",
        ),
        pytest.param(
            env_ref(name="s", key=".."), (f"{ENV}.secretKeyRef.key", "must not be '..'"), id="dot-dot"
        ),
        pytest.param(
            env_ref(name="s", key="..data"),
            (f"{ENV}.secretKeyRef.key", "must not start with '..'"),
            id="dot-dot-x",
        ),
        pytest.param(
            env_ref(name="Hub_Secret", key="k"),
            (f"{ENV}.secretKeyRef.name", "a lowercase RFC 1123 subdomain"),
            id="name-not-a-subdomain",
        ),
    ],
)
def test_env_key_selectors_kubernetes_refuses_are_input_invalid(
    pod: dict[str, Any], expected: tuple[str, str]
) -> None:
    (problem,) = field_problems(pod)
    assert (problem.facts["field"], problem.facts["reason"][: len(expected[1])]) == expected
