"""The deployment examples are valid: the YAML parses, the hub configuration runs, and every
c.Prevalidator trait it sets exists with a valid value (a typo would stop a real hub)."""

from __future__ import annotations

from pathlib import Path

import yaml
from traitlets.config import Config

from prevalidate.hub.config import Prevalidator

DEPLOY = Path(__file__).parent.parent / "deploy"


def run_config(source: str) -> Config:
    config = Config()
    exec(compile(source, "config", "exec"), {"get_config": lambda: config, "c": config})
    return config


def check(config: Config) -> Prevalidator:
    assert config.JupyterHub.spawner_class == "prevalidate.PrevalidatingKubeSpawner"
    unknown = set(config.Prevalidator) - set(Prevalidator.class_trait_names(config=True))
    assert not unknown, unknown
    return Prevalidator(config=config)  # validates every value


def test_the_z2jh_values_turn_prevalidate_on_with_valid_settings() -> None:
    values = yaml.safe_load((DEPLOY / "z2jh-values.yaml").read_text())
    prevalidator = check(run_config(values["hub"]["extraConfig"]["prevalidate"]))
    assert prevalidator.dry_run and prevalidator.settings().node_pools[0].name == "user-pool-large"


def test_the_jupyterhub_config_example_is_valid() -> None:
    prevalidator = check(run_config((DEPLOY / "jupyterhub_config.py").read_text()))
    assert "image-not-found" in prevalidator.messages
