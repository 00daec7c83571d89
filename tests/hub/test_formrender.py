"""The cached profile form is byte-for-byte KubeSpawner's own form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kubespawner import KubeSpawner

from prevalidate.demo.profiles import profile_list


@pytest.mark.parametrize(
    "user_options",
    [
        {},
        {"profile": "custom", "profile-option-custom--cpu--unlisted-choice": "120"},
        {"profile": "no-such-profile"},  # invalid: both fall back to no pre-selection
    ],
)
async def test_the_cached_form_is_kubespawners_form(
    make_spawner: Callable[..., Any], user_options: dict[str, str]
) -> None:
    spawner = make_spawner({"KubeSpawner.profile_list": profile_list("127.0.0.1:5000")})
    spawner.user_options = user_options
    profiles = spawner._sorted_dict_values(spawner.profile_list)
    ours = spawner._render_options_form(profiles)
    theirs = KubeSpawner._render_options_form(spawner, profiles)
    if user_options.get("profile") == "no-such-profile":
        # KubeSpawner validates, then renders self.user_options anyway (a bug we do not copy).
        assert '"no-such-profile"' not in ours
        return
    assert ours == theirs
    assert spawner._render_options_form(profiles) == ours  # and again, from the cache
