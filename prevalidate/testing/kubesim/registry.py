"""REST storage: create / replace / delete through admission, in kube-apiserver's order.

POST pipeline: decode (400) → v1 defaults (limit → request) → namespace lifecycle (404) →
ServiceAccount → LimitRanger defaults → Priority → the pod-changing plugins of podadmission.py
(PodNodeSelector, PodTolerationRestriction, ExtendedResourceToleration, RuntimeClass) →
DefaultStorageClass → PrepareForCreate → field validation (422) → LimitRanger validation (403)
→ podadmission's validating phase → ValidatingAdmissionWebhook (webhooks.py, awaited by the
HTTP layer between prepare_create and its commit) → ResourceQuota (403, charges `status.used`) → storage (409
AlreadyExists). Deleting a pod with a grace period marks it terminating; the
kubelet finishes the deletion.
"""

from __future__ import annotations

import base64
import copy
import secrets
import uuid
from collections.abc import Callable
from typing import Any

from . import limitranger, podadmission, quota, validation, webhookconfig
from .podresources import qos_class
from .quantity import Quantity
from .resources import Resource
from .settings import SimSettings
from .status import ApiError, bad_request, forbidden, not_found, success
from .store import Store, now_rfc3339

Obj = dict[str, Any]
DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class"
BETA_DEFAULT_CLASS = "storageclass.beta.kubernetes.io/is-default-class"
PVC_PROTECTION = "kubernetes.io/pvc-protection"
SYSTEM_PRIORITY_CLASSES = {"system-cluster-critical": 2000000000, "system-node-critical": 2000001000}


def _random_suffix() -> str:
    alphabet = "bcdfghjklmnpqrstvwxz2456789"
    return "".join(secrets.choice(alphabet) for _ in range(5))


class Registry:
    """The write path of the API: every create/replace/delete goes through here."""

    def __init__(self, store: Store, settings: SimSettings | None = None) -> None:
        self.store = store
        self.settings = settings or SimSettings()

    # -- helpers ---------------------------------------------------------------------
    def _namespace_usable(self, resource: Resource, namespace: str) -> None:
        ns = self.store.peek("namespaces", "", namespace)
        if ns is None:
            raise not_found("namespaces", namespace)
        if (ns.get("status") or {}).get("phase") == "Terminating":
            raise forbidden(
                resource.plural,
                "",
                f"unable to create new content in namespace {namespace} because it is being terminated",
            )

    def default_storage_class(self) -> str | None:
        """pkg/volume/util/storageclass.go GetDefaultClass: a class is default when either the
        GA or the beta annotation is "true"; of several, the newest by creationTimestamp wins,
        ties going to the first name."""
        defaults = []
        for sc in self.store.items("storageclasses"):
            meta = sc.get("metadata") or {}
            annotations = meta.get("annotations") or {}
            if "true" in (annotations.get(DEFAULT_CLASS_ANNOTATION), annotations.get(BETA_DEFAULT_CLASS)):
                defaults.append((str(meta.get("creationTimestamp") or ""), str(meta["name"])))
        if not defaults:
            return None
        newest = max(created for created, _ in defaults)
        return min(name for created, name in defaults if created == newest)

    # -- create ----------------------------------------------------------------------
    def create(self, resource: Resource, namespace: str | None, body: Any, dry_run: bool = False) -> Obj:
        _, commit = self.prepare_create(resource, namespace, body, dry_run)
        return commit()

    def prepare_create(
        self, resource: Resource, namespace: str | None, body: Any, dry_run: bool = False
    ) -> tuple[Obj, Callable[[], Obj]]:
        """Everything before the ValidatingAdmissionWebhook step: the admitted object and the
        rest (ResourceQuota, storage) to run once the webhooks have allowed it."""
        obj = validation.decode(resource.kind, body)
        if obj.get("kind") not in (None, resource.kind):
            raise bad_request(
                f'{resource.kind} in version "{resource.version}" cannot be handled '
                f'as a {resource.kind}: no kind "{obj.get("kind")}" is registered '
                f'for version "{obj.get("apiVersion", "")}" in scheme '
                f'"k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30"'
            )
        obj["kind"], obj["apiVersion"] = resource.kind, resource.api_version
        meta = obj.setdefault("metadata", {})
        if resource.namespaced:
            if meta.get("namespace") not in (None, "", namespace):
                raise bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request"
                )
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + _random_suffix()
        for server_set in ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp"):
            meta.pop(server_set, None)
        # rest.FillObjectMetaSystemFields runs before admission's validating phase: validating
        # webhooks (and a dry run's answer) see the uid and creationTimestamp that are stored.
        meta["uid"], meta["creationTimestamp"] = str(uuid.uuid4()), now_rfc3339()
        if resource.namespaced and namespace:
            self._namespace_usable(resource, namespace)
        if resource.plural == "pods":
            pod = self._admit_pod(obj)
            return pod, lambda: self._store_pod(pod, dry_run)
        handler = getattr(self, f"_create_{resource.plural}", None)
        if handler is not None:
            # Handlers validate, then store unless dry_run: a dry pass on a copy gives the
            # object the webhooks see; commit runs the same handler for real.
            checked = handler(resource, copy.deepcopy(obj), True)
            return checked, lambda: handler(resource, obj, dry_run)
        validation.check(resource.kind, obj)
        return obj, lambda: obj if dry_run else self.store.create(resource.plural, obj)

    def _create_validatingwebhookconfigurations(self, resource: Resource, config: Obj, dry_run: bool) -> Obj:
        webhookconfig.default(config)
        webhookconfig.validate(config)
        return config if dry_run else self.store.create(resource.plural, config)

    def _admit_pod(self, pod: Obj) -> Obj:
        validation.default_pod(pod)
        ns, name = pod["metadata"]["namespace"], pod["metadata"].get("name") or ""
        spec = pod["spec"]
        account = spec.get("serviceAccountName") or spec.get("serviceAccount") or "default"
        spec["serviceAccountName"] = spec["serviceAccount"] = account
        service_account = self.store.peek("serviceaccounts", ns, account)
        if service_account is None:
            raise forbidden(
                "pods",
                name,
                f'error looking up service account {ns}/{account}: serviceaccount "{account}" not found',
            )
        if not spec.get("imagePullSecrets") and service_account.get("imagePullSecrets"):
            # ServiceAccount admission copies the account's pull secrets into the pod.
            spec["imagePullSecrets"] = [dict(s) for s in service_account["imagePullSecrets"]]
        ranges = sorted(self.store.items("limitranges", ns), key=lambda o: o["metadata"]["name"])
        limitranger.apply_defaults(pod, ranges)
        self._admit_priority(pod, name)
        podadmission.mutate(self.store, self.settings, pod, name)
        validation.default_pod(pod)  # defaulting again is idempotent; keeps v1 shape
        pod["status"] = {"phase": "Pending", "qosClass": qos_class(pod)}
        validation.check("Pod", pod)
        problem = limitranger.validate_pod(pod, ranges)
        if problem:
            raise forbidden("pods", name, problem)
        podadmission.validate(self.store, self.settings, pod, name)
        return pod

    def _store_pod(self, pod: Obj, dry_run: bool) -> Obj:
        ns, name = pod["metadata"]["namespace"], pod["metadata"].get("name") or ""
        self._charge_quota(ns, name, "pods", quota.pod_usage(pod), pod, dry_run)
        return pod if dry_run else self.store.create("pods", pod)

    def _admit_priority(self, pod: Obj, name: str) -> None:
        """The Priority plugin: resolve priorityClassName (or the global default) to a value."""
        spec = pod["spec"]
        klass = spec.get("priorityClassName") or ""
        if not klass:
            defaults = [pc for pc in self.store.items("priorityclasses") if pc.get("globalDefault")]
            if defaults:
                chosen = min(defaults, key=lambda pc: int(pc.get("value", 0)))
                spec["priorityClassName"] = chosen["metadata"]["name"]
                spec["priority"] = int(chosen.get("value", 0))
                spec["preemptionPolicy"] = chosen.get("preemptionPolicy", "PreemptLowerPriority")
            return
        if klass in SYSTEM_PRIORITY_CLASSES:
            spec["priority"] = SYSTEM_PRIORITY_CLASSES[klass]
            return
        found = self.store.peek("priorityclasses", "", klass)
        if found is None:
            raise forbidden("pods", name, f"no PriorityClass with name {klass} was found")
        spec["priority"] = int(found.get("value", 0))
        spec["preemptionPolicy"] = found.get("preemptionPolicy", "PreemptLowerPriority")

    def _create_persistentvolumeclaims(self, resource: Resource, pvc: Obj, dry_run: bool) -> Obj:
        ns, name = pvc["metadata"]["namespace"], pvc["metadata"].get("name") or ""
        spec = pvc.setdefault("spec", {})
        if "storageClassName" not in spec and not (pvc["metadata"].get("annotations") or {}).get(
            "volume.beta.kubernetes.io/storage-class"
        ):
            default = self.default_storage_class()
            if default:
                spec["storageClassName"] = default
        spec.setdefault("volumeMode", "Filesystem")
        pvc["status"] = {"phase": "Pending"}
        validation.check("PersistentVolumeClaim", pvc)
        ranges = sorted(self.store.items("limitranges", ns), key=lambda o: o["metadata"]["name"])
        problem = limitranger.validate_pvc(pvc, ranges)
        if problem:
            raise forbidden("persistentvolumeclaims", name, problem)
        self._charge_quota(ns, name, "persistentvolumeclaims", quota.pvc_usage(pvc), None, dry_run)
        return pvc if dry_run else self.store.create("persistentvolumeclaims", pvc)

    def _create_nodes(self, resource: Resource, node: Obj, dry_run: bool) -> Obj:
        validation.check("Node", node)
        validation.default_node(node)
        return node if dry_run else self.store.create("nodes", node)

    def _create_secrets(self, resource: Resource, secret: Obj, dry_run: bool) -> Obj:
        validation.check("Secret", secret)
        # The apiserver folds the write-only stringData into data (base64).
        plain = secret.pop("stringData", None) or {}
        data = secret.setdefault("data", {})
        for key, value in plain.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        secret.setdefault("type", "Opaque")
        return secret if dry_run else self.store.create("secrets", secret)

    def _create_limitranges(self, resource: Resource, lr: Obj, dry_run: bool) -> Obj:
        validation.check("LimitRange", lr)
        limitranger.default_limitrange(lr)
        return lr if dry_run else self.store.create("limitranges", lr)

    def _create_resourcequotas(self, resource: Resource, rq: Obj, dry_run: bool) -> Obj:
        validation.check("ResourceQuota", rq)
        hard = dict((rq.get("spec") or {}).get("hard") or {})
        ns = rq["metadata"]["namespace"]
        if self.settings.quota_sync_seconds > 0:
            # The registry strategy drops a client's status (PrepareForCreate); status.hard is
            # the resourcequota controller's to write, later (controllers.QuotaController).
            rq["status"] = {}
            return rq if dry_run else self.store.create("resourcequotas", rq)
        rq["status"] = {"hard": hard}
        rq["status"]["used"] = quota.recompute(
            rq, self.store.items("pods", ns), self.store.items("persistentvolumeclaims", ns)
        )
        return rq if dry_run else self.store.create("resourcequotas", rq)

    def _create_namespaces(self, resource: Resource, ns: Obj, dry_run: bool) -> Obj:
        validation.check("Namespace", ns)
        ns.setdefault("spec", {"finalizers": ["kubernetes"]})
        ns["status"] = {"phase": "Active"}
        labels = ns["metadata"].setdefault("labels", {})
        labels["kubernetes.io/metadata.name"] = ns["metadata"]["name"]
        if dry_run:
            return ns
        created = self.store.create("namespaces", ns)
        # The serviceaccount controller creates `default` in every new namespace.
        self.ensure_default_service_account(ns["metadata"]["name"])
        return created

    def ensure_default_service_account(self, namespace: str) -> None:
        if self.store.peek("serviceaccounts", namespace, "default") is None:
            self.store.create(
                "serviceaccounts",
                {
                    "apiVersion": "v1",
                    "kind": "ServiceAccount",
                    "metadata": {"name": "default", "namespace": namespace},
                },
            )

    def _charge_quota(
        self, ns: str, name: str, plural: str, usage: dict[str, Quantity], pod: Obj | None, dry_run: bool
    ) -> None:
        quotas = list(self.store.items("resourcequotas", ns))
        problem, updates = quota.admit(usage, quotas, pod)
        if problem:
            raise forbidden(plural, name, problem)
        if dry_run or self.store.peek(plural, ns, name) is not None:
            return  # the storage layer will answer 409; the controller fixes usage anyway
        for quota_name, used in updates.items():

            def write(obj: Obj, used: dict[str, Quantity] = used) -> None:
                obj.setdefault("status", {})["used"] = {k: str(q) for k, q in used.items()}

            self.store.mutate("resourcequotas", ns, quota_name, write)

    # -- replace ---------------------------------------------------------------------
    def replace(self, resource: Resource, namespace: str | None, name: str, body: Any) -> Obj:
        obj = validation.decode(resource.kind, body)
        meta = obj.setdefault("metadata", {})
        if meta.get("name") not in (None, name):
            raise bad_request(
                f"the name of the object ({meta.get('name')}) does not match the name on the URL ({name})"
            )
        meta["name"] = name
        if resource.namespaced:
            meta["namespace"] = namespace
        obj["kind"], obj["apiVersion"] = resource.kind, resource.api_version
        old = self.store.peek(resource.plural, namespace or "", name)
        if old is None:
            raise not_found(resource.plural, name, resource.group)
        if resource.plural in ("pods", "persistentvolumeclaims", "namespaces", "resourcequotas"):
            # status is owned by controllers; a PUT to the main resource cannot change it
            obj["status"] = old.get("status")
        if resource.plural == "pods":
            obj["spec"] = old["spec"]  # pod spec is immutable apart from a few fields
        if resource.plural == "validatingwebhookconfigurations":
            webhookconfig.default(obj)
            webhookconfig.validate(obj)
        validation.check(resource.kind, obj)
        return self.store.replace(resource.plural, obj)

    # -- delete ----------------------------------------------------------------------
    def delete(self, resource: Resource, namespace: str | None, name: str, grace_seconds: int | None) -> Obj:
        ns = namespace or ""
        current = self.store.peek(resource.plural, ns, name)
        if current is None:
            raise not_found(resource.plural, name, resource.group)
        if resource.plural == "pods":
            return self._delete_pod(current, grace_seconds)
        if resource.plural == "namespaces":
            for plural in list(self.store.objects):
                for obj in list(self.store.items(plural, name)):
                    if obj["metadata"].get("namespace") == name:
                        self.store.delete(plural, name, obj["metadata"]["name"])
            return self.store.delete("namespaces", "", name)
        if resource.plural == "persistentvolumeclaims" and self._claim_in_use(ns, name):
            # kubernetes.io/pvc-protection: the claim stays, Terminating, until no pod uses it.
            def terminate(obj: Obj) -> None:
                obj["metadata"].setdefault("deletionTimestamp", now_rfc3339())
                finalizers = obj["metadata"].setdefault("finalizers", [])
                if PVC_PROTECTION not in finalizers:
                    finalizers.append(PVC_PROTECTION)

            return self.store.mutate(resource.plural, ns, name, terminate) or current
        deleted = self.store.delete(resource.plural, ns, name)
        return success(resource.plural, name, deleted["metadata"]["uid"])

    def _claim_in_use(self, namespace: str, claim: str) -> bool:
        return any(
            (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed")
            and (pod.get("spec") or {}).get("nodeName")  # only scheduled pods hold a claim
            and any(
                (v.get("persistentVolumeClaim") or {}).get("claimName") == claim
                for v in (pod.get("spec") or {}).get("volumes") or []
            )
            for pod in self.store.items("pods", namespace)
        )

    def _delete_pod(self, pod: Obj, grace_seconds: int | None) -> Obj:
        meta = pod["metadata"]
        grace = grace_seconds
        if grace is None:
            grace = int((pod.get("spec") or {}).get("terminationGracePeriodSeconds", 30))
        bound = bool((pod.get("spec") or {}).get("nodeName"))
        terminal = (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")
        if grace <= 0 or not bound or terminal:
            return self.store.delete("pods", meta["namespace"], meta["name"])
        if "deletionTimestamp" in meta:
            return dict(pod)

        def mark(obj: Obj) -> None:
            obj["metadata"]["deletionTimestamp"] = now_rfc3339()
            obj["metadata"]["deletionGracePeriodSeconds"] = grace

        marked = self.store.mutate("pods", meta["namespace"], meta["name"], mark)
        return marked if marked is not None else dict(pod)


__all__ = ["ApiError", "Registry"]
