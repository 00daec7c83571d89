"""A landing page for the demo's notebook servers (a jupyter_server extension).

The demo's "image" is the local jupyter_server run by kubesim's kubelet; this environment has no
JupyterLab or Notebook frontend, so without this page a started server would greet its user with
a 404. The page says what happened and links back to the hub. Loaded with
``--ServerApp.jpserver_extensions={"prevalidate.demo.welcome": True}`` (see profiles.py).
"""

from __future__ import annotations

import html
import os
from typing import Any

from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.utils import url_path_join
from tornado import web

PATH = "prevalidate-demo"
_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Your server is running</title>
<style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 42em; margin: 3em auto; }}</style>
</head><body>
<h1>Your server is running</h1>
<p>Hello {user}. prevalidate allowed this spawn, KubeSpawner created pod <code>{pod}</code>,
and kubesim's kubelet started this real notebook server process for it.</p>
<p>Stop it from the <a href="{hub}">hub control panel</a>, then try the other things the demo
printed: each comes back inline in the spawn form, before any pod exists.</p>
</body></html>
"""


class WelcomeHandler(JupyterHandler):
    @web.authenticated
    def get(self) -> None:
        user = os.environ.get("JUPYTERHUB_USER", "")
        hub = os.environ.get("JUPYTERHUB_BASE_URL", "/") + "hub/home"
        self.finish(
            _PAGE.format(
                user=html.escape(user),
                pod=html.escape(f"jupyter-{user}"),
                hub=html.escape(hub, quote=True),
            )
        )


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    return [{"module": __name__}]


def _load_jupyter_server_extension(serverapp: Any) -> None:
    route = url_path_join(serverapp.web_app.settings["base_url"], PATH)
    serverapp.web_app.add_handlers(".*$", [(route, WelcomeHandler)])
