"""The CLI and the hub say the same sentences for the same verdict: both take their words from
``messages.rejection.Rejection``. The CLI adds a severity mark and the code to each line; the
hub (``SpawnRejected``: the spawn form, the REST API, the pending page) a bullet. Strip those
and the lines must be equal, the headline and the admin contact line included — also for a
quota whose request and limit are exceeded by the same amount, which the hub tells as one line
and the CLI used to print as two."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from factories import base_objects, container, node, pod, pvc, quota, service_account

from prevalidate.cli import main
from prevalidate.hub.errors import SpawnRejected
from prevalidate.kube.dump import load_cluster, load_pod
from prevalidate.model.request import PodRequest
from prevalidate.model.settings import Settings
from prevalidate.service import FixedView, ValidationService

CONTACT = "Questions? Write to hub-admins@example.org."
MEMORY = {"requests.memory": "40Gi", "limits.memory": "40Gi"}

CASES: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {
    # The twin: request and limit over the same quota by the same amounts.
    "memory guarantee and limit": (
        pod(requests={"memory": "64Gi"}, limits={"memory": "64Gi"}),
        [node(memory="128Gi"), quota(MEMORY, {"requests.memory": "8Gi", "limits.memory": "8Gi"})],
    ),
    "120 CPUs": (
        pod(requests={"cpu": "120"}),
        [node(cpu="16"), quota({"requests.cpu": "12"})],
    ),
    "two missing objects": (
        pod(
            claims=["claim-alcie"],
            containers=[container(envFrom=[{"secretRef": {"name": "creds"}}])],
        ),
        [node(), pvc("claim-alice")],
    ),
    "an error and a warning": (
        pod(containers=[container(image="quay.io/jupyter/Base:latest")], imagePullSecrets=[{"name": "gone"}]),
        [node()],
    ),
}


def files(tmp_path: Path, case: str) -> tuple[Path, Path]:
    the_pod, objects = CASES[case]
    objects = [o for o in base_objects() if o["kind"] != "ServiceAccount"] + objects
    objects.append(service_account())
    cluster_file, pod_file = tmp_path / "cluster.yaml", tmp_path / "pod.yaml"
    cluster_file.write_text(yaml.safe_dump({"kind": "List", "items": objects}))
    pod_file.write_text(yaml.safe_dump(the_pod))
    return cluster_file, pod_file


def cli_sentences(capsys: pytest.CaptureFixture[str], cluster_file: Path, pod_file: Path) -> list[str]:
    code = main(
        [
            "check",
            "--cluster",
            str(cluster_file),
            "--pod",
            str(pod_file),
            "--offline",
            "--admin-contact",
            CONTACT,
        ]
    )
    first, *rest = capsys.readouterr().out.splitlines()
    assert code == 1, first
    headline = first.split(". ", 1)[1]  # "REJECTED: pod P in namespace N. <headline>"
    return [headline, *(re.sub(r"^  (?:[✗!·] \[[a-z-]+\] )?", "", line) for line in rest)]


def hub_sentences(cluster_file: Path, pod_file: Path) -> list[str]:
    """What the hub does: the validation service over the cluster, then ``SpawnRejected``."""
    service = ValidationService(Settings(offline=True), FixedView(load_cluster(cluster_file)))
    verdict = asyncio.run(service.validate(PodRequest(load_pod(pod_file)), path="form"))
    assert not verdict.allowed
    message = SpawnRejected.from_verdict(verdict, admin_contact=CONTACT).jupyterhub_message
    return [line.removeprefix("• ") for line in message.splitlines()]


@pytest.mark.parametrize("case", list(CASES))
def test_the_cli_and_the_hub_print_the_same_sentences(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cluster_file, pod_file = files(tmp_path, case)
    hub = hub_sentences(cluster_file, pod_file)
    cli = cli_sentences(capsys, cluster_file, pod_file)
    assert cli == hub
    assert hub[-1] == CONTACT and len(hub) >= 3


def test_the_twin_is_one_line_in_both(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cluster_file, pod_file = files(tmp_path, "memory guarantee and limit")
    hub = hub_sentences(cluster_file, pod_file)
    assert len(hub) == 3 and "(memory guarantee and limit)" in hub[1]
    assert cli_sentences(capsys, cluster_file, pod_file) == hub
