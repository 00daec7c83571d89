"""Wording for the runtime backstop: why a created pod could not start, and the progress lines
that replace raw event text on the spawn-pending page. Pure, no I/O here.

Kubernetes' own text (an event message, a CRI error) is quoted at most once, clipped, after our
sentence: the user reads what happened and what to do; the admin still gets the detail.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ..amounts import amount
from ..model.findings import Code, shown
from ..model.quantity import parse_quantity

Render = Callable[[Mapping[str, Any]], str]


def _detail(f: Mapping[str, Any], key: str = "detail") -> str:
    text = str(f.get(key) or "").strip()
    if len(text) > 160:  # CRI errors nest causes left to right: the last words say what went wrong
        text = "…" + text[-150:]
    return f' (Kubernetes said: "{shown(text, 160)}")' if text else ""


def _log(f: Mapping[str, Any]) -> str:
    """The container's last log lines (hub.podlog: already clipped and masked), each on its own
    line behind ``| `` so that no log line can pass for a line of our message."""
    lines = [str(line) for line in f.get("log") or ()]
    return " Last lines of its log:" + "".join(f"\n  | {line}" for line in lines) if lines else ""


def _memory(limit: Any) -> str:
    """KubeSpawner writes ``mem_limit = "1G"`` as ``1073741824``: say ``1 GiB``."""
    try:
        return amount("memory", parse_quantity(str(limit)))
    except (ValueError, ArithmeticError):
        return str(limit)


def _pull(f: Mapping[str, Any]) -> str:
    image, cause = f.get("image", ""), f.get("cause")
    if cause == "not-found":
        why = f"The image {image} does not exist in its registry (no such tag or repository)."
    elif cause == "denied":
        why = f"The image {image} does not exist, or it is private and the cluster has no access to it."
    elif cause == "no-host":
        why = f"The registry host of the image {image} does not exist (check its spelling)."
    else:
        why = f"The image {image} cannot be pulled: its name or its format is not usable here."
    return f"{why} Choose another image.{_detail(f)}"


def _node_cannot_pull(f: Mapping[str, Any]) -> str:
    if f.get("registry_has_it"):
        return (
            f"The image {f.get('image', '')} exists, but the node cannot pull it (its credentials or "
            f"network access to the registry). This is not your mistake.{_detail(f)}"
        )
    return (
        f"The node could not pull the image {f.get('image', '')} after {f.get('attempts', 'several')} "
        f"attempts: the registry is busy or unreachable. Please try again in a few minutes.{_detail(f)}"
    )


RENDERERS: dict[Code, Render] = {
    Code.IMAGE_PULL_FAILED: _pull,
    Code.NODE_CANNOT_PULL: _node_cannot_pull,
    Code.SCHEDULING_IMPOSSIBLE: lambda f: (
        "No node in the cluster can run a server of this size or kind. Choose fewer resources or "
        f"another profile.{_detail(f)}"
    ),
    Code.CAPACITY_WAIT_EXCEEDED: lambda f: (
        f"The cluster has had no room for your server for {f.get('waited', '?')} seconds. Please try "
        f"again later, or choose fewer resources.{_detail(f)}"
    ),
    Code.AUTOSCALER_REFUSED: lambda f: (
        "The cluster cannot add a node that would fit your server. Choose fewer resources or "
        f"another profile.{_detail(f)}"
    ),
    Code.VOLUME_ZONE_CONFLICT: lambda f: (
        "Your storage lives in a zone where no node can run your server right now (volume node "
        f"affinity conflict). Ask your administrator to add a node in its zone or to move it.{_detail(f)}"
    ),
    Code.CLAIM_UNBOUND: lambda f: (
        "Your storage volume could not be provisioned or bound. Ask your administrator to check its "
        f"storage class.{_detail(f)}"
    ),
    Code.MOUNT_FAILED: lambda f: (
        "Your server's volumes could not be mounted. Please try again; if it keeps failing, contact "
        f"your administrator.{_detail(f)}"
    ),
    Code.CONTAINER_CONFIG_ERROR: lambda f: (
        f"Your server's container cannot be created: a secret, config map or key it needs is "
        f"missing. Ask your administrator to create it.{_detail(f)}"
    ),
    Code.CONTAINER_CRASHED: lambda f: (
        f"Your server stopped before it was ready (exit code {f.get('exit_code', '?')}). Check the "
        f"image and your start-up files (.bashrc, startup scripts), or choose another image.{_detail(f)}"
        + _log(f)
    ),
    Code.OOM_KILLED: lambda f: (
        "Your server ran out of memory while starting"
        + (f" (its limit is {_memory(f['memory_limit'])})" if f.get("memory_limit") else "")
        + " and was stopped. Choose more memory."
        + _log(f)
    ),
    Code.EVICTED: lambda f: (
        f"The node evicted your server while it was starting. Please try again.{_detail(f, 'message')}"
    ),
    Code.POD_FAILED: lambda f: (
        f"The node refused to run your server ({f.get('reason') or 'Failed'}). Please try again."
        + _detail(f, "message")
    ),
    Code.ADMIN_FATAL_EVENT: lambda f: str(f.get("say", "")),
}

_PROGRESS: dict[str, Render] = {
    "creating": lambda f: "Waiting for your server's pod to be placed on a node",
    "deleting": lambda f: "Cleaning up a previous server",
    "scheduled": lambda f: "Placed on a node",
    "room": lambda f: f"Waiting for room on a node ({f.get('waited', 0)} s so far)",
    "scale-up": lambda f: "Waiting for a node: the cluster is adding one (this can take a few minutes)",
    "preempting": lambda f: "Making room on a node for your server",
    "pulling": lambda f: "Pulling your server's image (large images take a few minutes)",
    "pulled": lambda f: "Image ready",
    "pull-retry": lambda f: (
        f"The registry is busy; the node will retry pulling {f.get('image', 'the image')} "
        f"(failed {f.get('attempt', 0)} of {f.get('attempts', '?')} times)"
    ),
    "volumes": lambda f: "Mounting volumes",
    "config": lambda f: "Preparing your server's configuration",
    "starting": lambda f: "Starting your server",
}


def progress_line(key: str, facts: Mapping[str, Any]) -> str:
    return _PROGRESS.get(key, _PROGRESS["creating"])(facts)


def headline(user_caused: bool) -> str:
    return (
        "Your server could not start:" if user_caused else "Your server could not start (a cluster problem):"
    )
