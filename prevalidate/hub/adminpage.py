"""``/hub/prevalidate``: the audit of the hub's profile list against the live cluster, and the
rejections since the hub started by finding code — for admins only (others get a 403).

Registered with ``c.JupyterHub.extra_handlers = prevalidate.admin_handlers()`` — the one way
JupyterHub 5 and 6 offer to serve a page inside the hub process, with its login, its
templates and the spawners' shared validation service (JupyterHub logs that the setting is
deprecated in favour of services; a service would run in another process, without the hub's
KubeSpawner configuration or our watch caches).

The audit runs on a shadow of the spawner of ``?user=NAME`` (default: the admin's own), so its
pods carry that user's names, exactly as ``prevalidate audit --user`` does, over the live view
the spawners already keep (zero API requests) and the same registry cache. Nothing here is
counted in the spawn metrics. A failure of ours is a sentence on the page, never a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from jupyterhub.handlers import BaseHandler
from tornado import web

from ..metrics import rejection_counts
from ..model.findings import shown
from .audit import AuditReport, NoProfiles, audit_spawner
from .check import prevalidator_for
from .service import service_for

log = logging.getLogger("prevalidate")

_PAGE = """{% extends "page.html" %}
{% block title %}prevalidate{% endblock %}
{% block main %}
<style>
  .prevalidate-audit td { vertical-align: top; }
  .prevalidate-audit .codes, .prevalidate-audit .options { white-space: nowrap; }
</style>
<div class="container prevalidate-audit">
  <h1>prevalidate: which profiles can start</h1>
  <p>Every profile and every listed choice, built by KubeSpawner for user <b>{{ audited_user }}</b>
  and checked against the live cluster as it is and as it would be empty:
  <b>never</b> (no empty cluster could run it: fix the configuration),
  <b>not-now</b> (it needs others to stop first), <b>fits</b>.
  {{ summary }}</p>
  {% if problem %}<div class="alert alert-danger">{{ problem }}</div>{% endif %}
  {% for note in notes %}<div class="alert alert-info">{{ note }}</div>{% endfor %}
  {% if entries %}
  <table class="table table-sm table-striped" id="prevalidate-audit">
    <thead><tr><th>Profile</th><th>Options</th><th>Verdict</th><th>Codes</th><th>Why</th></tr></thead>
    <tbody>
    {% for e in entries %}
      <tr class="verdict-{{ e.verdict }}">
        <td title="{{ e.profile }}">{{ e.display_name }}</td>
        <td class="options">{{ e.options.items() | map("join", "=") | join(", ") }}</td>
        <td><span class="badge {{ badges[e.verdict] }}">{{ e.verdict }}</span></td>
        <td class="codes">{{ e.outcome.codes | join("<br>" | safe) }}</td>
        <td>{% if e.verdict != "fits" %}{{ e.reasons | join("<br>" | safe) }}{% endif %}</td>
      </tr>
    {% endfor %}
    </tbody>
  </table>
  {% endif %}
  <h2>Rejections since the hub started, by code</h2>
  {% if rejections %}
  <table class="table table-sm w-auto" id="prevalidate-rejections">
    <thead><tr><th>Code</th><th>Rejected spawns</th></tr></thead>
    <tbody>
    {% for code, count in rejections %}<tr><td>{{ code }}</td><td>{{ count }}</td></tr>{% endfor %}
    </tbody>
  </table>
  {% else %}<p id="prevalidate-rejections">No spawn has been rejected since the hub started.</p>{% endif %}
</div>
{% endblock %}
"""

_BADGES = {"fits": "text-bg-success", "not-now": "text-bg-warning", "never": "text-bg-danger"}
_ORDER = {"never": 0, "not-now": 1, "fits": 2}  # what needs the admin first
_compiled: dict[int, Any] = {}  # id(jinja environment) -> the compiled page


class PrevalidateAdminHandler(BaseHandler):
    """GET /hub/prevalidate[?user=NAME]"""

    @web.authenticated
    async def get(self) -> None:
        admin = self.current_user
        if not getattr(admin, "admin", False):
            raise web.HTTPError(403, "Only hub administrators can see the prevalidate audit.")
        name = self.get_argument("user", admin.name)
        target = self.find_user(name)
        if target is None:
            raise web.HTTPError(404, f"No such user: {shown(name, 80)}")
        report, problem = await _audit(target.spawner)
        counts = sorted(rejection_counts().items(), key=lambda item: (-item[1], item[0]))
        self.finish(await self._page(report, problem, target.name, counts))

    async def _page(self, report: AuditReport, problem: str, user: str, counts: list[tuple[str, int]]) -> str:
        env = self.settings["jinja2_env"]
        template = _compiled.get(id(env))
        if template is None:
            template = _compiled[id(env)] = env.from_string(_PAGE)
        verdicts = [e.verdict for e in report.entries]
        summary = (
            f"{len(verdicts)} entries: {verdicts.count('fits')} fit, {verdicts.count('not-now')} do not "
            f"fit now, {verdicts.count('never')} can never start ({report.seconds * 1000:.0f} ms)."
            if verdicts
            else ""
        )
        return str(
            await template.render_async(
                **self.template_namespace,
                entries=sorted(report.entries, key=lambda e: _ORDER[e.verdict]),
                notes=report.notes,
                problem=problem,
                summary=summary,
                audited_user=user,
                rejections=counts,
                badges=_BADGES,
            )
        )


async def _audit(spawner: Any) -> tuple[AuditReport, str]:
    """The audit of ``spawner``'s profiles over its process's live view, or why there is none."""
    try:
        config = prevalidator_for(spawner)
        service = service_for(spawner, config)
        await service.ensure_started()
        if not await service.source.wait_ready(config.cache_ready_timeout):
            return AuditReport(), "The cluster caches are not ready yet; reload the page in a few seconds."
        report = await audit_spawner(
            spawner, service.settings, service.source.view, service.registry, overrides=config.messages
        )
        return report, ""
    except NoProfiles as exc:
        return AuditReport(), str(exc)
    except Exception as exc:  # never a 500: the page says what went wrong
        log.warning("prevalidate: the admin page's audit failed", exc_info=True)
        return AuditReport(), f"The audit could not run: {shown(str(exc) or type(exc).__name__, 200)}"


def admin_handlers() -> list[tuple[str, type]]:
    """For ``c.JupyterHub.extra_handlers``: the admin page at ``/hub/prevalidate``."""
    return [(r"/prevalidate", PrevalidateAdminHandler)]
