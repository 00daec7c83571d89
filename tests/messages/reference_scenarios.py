"""Scenarios for findings about what the pod names: images, volume claims, secrets, config maps,
pull secrets and the service account."""

from __future__ import annotations

from typing import Any

from factories import (
    IMAGE,
    base_objects,
    configmap,
    container,
    node,
    only,
    pod,
    pvc,
    secret,
    storage_class,
    verdict,
)

from prevalidate.model.findings import Code
from prevalidate.model.image_facts import ImageFacts, ImageStatus, Platform

from .scenario import Scenario

BASE = base_objects()


def _facts(status: ImageStatus, **kwargs: Any) -> dict[str, ImageFacts]:
    return {IMAGE: ImageFacts(IMAGE, status, detail="HTTP 503", registry_host="quay.io", **kwargs)}


REFERENCE_SCENARIOS: dict[str, Scenario] = {
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
}
