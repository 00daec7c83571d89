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
first lines of the spawn progress page. What Kubernetes still refuses at create time (a quota
race, another admission webhook) is told in a sentence too (``refusals.TellRefusals``).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from typing import Any

from kubespawner import KubeSpawner

from ..messages import told
from ..messages.rejection import Rejection
from ..model.findings import Severity
from .backstop import SpawnWatch, arm
from .check import check_spawn, prevalidator_for, reject_options
from .errors import SpawnRejected, not_a_failure
from .fieldcheck import ensure_route
from .fields import PROFILE_FIELD, field_messages, find_profile
from .formmarks import form_marks
from .formrender import render_profile_form
from .logs import use_hub_log
from .podbuild import SHADOW_FLAG, options_problem
from .refusals import TellRefusals
from .service import service_for

# Tasks started from __init__, kept referenced until done (the event loop holds only weak ones).
_background: set[asyncio.Future[None]] = set()

# JupyterHub puts the form's error in <p class="spawn-error-msg"> as text; our messages have one
# finding per line, which HTML would run together.
_FORM_STYLE = "<style>.spawn-error-msg { white-space: pre-line; }</style>\n"


class PrevalidatingKubeSpawner(TellRefusals, KubeSpawner):
    """A KubeSpawner that validates every spawn first. Configure it with ``c.Prevalidator.*``."""

    _prevalidate_shadow = False
    _prevalidate_notes: list[str]
    # slug -> field -> sentences of the last rejected submit, shown once by the re-rendered form
    _prevalidate_field_errors: dict[str, dict[str, list[str]]] | None = None
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
        except SpawnRejected as rejected:
            # KubeSpawner's form pre-selects from user_options: the user gets back what they
            # typed (120, claim-alcie), not the defaults, next to the message.
            if not self.active:
                self.user_options = dict(options or {})
            self._prevalidate_field_errors = await self._field_errors(rejected, options or {})
            raise
        return options

    async def _field_errors(
        self, rejected: SpawnRejected, options: dict[str, Any]
    ) -> dict[str, dict[str, list[str]]]:
        """The rejection's sentences by the form field that produced them (our form only)."""
        if not self._profile_form_is_ours(callable_too=True):
            return {}
        try:
            profiles = await self._initialized_profiles()
        except Exception:  # the banner has the whole message anyway
            self.log.warning("prevalidate: no per-field messages (profile_list failed)", exc_info=True)
            return {}
        profile = find_profile(profiles, str(options.get("profile") or ""))
        if profile is None:
            return {}
        slug = str(profile.get("slug"))
        if rejected.verdict is None:  # options KubeSpawner cannot apply: the profile's
            return {slug: {PROFILE_FIELD: rejected.rejection.sentences()}}
        config = prevalidator_for(self)
        return {slug: field_messages(told(rejected.verdict, config.messages), profile)}

    async def _initialized_profiles(self) -> list[dict[str, Any]]:
        """The profile list as KubeSpawner's form shows it (a callable one evaluated now)."""
        profiles = self.profile_list
        if callable(profiles):
            result = profiles(self)
            profiles = await result if inspect.isawaitable(result) else result
        return list(self._get_initialized_profile_list(self._sorted_dict_values(profiles)))

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
        # Warnings, then the info notes (a lower-priority pod that will make way): both are
        # true of this spawn and explain a wait the user would otherwise not understand.
        told = Rejection.of(verdict, "", config.messages) if verdict else None
        self._prevalidate_notes = (
            [*told.sentences(Severity.WARNING), *told.sentences(Severity.INFO)] if told else []
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
        errors, self._prevalidate_field_errors = self._prevalidate_field_errors, None
        if not self._profile_form_is_ours(callable_too=True):
            form = await super().get_options_form()  # a custom options_form: the banner only
            return _FORM_STYLE + form if form else form
        profile_list = await self._initialized_profiles()
        if not profile_list:
            return ""
        config = prevalidator_for(self)
        marks, endpoint = None, ""
        if config.enabled and not config.dry_run:
            try:  # the form must render whatever happens here: without marks if need be
                marks = await form_marks(self, profile_list)
                endpoint = ensure_route()
            except Exception:
                self.log.warning("prevalidate: the spawn form's marks failed; shown without", exc_info=True)
        # Rendered on every view, not once as KubeSpawner does for a static profile_list: the
        # marks follow the cluster, and a rejected submit's choices are pre-selected.
        form = render_profile_form(
            self, profile_list, marks=marks, errors=errors, endpoint=endpoint, initialized=True
        )
        return _FORM_STYLE + form

    def _render_options_form(self, profile_list: list[dict[str, Any]]) -> str:
        return render_profile_form(self, profile_list)

    def _profile_form_is_ours(self, callable_too: bool = False) -> bool:
        """KubeSpawner's own form from a profile_list (static, or a callable with
        ``callable_too``), no options_form configured."""
        configured = any(
            "options_form" in self.config.get(section, {})
            for section in ("Spawner", "KubeSpawner", type(self).__name__)
        )
        return (
            not configured and bool(self.profile_list) and (callable_too or not callable(self.profile_list))
        )
