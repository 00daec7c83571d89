"""KubeSpawner instances outside a hub: a kubeconfig that points nowhere (nothing here talks to
an API server) and JupyterHub's mock user/hub objects."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from traitlets.config import Config

KUBECONFIG = """
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "http://127.0.0.1:9"}}]
users: [{name: none, user: {}}]
contexts: [{name: none, context: {cluster: none, user: none, namespace: jhub}}]
current-context: none
"""


@pytest.fixture(autouse=True)
def _kubeconfig(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    path = Path(tmp_path_factory.getbasetemp()) / "kubeconfig-nowhere"
    path.write_text(KUBECONFIG)
    # kubernetes_asyncio reads $KUBECONFIG when it is imported, which has happened by now.
    from kubernetes_asyncio.config import kube_config

    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(path))


@pytest.fixture(autouse=True)
def _whole_form_renders(monkeypatch: pytest.MonkeyPatch) -> None:
    """The spawn form checks choices for at most RENDER_BUDGET (30 ms) and finishes the rest in
    the background; on a loaded machine that moves checks out of the render these tests read.
    Here a render checks everything (the tests of the budget itself set their own)."""
    from prevalidate.hub import formmarks

    monkeypatch.setattr(formmarks, "RENDER_BUDGET", 60.0)


@pytest.fixture
def make_spawner() -> Callable[..., Any]:
    """``make_spawner(config_dict, user_options=...)`` -> a PrevalidatingKubeSpawner (mock user)."""
    from prevalidate.hub.spawner import PrevalidatingKubeSpawner

    def make(settings: dict[str, Any] | None = None, **kwargs: Any) -> Any:
        config = Config()
        for key, value in (settings or {}).items():
            section, name = key.split(".")
            config[section][name] = value
        config.KubeSpawner.namespace = "jhub"
        return PrevalidatingKubeSpawner(_mock=True, config=config, **kwargs)

    return make
