"""Images: reference syntax, registry policy, and what the registry said (``ImageFacts``).

Only what Kubernetes would also fail on is an error; anything the registry could not answer
for sure is a warning (fail open)."""

from __future__ import annotations

from typing import Any

import pytest
from factories import IMAGE, container, node, only, pairs, pod, pool, verdict

from prevalidate.model.image_facts import ImageFacts, ImageStatus, Platform


def _image(the_pod: Any, objects: Any = (), facts: Any = None, **settings: Any) -> list[tuple[str, str]]:
    return pairs(verdict(the_pod, objects, images=facts, settings=only("image", **settings)))


def image_pod(image: str, **kwargs: Any) -> Any:
    return pod(containers=[container(image=image)], **kwargs)


# ---- reference syntax and registry policy (offline) --------------------------------------------


@pytest.mark.parametrize(
    "image",
    [
        "quay.io/jupyter/scipy-notebook:2024-05-27",
        "jupyter/scipy-notebook",
        "python:3.12",
        "docker.io/library/python@sha256:" + "a" * 64,
        "registry.example.org:5000/team/notebook:v1",
    ],
)
def test_valid_reference_to_a_public_registry_passes_offline(image: str) -> None:
    assert _image(image_pod(image)) == []


@pytest.mark.parametrize(
    "image",
    [
        "quay.io/jupyter/Scipy-Notebook:2024-05-27",
        "quay.io/jupyter/scipy-notebook:2024 05 27",
        "jupyter/scipy-notebook:",
        "jupyter//scipy",
        "python@sha256:abc",
    ],
)
def test_invalid_reference_rejects(image: str) -> None:
    assert _image(image_pod(image)) == [("image-reference-invalid", "error")]


def test_every_invalid_image_of_every_container_is_reported() -> None:
    the_pod = pod(
        containers=[container(image="Bad:Tag"), container("side", image=IMAGE)],
        init_containers=[container("init", image="also bad")],
    )
    assert _image(the_pod) == [("image-reference-invalid", "error")] * 2


POLICY = [
    pytest.param(IMAGE, ("quay.io",), [], id="listed-registry"),
    pytest.param("jupyter/base-notebook", ("docker.io",), [], id="docker-hub-alias-listed"),
    pytest.param(
        "index.docker.io/jupyter/base-notebook", ("registry-1.docker.io",), [], id="hub-aliases-equal"
    ),
    pytest.param("10.0.0.5:5000/team/nb:1", ("10.0.0.5:5000",), [], id="listed-private-address"),
    pytest.param(
        "ghcr.io/org/nb:1", ("quay.io",), [("image-registry-not-allowed", "error")], id="not-on-allow-list"
    ),
    pytest.param(
        "quay.io:8443/org/nb:1",
        ("quay.io",),
        [("image-registry-not-allowed", "error")],
        id="allow-list-port-differs",
    ),
    pytest.param(
        "10.0.0.5:5000/team/nb:1",
        (),
        [("image-registry-not-allowed", "warning")],
        id="private-address-no-list-warns",
    ),
    pytest.param(
        "localhost:5000/nb:1", (), [("image-registry-not-allowed", "warning")], id="loopback-name-warns"
    ),
    pytest.param(
        "169.254.169.254/nb:1", (), [("image-registry-not-allowed", "warning")], id="metadata-address-warns"
    ),
]


@pytest.mark.parametrize(("image", "allowed", "expected"), POLICY)
def test_allow_list_is_policy_but_private_addresses_only_warn(
    image: str, allowed: Any, expected: Any
) -> None:
    assert _image(image_pod(image), allowed_registries=allowed) == expected


# ---- what the registry said ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(ImageStatus.EXISTS, [], id="exists"),
        pytest.param(ImageStatus.NOT_FOUND, [("image-not-found", "error")], id="not-found"),
        pytest.param(ImageStatus.ACCESS_DENIED, [("image-access-denied", "error")], id="access-denied"),
        pytest.param(
            ImageStatus.NOT_FOUND_OR_DENIED, [("image-access-denied", "warning")], id="not-found-or-denied"
        ),
        pytest.param(ImageStatus.UNVERIFIED, [("image-unverified", "warning")], id="unverified"),
        pytest.param(ImageStatus.NOT_ALLOWED, [("image-registry-not-allowed", "warning")], id="not-allowed"),
    ],
)
def test_registry_answers_map_to_findings(status: ImageStatus, expected: Any) -> None:
    facts = {IMAGE: ImageFacts(IMAGE, status, detail="HTTP 404", registry_host="quay.io")}
    v = verdict(pod(), [], images=facts, settings=only("image"))
    assert pairs(v) == expected
    assert v.allowed == all(severity != "error" for _, severity in expected)


def test_not_found_carries_the_suggested_tags() -> None:
    facts = {IMAGE: ImageFacts(IMAGE, ImageStatus.NOT_FOUND, suggestions=("2024-05-20", "latest"))}
    (finding,) = verdict(pod(), [], images=facts, settings=only("image")).findings
    assert finding.facts["suggestions"] == ["2024-05-20", "latest"]


def test_no_registry_answer_means_no_finding() -> None:
    other = {"other/image:1": ImageFacts("other/image:1", ImageStatus.NOT_FOUND)}
    assert _image(pod(), facts=other) == []


# ---- platform: only when every candidate node says what it runs ------------------------------------

AMD64 = Platform("linux", "amd64")
ARM64 = Platform("linux", "arm64")


def arch_node(name: str, arch: str | None, **kwargs: Any) -> Any:
    labels = {"kubernetes.io/os": "linux", "pool": "cpu", **({"kubernetes.io/arch": arch} if arch else {})}
    return node(name, labels=labels, **kwargs)


PLATFORMS = [
    pytest.param({AMD64, ARM64}, [arch_node("a", "amd64")], {}, [], id="index-has-node-arch"),
    pytest.param({ARM64}, [arch_node("a", "arm64")], {}, [], id="single-arch-matches"),
    pytest.param(
        {ARM64}, [arch_node("a", "amd64"), arch_node("b", None)], {}, [], id="unlabelled-node-fails-open"
    ),
    pytest.param(None, [arch_node("a", "amd64")], {}, [], id="platforms-unknown"),
    pytest.param(
        {ARM64}, [arch_node("a", "amd64"), arch_node("b", "arm64")], {}, [], id="some-candidate-matches"
    ),
    pytest.param(
        {ARM64},
        [arch_node("a", "amd64")],
        {"node_pools": (pool("arm", labels={"kubernetes.io/arch": "arm64"}),)},
        [],
        id="node-pool-runs-the-arch",
    ),
    pytest.param({ARM64}, [], {}, [], id="no-candidate-nodes"),
    pytest.param(
        {ARM64},
        [arch_node("a", "amd64")],
        {},
        [("image-platform-unsupported", "error")],
        id="no-node-runs-the-arch",
    ),
    pytest.param(
        {ARM64},
        [arch_node("a", "amd64"), arch_node("b", "arm64", unschedulable=True)],
        {},
        [("image-platform-unsupported", "error")],
        id="only-a-cordoned-node-runs-the-arch",
    ),
]


@pytest.mark.parametrize(("platforms", "objects", "settings", "expected"), PLATFORMS)
def test_platform_mismatch_only_when_candidate_nodes_are_labelled(
    platforms: Any, objects: Any, settings: Any, expected: Any
) -> None:
    facts = {
        IMAGE: ImageFacts(IMAGE, ImageStatus.EXISTS, platforms=frozenset(platforms) if platforms else None)
    }
    assert _image(pod(), objects, facts, **settings) == expected


def test_platform_uses_the_nodes_the_pod_can_land_on() -> None:
    objects = [arch_node("a", "amd64"), node("b", labels={"kubernetes.io/arch": "arm64", "pool": "gpu"})]
    facts = {IMAGE: ImageFacts(IMAGE, ImageStatus.EXISTS, platforms=frozenset({ARM64}))}
    assert _image(pod(nodeSelector={"pool": "gpu"}), objects, facts) == []
    assert _image(pod(nodeSelector={"pool": "cpu"}), objects, facts) == [
        ("image-platform-unsupported", "error")
    ]
