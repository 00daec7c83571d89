"""``prevalidate webhook serve | certs`` (registered through the ``prevalidate.commands`` entry
point, so the core CLI never imports this package).

    prevalidate webhook serve --cert FILE --key FILE [--host H] [--port N] [settings flags]
    prevalidate webhook serve --insecure-dev-http [--host H] [--port N] ...
    prevalidate webhook certs --service S --namespace NS --out DIR [--host NAME ...] [--days N]

``serve`` takes the settings flags of ``prevalidate check`` (``prevalidate.cliflags``: one
definition for both). Exit 2 with one line for unusable input (a missing certificate file, a
node-pools file that is not YAML), as ``check`` does.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import ssl
import sys
from typing import Any

from prevalidate.cliflags import add_settings_flags, apply_config_file, settings_from_flags
from prevalidate.kube.dump import InputFileError

EXIT_UNUSABLE = 2


def register(sub: Any) -> None:
    """The ``prevalidate.commands`` entry point: add ``webhook`` and its two commands."""
    webhook = sub.add_parser(
        "webhook",
        help="the admission webhook: serve it, or write its certificates",
        description="prevalidate as a ValidatingAdmissionWebhook: the same checks for every "
        "notebook pod created in the cluster.",
    )
    commands = webhook.add_subparsers(dest="webhook_command", required=True)
    serve = commands.add_parser(
        "serve",
        help="serve POST /validate (AdmissionReview v1), /healthz, /readyz and /metrics over HTTPS",
        description="Serve AdmissionReviews with the checks of `prevalidate check`, against a "
        "watch-fed copy of the cluster read through KUBECONFIG (or in-cluster).",
    )
    serve.add_argument(
        "--cert", metavar="FILE", help="the serving certificate (PEM); reloaded when it changes"
    )
    serve.add_argument("--key", metavar="FILE", help="its private key (PEM)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    serve.add_argument("--port", type=int, default=8443, help="port to listen on (default 8443)")
    serve.add_argument(
        "--insecure-dev-http",
        action="store_true",
        help="serve plain HTTP without --cert/--key (development only: kube-apiserver needs HTTPS)",
    )
    serve.add_argument(
        "--kubeconfig", metavar="FILE", help="kubeconfig (default: in-cluster, KUBECONFIG, ~/.kube/config)"
    )
    serve.add_argument(
        "--namespace",
        action="append",
        dest="namespaces",
        metavar="NS",
        help="only watch these namespaces' objects (repeatable; default: every namespace)",
    )
    serve.add_argument(
        "--review-budget",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="a review not decided within this time allows the pod with a warning (default 2; keep it "
        "under the configuration's timeoutSeconds)",
    )
    serve.add_argument(
        "--warn-only",
        action="store_true",
        help="deny nothing: what would be denied is allowed with its sentences as warnings (kubectl "
        "prints them) and counted as would_deny — a first week in production",
    )
    serve.add_argument(
        "--offline", action="store_true", help="no registry requests: image checks are syntax and policy only"
    )
    add_settings_flags(serve)
    serve.add_argument(
        "--config",
        metavar="FILE",
        help="a YAML mapping of these options without their dashes (allow-registry: [quay.io], "
        "capacity-policy: warn, ...), as a ConfigMap holds them; flags given here win",
    )
    serve.set_defaults(run=_serve, serve_parser=serve)

    certs = commands.add_parser(
        "certs",
        help="write a self-signed CA and a serving certificate for the webhook's Service",
        description="Write ca.crt, tls.crt and tls.key into DIR (for clusters without cert-manager); "
        "print the caBundle of the webhook configuration.",
    )
    certs.add_argument("--service", required=True, help="the webhook's Service name")
    certs.add_argument("--namespace", required=True, help="its namespace")
    certs.add_argument("--out", required=True, metavar="DIR", help="directory to write into")
    certs.add_argument(
        "--host",
        action="append",
        default=[],
        dest="extra_names",
        metavar="NAME",
        help="another DNS name or IP address the certificate is valid for (repeatable)",
    )
    certs.add_argument("--days", type=int, default=365, help="validity in days (default 365)")
    certs.set_defaults(run=_certs)


def _fail(message: str) -> int:
    print(f"prevalidate: {message}", file=sys.stderr)
    return EXIT_UNUSABLE


def _serve(args: argparse.Namespace) -> int:
    from .app import ServeOptions, serve
    from .tls import ReloadingTLS

    if args.config:
        try:
            apply_config_file(args.serve_parser, args, args.config)
        except InputFileError as exc:
            return _fail(str(exc))
    if not args.insecure_dev_http and not (args.cert and args.key):
        return _fail("webhook serve: --cert and --key are needed (or --insecure-dev-http for development)")
    if not 0 < args.review_budget <= 30:
        return _fail("webhook serve: --review-budget must be between 0 and 30 seconds")
    try:
        settings = settings_from_flags(args, offline=args.offline)
        if not args.insecure_dev_http:
            ReloadingTLS(args.cert, args.key)  # a missing or mismatched pair: one line, now
    except InputFileError as exc:
        return _fail(str(exc))
    except (OSError, ssl.SSLError) as exc:
        return _fail(f"webhook serve: cannot load --cert/--key: {exc.strerror or exc}")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    options = ServeOptions(
        settings=settings,
        host=args.host,
        port=args.port,
        cert=args.cert,
        key=args.key,
        insecure_dev_http=args.insecure_dev_http,
        kubeconfig=args.kubeconfig,
        namespaces=tuple(args.namespaces) if args.namespaces else None,
        time_budget=args.time_budget,
        review_budget=args.review_budget,
        warn_only=args.warn_only,
    )
    try:
        asyncio.run(serve(options))
    except OSError as exc:  # the port is taken, the kubeconfig cannot be read, ...
        return _fail(f"webhook serve: {exc.strerror or exc}")
    except Exception as exc:  # a kubeconfig kubernetes_asyncio cannot use raises its own types
        return _fail(f"webhook serve: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
    return 0


def _certs(args: argparse.Namespace) -> int:
    from .certs import write_certs

    try:
        written = write_certs(
            args.out, args.service, args.namespace, extra_names=args.extra_names, days=args.days
        )
    except (OSError, ValueError) as exc:
        return _fail(f"webhook certs: {getattr(exc, 'strerror', None) or exc}")
    print(f"wrote {written.ca_crt}, {written.tls_crt}, {written.tls_key}")
    print(f"caBundle: {written.ca_bundle}")
    return 0


__all__ = ["register"]
