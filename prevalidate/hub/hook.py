"""``prevalidate.pre_spawn_hook``: the same validation for a stock KubeSpawner, in one line.

    c.Spawner.pre_spawn_hook = prevalidate.pre_spawn_hook

JupyterHub awaits the hook before ``spawner.start()``, so a rejection stops the spawn before
KubeSpawner creates the namespace, the PVC or the pod. The hook cannot reach into the form, so
the message appears on the spawn progress page (and in the REST API's 4xx answer) rather than
inline: use ``PrevalidatingKubeSpawner`` for inline form errors. A create Kubernetes refuses
anyway (a quota race, another admission webhook) is told in a sentence as well. Profile overrides are applied
on a shadow spawner, so the pod checked is the pod KubeSpawner will build.

To keep a hook of your own, call ours from it: ``await prevalidate.pre_spawn_hook(spawner)``.
"""

from __future__ import annotations

import logging
from typing import Any

from kubespawner import KubeSpawner

from .check import check_spawn
from .errors import SpawnRejected, not_a_failure
from .logs import use_hub_log
from .refusals import tell_refusals
from .spawner import PrevalidatingKubeSpawner

log = logging.getLogger("prevalidate")


async def pre_spawn_hook(spawner: Any) -> None:
    """Validate ``spawner``'s next pod; raises ``SpawnRejected`` when it cannot run."""
    use_hub_log()
    if not isinstance(spawner, KubeSpawner):
        log.warning(
            "prevalidate.pre_spawn_hook: %s is not a KubeSpawner; not checked", type(spawner).__name__
        )
        return
    if isinstance(spawner, PrevalidatingKubeSpawner):
        return  # it validates itself at start; checking twice would only cost time
    # What Kubernetes still refuses at create time (a quota race, a webhook) in a sentence too.
    tell_refusals(spawner)
    try:
        await check_spawn(spawner, path="hook", user_options=spawner.user_options or {})
    except SpawnRejected:
        not_a_failure(spawner)  # JupyterHub 5 would count it toward consecutive_failure_limit
        raise
