"""Every sentence a user reads: numbers, units a person types, and what would pass.

The findings here come from the real validators (``run_all`` over small clusters), so a
message test also proves the facts a validator records are the ones its message needs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from factories import (
    IMAGE,
    base_objects,
    cluster,
    configmap,
    container,
    limit_item,
    limitrange,
    namespace_with,
    node,
    only,
    pod,
    pool,
    priority_class,
    pvc,
    quota,
    runtime_class,
    secret,
    storage_class,
    taint,
    verdict,
)

from prevalidate.messages import (
    amount,
    base_resource,
    finding_json,
    headline,
    ordered,
    render,
    render_verdict,
)
from prevalidate.model.admission import AdmissionConfig
from prevalidate.model.findings import Code, Finding, Severity, Verdict
from prevalidate.model.image_facts import ImageFacts, ImageStatus, Platform
from prevalidate.model.refusals import parse_status, refusal_findings

BASE = base_objects()
GIB = 2**30


@dataclass(frozen=True)
class Scenario:
    code: Code
    make: Callable[[], Verdict]
    numbers: tuple[str, ...]  # what the message must say
    forward: str | None  # the phrase that tells the user what would pass (None: it has none yet)


def _facts(status: ImageStatus, **kwargs: Any) -> dict[str, ImageFacts]:
    return {IMAGE: ImageFacts(IMAGE, status, detail="HTTP 503", registry_host="quay.io", **kwargs)}


def _busy_node() -> list[dict[str, Any]]:
    return [node(), pod("bob", requests={"cpu": "2"}, node_name="node-1", phase="Running")]


SCENARIOS: dict[str, Scenario] = {
    "input-invalid": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(requests={"cpu": "abc"}), checks=["quota"]),
        ("'abc'", "spec.containers[0].resources.requests.cpu"),
        "Use a number",
    ),
    "input-invalid-request-over-limit": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(requests={"cpu": "2"}, limits={"cpu": "1"}), checks=["quota"]),
        ("2 CPUs", "1 CPU"),
        "at most 1 CPU",
    ),
    "input-invalid-resource-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(requests={"cpus": "2"}), checks=["quota"]),
        (
            '"cpus"',
            "spec.containers[0].resources.requests.cpus",
            "must be a standard resource for containers",
        ),
        'Did you mean "cpu"?',
    ),
    "input-invalid-gpu-resource-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(limits={"gpu": "1"}), checks=["quota"]),
        ('"gpu"', "spec.containers[0].resources.limits.gpu", "nvidia.com/gpu"),
        "Use cpu, memory",
    ),
    "input-invalid-extended-resource-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(limits={"requests.nvidia.com/gpu": "1"}), checks=["quota"]),
        ('"requests.nvidia.com/gpu"', "doesn't follow extended resource name standard"),
        "like nvidia.com/gpu",
    ),
    "input-invalid-mount-volume-not-found": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(
                containers=[container(volumeMounts=[{"name": "homee", "mountPath": "/home/jovyan"}])],
                volumes=[{"name": "home", "emptyDir": {}}],
            ),
            checks=["quota"],
        ),
        ('"homee"', 'spec.containers[0].volumeMounts[0].name: Not found: "homee"', "notebook", "home"),
        'Did you mean "home"?',
    ),
    "input-invalid-mount-path-duplicate": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(
                containers=[
                    container(
                        volumeMounts=[
                            {"name": "home", "mountPath": "/home/jovyan"},
                            {"name": "data", "mountPath": "/home/jovyan"},
                        ]
                    )
                ],
                volumes=[{"name": "home", "emptyDir": {}}, {"name": "data", "emptyDir": {}}],
            ),
            checks=["quota"],
        ),
        ("/home/jovyan", "spec.containers[0].volumeMounts[1].mountPath", "notebook"),
        "Choose another mount path",
    ),
    "input-invalid-volume-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(volumes=[{"name": "Shared_Data", "emptyDir": {}}]), checks=["quota"]),
        ('"Shared_Data"', "spec.volumes[0].name"),
        'like "shared-data"',
    ),
    "input-invalid-volume-duplicate": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(volumes=[{"name": "home", "emptyDir": {}}, {"name": "home", "emptyDir": {}}]),
            checks=["quota"],
        ),
        ('"home"', "spec.volumes[1].name"),
        "Remove or rename one",
    ),
    "input-invalid-sub-path": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(
                containers=[container(volumeMounts=[{"name": "h", "mountPath": "/h", "subPath": "/etc"}])],
                volumes=[{"name": "h", "emptyDir": {}}],
            ),
            checks=["quota"],
        ),
        ("'/etc'", "spec.containers[0].volumeMounts[0].subPath", "must be a relative path"),
        "Use a relative path",
    ),
    "input-invalid-image-required": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(containers=[container(image="")]), checks=["quota"]),
        ("notebook", "spec.containers[0].image"),
        "Choose an image",
    ),
    "input-invalid-container-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(containers=[container("Note Book")]), checks=["quota"]),
        ('"Note Book"', "spec.containers[0].name"),
        'like "note-book"',
    ),
    "input-invalid-long-name": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(containers=[container("n" * 64)]), checks=["quota"]),
        ("spec.containers[0].name", "63 characters"),
        "Choose a shorter name",
    ),
    "input-invalid-required-field": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(
                containers=[container(volumeMounts=[{"name": "h", "mountPath": ""}])], volumes=[{"name": "h"}]
            ),
            checks=["quota"],
        ),
        ("spec.containers[0].volumeMounts[0].mountPath: Required value",),
        "Ask your administrator",
    ),
    "input-invalid-shape-number-for-string": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(containers=[container(env=[{"name": "DEBUG", "value": 1}])]), checks=["quota"]),
        ("spec.containers[0].env[0].value", "must be a string, not the number 1"),
        "Use quotes around the value",
    ),
    "input-invalid-shape": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(pod(containers=[container(command="start.sh")]), checks=["quota"]),
        ("spec.containers[0].command", "must be an array"),
        "Ask your administrator",
    ),
    "input-invalid-toleration": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoScheduled"}]), checks=["quota"]
        ),
        ('"NoScheduled"', "spec.tolerations[0].effect", '"NoSchedule", "PreferNoSchedule", "NoExecute"'),
        "Choose another value",
    ),
    "input-invalid-not-valid": Scenario(
        Code.INPUT_INVALID,
        lambda: verdict(
            pod(
                affinity={
                    "nodeAffinity": {
                        "requiredDuringSchedulingIgnoredDuringExecution": {
                            "nodeSelectorTerms": [
                                {"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}
                            ]
                        }
                    }
                }
            ),
            checks=["quota"],
        ),
        ("matchExpressions[0].values", "may not be specified when `operator` is 'Exists'"),
        "Ask your administrator",
    ),
    "namespace-not-found": Scenario(
        Code.NAMESPACE_NOT_FOUND, lambda: verdict(pod(), [], checks=["namespace"]), ("jhub",), None
    ),
    "quota-exceeded-cpu": Scenario(
        Code.QUOTA_EXCEEDED,
        lambda: verdict(
            pod(requests={"cpu": "8"}),
            [quota({"requests.cpu": "32"}, {"requests.cpu": "26"})],
            checks=["quota"],
        ),
        ("8 CPUs", "6 CPUs", "26 of 32", '"compute"'),
        "at most 6 CPUs",
    ),
    "quota-exceeded-memory": Scenario(
        Code.QUOTA_EXCEEDED,
        lambda: verdict(
            pod(limits={"memory": "16Gi"}),
            [quota({"limits.memory": "128Gi"}, {"limits.memory": "120Gi"})],
            checks=["quota"],
        ),
        ("16 GiB", "8 GiB", "120 GiB of 128 GiB", "memory limit"),
        "at most 8 GiB",
    ),
    "quota-exceeded-pods": Scenario(
        Code.QUOTA_EXCEEDED,
        lambda: verdict(pod(), [quota({"pods": "20"}, {"pods": "20"})], checks=["quota"]),
        ("20 pods",),
        "Stop a server",
    ),
    "quota-must-specify": Scenario(
        Code.QUOTA_MUST_SPECIFY,
        lambda: verdict(
            pod(containers=[container("notebook"), container("proxy")]),
            [quota({"limits.cpu": "20"})],
            checks=["quota"],
        ),
        ("cpu limit", "notebook, proxy"),
        "Set a cpu limit",
    ),
    "quota-not-synced": Scenario(
        Code.QUOTA_NOT_SYNCED,
        lambda: verdict(
            pod(requests={"cpu": "8"}),
            [{**quota({"requests.cpu": "4"}), "status": {}}],
            checks=["quota"],
        ),
        ('"compute"', "not been counted", "not checked"),
        None,
    ),
    "limitrange-violation": Scenario(
        Code.LIMITRANGE_VIOLATION,
        lambda: verdict(
            pod(limits={"memory": "16Gi"}),
            [limitrange(limit_item(max={"memory": "8Gi"}))],
            checks=["limitrange"],
        ),
        ("16 GiB", "8 GiB", "notebook"),
        "at most 8 GiB",
    ),
    "limitrange-ratio": Scenario(
        Code.LIMITRANGE_VIOLATION,
        lambda: verdict(
            pod(requests={"cpu": "1"}, limits={"cpu": "8"}),
            [limitrange(limit_item(maxLimitRequestRatio={"cpu": "4"}))],
            checks=["limitrange"],
        ),
        ("8 times", "4 times"),
        "lower the limit",
    ),
    "no-node-fits": Scenario(
        Code.NO_NODE_FITS,
        lambda: verdict(
            pod(requests={"cpu": "120"}),
            [node(cpu="62500m"), node("small", cpu="15500m")],
            checks=["capacity"],
        ),
        ("120 CPUs", "62.5 CPUs"),
        "at most 62.5 CPUs",
    ),
    "no-node-fits-pool": Scenario(
        Code.NO_NODE_FITS,
        lambda: verdict(
            pod(requests={"cpu": "8"}),
            [node()],
            settings=only("capacity", node_pools=(pool("big-pool", cpu="16"),)),
        ),
        ("8 CPUs", "big-pool"),
        "a few minutes",
    ),
    "no-node-fits-taints": Scenario(
        Code.NO_NODE_FITS,
        lambda: verdict(
            pod(requests={"cpu": "1"}), [node(taints=[taint("gpu", "yes")])], checks=["capacity"]
        ),
        ("1 node(s) had untolerated taint",),
        None,
    ),
    "insufficient-capacity": Scenario(
        Code.INSUFFICIENT_CAPACITY,
        lambda: verdict(pod(requests={"cpu": "3"}), _busy_node(), checks=["capacity"]),
        ("3 CPUs", "2 CPUs"),
        "try again later",
    ),
    "image-reference-invalid": Scenario(
        Code.IMAGE_REFERENCE_INVALID,
        lambda: verdict(pod(containers=[container(image="Bad Image")]), checks=["image"]),
        ('"Bad Image"', "lowercase"),
        "Use the form registry/name:tag",
    ),
    "image-registry-not-allowed": Scenario(
        Code.IMAGE_REGISTRY_NOT_ALLOWED,
        lambda: verdict(
            pod(containers=[container(image="ghcr.io/x/y:1")]),
            settings=only("image", allowed_registries=("quay.io",)),
        ),
        ("ghcr.io",),
        "allowed registry: quay.io",
    ),
    "image-not-found": Scenario(
        Code.IMAGE_NOT_FOUND,
        lambda: verdict(
            pod(), images=_facts(ImageStatus.NOT_FOUND, suggestions=("2024-05-20",)), checks=["image"]
        ),
        (IMAGE, "quay.io"),
        "Choose a tag that exists: 2024-05-20",
    ),
    "image-access-denied": Scenario(
        Code.IMAGE_ACCESS_DENIED,
        lambda: verdict(pod(), images=_facts(ImageStatus.ACCESS_DENIED), checks=["image"]),
        (IMAGE, "quay.io"),
        "Use an image you have access to",
    ),
    "image-platform-unsupported": Scenario(
        Code.IMAGE_PLATFORM_UNSUPPORTED,
        lambda: verdict(
            pod(),
            [node(labels={"kubernetes.io/arch": "amd64", "kubernetes.io/os": "linux"})],
            images={
                IMAGE: ImageFacts(
                    IMAGE, ImageStatus.EXISTS, platforms=frozenset({Platform("linux", "arm64")})
                )
            },
            checks=["image"],
        ),
        ("linux/arm64", "linux/amd64"),
        "Choose an image built for them",
    ),
    "image-unverified": Scenario(
        Code.IMAGE_UNVERIFIED,
        lambda: verdict(pod(), images=_facts(ImageStatus.UNVERIFIED), checks=["image"]),
        (IMAGE, "HTTP 503"),
        "starting anyway",
    ),
    "pvc-not-found": Scenario(
        Code.PVC_NOT_FOUND,
        lambda: verdict(pod(claims=["claim-alcie"]), [pvc(), pvc("data-shared")], checks=["pvc"]),
        ('"claim-alcie"', "jhub", "claim-alice, data-shared"),
        'Did you mean "claim-alice"?',
    ),
    "pvc-terminating": Scenario(
        Code.PVC_TERMINATING,
        lambda: verdict(pod(claims=["claim-alice"]), [pvc(terminating=True)], checks=["pvc"]),
        ('"claim-alice"',),
        "Choose another volume",
    ),
    "pvc-not-bound-class": Scenario(
        Code.PVC_NOT_BOUND,
        lambda: verdict(
            pod(claims=["claim-alice"]),
            [storage_class(), pvc(phase="Pending", storage_class="fast")],
            checks=["pvc"],
        ),
        ('"fast"', "standard"),
        "(storage classes: standard)",
    ),
    "pvc-not-bound-lost": Scenario(
        Code.PVC_NOT_BOUND,
        lambda: verdict(pod(claims=["claim-alice"]), [pvc(phase="Lost")], checks=["pvc"]),
        ('"claim-alice"', "Lost"),
        None,
    ),
    "pvc-in-use": Scenario(
        Code.PVC_IN_USE,
        lambda: verdict(
            pod(claims=["claim-alice"]),
            [pvc(access_modes=["ReadWriteOncePod"]), pod("bob", claims=["claim-alice"], node_name="n")],
            checks=["pvc"],
        ),
        ('"claim-alice"', "bob"),
        None,
    ),
    "secret-not-found": Scenario(
        Code.SECRET_NOT_FOUND,
        lambda: verdict(
            pod(volumes=[{"name": "v", "secret": {"secretName": "cred"}}]),
            [*BASE, secret("creds")],
            checks=["references"],
        ),
        ('"cred"', "volume v", "jhub"),
        'Did you mean "creds"?',
    ),
    "configmap-not-found": Scenario(
        Code.CONFIGMAP_NOT_FOUND,
        lambda: verdict(
            pod(volumes=[{"name": "v", "configMap": {"name": "zzz"}}]), BASE, checks=["references"]
        ),
        ('"zzz"', "volume v", "jhub"),
        None,
    ),
    "secret-key-not-found": Scenario(
        Code.SECRET_KEY_NOT_FOUND,
        lambda: verdict(
            pod(
                containers=[
                    container(
                        env=[
                            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "creds", "key": "kee"}}}
                        ]
                    )
                ]
            ),
            [*BASE, secret("creds")],
            checks=["references"],
        ),
        ('"creds"', '"kee"', "env TOKEN of container notebook", "jhub", "Its keys: key"),
        'Did you mean "key"?',
    ),
    "secret-key-not-found-no-close-key": Scenario(
        Code.SECRET_KEY_NOT_FOUND,
        lambda: verdict(
            pod(
                volumes=[
                    {
                        "name": "v",
                        "secret": {"secretName": "creds", "items": [{"key": "ca.crt", "path": "ca"}]},
                    }
                ]
            ),
            [*BASE, secret("creds")],
            checks=["references"],
        ),
        ('"creds"', '"ca.crt"', "volume v", "Its keys: key"),
        "Use one of them",
    ),
    "configmap-key-not-found": Scenario(
        Code.CONFIGMAP_KEY_NOT_FOUND,
        lambda: verdict(
            pod(volumes=[{"name": "v", "configMap": {"name": "cfg", "items": [{"key": "x", "path": "x"}]}}]),
            [*BASE, {**configmap("cfg"), "data": {}}],
            checks=["references"],
        ),
        ('"cfg"', '"x"', "volume v"),
        "Ask your administrator",
    ),
    "configmap-key-binary-only": Scenario(
        Code.CONFIGMAP_KEY_NOT_FOUND,
        lambda: verdict(
            pod(
                containers=[
                    container(
                        env=[{"name": "B", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "b"}}}]
                    )
                ]
            ),
            [*BASE, {**configmap("cfg"), "binaryData": {"b": "AAE="}}],
            checks=["references"],
        ),
        ('"cfg"', '"b"', "env B of container notebook", "binary data"),
        "mount it as a volume",
    ),
    "pull-secret-not-found": Scenario(
        Code.PULL_SECRET_NOT_FOUND,
        lambda: verdict(pod(imagePullSecrets=[{"name": "regcred"}]), BASE, checks=["references"]),
        ('"regcred"', "jhub"),
        "may fail to pull",
    ),
    "serviceaccount-not-found": Scenario(
        Code.SERVICEACCOUNT_NOT_FOUND,
        lambda: verdict(pod(serviceAccountName="nb"), BASE, checks=["references"]),
        ('"nb"', "jhub"),
        None,
    ),
    "runtimeclass-not-found": Scenario(
        Code.RUNTIMECLASS_NOT_FOUND,
        lambda: verdict(
            pod(runtimeClassName="gvisr"), [*BASE, runtime_class("gvisor")], checks=["admission"]
        ),
        ('"gvisr"', '"gvisor"'),
        "Did you mean",
    ),
    "admission-refused-overhead": Scenario(
        Code.ADMISSION_REFUSED,
        lambda: verdict(
            pod(runtimeClassName="kata", overhead={"cpu": "1"}),
            [*BASE, runtime_class("kata", overhead={"cpu": "250m", "memory": "120Mi"})],
            checks=["admission"],
        ),
        ('"kata"', "0.25 CPU", "120 MiB"),
        "Remove spec.overhead",
    ),
    "admission-refused-runtimeclass-selector": Scenario(
        Code.ADMISSION_REFUSED,
        lambda: verdict(
            pod(runtimeClassName="gvisor", nodeSelector={"sandbox": "no"}),
            [*BASE, runtime_class("gvisor", node_selector={"sandbox": "gvisor"})],
            checks=["admission"],
        ),
        ('"gvisor"', "sandbox=gvisor", "sandbox=no"),
        "Choose options without that node selector",
    ),
    "admission-refused-toleration-whitelist": Scenario(
        Code.ADMISSION_REFUSED,
        lambda: verdict(
            pod(tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}], requests={}),
            [
                namespace_with(
                    {
                        "scheduler.alpha.kubernetes.io/tolerationsWhitelist": '[{"key": "cpu-only", '
                        '"operator": "Exists"}]'
                    }
                ),
                *BASE[1:],
            ],
            checks=["admission"],
            settings=only("admission", admission=AdmissionConfig.parse({"PodTolerationRestriction": "on"})),
        ),
        ("jhub", "gpu (NoSchedule)", "your server asks for"),
        "tolerationsWhitelist",
    ),
    "preemption-expected": Scenario(
        Code.PREEMPTION_EXPECTED,
        lambda: verdict(
            pod(requests={"cpu": "2"}),
            [node(), pod("user-placeholder-0", requests={"cpu": "3"}, node_name="node-1", priority=-10)],
            checks=["capacity"],
        ),
        ("lower-priority pods",),
        "make way",
    ),
    "priorityclass-not-found": Scenario(
        Code.PRIORITYCLASS_NOT_FOUND,
        lambda: verdict(
            pod(priorityClassName="jhub-default-priorty"),
            [node(), priority_class("jhub-default-priority", value=0)],
            checks=["capacity"],
        ),
        ('"jhub-default-priorty"',),
        "Ask your administrator",
    ),
    "no-node-fits-pinned-node": Scenario(
        Code.NO_NODE_FITS,
        lambda: verdict(pod(requests={"cpu": "8"}, node_name="node-1"), [node()], checks=["capacity"]),
        ("8 CPUs", 'node "node-1"', "4 CPUs"),
        "Choose at most 4 CPUs",
    ),
    "insufficient-capacity-pinned-node": Scenario(
        Code.INSUFFICIENT_CAPACITY,
        lambda: verdict(pod(requests={"cpu": "3"}, node_name="node-1"), _busy_node(), checks=["capacity"]),
        ("3 CPUs", 'node "node-1"', "2 CPUs free"),
        "Choose at most 2 CPUs",
    ),
    "check-skipped": Scenario(
        Code.CHECK_SKIPPED,
        lambda: verdict(pod(), view=cluster(known={"Node"}), checks=["quota"]),
        ("ResourceQuota",),
        "skipped",
    ),
    "create-refused-limitrange": Scenario(
        Code.CREATE_REFUSED,
        lambda: Verdict.of(refusal_findings(parse_status(403, {"code": 403, "message": (
            'pods "jupyter-alice" is forbidden: maximum cpu usage per Container is 2, but limit is 4')}))),
        ("2 CPUs", "4 CPUs"),
        "Choose at most 2 CPUs",
    ),
    "admission-unavailable": Scenario(
        Code.ADMISSION_UNAVAILABLE,
        lambda: Verdict.of(refusal_findings(parse_status(500, {"code": 500, "message": (
            'Internal error occurred: failed calling webhook "policy.example.com": failed to call '
            "webhook: Post \"https://p.example.svc:443/v?timeout=3s\": context deadline exceeded")}))),
        ('"policy.example.com"',),
        "try again in a few minutes",
    ),
}


def _runtime(replay: str) -> Callable[[], Verdict]:
    """The finding the backstop's judge makes of a recorded spawn (tests/backstop/replays)."""

    def make() -> Verdict:
        from prevalidate.testing.replays import load, run

        outcome = run(load(replay))
        assert outcome.code is not None
        return Verdict.of([Finding(Code(outcome.code), Severity.ERROR, facts=outcome.facts)])

    return make


SCENARIOS.update(
    {
        "image-pull-failed": Scenario(
            Code.IMAGE_PULL_FAILED,
            _runtime("01-tag-not-found"),
            ("nb:1", "not found"),
            "Choose another image",
        ),
        "node-cannot-pull": Scenario(
            Code.NODE_CANNOT_PULL,
            _runtime("08-registry-down-after-attempts"),
            ("3 attempts", "502"),
            "Please try again",
        ),
        "scheduling-impossible": Scenario(
            Code.SCHEDULING_IMPOSSIBLE,
            _runtime("11-no-node-fits"),
            ("Insufficient cpu",),
            "Choose fewer resources",
        ),
        "capacity-wait-exceeded": Scenario(
            Code.CAPACITY_WAIT_EXCEEDED,
            _runtime("12-capacity-wait-exceeded"),
            ("30 seconds",),
            "Please try again later",
        ),
        "autoscaler-refused": Scenario(
            Code.AUTOSCALER_REFUSED,
            _runtime("09-autoscaler-refused"),
            ("didn't trigger scale-up",),
            "Choose fewer resources",
        ),
        "volume-zone-conflict": Scenario(
            Code.VOLUME_ZONE_CONFLICT,
            _runtime("13-volume-zone-conflict"),
            ("volume node affinity conflict",),
            None,
        ),
        "claim-unbound": Scenario(
            Code.CLAIM_UNBOUND, _runtime("14-claim-unbound"), ("unbound immediate",), None
        ),
        "mount-failed": Scenario(
            Code.MOUNT_FAILED, _runtime("15-mount-failed"), ("nfs: mount failed",), None
        ),
        "container-config-error": Scenario(
            Code.CONTAINER_CONFIG_ERROR,
            _runtime("17-config-error"),
            ("lab-token",),
            "Ask your administrator",
        ),
        "container-crashed": Scenario(
            Code.CONTAINER_CRASHED, _runtime("18-crashloop"), ("exit code 1",), "choose another image"
        ),
        "oom-killed": Scenario(Code.OOM_KILLED, _runtime("20-oom"), ("1 GiB",), "Choose more memory"),
        "evicted": Scenario(
            Code.EVICTED, _runtime("21-evicted"), ("low on resource: memory",), "Please try again"
        ),
        "pod-failed": Scenario(
            Code.POD_FAILED, _runtime("22-kubelet-rejected"), ("OutOfcpu",), "Please try again"
        ),
        "admin-fatal-event": Scenario(
            Code.ADMIN_FATAL_EVENT, _runtime("23-admin-rule"), ("notebook server is broken",), None
        ),
    }
)


def _finding(scenario: Scenario) -> Finding:
    found = [f for f in scenario.make().findings if f.code is scenario.code]
    assert len(found) == 1, found
    return found[0]


def test_every_code_has_a_scenario_and_a_renderer() -> None:
    covered = {s.code for s in SCENARIOS.values()}
    assert covered == set(Code)
    for scenario in SCENARIOS.values():
        assert render(_finding(scenario)).strip()


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_message_states_the_numbers(name: str) -> None:
    scenario = SCENARIOS[name]
    message = render(_finding(scenario))
    for part in scenario.numbers:
        assert part in message, f"{part!r} missing from {message!r}"


_HAS_FORWARD = [name for name, s in SCENARIOS.items() if s.forward]


@pytest.mark.parametrize("name", _HAS_FORWARD)
def test_message_says_what_would_pass(name: str) -> None:
    scenario = SCENARIOS[name]
    assert scenario.forward is not None
    assert scenario.forward in render(_finding(scenario))


_WAY_FORWARD = re.compile(
    r"\b(Choose|Set|Use|Stop|Did you mean|Check|Raise|Ask|Delete|Remove|Pick|Select|try again|contact)\b"
)


@pytest.mark.parametrize(
    "name", [name for name, s in SCENARIOS.items() if _finding(s).severity is Severity.ERROR]
)
def test_every_error_message_says_what_to_do(name: str) -> None:
    assert _WAY_FORWARD.search(render(_finding(SCENARIOS[name])))


# ---- amounts a person would type ------------------------------------------------------------------


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


# ---- overrides, ordering, JSON ------------------------------------------------------------------------

QUOTA = SCENARIOS["quota-exceeded-cpu"]


def test_override_formats_the_findings_facts() -> None:
    overrides = {
        "quota-exceeded": "Asked {requested} of {resource}; {used}/{hard} used in {quota} ({subject})."
    }
    assert (
        render(_finding(QUOTA), overrides) == "Asked 8 of requests.cpu; 26/32 used in compute (requests.cpu)."
    )


@pytest.mark.parametrize("template", ["{no_such_fact}", "{0}", "{requested:Z}", ""])
def test_broken_or_empty_override_falls_back_to_our_message(template: str) -> None:
    finding = _finding(QUOTA)
    assert render(finding, {"quota-exceeded": template}) == render(finding)


def test_override_for_another_code_is_not_used() -> None:
    finding = _finding(QUOTA)
    assert render(finding, {"quota-must-specify": "nope"}) == render(finding)


def test_verdict_lists_errors_first_then_the_admin_contact() -> None:
    warning = Finding(Code.PULL_SECRET_NOT_FOUND, Severity.WARNING, "r", {"name": "r", "namespace": "jhub"})
    error = _finding(QUOTA)
    v = Verdict.of([warning, error])
    assert ordered(v) == [error, warning]
    lines = render_verdict(v, admin_contact="Write to hub@example.org.")
    assert lines == [render(error), render(warning), "Write to hub@example.org."]
    assert headline(v) == "Your server cannot start:"


def test_no_admin_contact_line_when_nothing_is_wrong() -> None:
    assert render_verdict(Verdict(), admin_contact="Write to hub@example.org.") == []
    assert headline(Verdict()) == "Your server can start."


def test_finding_json_is_plain_json_with_code_severity_message_and_numbers() -> None:
    data = finding_json(_finding(QUOTA))
    assert json.loads(json.dumps(data)) == data
    assert (data["code"], data["severity"], data["subject"]) == ("quota-exceeded", "error", "requests.cpu")
    assert (data["requested"], data["used"], data["hard"], data["available"]) == (8, 26, 32, 6)
    assert data["message"] == render(_finding(QUOTA))


def test_fractional_facts_stay_exact_enough_in_json() -> None:
    v = verdict(
        pod(requests={"cpu": "500m"}),
        [quota({"requests.cpu": "1"}, {"requests.cpu": "750m"})],
        checks=["quota"],
    )
    data = finding_json(v.findings[0])
    assert (data["requested"], data["used"], data["available"]) == (0.5, 0.75, 0.25)


# ---- no empty slots: a message never prints a blank where a number should be ------------------------

_EMPTY_SLOT = re.compile(r"  |\(\)| [.,]|\bfor\s+right\b|\bis \.")


def test_a_gpu_typo_is_not_offered_cpu() -> None:
    message = render(_finding(SCENARIOS["input-invalid-gpu-resource-name"]))
    assert '"cpu"' not in message


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_message_has_no_empty_slots(name: str) -> None:
    message = render(_finding(SCENARIOS[name]))
    assert not _EMPTY_SLOT.search(message), message


_ONE_POD_NODE = [node(pods="1"), pod("bob", node_name="node-1", phase="Running")]
EDGE_CASES = {
    "insufficient-capacity-pod-count-full": lambda: verdict(
        pod(requests={"cpu": "1"}), _ONE_POD_NODE, checks=["capacity"]
    ),
    "insufficient-capacity-pod-requests-nothing": lambda: verdict(pod(), _ONE_POD_NODE, checks=["capacity"]),
    "no-node-fits-node-allows-no-pods": lambda: verdict(
        pod(requests={"cpu": "1"}), [node(pods="0")], checks=["capacity"]
    ),
    "no-node-fits-only-a-pool-could": lambda: verdict(
        pod(requests={"cpu": "1"}), [], settings=only("capacity", node_pools=(pool(),))
    ),
}


@pytest.mark.parametrize("name", list(EDGE_CASES))
def test_capacity_message_when_the_shortfall_is_not_a_resource(name: str) -> None:
    (finding,) = EDGE_CASES[name]().findings
    message = render(finding)
    assert not _EMPTY_SLOT.search(message), message
    assert "Choose at most 4 CPUs" not in message  # the pod asked for 1 CPU; room for pods is what lacks


def test_a_request_and_limit_over_one_quota_by_the_same_amount_read_as_one_sentence() -> None:
    from factories import base_objects, node, pod, quota, verdict

    from prevalidate.messages import sentences

    hard = {"requests.memory": "40Gi", "limits.memory": "40Gi"}
    used = {"requests.memory": "8Gi", "limits.memory": "8Gi"}
    the_pod = pod(requests={"memory": "64Gi"}, limits={"memory": "64Gi"})
    result = verdict(the_pod, [*base_objects(), node(memory="256Gi"), quota(hard, used)])
    assert [f.code.value for f in result.findings] == ["quota-exceeded", "quota-exceeded"]
    (line,) = sentences(result)
    assert "You asked for 64 GiB (memory guarantee and limit)" in line and "32 GiB left" in line
    # Different amounts are different problems: both are said.
    the_pod = pod(requests={"memory": "34Gi"}, limits={"memory": "64Gi"})
    assert len(sentences(verdict(the_pod, [*base_objects(), node(memory="256Gi"), quota(hard, used)]))) == 2
