"""Field errors in the apiserver's words (k8s.io/apimachinery/pkg/util/validation/field and
util/validation): each is (cause reason, field path, full text), and the name/label rules
(IsDNS1123Subdomain, IsDNS1123Label, IsQualifiedName, IsValidLabelValue) give the same messages,
so a 422 from kubesim reads exactly like kube-apiserver's (tests/kubesim/test_agreement_real.py
compares them).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

FieldError = tuple[str, str, str]  # (cause reason, field path, full text)


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    """validation.RegexError: `msg (e.g. 'a',  or 'b', regex used for validation is 'fmt')`."""
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


_SUBDOMAIN_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_QNAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE_FMT = f"({_QNAME_FMT})?"
DNS1123_SUBDOMAIN = re.compile(f"^{_SUBDOMAIN_FMT}$")
DNS1123_LABEL = re.compile(f"^{_LABEL_FMT}$")
_QNAME = re.compile(f"^{_QNAME_FMT}$")
_LABEL_VALUE = re.compile(f"^{_LABEL_VALUE_FMT}$")

SUBDOMAIN_MSG = _regex_error(
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character", _SUBDOMAIN_FMT, "example.com")
LABEL_MSG = _regex_error(
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must "
    "start and end with an alphanumeric character", _LABEL_FMT, "my-name", "123-abc")
_QNAME_MSG = _regex_error(
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
    "alphanumeric character", _QNAME_FMT, "MyName", "my.name", "123-abc")
_LABEL_VALUE_MSG = _regex_error(
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character", _LABEL_VALUE_FMT, "MyValue", "my_value", "12345")


def _max_len(n: int) -> str:
    return f"must be no more than {n} characters"


# --- the rules (lists of messages, empty when valid) ---------------------------------------------
def subdomain_errors(value: str) -> list[str]:
    errs = [_max_len(253)] if len(value) > 253 else []
    return errs + ([] if DNS1123_SUBDOMAIN.match(value) else [SUBDOMAIN_MSG])


def label_errors(value: str) -> list[str]:
    errs = [_max_len(63)] if len(value) > 63 else []
    return errs + ([] if DNS1123_LABEL.match(value) else [LABEL_MSG])


LABEL_KEY = "a valid label key"  # what a label key with two '/' is called (v1.37's wording)


def qualified_name_errors(value: str, what: str = "a qualified name") -> list[str]:
    """IsQualifiedName: an optional DNS-subdomain prefix and '/', then a name part."""
    parts = value.split("/")
    errs: list[str] = []
    if len(parts) == 1:
        name = parts[0]
    elif len(parts) == 2:
        prefix, name = parts
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:
            errs += ["prefix part " + m for m in subdomain_errors(prefix)]
    else:
        return [f"{what} " + _QNAME_MSG
                + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name) > 63:
        errs.append("name part " + _max_len(63))
    if not _QNAME.match(name):
        errs.append("name part " + _QNAME_MSG)
    return errs


def label_value_errors(value: str) -> list[str]:
    errs = [_max_len(63)] if len(value) > 63 else []
    return errs + ([] if _LABEL_VALUE.match(value) else [_LABEL_VALUE_MSG])


# --- field.Error constructors --------------------------------------------------------------------
def _shown(value: object) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def required(path: str, detail: str = "") -> FieldError:
    return ("FieldValueRequired", path, f"{path}: Required value" + (f": {detail}" if detail else ""))


def invalid_value(path: str, value: object, detail: str) -> FieldError:
    return ("FieldValueInvalid", path, f"{path}: Invalid value: {_shown(value)}: {detail}")


def not_found_value(path: str, value: str) -> FieldError:
    return ("FieldValueNotFound", path, f'{path}: Not found: "{value}"')


def duplicate(path: str, value: object) -> FieldError:
    return ("FieldValueDuplicate", path, f"{path}: Duplicate value: {_shown(value)}")


def forbidden(path: str, detail: str) -> FieldError:
    return ("FieldValueForbidden", path, f"{path}: Forbidden: {detail}")


def not_supported(path: str, value: object, supported: Iterable[str]) -> FieldError:
    listed = ", ".join(f'"{s}"' for s in supported)
    return ("FieldValueNotSupported", path,
            f"{path}: Unsupported value: {_shown(value)}: supported values: {listed}")


def each_invalid(path: str, value: object, messages: list[str]) -> list[FieldError]:
    return [invalid_value(path, value, m) for m in messages]
