"""What a rejection looks like to JupyterHub, and what ``c.Prevalidator`` accepts."""

from __future__ import annotations

import jupyterhub
import pytest
from factories import base_objects, node, pod, quota, verdict
from tornado.web import HTTPError
from traitlets import TraitError
from traitlets.config import Config

from prevalidate.hub.config import Prevalidator
from prevalidate.hub.errors import SpawnRejected
from prevalidate.messages.rejection import status_for
from prevalidate.model.findings import Code, Finding, Severity, Verdict


def real(the_pod: dict, *objects: dict) -> list[Finding]:
    """Findings as the checks produce them (messages need their real facts)."""
    return list(verdict(the_pod, [*base_objects(), node(cpu="16"), *objects]).findings)


(NO_NODE,) = real(pod(requests={"cpu": "120"}))
(QUOTA,) = real(pod(requests={"cpu": "14"}), quota({"requests.cpu": "12"}, {"requests.cpu": "0"}))
(INVALID,) = real(pod(requests={"cpu": "abc"}))
UNVERIFIED = Finding(Code.IMAGE_UNVERIFIED, Severity.WARNING, "x", {"image": "x", "reason": "timed out"})


@pytest.mark.parametrize(
    "findings, status",
    [
        ([INVALID], 400),
        ([QUOTA], 403),
        ([NO_NODE], 422),
        ([UNVERIFIED, QUOTA, NO_NODE], 403),  # the first error decides
    ],
)
def test_the_status_is_the_one_the_apiserver_would_give(findings: list[Finding], status: int) -> None:
    assert status_for(Verdict.of(findings)) == status


def test_a_rejection_is_a_spawn_exception_with_every_message_jupyterhub_reads() -> None:
    verdict = Verdict.of([UNVERIFIED, QUOTA])
    error = SpawnRejected.from_verdict(verdict, admin_contact="Ask <admins>")
    if jupyterhub.version_info >= (6,):
        from jupyterhub.spawner import SpawnException

        assert isinstance(error, SpawnException)  # a failure, not an error: no consecutive-failure count
        assert error.reason == "quota-exceeded"
    else:  # JupyterHub 5 has no SpawnException; a 4xx HTTPError is what its form and API render
        assert isinstance(error, HTTPError) and error.log_message % error.args == error.jupyterhub_message
    assert error.status_code == 403 and error.codes[0] == "quota-exceeded"
    lines = error.jupyterhub_message.splitlines()
    assert lines[0] == "Your server cannot start:"
    assert "compute" in lines[1] and lines[-1] == "Ask <admins>"  # errors first, contact last
    assert "&lt;admins&gt;" in error.jupyterhub_html_message and "<li>" in error.jupyterhub_html_message
    assert "quota-exceeded" in str(error)


def test_an_options_error_is_a_400_with_a_sentence() -> None:
    error = SpawnRejected.from_options("No such profile: gpu. Options include: small", admin_contact="")
    assert error.status_code == 400
    assert "No such profile: gpu" in error.jupyterhub_message
    assert error.findings == ()


def test_message_overrides_replace_the_wording() -> None:
    error = SpawnRejected.from_verdict(
        Verdict.of([QUOTA]), overrides={"quota-exceeded": "Over the {quota} quota; see the wiki."}
    )
    assert "Over the compute quota; see the wiki." in error.jupyterhub_message


def config(**traits: object) -> Prevalidator:
    c = Config()
    for name, value in traits.items():
        c.Prevalidator[name] = value
    return Prevalidator(config=c)


def test_traits_become_the_settings_the_checks_read() -> None:
    settings = config(
        allowed_registries=["quay.io"],
        capacity_policy="WARN",
        disabled_checks={"image"},
        registry_checks=False,
        node_pools=[{"metadata": {"name": "pool"}, "status": {"allocatable": {"cpu": "64"}}}],
    ).settings()
    assert settings.allowed_registries == ("quay.io",)
    assert settings.capacity_policy == "warn"
    assert not settings.enabled("image") and settings.offline
    assert settings.node_pools[0].name == "pool"


@pytest.mark.parametrize(
    "traits",
    [{"disabled_checks": {"qouta"}}, {"messages": {"no-such-code": "x"}}, {"capacity_policy": "maybe"}],
)
def test_a_typo_in_the_configuration_is_refused_at_start(traits: dict[str, object]) -> None:
    with pytest.raises(TraitError):
        config(**traits)
