"""`metav1.Status` error bodies, built exactly as k8s.io/apimachinery/pkg/api/errors does.

Every failure kubesim returns is an `ApiError` carrying the HTTP code, the `reason`, the
message and `details`; the HTTP layer turns it into a Status body, never a traceback.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """A Kubernetes API error: becomes a Status body with this code, reason and message."""

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def body(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            status["details"] = self.details
        return status


def _details(resource: str, name: str, group: str = "") -> dict[str, Any]:
    details: dict[str, Any] = {"name": name, "kind": resource}
    if group:
        details["group"] = group
    return details


def _qualified(resource: str, group: str) -> str:
    # GroupResource.String(): the core group prints just the resource.
    return f"{resource}.{group}" if group else resource


def not_found(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(
        404,
        "NotFound",
        f'{_qualified(resource, group)} "{name}" not found',
        _details(resource, name, group),
    )


def already_exists(resource: str, name: str, group: str = "") -> ApiError:
    return ApiError(
        409,
        "AlreadyExists",
        f'{_qualified(resource, group)} "{name}" already exists',
        _details(resource, name, group),
    )


def conflict(resource: str, name: str, why: str) -> ApiError:
    return ApiError(
        409,
        "Conflict",
        f'Operation cannot be fulfilled on {resource} "{name}": {why}',
        _details(resource, name),
    )


def forbidden(resource: str, name: str, why: str) -> ApiError:
    """admission.NewForbidden: `pods "x" is forbidden: <why>`; details.kind is the resource."""
    message = f'{resource} "{name}" is forbidden: {why}' if name else f"{resource} is forbidden: {why}"
    return ApiError(403, "Forbidden", message, {"name": name, "kind": resource})


def invalid(kind: str, name: str, causes: list[tuple[str, str, str]]) -> ApiError:
    """NewInvalid: `Pod "x" is invalid: <field errors>`; causes are (reason, field, text)."""
    texts = list(dict.fromkeys(text for _, _, text in causes))
    joined = texts[0] if len(texts) == 1 else "[" + ", ".join(texts) + "]"
    return ApiError(
        422,
        "Invalid",
        f'{kind} "{name}" is invalid: {joined}',
        {
            "name": name,
            "kind": kind,
            "causes": [
                {
                    "reason": reason,
                    "message": text.split(": ", 1)[1] if ": " in text else text,
                    "field": field,
                }
                for reason, field, text in causes
            ],
        },
    )


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def method_not_allowed() -> ApiError:
    return ApiError(
        405, "MethodNotAllowed", "the server does not allow this method on the requested resource"
    )


def unknown_path() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def gone(message: str) -> ApiError:
    return ApiError(410, "Expired", message)


def unsupported_media(content_type: str) -> ApiError:
    return ApiError(
        415,
        "UnsupportedMediaType",
        f"the body of the request was in an unknown format - accepted media types include: "
        f'application/json, application/yaml (got "{content_type}")',
    )


def success(resource: str, name: str, uid: str) -> dict[str, Any]:
    """The Status a DELETE returns for kinds that do not return the deleted object."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Success",
        "details": {"name": name, "kind": resource, "uid": uid},
    }
