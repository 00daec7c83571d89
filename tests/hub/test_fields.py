"""A finding belongs to the profile option whose kubespawner_override sets what it is about,
whichever KubeSpawner trait the admin used for it; to the profile when no option sets it."""

from __future__ import annotations

from decimal import Decimal

from prevalidate.hub.fields import PROFILE_FIELD, field_messages, fields_of, override_concerns
from prevalidate.model.findings import Code, Finding, Severity

PROFILE = {
    "slug": "custom",
    "profile_options": {
        "size": {  # one option setting CPU and memory through the classic traits
            "choices": {
                "s": {"kubespawner_override": {"cpu_guarantee": 1, "mem_limit": "2G"}},
                "l": {"kubespawner_override": {"cpu_guarantee": 8, "mem_limit": "32G"}},
            }
        },
        "gpu": {
            "choices": {"one": {"kubespawner_override": {"extra_resource_limits": {"nvidia.com/gpu": "1"}}}}
        },
        "env": {  # only free text, through extra_container_config
            "choices": {},
            "unlisted_choice": {
                "enabled": True,
                "kubespawner_override": {"extra_container_config": {"image": "{value}"}},
            },
        },
        "home": {"choices": {"mine": {"kubespawner_override": {"volumes": [], "volume_mounts": []}}}},
        "labels": {"choices": {"x": {"kubespawner_override": {"extra_labels": {"a": "b"}}}}},
    },
}


def quota(resource: str) -> Finding:
    facts = {
        "resource": resource,
        "quota": "q",
        "used": Decimal(0),
        "hard": Decimal(1),
        "available": Decimal(1),
        "requested": Decimal(2),
    }
    return Finding(Code.QUOTA_EXCEEDED, Severity.ERROR, resource, facts)


def test_each_trait_maps_to_what_it_sets() -> None:
    assert override_concerns({"cpu_limit": 2, "mem_guarantee": "1G"}) == {"cpu", "memory"}
    assert override_concerns({"extra_container_config": {"resources": {"requests": {"cpu": "1"}}}}) == {"cpu"}
    assert override_concerns({"image": "x", "storage_capacity": "10Gi"}) == {"image", "storage"}
    assert override_concerns({"node_selector": {"pool": "gpu"}}) == set()
    assert override_concerns("not a dict") == set()


def test_findings_go_to_the_option_that_set_them_or_to_the_profile() -> None:
    assert fields_of(quota("requests.cpu"), PROFILE) == ["size"]
    assert fields_of(quota("limits.memory"), PROFILE) == ["size"]
    assert fields_of(quota("requests.nvidia.com/gpu"), PROFILE) == ["gpu"]
    assert fields_of(quota("requests.storage"), PROFILE) == ["home"]
    assert fields_of(quota("pods"), PROFILE) == [PROFILE_FIELD]
    missing = Finding(Code.IMAGE_NOT_FOUND, Severity.ERROR, "x", {"image": "x"})
    assert fields_of(missing, PROFILE) == ["env"]  # set by the free-text field only
    assert fields_of(missing, {"slug": "plain"}) == [PROFILE_FIELD]  # a profile without options


def test_only_blocking_findings_are_put_next_to_fields() -> None:
    warning = Finding(Code.IMAGE_UNVERIFIED, Severity.WARNING, "x", {"image": "x"})
    told = [
        (quota("requests.cpu"), "too many CPUs"),
        (warning, "could not check"),
        (quota("cpu"), "too many CPUs"),
    ]
    assert field_messages(told, PROFILE) == {"size": ["too many CPUs"]}
