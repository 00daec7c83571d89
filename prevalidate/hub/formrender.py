"""KubeSpawner's profile form, rendered with a compiled template kept per process, with
prevalidate's additions: marks on the profiles and choices that cannot start, the headroom line,
and the messages of a rejected submit next to their fields.

KubeSpawner's ``_render_options_form`` builds a new jinja ``Environment`` and compiles
``form.html`` on every call: 8–9 ms of CPU on the hub's event loop (measured, 2 cores). It
calls it once per spawner for a static ``profile_list``, but on every form view for a callable
one, and we render on every view (the marks follow the cluster). Same loader, same policy, same
template and variables as KubeSpawner 7.1; only the compiled template is reused.

The template is KubeSpawner's (or the admin's ``profile_form_template``), so the additions go
where it already puts text: a mark is appended to a choice's ``display_name`` (an ``<option>``
can hold text only) and to a profile's; field messages are placed by a small script by the
element ids KubeSpawner's template gives each field.
"""

from __future__ import annotations

import copy
import html
import json
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, Template

from .formmarks import FormMarks

_STYLE = (
    "<style>.prevalidate-mark{color:#a94442;font-size:85%;font-weight:normal;margin-left:.5em}"
    ".prevalidate-field-msg{margin:.2em 0 .6em;white-space:pre-line}"
    ".prevalidate-headroom{color:#555;margin-bottom:.8em}</style>\n"
)


@lru_cache(maxsize=8)
def _environment(paths: tuple[str, ...]) -> Environment:
    loader = ChoiceLoader([FileSystemLoader(list(paths)), PackageLoader("kubespawner", "templates")])
    env = Environment(loader=loader)
    # As KubeSpawner: keep the admin's profile order when templates use |tojson.
    env.policies["json.dumps_kwargs"] = {"sort_keys": False}
    return env


@lru_cache(maxsize=8)
def _template(paths: tuple[str, ...], source: str) -> Template:
    env = _environment(paths)
    return env.from_string(source) if source else env.get_template("form.html")


@lru_cache(maxsize=1)
def _script() -> str:
    return resources.files(__package__).joinpath("static/formfit.js").read_text(encoding="utf-8")


def _marked(profile_list: list[dict[str, Any]], marks: FormMarks) -> list[dict[str, Any]]:
    """A copy of the list with each mark appended to its profile's or choice's display name."""
    marked = copy.deepcopy(profile_list)
    for profile in marked:
        slug = str(profile.get("slug"))
        if slug in marks.profiles:
            word = html.escape(marks.profiles[slug])
            profile["display_name"] = (
                f'{profile.get("display_name", slug)} <span class="prevalidate-mark" '
                f'data-prevalidate-profile="{html.escape(slug)}">⚠ cannot start: {word}</span>'
            )
        for key, option in (profile.get("profile_options") or {}).items():
            for choice_key, choice in (option.get("choices") or {}).items():
                said = marks.choices.get((slug, str(key), str(choice_key)))
                if said:
                    choice["display_name"] = (
                        f"{choice.get('display_name', choice_key)} — ⚠ {html.escape(said)}"
                    )
    return marked


def _data(endpoint: str, server: str, errors: Mapping[str, Mapping[str, list[str]]]) -> str:
    """The script's inputs as JSON inside <script type="application/json"> (no "</" can end it)."""
    text = json.dumps({"endpoint": endpoint, "server": server, "errors": errors})
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_profile_form(
    spawner: Any,
    profile_list: list[dict[str, Any]],
    *,
    marks: FormMarks | None = None,
    errors: Mapping[str, Mapping[str, list[str]]] | None = None,
    endpoint: str = "",
    initialized: bool = False,
) -> str:
    """KubeSpawner's form; with ``marks``, ``errors`` (slug -> field -> sentences) or an
    ``endpoint`` for the as-you-type check, prevalidate's additions too."""
    if not initialized:
        profile_list = spawner._get_initialized_profile_list(profile_list)
    user_options = spawner.user_options or {}
    if user_options:
        try:
            spawner._validate_user_options(profile_list)
        except ValueError as exc:
            spawner.log.warning(f"Not pre-selecting saved user_options on the spawn form: {exc}")
            user_options = {}
    if marks is not None:
        profile_list = _marked(profile_list, marks)
    template = _template(tuple(spawner.additional_profile_form_template_paths), spawner.profile_form_template)
    form = template.render(profile_list=profile_list, user_options=user_options)
    if marks is None and not errors and not endpoint:
        return form
    summary = (
        f'<p class="prevalidate-headroom">{html.escape(marks.summary)}</p>\n'
        if marks and marks.summary
        else ""
    )
    data = _data(endpoint, str(getattr(spawner, "name", "") or ""), errors or {})
    return (
        f"{_STYLE}{summary}{form}\n"
        f'<script type="application/json" id="prevalidate-form-data">{data}</script>\n'
        f"<script>{_script()}</script>\n"
    )
