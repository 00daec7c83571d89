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
from prevalidate.testing.webhookprocess import RunningWebhook, ca_bundle, start_webhook

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
def test_the_manifests_and_the_real_server_agree() -> None:
    """The Deployment's args parse with the real `prevalidate` CLI into what the manifests
    assume (the port the container exposes, the certificate files of the mounted Secret), the
    configuration's path is a route the server has, and the install script's certificates are
    for the Service the configuration names."""
    from prevalidate_webhook.server import make_app

    from prevalidate.cli import build_parser

    docs = render("base")
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    container = pod["containers"][0]
    args = build_parser().parse_args(container["args"])
    assert (args.command, args.webhook_command) == ("webhook", "serve")
    assert args.port == container["ports"][0]["containerPort"] == 8443
    mount = next(m["mountPath"] for m in container["volumeMounts"] if m["name"] == "tls")
    # the keys `kubectl create secret tls` and cert-manager write
    assert (args.cert, args.key) == (f"{mount}/tls.crt", f"{mount}/tls.key")
    assert mount == "/tls" and pod["volumes"][0]["secret"]["secretName"] == "prevalidate-webhook-tls"
    hook = one(docs, "ValidatingWebhookConfiguration")["webhooks"][0]
    assert hook["name"] == "validate.prevalidate.jupyter.org"
    ref = hook["clientConfig"]["service"]
    assert (ref["namespace"], ref["name"], ref["path"]) == ("prevalidate", "prevalidate-webhook", "/validate")
    routes = {(r.method, r.resource.canonical) for r in make_app(None).router.routes()  # type: ignore[arg-type]
              if r.resource is not None}
    assert ("POST", ref["path"]) in routes
    for probe in ("readinessProbe", "livenessProbe"):
        assert ("GET", container[probe]["httpGet"]["path"]) in routes
    script = (WEBHOOK / "install-without-cert-manager.sh").read_text()
    assert "ns=${NAMESPACE:-prevalidate}" in script and "svc=${SERVICE:-prevalidate-webhook}" in script


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
        # the real `prevalidate webhook certs`, from this environment's prevalidate
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
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
async def real_webhook(real_plane: ControlPlane, tmp_path: Path) -> AsyncIterator[RunningWebhook]:
    """`prevalidate webhook serve` watching the plane, certificates from `prevalidate webhook certs`."""
    hook = await start_webhook(real_plane.kubeconfig, tmp_path / "webhook", "--offline")
    try:
        yield hook
    finally:
        await hook.stop()


@needs_kubectl
async def test_the_real_apiserver_calls_the_configured_webhook_and_shows_its_denial(
    real_plane: ControlPlane, real_webhook: RunningWebhook, tmp_path: Path
) -> None:
    """The shipped configuration, pointed at the real webhook on 127.0.0.1 (clientConfig.url; the
    plane has no service network), registered in a real kube-apiserver."""
    hook_config = one(render("base"), "ValidatingWebhookConfiguration")
    hook_config["metadata"]["name"] = "prevalidate-webhook-url"
    hook = hook_config["webhooks"][0]
    hook["clientConfig"] = {"url": f"{real_webhook.url}/validate", "caBundle": ca_bundle(real_webhook.certs)}
    api = real_plane.api
    status, body = await asyncio.to_thread(api.create, hook_config)
    assert status == 201, body
    manifest = tmp_path / "pod.yaml"
    manifest.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "jupyter-alice", "labels": {"component": "singleuser-server"}},
        "spec": {"containers": [{"name": "notebook", "image": "jupyter/base-notebook"}],
                 "imagePullSecrets": [{"name": "regcred-gone"}],
                 "volumes": [{"name": "home", "persistentVolumeClaim": {"claimName": "claim-alcie"}}]},
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
        assert err.splitlines() == expected_kubectl_text(manifest), err
        assert (await real_webhook.reviews()).get("denied", 0) >= 1
    finally:
        await asyncio.to_thread(
            api.request, "DELETE",
            "/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations/prevalidate-webhook-url")
        await asyncio.to_thread(api.request, "DELETE", "/api/v1/namespaces/default/pods/jupyter-alice",
                                params={"gracePeriodSeconds": "0"})


def expected_kubectl_text(manifest: Path) -> list[str]:
    """What a user of kubectl reads: our warning on its own line (once: the denial holds only the
    errors), then kubectl's framing (422: "The request is invalid") of the apiserver's framing of
    our one-line message. The plane has
    no nodes and no claims, which our sentences say."""
    secret = ('The image pull secret "regcred-gone" does not exist in namespace default; '
              "private images may fail to pull.")
    return [
        f"Warning: {secret}",
        f'The request is invalid: error when creating "{manifest}": admission webhook '
        '"validate.prevalidate.jupyter.org" denied the request: Your server cannot start with these options: '
        "The cluster has no nodes to run your server on right now. Try again later. "
        'The volume claim "claim-alcie" does not exist in namespace default. Your namespace has no PVCs. '
        "If this keeps happening, contact your hub administrator.",
    ]
