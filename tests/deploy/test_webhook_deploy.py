"""deploy/webhook/ is right: the manifests render with a real kubectl (kustomize), every name
they reference exists, the selectors match the pods KubeSpawner makes, RBAC covers what the
validators read, the install script really installs it in a real kube-apiserver (which checks
every manifest's schema), and the configuration makes that kube-apiserver call a webhook and
show its denial."""

from __future__ import annotations

import asyncio
import base64
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from prevalidate.kube.watchkinds import WATCH_KINDS
from prevalidate.testing.kubesim.webhookconfig import Attributes, rule_matches, selector_matches
from prevalidate.testing.realplane.plane import ControlPlane
from prevalidate.testing.webhookstandin import Answer, StandinWebhook, ca_bundle, make_certs

WEBHOOK = Path(__file__).parent.parent.parent / "deploy" / "webhook"
KUBECTL = shutil.which("kubectl")
needs_kubectl = pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed (scripts/bootstrap)")
Obj = dict[str, Any]


def render(overlay: str) -> list[Obj]:
    out = subprocess.run([KUBECTL or "kubectl", "kustomize", str(WEBHOOK / overlay)],
                         check=True, capture_output=True, text=True, timeout=120).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def one(docs: list[Obj], kind: str) -> Obj:
    found = [d for d in docs if d["kind"] == kind]
    assert len(found) == 1, kind
    return found[0]


@needs_kubectl
def test_every_name_the_manifests_reference_exists() -> None:
    docs = render("base")
    deployment, service = one(docs, "Deployment"), one(docs, "Service")
    ns = one(docs, "Namespace")["metadata"]["name"]
    pod = deployment["spec"]["template"]
    container = pod["spec"]["containers"][0]
    assert pod["spec"]["serviceAccountName"] == one(docs, "ServiceAccount")["metadata"]["name"]
    assert selector_matches(deployment["spec"]["selector"], pod["metadata"]["labels"])
    assert selector_matches({"matchLabels": service["spec"]["selector"]}, pod["metadata"]["labels"])
    assert selector_matches(one(docs, "PodDisruptionBudget")["spec"]["selector"], pod["metadata"]["labels"])
    assert service["spec"]["ports"][0]["targetPort"] in [p["name"] for p in container["ports"]]
    binding = one(docs, "ClusterRoleBinding")
    assert binding["roleRef"]["name"] == one(docs, "ClusterRole")["metadata"]["name"]
    assert binding["subjects"][0] == {
        "kind": "ServiceAccount", "name": "prevalidate-webhook", "namespace": ns}
    hook = one(docs, "ValidatingWebhookConfiguration")["webhooks"][0]
    ref = hook["clientConfig"]["service"]
    assert (ref["name"], ref["namespace"]) == (service["metadata"]["name"], ns)
    assert ref["port"] == service["spec"]["ports"][0]["port"]
    secret = pod["spec"]["volumes"][0]["secret"]["secretName"]
    assert secret == f"{ref['name']}-tls"  # what install-without-cert-manager.sh creates
    assert container["args"][:2] == ["webhook", "serve"]
    assert {"--cert", "--key"} <= set(container["args"])
    # the cert-manager overlay: the Certificate writes that Secret for the name the apiserver checks
    cm = render("cert-manager")
    cert, issuer = one(cm, "Certificate"), one(cm, "Issuer")
    assert cert["spec"]["secretName"] == secret
    assert f"{ref['name']}.{ns}.svc" in cert["spec"]["dnsNames"]
    assert cert["spec"]["issuerRef"]["name"] == issuer["metadata"]["name"]
    annotations = one(cm, "ValidatingWebhookConfiguration")["metadata"]["annotations"]
    assert annotations["cert-manager.io/inject-ca-from"] == f"{ns}/{cert['metadata']['name']}"


@needs_kubectl
def test_the_configuration_can_never_lock_the_cluster_out() -> None:
    docs = render("base")
    hook = one(docs, "ValidatingWebhookConfiguration")["webhooks"][0]
    assert (hook["failurePolicy"], hook["timeoutSeconds"], hook["sideEffects"]) == ("Ignore", 3, "None")
    assert hook["admissionReviewVersions"] == ["v1"]
    assert hook["rules"] == [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"],
                              "resources": ["pods"], "scope": "Namespaced"}]
    own = one(docs, "Namespace")["metadata"]["name"]
    for excluded in ("kube-system", own):
        assert not selector_matches(hook["namespaceSelector"], {"kubernetes.io/metadata.name": excluded})
    assert selector_matches(hook["namespaceSelector"], {"kubernetes.io/metadata.name": "jhub"})
    # the webhook's own pods are not notebook pods either
    deployment_labels = one(docs, "Deployment")["spec"]["template"]["metadata"]["labels"]
    assert not selector_matches(hook["objectSelector"], deployment_labels)
    for op in ("UPDATE", "DELETE"):
        assert not rule_matches(hook["rules"][0], Attributes("", "v1", "pods", "", "jhub", op))


@needs_kubectl
def test_rbac_reads_every_kind_the_validators_watch() -> None:
    rules = one(render("base"), "ClusterRole")["rules"]
    for kind in WATCH_KINDS.values():
        assert any(kind.group in r["apiGroups"] and kind.plural in r["resources"]
                   and {"list", "watch"} <= set(r["verbs"]) for r in rules), kind.kind
    assert all(set(r["verbs"]) <= {"get", "list", "watch"} for r in rules)  # read-only


@needs_kubectl
async def test_the_selectors_match_the_pods_kubespawner_makes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kubernetes_asyncio.config import kube_config
    from kubespawner import KubeSpawner
    from traitlets.config import Config

    # a stock KubeSpawner outside a hub reads a kubeconfig at start; nothing here calls it
    nowhere = tmp_path / "kubeconfig"
    nowhere.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "none",
        "clusters": [{"name": "none", "cluster": {"server": "http://127.0.0.1:9"}}],
        "users": [{"name": "none", "user": {}}],
        "contexts": [{"name": "none", "context": {"cluster": "none", "user": "none"}}]}))
    monkeypatch.setattr(kube_config, "KUBE_CONFIG_DEFAULT_LOCATION", str(nowhere))

    config = Config()
    config.KubeSpawner.namespace = "jhub"
    spawner = KubeSpawner(_mock=True, config=config)
    pod = (await spawner.get_pod_manifest()).to_dict()
    hook = one(render("base"), "ValidatingWebhookConfiguration")["webhooks"][0]
    assert selector_matches(hook["objectSelector"], pod["metadata"]["labels"])
    assert selector_matches(hook["namespaceSelector"], {"kubernetes.io/metadata.name": "jhub"})
    assert rule_matches(hook["rules"][0], Attributes("", "v1", "pods", "", "jhub", "CREATE"))


@pytest.fixture
def plane_kubeconfig(real_plane: ControlPlane) -> Iterator[Path]:
    yield real_plane.kubeconfig
    api = real_plane.api
    api.request("DELETE", "/api/v1/namespaces/prevalidate/pods", params={"gracePeriodSeconds": "0"})
    api.request("DELETE", "/api/v1/namespaces/prevalidate")
    for path in ("/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/prevalidate-webhook",
                 "/apis/rbac.authorization.k8s.io/v1/clusterroles/prevalidate-webhook",
                 "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/prevalidate-webhook"):
        api.request("DELETE", path)


@needs_kubectl
def test_the_install_script_installs_everything_in_a_real_apiserver(
    plane_kubeconfig: Path, real_plane: ControlPlane, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "KUBECONFIG": str(plane_kubeconfig),
        # stands in for `prevalidate webhook certs` until the webhook branch is merged
        "PREVALIDATE": f"{sys.executable} -m prevalidate.testing.webhookstandin",
        "CERT_DIR": str(tmp_path / "certs"),
    }
    done = subprocess.run([str(WEBHOOK / "install-without-cert-manager.sh")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "prevalidate webhook installed in namespace prevalidate "
        "(caBundle set; certificate valid for prevalidate-webhook.prevalidate.svc)")
    api = real_plane.api
    config = api.get("ValidatingWebhookConfiguration", "prevalidate-webhook")
    assert config is not None
    ca = (tmp_path / "certs" / "ca.crt").read_bytes()
    assert base64.b64decode(config["webhooks"][0]["clientConfig"]["caBundle"]) == ca
    for kind in ("Deployment", "Service", "PodDisruptionBudget", "ServiceAccount", "Secret"):
        name = "prevalidate-webhook-tls" if kind == "Secret" else "prevalidate-webhook"
        assert api.get(kind, name, "prevalidate") is not None, kind


@pytest.fixture
async def standin(tmp_path: Path) -> AsyncIterator[StandinWebhook]:
    server = await StandinWebhook(make_certs(tmp_path / "certs")).start()
    try:
        yield server
    finally:
        await server.stop()


@needs_kubectl
async def test_the_real_apiserver_calls_the_configured_webhook_and_shows_its_denial(
    real_plane: ControlPlane, standin: StandinWebhook, tmp_path: Path
) -> None:
    """The shipped configuration, pointed at a webhook on 127.0.0.1 (clientConfig.url; the
    plane has no service network), registered in a real kube-apiserver."""
    hook_config = one(render("base"), "ValidatingWebhookConfiguration")
    hook_config["metadata"]["name"] = "prevalidate-webhook-url"
    hook = hook_config["webhooks"][0]
    hook["clientConfig"] = {"url": standin.url, "caBundle": ca_bundle(standin.certs)}
    standin.answer = Answer(allowed=False, message="You asked for 120 CPUs. The largest node has 8.",
                            warnings=["the image was not checked: the registry did not answer"])
    api = real_plane.api
    status, body = await asyncio.to_thread(api.create, hook_config)
    assert status == 201, body
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "jupyter-alice", "labels": {"component": "singleuser-server"}},
        "spec": {"containers": [{"name": "notebook", "image": "jupyter/base-notebook"}]},
    }))
    try:
        # the apiserver may take a moment to see the new configuration: retry until it calls
        err = ""
        for _ in range(100):
            proc = await asyncio.create_subprocess_exec(
                KUBECTL or "kubectl", "--kubeconfig", str(real_plane.kubeconfig), "-n", "default",
                "create", "-f", str(manifest), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            _, raw_err = await asyncio.wait_for(proc.communicate(), 120)
            err = raw_err.decode()
            if proc.returncode != 0:
                break
            await asyncio.to_thread(api.request, "DELETE", "/api/v1/namespaces/default/pods/jupyter-alice",
                                    params={"gracePeriodSeconds": "0"})
            await asyncio.sleep(0.2)
        assert err.splitlines() == [
            "Warning: the image was not checked: the registry did not answer",
            f'Error from server (Forbidden): error when creating "{manifest}": admission webhook '
            '"validate.prevalidate.jupyter.org" denied the request: '
            "You asked for 120 CPUs. The largest node has 8.",
        ]
        request = standin.reviews[-1]["request"]
        assert request["object"]["metadata"]["labels"] == {"component": "singleuser-server"}
        assert standin.queries[-1] == "timeout=3s"
    finally:
        await asyncio.to_thread(
            api.request, "DELETE",
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/prevalidate-webhook-url")
        await asyncio.to_thread(api.request, "DELETE", "/api/v1/namespaces/default/pods/jupyter-alice",
                                params={"gracePeriodSeconds": "0"})
