"""Which secrets and config maps a pod reads, and which of their keys."""

from __future__ import annotations

from typing import Any

import pytest

from prevalidate.model.podrefs import ObjectRef, object_refs


def _env(kind: str, name: str, key: Any = "k", **extra: Any) -> dict[str, Any]:
    ref = {"name": name, "key": key, **extra}
    return {"name": "VAR", "valueFrom": {kind: ref}}


CASES = [
    pytest.param(
        {"containers": [{"name": "nb", "env": [_env("secretKeyRef", "s")]}]},
        [ObjectRef("secret", "s", False, "env VAR of container nb", ("k",))],
        id="env-secret-key",
    ),
    pytest.param(
        {"containers": [{"name": "nb", "env": [_env("configMapKeyRef", "c", optional=True)]}]},
        [ObjectRef("configmap", "c", True, "env VAR of container nb", ("k",), data_only=True)],
        id="env-configmap-key-reads-data-only",
    ),
    pytest.param(
        {"containers": [{"name": "nb", "env": [_env("secretKeyRef", "s", key=None)]}]},
        [ObjectRef("secret", "s", False, "env VAR of container nb", ())],
        id="env-without-key",
    ),
    pytest.param(
        {"containers": [{"name": "nb", "envFrom": [{"secretRef": {"name": "s"}}]}]},
        [ObjectRef("secret", "s", False, "envFrom of container nb")],
        id="env-from-names-no-key",
    ),
    pytest.param(
        {
            "containers": [],
            "volumes": [
                {
                    "name": "v",
                    "secret": {"secretName": "s", "items": [{"key": "a", "path": "x"}, {"key": "b"}]},
                }
            ],
        },
        [ObjectRef("secret", "s", False, "volume v", ("a", "b"))],
        id="secret-volume-items",
    ),
    pytest.param(
        {"containers": [], "volumes": [{"name": "v", "configMap": {"name": "c", "items": "junk"}}]},
        [ObjectRef("configmap", "c", False, "volume v")],
        id="odd-items-ignored",
    ),
    pytest.param(
        {
            "containers": [],
            "volumes": [
                {
                    "name": "p",
                    "projected": {
                        "sources": [
                            {"configMap": {"name": "c", "items": [{"key": "x"}], "optional": True}},
                            {"serviceAccountToken": {"path": "t"}},
                        ]
                    },
                }
            ],
        },
        [ObjectRef("configmap", "c", True, "volume p", ("x",))],
        id="projected-items",
    ),
    pytest.param(
        {"containers": [{"name": "nb", "env": [_env("secretKeyRef", "")]}]},
        [],
        id="nameless-ref-dropped",
    ),
]


@pytest.mark.parametrize(("spec", "refs"), CASES)
def test_object_refs_name_the_keys_a_pod_reads(spec: dict[str, Any], refs: list[ObjectRef]) -> None:
    assert list(object_refs(spec)) == refs
