"""The hub helper reports a hub that cannot start, with its log, instead of hanging."""

from __future__ import annotations

import pytest

from prevalidate.testing.hubprocess import (
    HubStartError,
    configurable_http_proxy_available,
    start_hub,
)

pytestmark = pytest.mark.skipif(not configurable_http_proxy_available(),
                                reason="configurable-http-proxy not installed")


async def test_a_broken_config_is_a_hub_start_error_with_the_log_tail() -> None:
    with pytest.raises(HubStartError) as caught:
        async with start_hub('c.JupyterHub.spawner_class = "no.such.Spawner"\n', timeout=30):
            pytest.fail("the hub should not have started")
    assert "jupyterhub exited with" in str(caught.value)
    assert "no.such" in str(caught.value) or "Spawner" in str(caught.value)
