"""`admissionregistration.k8s.io/v1` ValidatingWebhookConfiguration: defaults, validation and
the matching rules, as kube-apiserver applies them.

Sources (Kubernetes v1.37.2 module sources): defaults from `k8s.io/api/admissionregistration/v1`
(`SetDefaults_ValidatingWebhook`: failurePolicy Fail, matchPolicy Equivalent, empty selectors,
timeoutSeconds 10, rule scope `*`, service port 443); validation from
`k8s.io/kubernetes/pkg/apis/admissionregistration/validation` (`validateValidatingWebhook`, v1
create options: sideEffects must be None/NoneOnDryRun, admissionReviewVersions must include v1
or v1beta1, webhook names unique) and `k8s.io/apiserver/pkg/util/webhook/validation.go`;
matching from `k8s.io/apiserver/pkg/admission/plugin/webhook/predicates` (rules, namespace and
object selectors). matchConditions (CEL) are refused: kubesim has no CEL evaluator, and a
configuration it cannot honour must not silently match everything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from .status import ApiError
from .validation import SUBDOMAIN_MSG, FieldError, invalid_value, required

Obj = dict[str, Any]
KIND = "ValidatingWebhookConfiguration"
GROUP = "admissionregistration.k8s.io"
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
OPERATIONS = ("*", "CONNECT", "CREATE", "DELETE", "UPDATE")
SELECTOR_OPERATORS = ("DoesNotExist", "Exists", "In", "NotIn")


def not_supported(path: str, value: object, supported: list[str]) -> FieldError:
    quoted = ", ".join(f'"{s}"' for s in supported)
    return (
        "FieldValueNotSupported",
        path,
        f'{path}: Unsupported value: "{value}": supported values: {quoted}',
    )


# -- defaults ------------------------------------------------------------------------------
def default(config: Obj) -> None:
    """v1 SetDefaults_ValidatingWebhook / SetDefaults_Rule / SetDefaults_ServiceReference."""
    for hook in config.get("webhooks") or []:
        if not isinstance(hook, dict):
            continue
        hook.setdefault("failurePolicy", "Fail")
        hook.setdefault("matchPolicy", "Equivalent")
        hook.setdefault("namespaceSelector", {})
        hook.setdefault("objectSelector", {})
        hook.setdefault("timeoutSeconds", 10)
        for rule in hook.get("rules") or []:
            if isinstance(rule, dict):
                rule.setdefault("scope", "*")
        service = (hook.get("clientConfig") or {}).get("service")
        if isinstance(service, dict):
            service.setdefault("port", 443)


# -- validation ----------------------------------------------------------------------------
def validate(config: Obj) -> None:
    """422 `ValidatingWebhookConfiguration.admissionregistration.k8s.io "x" is invalid: …`."""
    errors: list[FieldError] = []
    name = (config.get("metadata") or {}).get("name") or ""
    if not name:
        errors.append(required("metadata.name", "name or generateName is required"))
    elif len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        errors.append(invalid_value("metadata.name", name, SUBDOMAIN_MSG))
    seen: set[str] = set()
    hooks = config.get("webhooks") or []
    if not isinstance(hooks, list):
        hooks = []
    for i, hook in enumerate(hooks):
        path = f"webhooks[{i}]"
        if not isinstance(hook, dict):
            errors.append(required(path))
            continue
        errors += _hook_errors(hook, path)
        hook_name = hook.get("name") or ""
        if hook_name and hook_name in seen:
            errors.append(
                ("FieldValueDuplicate", f"{path}.name", f'{path}.name: Duplicate value: "{hook_name}"')
            )
        seen.add(hook_name)
    if errors:
        texts = list(dict.fromkeys(text for _, _, text in errors))
        joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
        raise ApiError(
            422,
            "Invalid",
            f'{KIND}.{GROUP} "{name}" is invalid: {joined}',
            {
                "name": name,
                "group": GROUP,
                "kind": KIND,
                "causes": [
                    {"reason": reason, "message": text.split(": ", 1)[1], "field": fld}
                    for reason, fld, text in errors
                ],
            },
        )


def _hook_errors(hook: Obj, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    name = hook.get("name") or ""
    if not name:
        errors.append(required(f"{path}.name"))
    elif not _DNS1123_SUBDOMAIN.match(name) or len(name) > 253:
        errors.append(invalid_value(f"{path}.name", name, SUBDOMAIN_MSG))
    elif len(name.split(".")) < 3:
        errors.append(
            invalid_value(
                f"{path}.name", name, "should be a domain with at least three segments separated by dots"
            )
        )
    for j, rule in enumerate(hook.get("rules") or []):
        errors += _rule_errors(rule if isinstance(rule, dict) else {}, f"{path}.rules[{j}]")
    policy = hook.get("failurePolicy")
    if policy not in (None, "Fail", "Ignore"):
        errors.append(not_supported(f"{path}.failurePolicy", policy, ["Fail", "Ignore"]))
    match_policy = hook.get("matchPolicy")
    if match_policy not in (None, "Equivalent", "Exact"):
        errors.append(not_supported(f"{path}.matchPolicy", match_policy, ["Equivalent", "Exact"]))
    side_effects = hook.get("sideEffects")
    if side_effects is None:
        errors.append(required(f"{path}.sideEffects", "must specify one of None, NoneOnDryRun"))
    elif side_effects not in ("None", "NoneOnDryRun"):
        errors.append(not_supported(f"{path}.sideEffects", side_effects, ["None", "NoneOnDryRun"]))
    timeout = hook.get("timeoutSeconds")
    if timeout is not None and (not isinstance(timeout, int) or not 1 <= timeout <= 30):
        errors.append(
            invalid_value(
                f"{path}.timeoutSeconds", timeout, "the timeout value must be between 1 and 30 seconds"
            )
        )
    for which in ("namespaceSelector", "objectSelector"):
        errors += _selector_errors(hook.get(which), f"{path}.{which}")
    errors += _client_config_errors(hook.get("clientConfig") or {}, f"{path}.clientConfig")
    if hook.get("matchConditions"):
        errors.append(
            (
                "FieldValueForbidden",
                f"{path}.matchConditions",
                f"{path}.matchConditions: Forbidden: kubesim does not evaluate CEL match conditions",
            )
        )
    errors += _review_version_errors(hook.get("admissionReviewVersions"), f"{path}.admissionReviewVersions")
    return errors


def _rule_errors(rule: Obj, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    operations = rule.get("operations") or []
    if not operations:
        errors.append(required(f"{path}.operations"))
    if len(operations) > 1 and "*" in operations:
        errors.append(
            invalid_value(
                f"{path}.operations", operations, "if '*' is present, must not specify other operations"
            )
        )
    for k, op in enumerate(operations):
        if op not in OPERATIONS:
            errors.append(not_supported(f"{path}.operations[{k}]", op, list(OPERATIONS)))
    for key, label in (("apiGroups", "API groups"), ("apiVersions", "API versions")):
        values = rule.get(key) or []
        if not values:
            errors.append(required(f"{path}.{key}"))
        if len(values) > 1 and "*" in values:
            errors.append(
                invalid_value(f"{path}.{key}", values, f"if '*' is present, must not specify other {label}")
            )
    if not rule.get("resources"):
        errors.append(required(f"{path}.resources"))
    scope = rule.get("scope")
    if scope not in (None, "*", "Cluster", "Namespaced"):
        errors.append(not_supported(f"{path}.scope", scope, ["*", "Cluster", "Namespaced"]))
    return errors


def _selector_errors(selector: Any, path: str) -> list[FieldError]:
    errors: list[FieldError] = []
    if not isinstance(selector, dict):
        return errors
    for k, expr in enumerate(selector.get("matchExpressions") or []):
        op = (expr or {}).get("operator")
        values = (expr or {}).get("values") or []
        where = f"{path}.matchExpressions[{k}]"
        if op in ("In", "NotIn") and not values:
            errors.append(required(f"{where}.values", "must be specified when `operator` is 'In' or 'NotIn'"))
        elif op in ("Exists", "DoesNotExist") and values:
            errors.append(
                (
                    "FieldValueForbidden",
                    f"{where}.values",
                    f"{where}.values: Forbidden: may not be specified when `operator` is "
                    "'Exists' or 'DoesNotExist'",
                )
            )
        elif op not in SELECTOR_OPERATORS:
            errors.append(invalid_value(f"{where}.operator", op, "not a valid selector operator"))
    return errors


def _client_config_errors(cc: Obj, path: str) -> list[FieldError]:
    url, service = cc.get("url"), cc.get("service") or {}
    if (url is None) == (cc.get("service") is None):
        return [required(path, "exactly one of url or service is required")]
    form = "; desired format: https://host[/path]"
    errors: list[FieldError] = []
    if url is not None:
        parts = urlsplit(str(url))
        if parts.scheme != "https":
            errors.append(
                invalid_value(f"{path}.url", parts.scheme, "'https' is the only allowed URL scheme" + form)
            )
        if not parts.netloc:
            errors.append(invalid_value(f"{path}.url", parts.netloc, "host must be specified" + form))
        if parts.username is not None:
            errors.append(
                invalid_value(f"{path}.url", parts.username, "user information is not permitted in the URL")
            )
        if parts.fragment:
            errors.append(
                invalid_value(f"{path}.url", parts.fragment, "fragments are not permitted in the URL")
            )
        if parts.query:
            errors.append(
                invalid_value(f"{path}.url", parts.query, "query parameters are not permitted in the URL")
            )
        return errors
    if not service.get("name"):
        errors.append(required(f"{path}.service.name"))
    if not service.get("namespace"):
        errors.append(required(f"{path}.service.namespace"))
    port = service.get("port", 443)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        errors.append(
            invalid_value(
                f"{path}.service.port", port, "port is not valid: must be between 1 and 65535, inclusive"
            )
        )
    svc_path = service.get("path")
    if svc_path is not None and svc_path != "/" and not str(svc_path).startswith("/"):
        errors.append(invalid_value(f"{path}.service.path", svc_path, "must start with a '/'"))
    return errors


def _review_version_errors(versions: Any, path: str) -> list[FieldError]:
    if not versions:
        return [required(path, "must specify one of v1, v1beta1")]
    errors: list[FieldError] = []
    seen: set[str] = set()
    for i, v in enumerate(versions):
        if v in seen:
            errors.append(invalid_value(f"{path}[{i}]", v, "duplicate version"))
            continue
        seen.add(v)
        if not _DNS1035_LABEL.match(str(v)):
            errors.append(
                invalid_value(
                    f"{path}[{i}]",
                    v,
                    "a DNS-1035 label must consist of lower case alphanumeric characters or '-'",
                )
            )
    if not seen & {"v1", "v1beta1"}:
        shown = "[" + " ".join(str(v) for v in versions) + "]"
        errors.append(invalid_value(path, shown, "must include at least one of v1, v1beta1"))
    return errors


# -- matching (predicates/rules, predicates/namespace, predicates/object) -----------------
@dataclass(frozen=True)
class Attributes:
    """What is being admitted: admission.Attributes, as the predicates read it."""

    group: str
    version: str
    resource: str
    subresource: str
    namespace: str  # "" for cluster-scoped objects
    operation: str  # CREATE, UPDATE, DELETE, CONNECT


def rule_matches(rule: Obj, attr: Attributes) -> bool:
    def exact_or_wildcard(items: list[str], requested: str) -> bool:
        return "*" in items or requested in items

    scope = rule.get("scope") or "*"
    is_namespace = (attr.group, attr.resource) == ("", "namespaces")
    if scope == "Namespaced" and (is_namespace or not attr.namespace):
        return False
    if scope == "Cluster" and not (is_namespace or not attr.namespace):
        return False
    if scope not in ("*", "Namespaced", "Cluster"):
        return False
    operations = rule.get("operations") or []
    if "*" not in operations and attr.operation not in operations:
        return False
    if not exact_or_wildcard(rule.get("apiGroups") or [], attr.group):
        return False
    if not exact_or_wildcard(rule.get("apiVersions") or [], attr.version):
        return False
    for res in rule.get("resources") or []:
        name, _, sub = res.partition("/")
        if (name == "*" or name == attr.resource) and (sub == "*" or sub == attr.subresource):
            return True
    return False


def selector_matches(selector: Obj | None, labels: dict[str, str]) -> bool:
    """metav1.LabelSelectorAsSelector(...).Matches: every requirement holds (empty: all)."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if op == "In" and not (present and labels[key] in values):
            return False
        if op == "NotIn" and present and labels[key] in values:
            return False
        if op == "Exists" and not present:
            return False
        if op == "DoesNotExist" and present:
            return False
    return True


def is_exempt(group: str, kind: str) -> bool:
    """IsExemptAdmissionConfigurationResource: webhooks never see their own configurations,
    so a broken webhook can always be deleted."""
    return group == GROUP and kind in (
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "MutatingAdmissionPolicy",
        "MutatingAdmissionPolicyBinding",
    )
