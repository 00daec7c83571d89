"""user_options as JupyterHub's REST API hands them over (``POST /users/:name/server`` with any
JSON object: any value per key), through what the hub does with them: KubeSpawner's own
``load_user_options`` on a shadow spawner (``hub.podbuild``), the pod it builds, the service's
verdict and its messages.

The outcome must be a 400 sentence (``OptionsError``: one line, bounded, not the value echoed
whole) or a pod that is checked. A pod KubeSpawner cannot build from options it accepted is
counted (``unbuildable``): the hub then lets the spawn proceed unchecked, as it must.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from typing import Any

from hypothesis import strategies as st

from .families import Tally, bounded, check_verdict, close_loop
from .hostile import json_values, texts

KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: none, user: {}}]
contexts: [{name: none, context: {cluster: none, user: none, namespace: default}}]
current-context: none
"""
PROFILES = [
    {"display_name": "Small", "slug": "small", "default": True},
    {
        "display_name": "Big",
        "slug": "big",
        "kubespawner_override": {"cpu_guarantee": 2, "extra_labels": {"size": "big"}},
    },
    {
        "display_name": "Custom",
        "slug": "custom",
        "profile_options": {
            "image": {
                "display_name": "Image",
                "choices": {
                    "base": {
                        "display_name": "Base",
                        "default": True,
                        "kubespawner_override": {"image": "python:3.11"},
                    },
                    "r": {"display_name": "R", "kubespawner_override": {"image": "rocker/r-ver:4"}},
                },
                "unlisted_choice": {"enabled": True, "kubespawner_override": {"image": "{value}"}},
            },
            "cpu": {
                "display_name": "CPUs",
                "choices": {"one": {"display_name": "1", "kubespawner_override": {"cpu_guarantee": 1}}},
                "unlisted_choice": {
                    "enabled": True,
                    "kubespawner_override": {
                        "extra_container_config": {"resources": {"requests": {"cpu": "{value}"}}}
                    },
                },
            },
        },
    },
]
_KEYS = st.sampled_from(
    (
        "profile",
        "image",
        "cpu",
        "image--unlisted-choice",
        "cpu--unlisted-choice",
        "profile-option-custom--image",
    )
)
_VALUES = st.one_of(
    st.sampled_from(("small", "big", "custom", "base", "r", "one", "python:3.12", "8", "")), json_values()
)
OPTIONS = st.one_of(
    st.dictionaries(st.one_of(_KEYS, texts()), _VALUES, max_size=5),
    st.fixed_dictionaries(
        {"profile": st.just("custom")},
        optional={k: _VALUES for k in ("image", "cpu", "image--unlisted-choice", "cpu--unlisted-choice")},
    ),
)


def _point_kubernetes_nowhere() -> None:
    """KubeSpawner builds an API client when constructed; nothing here talks to it."""
    with tempfile.NamedTemporaryFile("w", suffix=".kubeconfig", delete=False) as handle:
        handle.write(KUBECONFIG)
    os.environ["KUBECONFIG"] = handle.name
    from kubernetes_asyncio.config import kube_config

    kube_config.KUBE_CONFIG_DEFAULT_LOCATION = handle.name


class OptionsFuzz:
    """One spawner (profiles with free-text choices) and a service over a small cluster."""

    def __init__(self) -> None:
        _point_kubernetes_nowhere()
        from traitlets.config import Config

        from ...hub.spawner import PrevalidatingKubeSpawner
        from ...model.settings import Settings
        from ...service import FixedView, ValidationService
        from .families import SCALAR_VIEW

        config = Config()
        config.KubeSpawner.namespace = "default"
        config.KubeSpawner.profile_list = PROFILES
        self.loop = asyncio.new_event_loop()

        async def make() -> Any:  # KubeSpawner's shared API client is bound to a running loop
            return PrevalidatingKubeSpawner(_mock=True, config=config)

        self.spawner = self.loop.run_until_complete(make())
        self.service = ValidationService(
            Settings(offline=True, admin_contact="admins"), FixedView(SCALAR_VIEW)
        )

    def close(self) -> None:
        close_loop(self.loop)

    async def _case(self, options: Any, tally: Tally) -> None:
        from ...hub.podbuild import OptionsError, build_plan, make_shadow

        try:
            plan = await build_plan(make_shadow(self.spawner, options), apply_options=True)
        except OptionsError as exc:
            tally.outcomes["400"] += 1
            sentence = str(exc)
            if not sentence or "\n" in sentence:
                tally.fail("wrong", "an options error that is not one line", repr(sentence)[:300])
            bounded(sentence, tally, "options error", 600)
            return
        except Exception as exc:  # check_spawn lets such a spawn proceed unchecked
            tally.outcomes["unbuildable"] += 1
            tally.outcomes[f"unbuildable {type(exc).__name__}"] += 1
            return
        verdict = await self.service.validate(plan.request, path="fuzz", observe=False)
        tally.outcomes["allowed" if verdict.allowed else "rejected"] += 1
        check_verdict(verdict, tally, "options pod")

    def check(self, options: Any, tally: Tally) -> None:
        self.loop.run_until_complete(self._case(options, tally))


__all__ = ["OPTIONS", "OptionsFuzz"]
