"""Which field of KubeSpawner's profile form produced a finding.

Pure, no I/O here (KubeSpawner's configuration shapes only). A finding says what it is about
(``messages.marks.concerns``: ``cpu``, ``memory``, a GPU resource, ``image``, ``storage`` or
``placement``); a profile option says what it sets, through the ``kubespawner_override`` of
its choices and of its free-text ``unlisted_choice``. A finding belongs to every option that
sets what it is about, and to the profile itself when no option does (a GPU profile whose
node selector no node matches, a quota of servers).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..messages.marks import IMAGE, PLACEMENT, STORAGE, concerns
from ..model.findings import Finding

PROFILE_FIELD = "profile"  # the key of what belongs to the profile as a whole

_RESOURCE_TRAITS = {
    "cpu_guarantee": "cpu",
    "cpu_limit": "cpu",
    "mem_guarantee": "memory",
    "mem_limit": "memory",
}
_STORAGE_TRAITS = {
    "volumes",
    "volume_mounts",
    "storage_class",
    "storage_capacity",
    "storage_access_modes",
    "storage_selector",
    "storage_pvc_ensure",
    "pvc_name_template",
}


def _resource_names(resources: Any) -> set[str]:
    """The resources a container ``resources`` block (requests/limits) names."""
    names: set[str] = set()
    if isinstance(resources, Mapping):
        for side in ("requests", "limits"):
            values = resources.get(side)
            if isinstance(values, Mapping):
                names.update(str(k) for k in values)
    return names


def override_concerns(override: Any) -> frozenset[str]:
    """What a ``kubespawner_override`` sets, in ``concerns``' vocabulary."""
    found: set[str] = set()
    if not isinstance(override, Mapping):
        return frozenset()
    for key, value in override.items():
        if key == "image":
            found.add(IMAGE)
        elif key in _RESOURCE_TRAITS:
            found.add(_RESOURCE_TRAITS[key])
        elif key in ("extra_resource_guarantees", "extra_resource_limits") and isinstance(value, Mapping):
            found.update(str(k) for k in value)
        elif key == "extra_container_config" and isinstance(value, Mapping):
            found.update(_resource_names(value.get("resources")))
            if "image" in value:
                found.add(IMAGE)
            if "volumeMounts" in value:
                found.add(STORAGE)
        elif key in _STORAGE_TRAITS:
            found.add(STORAGE)
    return frozenset(found)


def option_concerns(option: Mapping[str, Any]) -> frozenset[str]:
    """What a profile option can set: the union over its choices and its free-text field."""
    found: set[str] = set()
    choices = option.get("choices")
    if isinstance(choices, Mapping):
        for choice in choices.values():
            if isinstance(choice, Mapping):
                found |= override_concerns(choice.get("kubespawner_override"))
    unlisted = option.get("unlisted_choice")
    if isinstance(unlisted, Mapping) and unlisted.get("enabled"):
        found |= override_concerns(unlisted.get("kubespawner_override"))
    return frozenset(found)


def fields_of(finding: Finding, profile: Mapping[str, Any] | None) -> list[str]:
    """The option keys of ``profile`` that produced ``finding``, or ``[PROFILE_FIELD]``."""
    about = concerns(finding)
    options = (profile or {}).get("profile_options")
    keys = []
    if isinstance(options, Mapping) and about != {PLACEMENT}:
        keys = [
            str(k)
            for k, option in options.items()
            if isinstance(option, Mapping) and about & option_concerns(option)
        ]
    return keys or [PROFILE_FIELD]


def field_messages(
    told: Iterable[tuple[Finding, str]], profile: Mapping[str, Any] | None
) -> dict[str, list[str]]:
    """Sentences of blocking findings grouped by the field that produced them."""
    grouped: dict[str, list[str]] = {}
    for finding, sentence in told:
        if not finding.blocks:
            continue
        for key in fields_of(finding, profile):
            grouped.setdefault(key, [])
            if sentence not in grouped[key]:
                grouped[key].append(sentence)
    return grouped


def find_profile(profile_list: Iterable[Mapping[str, Any]], slug: str | None) -> Mapping[str, Any] | None:
    """The profile ``slug`` names (the default one for no slug), from an initialized list."""
    profiles = list(profile_list)
    for profile in profiles:
        if (slug and profile.get("slug") == slug) or (not slug and profile.get("default")):
            return profile
    return None


__all__ = [
    "PROFILE_FIELD",
    "field_messages",
    "fields_of",
    "find_profile",
    "option_concerns",
    "override_concerns",
]
