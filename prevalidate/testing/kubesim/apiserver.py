"""The HTTP face of kubesim: a tornado app speaking the Kubernetes REST API over plain HTTP.

Serves `/api/v1/...` and `/apis/<group>/<version>/...` (collections, objects, the `status`
subresource, pods' `log`: podlogs.py; what a path names is urls.py's), discovery, `/version`
and health checks; wire.py decodes request bodies and encodes list and watch bodies. Lists and
watches honour `labelSelector`, `fieldSelector`, `resourceVersion` and `timeoutSeconds`; a watch
is a chunked stream of `{"type": …, "object": …}` lines. Every failure is a `Status` body. Each
request is appended to `request_log` so tests can list exactly what a client (KubeSpawner) called.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any
from urllib.parse import urlencode

from tornado import web
from tornado.iostream import StreamClosedError

from .authz import authorize
from .paging import Pager
from .patch import merge_patch
from .podlogs import PodLogs, read_log
from .registry import Registry
from .selectors import Selector
from .settings import SimSettings
from .status import ApiError, bad_request, method_not_allowed, unsupported_media
from .store import EXPIRED, Store, Watcher
from .urls import Target, resolve
from .webhookconfig import Attributes
from .webhooks import WarningRecorder, WebhookDispatcher
from .wire import event_line, list_body, loads

log = logging.getLogger("kubesim.api")
Obj = dict[str, Any]


class ApiHandler(web.RequestHandler):
    """One handler for every API path; dispatches on the resolved Target and the method."""

    store: Store
    registry: Registry
    request_log: list[str]
    sim_settings: SimSettings

    def initialize(
        self,
        store: Store,
        registry: Registry,
        request_log: list[str],
        settings: SimSettings,
        pod_logs: PodLogs,
        webhooks: WebhookDispatcher,
        pager: Pager,
    ) -> None:
        self.store, self.registry, self.request_log, self.pager = store, registry, request_log, pager
        self.sim_settings, self.pod_logs = settings, pod_logs
        self.webhooks = webhooks
        self.warnings = WarningRecorder()
        self._watcher: Any = None

    def check_xsrf_cookie(self) -> None:  # an API server, not a browser form
        return None

    def _record(self) -> None:
        query = {k: v[-1].decode() for k, v in self.request.query_arguments.items()}
        line = self.request.method + " " + self.request.path
        if query:
            line += "?" + urlencode(sorted(query.items()), safe=",=!/")
        self.request_log.append(line)
        log.debug("%s", line)

    def _arg(self, name: str) -> str | None:
        value = self.get_query_argument(name, None)
        return value if value not in (None, "") else None

    def send(self, code: int, body: Obj | bytes) -> None:
        for header in self.warnings.headers():
            # Go writes header bytes as they are (UTF-8); tornado writes latin-1 text.
            self.add_header("Warning", header.encode().decode("latin-1"))
        self.set_status(code)
        self.set_header("Content-Type", "application/json")
        self.finish(body if isinstance(body, bytes) else json.dumps(body))

    def compute_etag(self) -> str | None:
        # The apiserver sends no ETag; tornado's would hash every list body (hundreds of MB).
        return None

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        # Anything unexpected still leaves as a Status body, never an HTML traceback.
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            self.send(exc.code, exc.body())
            return
        message = "Internal error occurred: " + (str(exc) if exc else self._reason)
        self.send(status_code, ApiError(status_code, "InternalError", message).body())

    def _body(self) -> Any:
        ctype = (self.request.headers.get("Content-Type") or "application/json").split(";")[0]
        if ctype not in (
            "application/json",
            "application/merge-patch+json",
            "application/strategic-merge-patch+json",
            "*/*",
        ):
            raise unsupported_media(ctype)
        try:
            return loads(self.request.body or b"{}")
        except ValueError as exc:
            raise bad_request(f"couldn't get version/kind; json parse error: {exc}") from None

    async def _dispatch(self, method: str) -> None:
        self._record()
        try:
            target = resolve(self.request.path)
            if isinstance(target, dict):
                if method != "GET":
                    raise method_not_allowed()
                self.send(200, target)
                return
            if target.sub == "log" and method != "GET":
                raise method_not_allowed()
            self._authorize(method, target)
            await getattr(self, f"_{method.lower()}")(target)
        except ApiError as exc:
            self.send(exc.code, exc.body())

    def _authorize(self, method: str, t: Target) -> None:
        """The RBAC filter: SimSettings.forbid rules, checked before decoding or admission."""
        if not self.sim_settings.forbid:
            return
        if method == "GET":
            if t.name is not None:
                verb = "get"
            else:
                verb = "watch" if (self._arg("watch") or "").lower() in ("true", "1") else "list"
        else:
            verb = {"POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}[method]
        authorize(
            self.sim_settings.forbid,
            self.sim_settings.user,
            verb,
            t.resource.plural,
            t.resource.group,
            t.namespace,
            t.name,
            t.sub,
        )

    async def get(self, *_: str) -> None:
        await self._dispatch("GET")

    async def post(self, *_: str) -> None:
        await self._dispatch("POST")

    async def put(self, *_: str) -> None:
        await self._dispatch("PUT")

    async def patch(self, *_: str) -> None:
        await self._dispatch("PATCH")

    async def delete(self, *_: str) -> None:
        await self._dispatch("DELETE")

    # -- verbs -----------------------------------------------------------------------
    async def _get(self, t: Target) -> None:
        if t.sub == "log":
            args = {
                k: v
                for k in ("container", "tailLines", "limitBytes", "previous")
                if (v := self._arg(k)) is not None
            }
            text = read_log(
                self.store.peek("pods", t.namespace or "", t.name or ""), self.pod_logs, t.name or "", args
            )
            self.set_status(200)
            self.set_header("Content-Type", "text/plain")
            self.finish(text)
            return
        if t.name is not None:
            self.send(200, self.store.get(t.resource.plural, t.namespace or "", t.name))
            return
        selector = Selector.parse(t.resource.plural, self._arg("labelSelector"), self._arg("fieldSelector"))
        if (self._arg("watch") or "").lower() in ("true", "1"):
            await self._watch(t, selector)
            return
        limit_arg, token = self._arg("limit"), self._arg("continue")
        meta: Obj = {}
        if limit_arg is None and token is None:
            items, rv = self.store.list(t.resource.plural, t.namespace, selector)
        else:
            try:
                limit = int(limit_arg or 0)
            except ValueError:
                raise bad_request(f"limit: Invalid value: {limit_arg!r}") from None
            texts = (self._arg("labelSelector") or "", self._arg("fieldSelector") or "")
            items, rv, following, remaining = self.pager.page(
                t.resource.plural, t.namespace, selector, texts, limit, token
            )
            if following:
                meta["continue"] = following
            if remaining is not None:
                meta["remainingItemCount"] = remaining
        plural = t.resource.plural
        encoded = (self.store.encoded(plural, obj) for obj in items)
        meta = {"resourceVersion": str(rv), **meta}
        self.send(200, list_body(f"{t.resource.kind}List", t.resource.api_version, meta, encoded))

    async def _watch(self, t: Target, selector: Selector) -> None:
        timeout_arg = self._arg("timeoutSeconds")
        try:
            timeout = float(timeout_arg) if timeout_arg else 1800.0
        except ValueError:
            raise bad_request(f'invalid value for timeoutSeconds: "{timeout_arg}"') from None
        self.set_status(200)
        self.set_header("Content-Type", "application/json")
        try:
            watcher = self.store.watch(t.resource.plural, t.namespace, selector, self._arg("resourceVersion"))
        except ApiError as exc:
            # The apiserver answers 200 and sends the 410 as an ERROR event.
            self.write(json.dumps({"type": "ERROR", "object": exc.body()}) + "\n")
            self.finish()
            return
        self._watcher = watcher
        bookmarks = (self._arg("allowWatchBookmarks") or "").lower() in ("true", "1")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        next_bookmark = self._next_bookmark(loop.time(), deadline) if bookmarks else None
        try:
            # headers now: tornado streams the rest chunked (the client may be gone already)
            await self.flush()
            while True:
                now = loop.time()
                if now >= deadline:
                    break
                wake = deadline if next_bookmark is None else min(deadline, next_bookmark)
                try:
                    item = await asyncio.wait_for(watcher.queue.get(), max(0.0, wake - now))
                except asyncio.TimeoutError:
                    if next_bookmark is not None and loop.time() >= next_bookmark:
                        self._bookmark(t, watcher)
                        await self.flush()
                        next_bookmark = self._next_bookmark(loop.time(), deadline)
                    continue
                if item is None:
                    break
                if item is EXPIRED:
                    if bookmarks:
                        self._bookmark(t, watcher)
                    break
                kind, obj = item
                self.write(event_line(kind, self.store.encoded(t.resource.plural, obj)))
                if watcher.queue.empty():
                    await self.flush()
            if not self.request.connection.stream.closed():  # type: ignore[union-attr]
                self.finish()
        except StreamClosedError:
            pass
        finally:
            watcher.close()

    def _next_bookmark(self, now: float, deadline: float) -> float | None:
        # The watch cache's nextBookmarkTime: every bookmarkFrequency (1 min), and a best
        # effort bookmark 2 s before the watch's deadline so a client resumes from a fresh RV.
        at = now + self.sim_settings.bookmark_seconds
        pre_timeout = deadline - 2.0
        at = min(at, pre_timeout)
        return at if at > now else None

    def _bookmark(self, t: Target, watcher: Watcher) -> None:
        # Only while nothing is queued, so the RV never runs ahead of an undelivered event.
        if not watcher.queue.empty():
            return
        obj = {
            "kind": t.resource.kind,
            "apiVersion": t.resource.api_version,
            "metadata": {"resourceVersion": str(self.store.rv), "creationTimestamp": None},
        }
        self.write(json.dumps({"type": "BOOKMARK", "object": obj}) + "\n")

    def on_connection_close(self) -> None:
        if self._watcher is not None:
            self._watcher.close()

    async def _post(self, t: Target) -> None:
        if t.name is not None:
            raise method_not_allowed()
        if t.resource.namespaced and t.namespace is None:
            raise method_not_allowed()
        dry_run = self._arg("dryRun") == "All"
        obj, commit = self.registry.prepare_create(t.resource, t.namespace, self._body(), dry_run)
        attr = Attributes(
            t.resource.group, t.resource.version, t.resource.plural, "", t.namespace or "", "CREATE"
        )
        await self.webhooks.validate(attr, t.resource.kind, obj, dry_run, self.warnings)
        self.send(201, commit())

    async def _put(self, t: Target) -> None:
        if t.name is None:
            raise method_not_allowed()
        self.send(200, self.registry.replace(t.resource, t.namespace, t.name, self._body()))

    async def _patch(self, t: Target) -> None:
        if t.name is None:
            raise method_not_allowed()
        ctype = (self.request.headers.get("Content-Type") or "").split(";")[0]
        if ctype not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            raise unsupported_media(ctype)
        current = self.store.get(t.resource.plural, t.namespace or "", t.name)
        patched = merge_patch(current, self._body())
        if t.sub == "status":

            def apply(obj: Obj) -> None:
                obj["status"] = patched.get("status")

            result = self.store.mutate(t.resource.plural, t.namespace or "", t.name, apply)
            self.send(200, result or patched)
            return
        self.send(200, self.registry.replace(t.resource, t.namespace, t.name, patched))

    async def _delete(self, t: Target) -> None:
        if t.name is None:
            raise method_not_allowed()
        grace: int | None = None
        if self.request.body:
            options = self._body()
            value = options.get("gracePeriodSeconds") if isinstance(options, dict) else None
            if value is not None:
                if not isinstance(value, int) or isinstance(value, bool):
                    raise bad_request(
                        'DeleteOptions in version "v1" cannot be handled as a '
                        "DeleteOptions: json: cannot unmarshal "
                        "into Go struct field DeleteOptions.gracePeriodSeconds "
                        "of type int64"
                    )
                grace = value
        query_grace = self._arg("gracePeriodSeconds")
        if query_grace is not None:
            try:
                grace = int(query_grace)
            except ValueError:
                raise bad_request(f'invalid value for gracePeriodSeconds: "{query_grace}"') from None
        self.send(200, self.registry.delete(t.resource, t.namespace, t.name, grace))


class HealthHandler(web.RequestHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "text/plain")
        self.finish("ok")


def make_app(
    store: Store,
    registry: Registry,
    request_log: list[str],
    settings: SimSettings | None = None,
    pod_logs: PodLogs | None = None,
    webhooks: WebhookDispatcher | None = None,
) -> web.Application:
    settings = settings or SimSettings()
    args = {
        "store": store,
        "registry": registry,
        "request_log": request_log,
        "settings": settings,
        "pod_logs": pod_logs or PodLogs(),
        "webhooks": webhooks or WebhookDispatcher(store, settings),
        "pager": Pager(store),
    }
    return web.Application(
        [
            (r"/(?:healthz|readyz|livez)", HealthHandler),
            (r"/.*", ApiHandler, args),
        ],
        log_function=_log_request,
    )


def _log_request(handler: web.RequestHandler) -> None:
    # Error statuses are the API's normal answers here, not server problems: debug level.
    log.debug(
        "%d %s %.2fms", handler.get_status(), handler.request.uri, 1000.0 * handler.request.request_time()
    )
