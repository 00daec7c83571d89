"""The as-you-type check: ``POST /hub/api/prevalidate/check`` takes the spawn form as it would
be posted and answers ``{field: sentence}`` for the fields whose value cannot start, so the
form can say it next to the field before the user presses Start.

The answer is the submit's own: KubeSpawner's ``options_from_form`` reads the form, a shadow
spawner builds the pod (``podbuild``) and the one ``ValidationService`` checks it (registry
included, within ``time_budget``). It is a JupyterHub API handler: the caller is the logged-in
user (cookie with JupyterHub's xsrf token, or an API token) and checks only their own server;
each user may ask ``RATE`` times per second (a debounced form asks far less), more is a 429.

The route is added to the running hub's tornado application the first time a form is rendered
(``ensure_route``): no ``jupyterhub_config.py`` line, and the same on JupyterHub 5 and 6 (both
keep their handlers in ``tornado.web.Application.wildcard_router``). The rule goes first, ahead
of JupyterHub's ``/hub/api/(.*)`` 404.
"""

from __future__ import annotations

import inspect
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from tornado import web
from tornado.routing import PathMatches, Rule

from ..messages import told
from .check import prevalidator_for
from .fields import PROFILE_FIELD, field_messages, find_profile
from .podbuild import OptionsError, build_plan, make_shadow
from .service import service_for

log = logging.getLogger("prevalidate")

ROUTE = "api/prevalidate/check"
RATE = 5.0  # requests per second per user (token bucket of the same size)
MAX_BODY = 64 * 1024

_buckets: dict[str, tuple[float, float]] = {}  # user -> (tokens, last refill)


def allow(user: str, now: float | None = None) -> bool:
    """One request of ``user`` against its bucket of ``RATE`` tokens refilled ``RATE``/s."""
    now = time.monotonic() if now is None else now
    tokens, last = _buckets.get(user, (RATE, now))
    tokens = min(RATE, tokens + (now - last) * RATE)
    if tokens < 1:
        _buckets[user] = (tokens, now)
        return False
    _buckets[user] = (tokens - 1, now)
    return True


async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def check_fields(spawner: Any, form: Mapping[str, list[str]]) -> dict[str, str]:
    """{field: sentence} for the blocking findings of the pod this form would build; {} when it
    could start or the check could not decide (the submit has the last word)."""
    config = prevalidator_for(spawner)
    if not config.enabled or config.dry_run:
        return {}
    options = await _maybe(spawner.options_from_form(dict(form)))
    slug = str(options.get("profile") or "")
    try:
        plan = await build_plan(make_shadow(spawner, options), apply_options=True)
    except OptionsError as exc:
        return {PROFILE_FIELD: str(exc)}
    service = service_for(spawner, config)
    verdict = await service.validate(plan.request, path="form-check", observe=False)
    profile_list = spawner._get_initialized_profile_list(await _profile_list(spawner))
    grouped = field_messages(told(verdict, config.messages), find_profile(profile_list, slug))
    return {key: "\n".join(lines) for key, lines in grouped.items()}


async def _profile_list(spawner: Any) -> list[dict[str, Any]]:
    profiles = spawner.profile_list
    if callable(profiles):
        profiles = await _maybe(profiles(spawner))
    return list(spawner._sorted_dict_values(profiles))


def _handler_class() -> type:
    """Built on first use: importing JupyterHub's handlers pulls in the whole hub."""
    from jupyterhub.apihandlers.base import APIHandler

    class FieldCheckHandler(APIHandler):
        async def post(self) -> None:
            user = self.current_user
            if user is None or not hasattr(user, "spawners"):
                raise web.HTTPError(403, "Only a logged-in user can check their spawn options")
            if not allow(user.name):
                self.set_status(429)
                self.finish({"error": "Too many checks; slow down."})
                return
            if len(self.request.body) > MAX_BODY:
                raise web.HTTPError(413, "The form is too large")
            try:
                body = json.loads(self.request.body or b"{}")
                server = str(body.get("server") or "")
                form = {str(k): [str(x) for x in v] for k, v in dict(body["form"]).items()}
            except Exception:
                raise web.HTTPError(400, "Send {server, form: {name: [value]}} as JSON") from None
            if server and server not in user.spawners:
                raise web.HTTPError(404, "No such server")
            spawner = user.spawners[server]
            try:
                answer = await check_fields(spawner, form)
            except ValueError as exc:  # options_from_form refusing the form
                answer = {PROFILE_FIELD: str(exc).splitlines()[0][:300] if str(exc) else "Invalid options"}
            except Exception:
                log.warning("prevalidate: the as-you-type check failed; nothing is shown", exc_info=True)
                answer = {}
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps(answer))

    return FieldCheckHandler


def ensure_route() -> str:
    """Add the check's route to the running hub once; its URL, or "" outside a running hub."""
    try:
        from jupyterhub.app import JupyterHub
        from jupyterhub.utils import url_path_join
    except ImportError:  # pragma: no cover
        return ""
    if not JupyterHub.initialized():
        return ""
    hub = JupyterHub.instance()
    app = getattr(hub, "tornado_application", None)
    if app is None:
        return ""
    url = str(url_path_join(hub.hub_prefix, ROUTE))
    if getattr(app, "_prevalidate_check_route", None) != url:
        router = app.wildcard_router
        router.rules.insert(0, router.process_rule(Rule(PathMatches(url), _handler_class())))
        app._prevalidate_check_route = url
    return url


__all__ = ["RATE", "ROUTE", "allow", "check_fields", "ensure_route"]
