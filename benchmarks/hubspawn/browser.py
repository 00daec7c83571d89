"""A logged-in user in a browser: posts the spawn form as the page does and, when the hub
answers with the spawn-pending page, follows that page's progress stream to the outcome."""

from __future__ import annotations

import html
import json
import re
import time
from dataclasses import dataclass

import httpx

from benchmarks.hubspawn.config import START_TIMEOUT
from prevalidate.testing.hubprocess import RunningHub, visible_text


@dataclass
class Seen:
    """What the user saw after one form submit, and when (seconds after the POST was sent)."""

    seconds: float  # until the error was visible (or the spawn was accepted, for a valid form)
    where: str  # "form" (re-rendered with an error), "pending" (progress stream), "accepted"
    status: int  # HTTP status of the page the POST ended on
    message: str
    first_warning: float | None = None  # first Warning in the pending page's event log


class Browser:
    """One logged-in user with cookies, posting the spawn form as the page does."""

    def __init__(self, hub: RunningHub, user: str) -> None:
        self.user = user
        self.http = httpx.AsyncClient(base_url=hub.url, follow_redirects=True, timeout=START_TIMEOUT + 60)
        self.xsrf = ""

    async def __aenter__(self) -> Browser:
        await self.http.get("/hub/login")
        await self.http.post(
            "/hub/login",
            data={"username": self.user, "password": "x", "_xsrf": self.http.cookies.get("_xsrf") or ""},
        )
        page = await self.http.get(f"/hub/spawn/{self.user}")  # the form, as the browser shows it
        token = re.search(r'xsrf_token: "([^"]+)"', page.text)
        self.xsrf = token.group(1) if token else ""
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.http.aclose()

    async def submit(self, form: dict[str, str], follow: bool = True) -> Seen:
        started = time.perf_counter()
        page = await self.http.post(f"/hub/spawn/{self.user}", data={**form, "_xsrf": self.xsrf})
        visited = [str(r.url) for r in (*page.history, page)]
        if not any("/spawn-pending/" in url or "/user/" in url for url in visited):
            found = re.search(r'<p class="spawn-error-msg[^"]*">(.*?)</p>', page.text, re.S)
            message = visible_text(found.group(1)) if found else visible_text(page.text)[:300]
            return Seen(time.perf_counter() - started, "form", page.status_code, message)
        if not follow or "/spawn-pending/" not in visited[-1]:
            return Seen(time.perf_counter() - started, "accepted", page.status_code, visited[-1])
        progress = re.search(r'new EventSource\("([^"]+)"\)', page.text)
        if progress is None:
            raise RuntimeError(f"no progress_url on the spawn-pending page of {self.user}")
        first_warning = None
        async with self.http.stream(
            "GET", html.unescape(progress.group(1)), headers={"Accept": "text/event-stream"}
        ) as stream:
            async for line in stream.aiter_lines():
                if not line.startswith("data:"):
                    continue
                event = json.loads(line[5:])
                now = time.perf_counter() - started
                if first_warning is None and "[Warning]" in str(event.get("message", "")):
                    first_warning = now
                if event.get("failed") or event.get("ready"):
                    where = "pending" if event.get("failed") else "accepted"
                    return Seen(now, where, page.status_code, str(event.get("message", "")), first_warning)
        raise RuntimeError(f"progress stream of {self.user} ended without an outcome")
