"""Messages that help (issue 9, family 7): each sentence tells the person who can act what to do.

Every finding here comes from the real validators over a small cluster, so these tests also
prove that a validator records the facts its message needs (which container, which nodes were
excluded and why, whether anything is left at all).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from factories import (
    container,
    limit_item,
    limitrange,
    new_claim,
    node,
    only,
    pod,
    quota,
    taint,
    verdict,
)

from prevalidate.messages import render
from prevalidate.model.admission import AdmissionConfig
from prevalidate.model.findings import Verdict

GPU = "nvidia.com/gpu"
# z2jh's singleuser.networkTools init container (the "block-cloud-metadata" iptables rule), as
# KubeSpawner puts it into every user pod from c.KubeSpawner.init_containers.
NETWORK_TOOLS = container(
    "block-cloud-metadata",
    image="quay.io/jupyterhub/k8s-network-tools:4.0.0",
    command=["iptables", "--append", "OUTPUT", "--destination", "169.254.169.254", "--jump", "DROP"],
)


def _message(v: Verdict, code: str) -> str:
    (finding,) = [f for f in v.findings if f.code.value == code]
    return render(finding)


# ---- a GPU request without a limit: say "add a limit equal to the request" --------------------


def test_gpu_request_without_limit_says_add_a_limit_equal_to_the_request() -> None:
    """pkg/apis/core/validation ValidateResourceRequirements: an extended resource cannot be
    overcommitted, so a request needs a limit (`Limit must be set for non overcommitable
    resources`) equal to it (`must be equal to ... limit`)."""
    message = _message(verdict(pod(requests={GPU: "2"}), checks=["quota"]), "input-invalid")
    assert "Add a limit of 2 nvidia.com/gpu (equal to the request)" in message
    assert "container notebook" in message
    assert "Use a number" not in message  # the number was fine


def test_gpu_request_and_a_different_limit_says_make_them_equal() -> None:
    message = _message(
        verdict(pod(requests={GPU: "1"}, limits={GPU: "2"}), checks=["quota"]), "input-invalid"
    )
    assert "1 nvidia.com/gpu" in message and "2 nvidia.com/gpu" in message
    assert "Set the limit and the request to the same number" in message


def test_hugepages_without_limit_get_the_same_advice() -> None:
    message = _message(
        verdict(pod(requests={"hugepages-2Mi": "64Mi", "memory": "1Gi"}), checks=["quota"]), "input-invalid"
    )
    assert "Add a limit of 64 MiB" in message


@pytest.mark.parametrize(
    "resources",
    [
        pytest.param({"limits": {GPU: "1"}}, id="limit-only-request-copied"),
        pytest.param({"requests": {GPU: "1"}, "limits": {GPU: "1"}}, id="request-equal-to-limit"),
    ],
)
def test_gpu_with_a_limit_is_not_input_invalid(resources: dict[str, dict[str, str]]) -> None:
    assert verdict(pod(**resources), checks=["quota"]).findings == ()


# ---- quota-must-specify: who must set the resources -----------------------------------------------


def test_must_specify_for_an_admin_init_container_says_the_administrator_must_set_it() -> None:
    """plugin/pkg/admission/resourcequota via pods.go podComputeUsageHelper/enforcePodContainerConstraints:
    every container, init containers included, must set what the quota tracks."""
    the_pod = pod(limits={"cpu": "1"}, init_containers=[NETWORK_TOOLS])
    v = verdict(the_pod, [quota({"limits.cpu": "20"})], checks=["quota"])
    message = _message(v, "quota-must-specify")
    assert "init container block-cloud-metadata" in message
    assert "Your administrator must set its cpu limit" in message
    assert "Set a cpu limit for your server" not in message
    (finding,) = v.findings
    assert finding.facts["admin_containers"] == {"block-cloud-metadata": "init container"}
    assert finding.facts["user_container"] == ""


def test_must_specify_for_extra_containers_names_them_for_the_administrator() -> None:
    """KubeSpawner's extra_containers are appended after the "notebook" container."""
    the_pod = pod(
        containers=[container("notebook", limits={"cpu": "1"}), container("proxy"), container("log")]
    )
    message = _message(
        verdict(the_pod, [quota({"limits.cpu": "20"})], checks=["quota"]), "quota-must-specify"
    )
    assert "containers log, proxy" in message and "Your administrator must set their cpu limit" in message


def test_must_specify_for_both_tells_each_their_part() -> None:
    the_pod = pod(init_containers=[NETWORK_TOOLS])
    message = _message(
        verdict(the_pod, [quota({"limits.cpu": "20"})], checks=["quota"]), "quota-must-specify"
    )
    assert "Set a cpu limit for your server" in message
    assert "your administrator must also set one for init container block-cloud-metadata" in message


def test_must_specify_for_the_users_own_container_only_asks_the_user() -> None:
    the_pod = pod(limits={"memory": "1Gi"}, init_containers=[container("init", limits={"cpu": "1"})])
    message = _message(
        verdict(the_pod, [quota({"limits.cpu": "20"})], checks=["quota"]), "quota-must-specify"
    )
    assert message.endswith("Set a cpu limit for your server.")
    assert "administrator" not in message


def test_a_pod_not_from_kubespawner_treats_its_first_container_as_the_users() -> None:
    the_pod = pod(containers=[container("app"), container("sidecar", limits={"cpu": "1"})])
    v = verdict(the_pod, [quota({"limits.cpu": "20"})], checks=["quota"])
    (finding,) = v.findings
    assert (finding.facts["user_container"], finding.facts["admin_containers"]) == ("app", {})


# ---- a node a taint or selector excludes is not "too small" -------------------------------------


def test_a_bigger_node_excluded_by_a_taint_is_named_with_its_taint() -> None:
    objects = [node("small"), node("big", cpu="64", taints=[taint("dedicated", "ml")])]
    message = _message(verdict(pod(requests={"cpu": "32"}), objects, checks=["capacity"]), "no-node-fits")
    assert "The largest node your server can run on has 4 CPUs" in message
    assert "1 node has enough, but your server cannot run there" in message
    assert "untolerated taint {dedicated: ml}" in message


def test_gpu_node_excluded_by_its_taint_is_not_a_size_problem() -> None:
    """The GPU node's taint keeps the pod off (TaintToleration); the other nodes have no GPU at all.
    (With ExtendedResourceToleration, not assumed off here, the apiserver would tolerate it.)"""
    objects = [node("cpu"), node("gpu", extra={GPU: "4"}, taints=[taint(GPU, "present")])]
    ert_off = only("capacity", admission=AdmissionConfig.parse({"ExtendedResourceToleration": "off"}))
    message = _message(verdict(pod(limits={GPU: "1"}), objects, settings=ert_off), "no-node-fits")
    assert "untolerated taint {nvidia.com/gpu: present}" in message
    assert "at most 0" not in message and "largest node" not in message


def test_gpu_node_excluded_by_the_node_selector_says_so() -> None:
    objects = [node("cpu", labels={"pool": "cpu"}), node("gpu", extra={GPU: "4"})]
    v = verdict(pod(limits={GPU: "1"}, nodeSelector={"pool": "cpu"}), objects, checks=["capacity"])
    message = _message(v, "no-node-fits")
    assert "didn't match Pod's node affinity/selector" in message and "at most 0" not in message


def test_a_cordoned_big_node_asks_to_wait_not_to_choose_a_profile() -> None:
    objects = [node("small"), node("big", cpu="64", unschedulable=True)]
    message = _message(verdict(pod(requests={"cpu": "32"}), objects, checks=["capacity"]), "no-node-fits")
    assert "(cordoned). Try again later" in message


def test_excluded_nodes_too_small_themselves_are_not_mentioned() -> None:
    objects = [node("small"), node("tainted", cpu="8", taints=[taint("dedicated", "ml")])]
    message = _message(verdict(pod(requests={"cpu": "32"}), objects, checks=["capacity"]), "no-node-fits")
    assert "cannot run there" not in message


# ---- never "Choose at most 0": say that there is none ---------------------------------------------

_GPU_NODE_IN_USE = [
    node("gpu", extra={GPU: "1"}),
    pod("bob", limits={GPU: "1"}, node_name="gpu", phase="Running"),
]
ZERO_CASES: dict[str, tuple[Callable[[], Verdict], str, str]] = {
    "no-node-has-the-resource": (
        lambda: verdict(pod(limits={GPU: "1"}), [node("cpu")], checks=["capacity"]),
        "no-node-fits",
        "no node your server can run on has any nvidia.com/gpu",
    ),
    "every-gpu-in-use": (
        lambda: verdict(pod(limits={GPU: "1"}), _GPU_NODE_IN_USE, checks=["capacity"]),
        "insufficient-capacity",
        "has all its nvidia.com/gpu in use. Try again later",
    ),
    "every-cpu-in-use": (
        lambda: verdict(
            pod(requests={"cpu": "1"}),
            [node(), pod("bob", requests={"cpu": "4"}, node_name="node-1", phase="Running")],
            checks=["capacity"],
        ),
        "insufficient-capacity",
        "has all its CPU in use",
    ),
    "quota-has-none-left": (
        lambda: verdict(
            pod(requests={"cpu": "2"}),
            [quota({"requests.cpu": "8"}, {"requests.cpu": "8"})],
            checks=["quota"],
        ),
        "quota-exceeded",
        "has none left (8 of 8 in use)",
    ),
    "quota-allows-no-gpu": (
        lambda: verdict(
            pod(limits={GPU: "1"}),
            [quota({f"requests.{GPU}": "0"}, {f"requests.{GPU}": "0"})],
            checks=["quota"],
        ),
        "quota-exceeded",
        "allows no nvidia.com/gpu at all",
    ),
    "limitrange-max-0": (
        lambda: verdict(
            pod(limits={GPU: "1"}), [limitrange(limit_item(max={GPU: "0"}))], checks=["limitrange"]
        ),
        "limitrange-violation",
        "sets its maximum to 0",
    ),
    "limitrange-pod-max-0-no-limit-set": (
        lambda: verdict(pod(), [limitrange(limit_item("Pod", max={GPU: "0"}))], checks=["limitrange"]),
        "limitrange-violation",
        "limit of 0 for your server as a whole",
    ),
    "limit-0-below-the-request": (
        lambda: verdict(pod(requests={"cpu": "1"}, limits={"cpu": "0"}), checks=["quota"]),
        "input-invalid",
        "Raise the limit to at least 1 CPU",
    ),
}


@pytest.mark.parametrize("name", list(ZERO_CASES))
def test_never_choose_at_most_zero(name: str) -> None:
    make, code, says = ZERO_CASES[name]
    message = _message(make(), code)
    assert not re.search(r"at most 0\b", message), message
    assert says in message, message


# ---- a pods: 0 quota does not suggest stopping a server ---------------------------------------------


def test_pods_zero_quota_says_the_namespace_allows_no_servers() -> None:
    message = _message(
        verdict(pod(), [quota({"pods": "0"}, {"pods": "0"})], checks=["quota"]), "quota-exceeded"
    )
    assert "allows no servers (pods)" in message and "Stop a server" not in message


def test_count_pods_zero_quota_likewise() -> None:
    v = verdict(pod(), [quota({"count/pods": "0"}, {"count/pods": "0"})], checks=["quota"])
    assert "Stop a server" not in _message(v, "quota-exceeded")


def test_a_full_pods_quota_still_suggests_stopping_a_server() -> None:
    message = _message(
        verdict(pod(), [quota({"pods": "3"}, {"pods": "3"})], checks=["quota"]), "quota-exceeded"
    )
    assert "Stop a server you no longer need" in message


def test_a_full_claims_quota_does_not_suggest_stopping_a_server() -> None:
    """A stopped KubeSpawner server keeps its PVC (it is deleted only with the user), so
    stopping frees no claim."""
    v = verdict(
        pod(),
        [quota({"persistentvolumeclaims": "3"}, {"persistentvolumeclaims": "3"})],
        checks=["quota"],
        new_claims=(new_claim(),),
    )
    message = _message(v, "quota-exceeded")
    assert "Stop a server" not in message
    assert "already has 3 of the 3 volume claims" in message and "delete volume claims" in message
