"""``PrevalidatingKubeSpawner``: KubeSpawner that refuses a spawn Kubernetes would refuse or
leave Pending for good, before anything is created, with a message that says what would pass.

Two places, because spawns arrive two ways:
- the spawn form: ``run_options_from_form`` validates the options on a shadow spawner, so a
  bad choice re-renders the form with the message inline and a 4xx status, in milliseconds,
  and no spawn (no server record, no pod, no PVC) begins;
- everything else (the REST API, stored options, ``?profile=`` links, profile overrides):
  ``load_user_options`` — the first thing KubeSpawner's ``_start`` does, before it creates the
  namespace, the PVC or the pod — validates the fully applied spawner.
Warnings (an unverified image, an autoscaler that must add a node first) are shown as the
first lines of the spawn progress page.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from typing import Any

from kubespawner import KubeSpawner

from ..messages.rejection import Rejection
from ..model.findings import Severity
from .backstop import SpawnWatch, arm
from .check import check_spawn, prevalidator_for, reject_options
from .errors import SpawnRejected, not_a_failure
from .formrender import render_profile_form
from .logs import use_hub_log
from .podbuild import SHADOW_FLAG, options_problem
from .service import service_for

# Tasks started from __init__, kept referenced until done (the event loop holds only weak ones).
_background: set[asyncio.Future[None]] = set()

# JupyterHub puts the form's error in <p class="spawn-error-msg"> as text; our messages have one
# finding per line, which HTML would run together.
_FORM_STYLE = "<style>.spawn-error-msg { white-space: pre-line; }</style>\n"


class PrevalidatingKubeSpawner(KubeSpawner):
    """A KubeSpawner that validates every spawn first. Configure it with ``c.Prevalidator.*``."""

    _prevalidate_shadow = False
    _prevalidate_notes: list[str]
    _backstop: SpawnWatch | None = None
    _polling = 0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_hub_log()
        self._start_caches_soon()

    def _start_caches_soon(self) -> None:
        """JupyterHub builds the spawners of known users when it starts, and a user's spawner
        before their first spawn: start the cluster caches then, not on the first submit."""
        config = prevalidator_for(self)
        if not config.enabled:
            return
        try:
            service = service_for(self, config)  # needs the hub's running event loop
        except Exception:
            return  # no loop (a script building a spawner): the first validation starts them
        if not service.started:
            _background.add(task := asyncio.ensure_future(service.ensure_started()))
            task.add_done_callback(_background.discard)

    async def run_options_from_form(self, form_data: dict[str, list[str]]) -> Any:
        result = super().run_options_from_form(form_data)
        options = await result if inspect.isawaitable(result) else result
        try:
            await check_spawn(self, path="form", user_options=options or {})
        except SpawnRejected:
            # KubeSpawner's form pre-selects from user_options: the user gets back what they
            # typed (120, claim-alcie), not the defaults, next to the message.
            if not self.active:
                self.user_options = dict(options or {})
            raise
        return options

    async def load_user_options(self) -> None:
        if getattr(self, SHADOW_FLAG, False):
            await super().load_user_options()
            return
        config = prevalidator_for(self)
        try:
            try:
                await super().load_user_options()
            except Exception as exc:
                if not config.enabled:
                    raise
                # An unknown profile or a value of the wrong type: KubeSpawner's own error, but
                # as a 400 with a sentence instead of a 500 and a traceback.
                reject_options(self, "start", options_problem(exc))
                raise  # dry run: as without prevalidate
            verdict = await check_spawn(self, path="start")
        except SpawnRejected:
            not_a_failure(self)  # JupyterHub 5 would count it toward consecutive_failure_limit
            raise
        self._prevalidate_notes = (
            Rejection.of(verdict, "", config.messages).sentences(Severity.WARNING) if verdict else []
        )

    async def progress(self) -> AsyncIterator[dict[str, Any]]:
        for note in getattr(self, "_prevalidate_notes", []):
            yield {"progress": 1, "message": f"Note: {note}"}
        watch = self._backstop
        events = watch.progress(self._start_future) if watch is not None else super().progress()
        async for event in events:
            yield event

    # ---- the runtime backstop (hub/backstop.py) ---------------------------------------------

    def start(self) -> Any:
        # Armed for this start only: KubeSpawner's wait for the pod calls is_pod_running.
        self._backstop = None if getattr(self, SHADOW_FLAG, False) else arm(self)
        future = super().start()
        if self._backstop is not None and hasattr(future, "add_done_callback"):
            watch = self._backstop
            future.add_done_callback(lambda _f: setattr(watch, "armed", False))
        return future

    def is_pod_running(self, pod: Any) -> Any:
        watch = self._backstop
        if watch is None or not watch.armed or self._polling:
            return super().is_pod_running(pod)
        return watch.running()  # awaited by KubeSpawner's exponential_backoff

    async def poll(self) -> Any:
        self._polling += 1  # JupyterHub's poll (also in failure cleanup): KubeSpawner's answer
        try:
            return await super().poll()
        finally:
            self._polling -= 1

    async def get_options_form(self) -> str:
        if self._profile_form_is_ours() and self.user_options:
            # KubeSpawner renders a static profile_list once and keeps the string; render it
            # again so the choices of a rejected submit are pre-selected.
            form = self._render_options_form(self._sorted_dict_values(self.profile_list))
        else:
            form = await super().get_options_form()
        return _FORM_STYLE + form if form else form

    def _render_options_form(self, profile_list: list[dict[str, Any]]) -> str:
        return render_profile_form(self, profile_list)

    def _profile_form_is_ours(self) -> bool:
        """KubeSpawner's own form from a static profile_list, no options_form configured."""
        configured = any(
            "options_form" in self.config.get(section, {})
            for section in ("Spawner", "KubeSpawner", type(self).__name__)
        )
        return not configured and bool(self.profile_list) and not callable(self.profile_list)
