"""JupyterHub/KubeSpawner integration: ``PrevalidatingKubeSpawner``, ``pre_spawn_hook`` and
``c.Prevalidator.*``. Importing this package imports JupyterHub and KubeSpawner (the ``hub``
extra); the facade ``prevalidate`` loads it only when one of these names is used."""

from __future__ import annotations

from .adminpage import admin_handlers
from .config import Prevalidator
from .errors import SpawnRejected
from .hook import pre_spawn_hook
from .spawner import PrevalidatingKubeSpawner

__all__ = ["PrevalidatingKubeSpawner", "Prevalidator", "SpawnRejected", "admin_handlers", "pre_spawn_hook"]
