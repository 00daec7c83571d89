"""The ValidatingAdmissionWebhook plugin: kubesim calls the registered webhooks over HTTPS as
kube-apiserver does, and answers with the apiserver's own texts.

Written from `k8s.io/apiserver` v0.37.2 (`pkg/admission/plugin/webhook/validating/dispatcher.go`,
`generic/webhook.go` ShouldCallHook, `errors/statuserror.go` ToStatusErr,
`request/admissionreview.go`, `pkg/util/webhook/error.go`, `pkg/endpoints/filters/warning.go`):

- which hooks: every ValidatingWebhookConfiguration (sorted by name), each webhook whose
  namespaceSelector, objectSelector and rules match, in that order (webhookconfig.py);
  configurations themselves are exempt;
- the call: `POST <url>?timeout=<N>s` with an `admission.k8s.io/v1` AdmissionReview, TLS verified
  against `caBundle` (the system roots when empty), with SNI `<svc>.<ns>.svc` for a service
  reference; kubesim has no service network, so a service is reached at the address
  `SimSettings.webhookServices["<namespace>/<name>"]` gives (`host:port`); the hooks run in
  parallel, each bounded by its `timeoutSeconds`; the first error (in configuration order) wins;
- a calling error (transport, TLS, timeout, non-2xx, an invalid response) is decided by
  `failurePolicy`: `Ignore` admits (and counts in `fail_open`), `Fail` answers 500
  `Internal error occurred: failed calling webhook "<name>": failed to call webhook: …`;
- a denial answers the response's `status.code` (at least 400) with
  `admission webhook "<name>" denied the request: <message>`;
- `response.warnings` become `Warning: 299 - "<text>"` headers, also on a denial;
- a dry run reaches only webhooks with sideEffects None/NoneOnDryRun; any other is a 400
  `admission webhook "<name>" does not support dry run`, whatever the failure policy.

Transport error texts follow Go's `url.Error` (`Post "<url>": <cause>`); the causes kubesim can
name are a timeout (`context deadline exceeded`), a refused connection and a certificate that
does not verify (wording of crypto/x509 where Python's ssl tells the same fact).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import ssl
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from .settings import SimSettings
from .status import ApiError, bad_request, not_found
from .store import Store
from .webhookconfig import Attributes, is_exempt, rule_matches, selector_matches

log = logging.getLogger("kubesim.webhooks")
Obj = dict[str, Any]
REVIEW_VERSION = "admission.k8s.io/v1"
TRUNCATE_AT_TOTAL_RUNES = 4 * 1024
TRUNCATE_ITEM_RUNES = 256


class WebhookRejection(ApiError):
    """A webhook's Status: reason, details and code pass through; an empty reason is omitted
    (metav1.Status `reason,omitempty`), so kubectl prints `Error from server: …`."""

    def __init__(self, code: int, reason: str, message: str, details: Obj | None, status: str) -> None:
        super().__init__(code, reason, message, details)
        self.status = status

    def body(self) -> Obj:
        body = super().body()
        body["status"] = self.status
        if not self.reason:
            body.pop("reason")
        return body


class CallingError(Exception):
    """ErrCallingWebhook: the hook could not be asked, or answered nonsense."""

    def __init__(self, webhook: str, reason: str) -> None:
        super().__init__(f'failed calling webhook "{webhook}": {reason}')


def to_status_err(webhook: str, result: Obj | None) -> WebhookRejection:
    """errors.ToStatusErr: code raised to 400, Failure status, `denied the request: <message>`."""
    result = result if isinstance(result, dict) else {}
    denied_by = f'admission webhook "{webhook}" denied the request'
    raw_code = result.get("code")
    code = max(raw_code if isinstance(raw_code, int) else 0, 400)
    status = result.get("status") or ""
    if status in ("", "Success"):
        status = "Failure"
    message, reason = str(result.get("message") or ""), str(result.get("reason") or "")
    if message:
        text = f"{denied_by}: {message}"
    elif reason:
        text = f"{denied_by}: {reason}"
    else:
        text = f"{denied_by} without explanation"
    details = result.get("details") if isinstance(result.get("details"), dict) else None
    return WebhookRejection(code, reason, text, details, status)


def internal_error(err: str) -> ApiError:
    """apierrors.NewInternalError(err)."""
    return ApiError(500, "InternalError", f"Internal error occurred: {err}", {"causes": [{"message": err}]})


@dataclass
class WarningRecorder:
    """filters/warning.go's recorder: dedupe, drop texts with control characters, and past
    4096 runes in total cut every warning to 256 runes."""

    ordered: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        if text and text not in self.ordered:
            self.ordered.append(text)

    def headers(self) -> list[str]:
        texts = [t for t in self.ordered if not any(_is_control(c) for c in t)]
        if sum(len(t) for t in texts) > TRUNCATE_AT_TOTAL_RUNES:
            texts = [t[:TRUNCATE_ITEM_RUNES] for t in texts]
        quoted = ('"' + t.replace("\\", "\\\\").replace('"', '\\"') + '"' for t in texts)
        return [f"299 - {q}" for q in quoted]


def _is_control(char: str) -> bool:
    return ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0  # unicode.IsControl: Cc only


@dataclass
class Endpoint:
    url: str  # what the apiserver's errors name: https://<svc>.<ns>.svc:<port><path>
    connect_url: str  # where kubesim really connects
    server_hostname: str | None  # SNI and the name the certificate must carry


class WebhookDispatcher:
    """Calls the validating webhooks for one admission; `fail_open` counts ignored failures
    (the apiserver's `apiserver_admission_webhook_fail_open_count`)."""

    def __init__(self, store: Store, settings: SimSettings) -> None:
        self.store, self.settings = store, settings
        self.fail_open: dict[str, int] = {}
        self.calls: list[Obj] = []  # every AdmissionReview sent, for tests
        self._contexts: dict[str, ssl.SSLContext] = {}

    async def validate(
        self, attr: Attributes, kind: str, obj: Obj, dry_run: bool, warnings: WarningRecorder
    ) -> None:
        """Raise the ApiError the apiserver would answer; return when admitted."""
        group = attr.group
        if is_exempt(group, kind):
            return
        configs = sorted(
            self.store.items("validatingwebhookconfigurations"), key=lambda c: c["metadata"]["name"]
        )
        hooks = [h for c in configs for h in (c.get("webhooks") or []) if self._should_call(h, attr, obj)]
        if not hooks:
            return
        results = await asyncio.gather(*(self._call(h, attr, kind, obj, dry_run, warnings) for h in hooks))
        for error in results:
            if error is not None:
                raise error

    # -- ShouldCallHook -------------------------------------------------------------------
    def _should_call(self, hook: Obj, attr: Attributes, obj: Obj) -> bool:
        if not self._namespace_matches(hook.get("namespaceSelector"), attr, obj):
            return False
        labels = (obj.get("metadata") or {}).get("labels") or {}
        if not selector_matches(hook.get("objectSelector"), labels):
            return False
        return any(rule_matches(rule, attr) for rule in hook.get("rules") or [])

    def _namespace_matches(self, selector: Obj | None, attr: Attributes, obj: Obj) -> bool:
        is_namespace = (attr.group, attr.resource) == ("", "namespaces")
        if not attr.namespace and not is_namespace:
            return True  # cluster-scoped objects are never exempted by a namespaceSelector
        if not selector:
            return True
        if is_namespace:
            labels = (obj.get("metadata") or {}).get("labels") or {}
        else:
            ns = self.store.peek("namespaces", "", attr.namespace)
            if ns is None:
                raise not_found("namespaces", attr.namespace)
            labels = (ns.get("metadata") or {}).get("labels") or {}
        return selector_matches(selector, labels)

    # -- one call ------------------------------------------------------------------------
    async def _call(
        self, hook: Obj, attr: Attributes, kind: str, obj: Obj, dry_run: bool, warnings: WarningRecorder
    ) -> ApiError | None:
        name = hook.get("name") or ""
        if dry_run and hook.get("sideEffects") not in ("None", "NoneOnDryRun"):
            return bad_request(f'admission webhook "{name}" does not support dry run')
        try:
            result = await self._post(hook, self._review(attr, kind, obj, dry_run))
        except CallingError as exc:
            if hook.get("failurePolicy", "Fail") == "Ignore":
                log.warning("Failed calling webhook, failing open %s: %s", name, exc)
                self.fail_open[name] = self.fail_open.get(name, 0) + 1
                return None
            log.warning("Failed calling webhook, failing closed %s: %s", name, exc)
            return internal_error(str(exc))
        for text in result.get("warnings") or []:
            if isinstance(text, str):
                warnings.add(text)
        if result.get("allowed") is True:
            return None
        return to_status_err(name, result.get("status"))

    def _review(self, attr: Attributes, kind: str, obj: Obj, dry_run: bool) -> Obj:
        gvk = {"group": attr.group, "version": attr.version, "kind": kind}
        gvr = {"group": attr.group, "version": attr.version, "resource": attr.resource}
        user = self.settings.user
        groups = ["system:authenticated"]
        if user.startswith("system:serviceaccount:"):
            sa_ns = user.split(":")[2]
            groups = ["system:serviceaccounts", f"system:serviceaccounts:{sa_ns}", "system:authenticated"]
        options: Obj = {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1"}
        if dry_run:
            options["dryRun"] = ["All"]
        request: Obj = {
            "uid": str(uuid.uuid4()),
            "kind": gvk,
            "resource": gvr,
            "requestKind": gvk,
            "requestResource": gvr,
            "name": (obj.get("metadata") or {}).get("name") or "",
            "operation": attr.operation,
            "userInfo": {"username": user, "groups": groups},
            "object": obj,
            "oldObject": None,
            "dryRun": dry_run,
            "options": options,
        }
        if attr.namespace:
            request["namespace"] = attr.namespace
        review = {"kind": "AdmissionReview", "apiVersion": REVIEW_VERSION, "request": request}
        self.calls.append(review)
        return review

    def _endpoint(self, hook: Obj, timeout: int) -> Endpoint:
        cc = hook.get("clientConfig") or {}
        name = hook.get("name") or ""
        if cc.get("url"):
            return Endpoint(cc["url"], cc["url"], None)
        svc = cc.get("service") or {}
        host = f"{svc.get('name')}.{svc.get('namespace')}.svc"
        path = svc.get("path") or ""
        url = f"https://{host}:{svc.get('port', 443)}{path}"
        target = self.settings.webhook_services.get(f"{svc.get('namespace')}/{svc.get('name')}")
        if not target:
            raise CallingError(
                name,
                f'failed to call webhook: Post "{url}?timeout={timeout}s": '
                f'no endpoints available for service "{svc.get("name")}"',
            )
        return Endpoint(url, f"https://{target}{path}", host)

    def _ssl_context(self, hook: Obj) -> ssl.SSLContext:
        """client-go's TLS config: with a caBundle, that pool *only* (not the system roots);
        without, the system roots. Cached per bundle: building a context costs milliseconds."""
        bundle = (hook.get("clientConfig") or {}).get("caBundle") or ""
        context = self._contexts.get(bundle)
        if context is None:
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies chain and host name
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            if bundle:
                context.load_verify_locations(cadata=base64.b64decode(bundle).decode())
            else:
                context.load_default_certs(ssl.Purpose.SERVER_AUTH)
            self._contexts[bundle] = context
        return context

    async def _post(self, hook: Obj, review: Obj) -> Obj:
        name = hook.get("name") or ""
        timeout = int(hook.get("timeoutSeconds") or 10)
        endpoint = self._endpoint(hook, timeout)
        shown = f"{endpoint.url}?timeout={timeout}s"
        try:
            context = self._ssl_context(hook)
        except (ValueError, ssl.SSLError) as exc:
            raise CallingError(
                name, f"could not get REST client: unable to load root certificates: {exc}"
            ) from None
        body = json.dumps(review).encode()
        try:
            async with (
                aiohttp.ClientSession(
                    timeout=aiohttp.ClientTimeout(total=timeout),
                    connector=aiohttp.TCPConnector(force_close=True),
                ) as session,
                session.post(
                    f"{endpoint.connect_url}?timeout={timeout}s",
                    data=body,
                    headers={"Content-Type": "application/json", "Accept": "application/json, */*"},
                    ssl=context,
                    server_hostname=endpoint.server_hostname,
                ) as resp,
            ):
                status, text = resp.status, await resp.read()
        except asyncio.TimeoutError:
            raise CallingError(
                name, f'failed to call webhook: Post "{shown}": context deadline exceeded'
            ) from None
        except aiohttp.ClientConnectorCertificateError as exc:
            raise CallingError(
                name, f'failed to call webhook: Post "{shown}": {_x509_text(exc, endpoint)}'
            ) from None
        except aiohttp.ClientConnectorError as exc:
            cause = f"dial tcp {exc.host}:{exc.port}: connect: " + (
                "connection refused"
                if isinstance(exc.os_error, ConnectionRefusedError)
                else str(exc.os_error)
            )
            raise CallingError(name, f'failed to call webhook: Post "{shown}": {cause}') from None
        except aiohttp.ClientError as exc:
            raise CallingError(name, f'failed to call webhook: Post "{shown}": {exc}') from None
        if not 200 <= status < 300:
            raise CallingError(name, f"failed to call webhook: {_server_error(status, text)}")
        return _verify(name, review["request"]["uid"], text)


def _x509_text(exc: aiohttp.ClientConnectorCertificateError, endpoint: Endpoint) -> str:
    cert_error = exc.certificate_error
    code = getattr(cert_error, "verify_code", None)
    if code == 62:  # X509_V_ERR_HOSTNAME_MISMATCH
        host = endpoint.server_hostname or (exc.host or "")
        return f"tls: failed to verify certificate: x509: certificate is not valid for {host}"
    # signature failure (an issuer of the same name, another key), self-signed, self-signed in
    # chain, unknown issuer, unable to verify: Go's UnknownAuthorityError
    if code in (7, 18, 19, 20, 21):
        return "tls: failed to verify certificate: x509: certificate signed by unknown authority"
    if code == 10:
        return "tls: failed to verify certificate: x509: certificate has expired or is not yet valid"
    return f"tls: failed to verify certificate: {getattr(cert_error, 'verify_message', cert_error)}"


def _server_error(status: int, text: bytes) -> str:
    """client-go's rest result for a non-2xx answer: a Status body's message, else
    errors.NewGenericServerResponse's sentence for the code."""
    try:
        decoded = json.loads(text)
        if isinstance(decoded, dict) and decoded.get("kind") == "Status" and decoded.get("message"):
            return str(decoded["message"])
    except ValueError:
        pass
    body = text.decode(errors="replace").strip()
    generic = {
        400: "the server rejected our request for an unknown reason",
        404: "the server could not find the requested resource",
        405: "the server does not allow this method on the requested resource",
        413: "the server has rejected the request because it is too large",
        415: "the server has rejected the request because its media type is not supported",
    }
    if status in generic:
        return generic[status] + (f" ({body})" if body else "")
    return f'an error on the server ("{body}") has prevented the request from succeeding'


def _verify(name: str, uid: str, text: bytes) -> Obj:
    """VerifyAdmissionResponse for a v1 review from a validating webhook."""
    try:
        review = json.loads(text)
    except ValueError as exc:
        raise CallingError(
            name, f"failed to call webhook: couldn't get version/kind; json parse error: {exc}"
        ) from None
    if not isinstance(review, dict):
        raise CallingError(
            name, "failed to call webhook: couldn't get version/kind; json parse error: not an object"
        )

    def invalid(why: str) -> CallingError:
        return CallingError(name, f"received invalid webhook response: {why}")

    if review.get("apiVersion") != REVIEW_VERSION or review.get("kind") != "AdmissionReview":
        group, _, version = str(review.get("apiVersion") or "").rpartition("/")
        got = (
            f"{group}/{version}, Kind={review.get('kind') or ''}"
            if group
            else f"/{version}, Kind={review.get('kind') or ''}"
        )
        raise invalid(f"expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got {got}")
    response = review.get("response")
    if not isinstance(response, dict):
        raise invalid("webhook response was absent")
    if response.get("uid") != uid:
        raise invalid(f'expected response.uid="{uid}", got "{response.get("uid") or ""}"')
    if response.get("patch"):
        raise invalid("validating webhook may not return response.patch")
    if response.get("patchType"):
        raise invalid("validating webhook may not return response.patchType")
    return response
