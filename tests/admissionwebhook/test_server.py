"""The webhook over a LiveCluster watching kubesim: the seeds' four bad pods denied with the
exact sentences of ``prevalidate check``, a valid pod allowed, no API request per review,
dry-run answered the same, transport errors in one line, health, readiness and metrics."""

from __future__ import annotations

import asyncio
import json
import re

import pytest

from prevalidate.cli import main
from prevalidate.testing.kubesim import KubeSim

from .conftest import (
    BAD_PODS,
    CONTACT,
    EXAMPLE_CLUSTER,
    PODS,
    StartWebhook,
    Webhook,
    example_pod,
    live_service,
    review,
)


async def cli_paragraph(capsys: pytest.CaptureFixture[str], pod: str) -> str:
    """What ``prevalidate check`` prints for the pod, its marks and codes taken off, as one
    paragraph: headline, sentences, contact line. (In a thread: the CLI runs its own loop.)"""
    capsys.readouterr()
    await asyncio.to_thread(
        main,
        [
            "check",
            "--cluster",
            str(EXAMPLE_CLUSTER),
            "--pod",
            str(PODS / f"{pod}.yaml"),
            "--offline",
            "--admin-contact",
            CONTACT,
        ],
    )
    first, *rest = capsys.readouterr().out.splitlines()
    assert first.startswith("REJECTED: ")
    headline = first.split(". ", 1)[1]
    return " ".join([headline, *(re.sub(r"^  (?:[✗!·] \[[a-z-]+\] )?", "", line) for line in rest)])


@pytest.mark.parametrize("pod", BAD_PODS)
async def test_the_seeds_bad_pods_are_denied_with_the_sentences_of_prevalidate_check(
    webhook: Webhook, capsys: pytest.CaptureFixture[str], pod: str
) -> None:
    response = await webhook.answer(review(example_pod(pod)))
    assert response["allowed"] is False
    assert response["status"]["message"] == await cli_paragraph(capsys, pod)
    assert response["status"]["code"] in (400, 403, 422)
    assert response["status"]["message"].endswith(CONTACT)


EXPECTED = {
    "quota-exceeded": (403, 'the namespace quota "compute" has only 6 CPUs left (26 of 32 in use)'),
    "invalid-image": (400, "is not a valid image name"),
    "too-many-cpus": (403, "The largest node your server can run on has 62.5 CPUs allocatable"),
    "missing-pvc": (
        422,
        'The volume claim "claim-alcie" does not exist in namespace jhub. Did you mean "claim-alice"?',
    ),
}


@pytest.mark.parametrize("pod", BAD_PODS)
async def test_each_denial_says_what_is_wrong_with_the_apiservers_status(webhook: Webhook, pod: str) -> None:
    status = (await webhook.answer(review(example_pod(pod))))["status"]
    code, words = EXPECTED[pod]
    assert status["code"] == code and words in status["message"]


async def test_a_valid_pod_is_allowed_without_a_single_api_request(
    webhook: Webhook, example_sim: KubeSim
) -> None:
    before = len(example_sim.request_log)
    for index in range(20):
        response = await webhook.answer(review(example_pod("valid"), uid=f"uid-{index}"))
        assert response == {"uid": f"uid-{index}", "allowed": True}
    assert len(example_sim.request_log) == before  # the caches answer: 0 requests per review


async def test_dry_run_is_answered_the_same_and_writes_nothing(
    webhook: Webhook, example_sim: KubeSim
) -> None:
    before = list(example_sim.request_log)
    for pod in ["valid", *BAD_PODS]:
        wet = await webhook.answer(review(example_pod(pod)))
        dry = await webhook.answer(review(example_pod(pod), dry_run=True))
        assert dry == wet
    assert example_sim.request_log == before


async def test_a_kubespawner_pod_after_admission_is_allowed(webhook: Webhook) -> None:
    """What a validating webhook really receives: LimitRanger's defaults, the ServiceAccount
    plugin's token volume (its kube-root-ca.crt ConfigMap is published moments after a new
    namespace: the example cluster has none), a generated name, KubeSpawner's internal_ssl
    Secret (created just after the pod)."""
    pod = example_pod("valid")
    pod["metadata"].update(uid="2f0c5a", creationTimestamp="2026-12-05T05:00:00Z")
    pod["spec"]["volumes"].append(
        {"name": "jupyterhub-internal-certs", "secret": {"secretName": "jupyter-alice-internal-certs"}}
    )
    pod["spec"]["volumes"].append(
        {
            "name": "kube-api-access-x7k2p",
            "projected": {
                "sources": [
                    {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                    {
                        "configMap": {
                            "name": "kube-root-ca.crt",
                            "items": [{"key": "ca.crt", "path": "ca.crt"}],
                        }
                    },
                    {
                        "downwardAPI": {
                            "items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]
                        }
                    },
                ]
            },
        }
    )
    response = await webhook.answer(review(pod))
    assert response["allowed"] is True, response


async def test_an_allowed_pod_carries_its_warnings_one_line_each(webhook: Webhook) -> None:
    pod = example_pod("valid")
    pod["spec"]["imagePullSecrets"] = [{"name": "regcred-gone"}]
    response = await webhook.answer(review(pod))
    assert response["allowed"] is True
    assert len(response["warnings"]) == 1 and "regcred-gone" in response["warnings"][0]
    assert "\n" not in response["warnings"][0]


@pytest.mark.parametrize(
    "changes",
    [
        {"operation": "UPDATE"},
        {"operation": "DELETE"},
        {"kind": {"group": "", "version": "v1", "kind": "Service"}},
        {"subResource": "status"},
    ],
)
async def test_what_is_not_a_pod_create_is_allowed_as_it_is(
    webhook: Webhook, changes: dict[str, object]
) -> None:
    document = review(example_pod("too-many-cpus"))
    document["request"].update(changes)
    assert await webhook.answer(document) == {"uid": document["request"]["uid"], "allowed": True}


async def test_odd_pod_objects_are_allowed_or_denied_never_a_500(webhook: Webhook) -> None:
    odd = [
        {"apiVersion": "v1", "kind": "Pod"},
        {"apiVersion": "v1", "kind": "Pod", "metadata": [], "spec": "x"},
        {
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {"namespace": "jhub"},
            "spec": {"containers": [None, 3]},
        },
        {
            "metadata": {"namespace": "jhub"},
            "spec": {"containers": [{"name": "c", "image": "x", "resources": {"requests": {"cpu": [1]}}}]},
        },
    ]
    deep: object = {}
    for _ in range(400):
        deep = {"a": deep}
    odd.append({"metadata": {"namespace": "jhub", "labels": deep}, "spec": {"containers": []}})
    for index, pod in enumerate(odd):
        reply = await webhook.post(review(pod, uid=f"odd-{index}"))
        assert reply.status_code == 200, reply.text
        assert reply.json()["response"]["uid"] == f"odd-{index}"
    missing = review(None)
    reply = await webhook.post(missing)
    assert reply.status_code == 200 and reply.json()["response"]["allowed"] is True


async def test_transport_errors_are_one_line_4xx(webhook: Webhook) -> None:
    http, url = webhook.http, webhook.url
    replies = {
        "not json": await http.post(
            f"{url}/validate", content=b"{", headers={"Content-Type": "application/json"}
        ),
        "wrong type": await http.post(
            f"{url}/validate", content=b"{}", headers={"Content-Type": "text/plain"}
        ),
        "too big": await http.post(
            f"{url}/validate", content=b" " * (8 * 1024 * 1024), headers={"Content-Type": "application/json"}
        ),
        "no uid": await http.post(
            f"{url}/validate",
            json={"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": {}},
        ),
        "GET": await http.get(f"{url}/validate"),
    }
    statuses = {name: reply.status_code for name, reply in replies.items()}
    assert statuses == {"not json": 400, "wrong type": 415, "too big": 413, "no uid": 400, "GET": 405}
    for reply in replies.values():
        assert reply.text.count("\n") <= 1 and "Traceback" not in reply.text


async def test_health_readiness_and_metrics(webhook: Webhook) -> None:
    http, url = webhook.http, webhook.url
    assert (await http.get(f"{url}/healthz")).status_code == 200
    assert (await http.get(f"{url}/readyz")).status_code == 200
    await webhook.answer(review(example_pod("too-many-cpus")))
    await webhook.answer(review(example_pod("valid")))
    text = (await http.get(f"{url}/metrics")).text
    assert re.search(r'^prevalidate_webhook_reviews_total\{outcome="denied"\} [1-9]', text, re.M)
    assert re.search(r'^prevalidate_webhook_reviews_total\{outcome="allowed"\} [1-9]', text, re.M)
    assert re.search(r'^prevalidate_findings_total\{code="no-node-fits",severity="error"\} [1-9]', text, re.M)
    assert re.search(r"^prevalidate_webhook_review_duration_seconds_count [1-9]", text, re.M)
    assert re.search(r'^prevalidate_validations_total\{outcome="rejected",path="webhook"\} [1-9]', text, re.M)


async def test_200_concurrent_reviews_each_get_their_own_uid(webhook: Webhook) -> None:
    pods = ["valid", *BAD_PODS]
    documents = [review(example_pod(pods[i % len(pods)]), uid=f"c-{i}") for i in range(200)]
    responses = await asyncio.gather(*(webhook.answer(d) for d in documents))
    for index, response in enumerate(responses):
        assert response["uid"] == f"c-{index}"
        assert response["allowed"] is (index % len(pods) == 0)
    assert json.dumps(responses)


async def test_warn_only_allows_what_would_be_denied_and_tells_it_as_warnings(
    example_sim: KubeSim, start_webhook: StartWebhook
) -> None:
    service, live, closing = await live_service(example_sim.url)
    assert await live.wait_ready(60)
    hook = await start_webhook(service, closing=tuple(closing), warn_only=True)
    for pod in BAD_PODS:
        response = await hook.answer(review(example_pod(pod)))
        words = EXPECTED[pod][1]
        assert response["allowed"] is True and "status" not in response
        assert any(words in warning for warning in response["warnings"])
        assert all("\n" not in w and len(w) <= 256 for w in response["warnings"])
    assert await hook.answer(review(example_pod("valid"))) == {
        "uid": review(example_pod("valid"))["request"]["uid"],
        "allowed": True,
    }
    text = (await hook.http.get(f"{hook.url}/metrics")).text
    assert re.search(r'^prevalidate_webhook_reviews_total\{outcome="would_deny"\} [1-9]', text, re.M)
