"""Kubernetes name and value rules (k8s.io/apimachinery/pkg/util/validation), with the exact
reasons the apiserver gives, and the ``input-invalid`` finding a refused field becomes.

Pure, no I/O here. Each function returns the reason a value is refused, or None.
"""

from __future__ import annotations

import re
from typing import Any

from .findings import Code, Finding, Severity

_DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_QUALIFIED_NAME = re.compile(r"([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]")
LABEL_MSG = (
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', "
    "regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
)
SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used "
    "for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
)
_QUALIFIED_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for "
    "validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
)
_LABEL_VALUE = re.compile(r"(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?")
_LABEL_VALUE_MSG = (
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or "
    "'.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  "
    "or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
)
_CONFIG_KEY = re.compile(r"[-._a-zA-Z0-9]+")
_CONFIG_KEY_MSG = (
    "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  "
    "or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
)


def field_invalid(rule: str, where: str, value: Any, reason: str, **facts: Any) -> Finding:
    return Finding(
        Code.INPUT_INVALID,
        Severity.ERROR,
        subject=where,
        facts={"field": where, "value": str(value), "reason": reason, "rule": rule, **facts},
    )


def text(value: Any) -> str:
    """A field's string value; anything else (absent, mistyped) reads as empty."""
    return value if isinstance(value, str) else ""


def label_problem(value: str) -> str | None:
    """IsDNS1123Label."""
    if len(value) > 63:
        return "must be no more than 63 characters"
    if _DNS1123_LABEL.fullmatch(value):
        return None
    return "must not contain dots" if _DNS1123_SUBDOMAIN.fullmatch(value) else LABEL_MSG


def subdomain_problem(value: str) -> str | None:
    """IsDNS1123Subdomain."""
    if len(value) > 253:
        return "must be no more than 253 characters"
    return None if _DNS1123_SUBDOMAIN.fullmatch(value) else SUBDOMAIN_MSG


def qualified_name_problem(value: str) -> str | None:
    """IsQualifiedName: an optional DNS subdomain prefix and '/', then a name of at most 63."""
    parts = value.split("/")
    if len(parts) > 2:
        return "a qualified name " + _QUALIFIED_MSG + " with an optional DNS subdomain prefix and '/'"
    name = parts[-1]
    if len(parts) == 2:
        if not parts[0]:
            return "prefix part must be non-empty"
        problem = subdomain_problem(parts[0])
        if problem:
            return "prefix part " + problem
    if not name:
        return "name part must be non-empty"
    if len(name) > 63:
        return "name part must be no more than 63 characters"
    return None if _QUALIFIED_NAME.fullmatch(name) else "name part " + _QUALIFIED_MSG


def label_value_problem(value: str) -> str | None:
    """IsValidLabelValue."""
    if len(value) > 63:
        return "must be no more than 63 characters"
    return None if _LABEL_VALUE.fullmatch(value) else _LABEL_VALUE_MSG


def supported(value: str, allowed: tuple[str, ...]) -> str:
    """field.NotSupported's text."""
    return f'Unsupported value: "{value}": supported values: ' + ", ".join(f'"{a}"' for a in allowed)


def config_key_problem(key: str) -> str | None:
    """IsConfigMapKey: the keys of secrets and config maps."""
    if len(key) > 253:
        return "must be no more than 253 characters"
    if not _CONFIG_KEY.fullmatch(key):
        return _CONFIG_KEY_MSG
    if key in (".", ".."):
        return f"must not be '{key}'"
    return "must not start with '..'" if key.startswith("..") else None
