"""What the pod-field tests share: ``spec``, a pod with the given containers and spec fields
(one notebook container by default), and ``nb``, a container with a name and an image."""

from __future__ import annotations

from typing import Any


def spec(containers: list[dict[str, Any]] | None = None, **fields: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": fields.pop("name", "jupyter-alice")},
        "spec": {"containers": containers if containers is not None else [nb()], **fields},
    }


def nb(name: str = "notebook", image: str = "jupyter/base-notebook", **fields: Any) -> dict[str, Any]:
    return {"name": name, "image": image, **fields}
