"""The as-you-type endpoint on a real JupyterHub (5.x or 6.x; ``scripts/test`` runs this file on
both): the route exists once the form was shown, with no config line; a logged-in user gets
``{field: sentence}`` for their own server; without JupyterHub's xsrf token, or logged out, the
answer is a 403; over five checks a second a 429; the marks are in the form itself."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import httpx
import pytest

from prevalidate.demo.profiles import PROFILE, profile_list
from prevalidate.testing.registry import RunningRegistry

from .conftest import REST_ANSWERS_AFTER_THE_SPAWN, StartStack, needs_hub, needs_registry

pytestmark = [needs_hub, needs_registry, pytest.mark.e2e]

CPU = f"profile-option-{PROFILE}--cpu--unlisted-choice"
ROUTE = "/hub/api/prevalidate/check"


async def logged_in(http: httpx.AsyncClient, user: str) -> tuple[str, str]:
    """Log in (DummyAuthenticator) and view the form: (the form page, its xsrf token)."""
    await http.get("/hub/login")
    await http.post(
        "/hub/login", data={"username": user, "password": "x", "_xsrf": http.cookies.get("_xsrf") or ""}
    )
    page = (await http.get("/hub/spawn")).text
    token = re.search(r'xsrf_token: "([^"]+)"', page)
    assert token, page
    return page, token.group(1)


def check(http: httpx.AsyncClient, xsrf: str, cpu: str) -> Any:
    body = {"form": {"profile": [PROFILE], CPU: [cpu]}}
    return http.post(ROUTE, json=body, headers={"X-XSRFToken": xsrf} if xsrf else {})


async def test_the_check_answers_the_logged_in_user_by_field_and_refuses_others(
    stack: StartStack, registry: RunningRegistry
) -> None:
    profiles = f"c.KubeSpawner.profile_list = {profile_list(registry.host)!r}\n"
    sim, hub = await stack(profiles + REST_ANSWERS_AFTER_THE_SPAWN)
    async with httpx.AsyncClient(base_url=hub.url, follow_redirects=True, timeout=60) as http:
        page, xsrf = await logged_in(http, "alice")
        assert "prevalidate-form-data" in page, page
        for _ in range(120):  # the first view may come before the hub's cluster caches are ready
            if "Free in your quota" in page:
                break
            await asyncio.sleep(0.25)
            page = (await http.get("/hub/spawn")).text
        assert "Free in your quota: 12 of 12 CPUs" in page, page
        answer = await check(http, xsrf, "120")
        assert answer.status_code == 200, answer.text
        assert list(answer.json()) == ["cpu"] and "120 CPUs" in answer.json()["cpu"], answer.json()
        await asyncio.sleep(1.1)
        fits = await check(http, xsrf, "1")
        assert fits.status_code == 200 and fits.json() == {}, fits.text

        assert (await check(http, "", "120")).status_code == 403  # no xsrf token
        await asyncio.sleep(1.1)
        statuses = [(await check(http, xsrf, "1")).status_code for _ in range(8)]
        assert statuses.count(429) >= 2 and statuses[:4] == [200] * 4, statuses
    async with httpx.AsyncClient(base_url=hub.url, timeout=60) as anonymous:
        refused = await anonymous.post(ROUTE, json={"form": {}})
        assert refused.status_code == 403, refused.text
    assert sim.store.peek("pods", "jhub", "jupyter-alice") is None  # a check creates nothing
