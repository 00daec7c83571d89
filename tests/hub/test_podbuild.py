"""The pod we check is the pod KubeSpawner builds: profile overrides applied on a shadow, the
live spawner untouched, the home PVC and user namespaces accounted for."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from prevalidate.hub.podbuild import OptionsError, build_plan, make_shadow
from prevalidate.model.cluster import ClusterView
from prevalidate.validators.quota import new_claims

PROFILES = [
    {"display_name": "Small", "slug": "small", "default": True},
    {
        "display_name": "Big",
        "slug": "big",
        "kubespawner_override": {"cpu_guarantee": 8, "extra_labels": {"size": "big"}},
    },
    {
        "display_name": "Custom",
        "slug": "custom",
        "profile_options": {
            "cpu": {
                "display_name": "CPUs",
                "unlisted_choice": {
                    "enabled": True,
                    "kubespawner_override": {
                        "extra_container_config": {"resources": {"requests": {"cpu": "{value}"}}}
                    },
                },
            }
        },
    },
]


def container(plan: Any) -> dict[str, Any]:
    return plan.pod["spec"]["containers"][0]


async def test_profile_overrides_land_in_the_shadow_pod_and_not_in_the_spawner(
    make_spawner: Callable[..., Any],
) -> None:
    spawner = make_spawner({"KubeSpawner.profile_list": PROFILES, "KubeSpawner.cpu_guarantee": 0.5})
    plan = await build_plan(make_shadow(spawner, {"profile": "big"}), apply_options=True)
    assert container(plan)["resources"]["requests"]["cpu"] == 8
    assert plan.pod["metadata"]["labels"]["size"] == "big"
    assert plan.pod["metadata"]["namespace"] == "jhub"
    assert spawner.cpu_guarantee == 0.5 and "size" not in spawner.extra_labels


async def test_free_text_options_are_formatted_into_the_pod(make_spawner: Callable[..., Any]) -> None:
    spawner = make_spawner({"KubeSpawner.profile_list": PROFILES})
    options = {"profile": "custom", "cpu--unlisted-choice": "120"}
    plan = await build_plan(make_shadow(spawner, options), apply_options=True)
    assert container(plan)["resources"]["requests"]["cpu"] == "120"
    assert spawner.extra_container_config == {}


@pytest.mark.parametrize(
    "options, words",
    [
        ({"profile": "nope"}, "No such profile: nope"),
        ({"profile": "small", "cpu--unlisted-choice": "x"}, None),  # ignored by KubeSpawner: fine
    ],
)
async def test_options_kubespawner_cannot_apply_are_an_options_error(
    make_spawner: Callable[..., Any], options: dict[str, str], words: str | None
) -> None:
    spawner = make_spawner({"KubeSpawner.profile_list": PROFILES})
    if words is None:
        await build_plan(make_shadow(spawner, options), apply_options=True)
        return
    with pytest.raises(OptionsError, match=words):
        await build_plan(make_shadow(spawner, options), apply_options=True)


async def test_a_value_of_the_wrong_type_is_an_options_error(make_spawner: Callable[..., Any]) -> None:
    profiles = [{"display_name": "Odd", "slug": "odd", "kubespawner_override": {"cpu_guarantee": "lots"}}]
    spawner = make_spawner({"KubeSpawner.profile_list": profiles})
    with pytest.raises(OptionsError, match="cpu_guarantee"):
        await build_plan(make_shadow(spawner, {"profile": "odd"}), apply_options=True)


async def test_the_home_pvc_counts_only_when_kubespawner_will_create_it(
    make_spawner: Callable[..., Any],
) -> None:
    spawner = make_spawner({"KubeSpawner.storage_pvc_ensure": True, "KubeSpawner.storage_capacity": "10Gi"})
    plan = await build_plan(make_shadow(spawner, {}), apply_options=True)
    assert plan.pvc is not None
    name = plan.pvc["metadata"]["name"]
    view = ClusterView()
    (claim,) = new_claims(plan.request, view)
    assert claim.name == name and claim.namespace == "jhub" and claim.storage_request == 10 * 2**30
    view.apply({"kind": "PersistentVolumeClaim", "metadata": {"name": name, "namespace": "jhub"}})
    assert new_claims(plan.request, view) == ()  # exists: KubeSpawner gets a 409 and reuses it
    assert new_claims(plan.request, ClusterView(known=())) == ()  # PVCs unknown: never added to a quota sum


async def test_user_namespaces_mean_the_namespace_is_created(make_spawner: Callable[..., Any]) -> None:
    spawner = make_spawner({"KubeSpawner.enable_user_namespaces": True})
    plan = await build_plan(make_shadow(spawner, {}), apply_options=True)
    assert plan.creates_namespace and plan.namespace != "jhub" and "mock" in plan.namespace
    assert plan.pod["metadata"]["namespace"] == plan.namespace
