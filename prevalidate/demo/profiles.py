"""The demo hub's spawn form and configuration: one source for the hub, the tests and the list
of things to try.

The form is a KubeSpawner 7 ``profile_list``. The "Custom" profile has four options, each with a
few choices and an "Other…" free-text field (``unlisted_choice``), so users can type anything —
which is what prevalidate is for. CPU and memory go into ``extra_container_config`` as
Kubernetes quantity strings: ``cpu_guarantee``/``mem_guarantee`` are Float/ByteSpecification
traits that raise a TraitError on ``500m`` or ``2Gi`` before any check could explain anything.
Dict overrides are merged by KubeSpawner (``recursive_update``), so the CPU and memory options
fill one ``resources`` block. Pure data, no I/O.
"""

from __future__ import annotations

from typing import Any

SPAWNER_CLASS = "prevalidate.PrevalidatingKubeSpawner"
NAMESPACE = "jhub"
PROFILE = "custom"  # the slug of the free-text profile (the default)
ADMIN_CONTACT = "This is the prevalidate demo: edit the options and try again."
DEMO_ADMIN = "admin"  # the user who may open /hub/prevalidate

# (repository, tag) pushed into the demo's local registry.
IMAGES: tuple[tuple[str, str], ...] = (
    ("jupyter/minimal-notebook", "2024.1"),
    ("jupyter/minimal-notebook", "latest"),
    ("jupyter/scipy-notebook", "latest"),
)


def image(registry_host: str, repository: str, tag: str) -> str:
    return f"{registry_host}/{repository}:{tag}"


def _resources(kind: str, value: str) -> dict[str, Any]:
    """A container ``resources`` fragment asking for ``value`` of ``kind`` (request = limit)."""
    return {"extra_container_config": {"resources": {"requests": {kind: value}, "limits": {kind: value}}}}


def _home(claim: str, mount: str = "/home/jovyan/work", read_only: bool = False) -> dict[str, Any]:
    """Mount PersistentVolumeClaim ``claim`` (dict-valued, so choices merge with nothing else)."""
    volume: dict[str, Any] = {"claimName": claim}
    mounted: dict[str, Any] = {"name": "storage", "mountPath": mount}
    if read_only:
        volume["readOnly"] = True
        mounted["readOnly"] = True
    return {
        "volumes": {"storage": {"name": "storage", "persistentVolumeClaim": volume}},
        "volume_mounts": {"storage": mounted},
    }


def _quantity_choices(kind: str, values: tuple[str, ...], label: str) -> dict[str, Any]:
    return {
        value: {
            "display_name": f"{value} {label}{'s' if label == 'CPU' and value != '1' else ''}",
            "kubespawner_override": _resources(kind, value),
        }
        for value in values
    }


def profile_list(registry_host: str) -> list[dict[str, Any]]:
    """The spawn form. Images live in the local registry at ``registry_host``."""
    minimal = image(registry_host, "jupyter/minimal-notebook", "2024.1")
    return [
        {
            "display_name": "Custom",
            "slug": PROFILE,
            "description": "Choose the image, CPUs, memory and storage — or type your own "
            "(pick “Other…” in a list).",
            "default": True,
            "profile_options": {
                "image": {
                    "display_name": "Image",
                    "choices": {
                        f"{repository.split('/')[-1]}-{tag}": {
                            "display_name": f"{repository}:{tag}",
                            "kubespawner_override": {"image": image(registry_host, repository, tag)},
                        }
                        for repository, tag in IMAGES
                    },
                    "unlisted_choice": {
                        "enabled": True,
                        "display_name": "Image (full reference, e.g. " + minimal + ")",
                        "kubespawner_override": {"image": "{value}"},
                    },
                },
                "cpu": {
                    "display_name": "CPUs",
                    "choices": _quantity_choices("cpu", ("1", "2", "4", "16", "64"), "CPU"),
                    "unlisted_choice": {
                        "enabled": True,
                        "display_name": "CPUs (a Kubernetes quantity: 8, 1.5, 500m)",
                        "kubespawner_override": _resources("cpu", "{value}"),
                    },
                },
                "memory": {
                    "display_name": "Memory",
                    "choices": _quantity_choices("memory", ("2Gi", "4Gi", "8Gi"), "memory"),
                    "unlisted_choice": {
                        "enabled": True,
                        "display_name": "Memory (a Kubernetes quantity: 16Gi, 512Mi)",
                        "kubespawner_override": _resources("memory", "{value}"),
                    },
                },
                "storage": {
                    "display_name": "Storage",
                    "choices": {
                        "none": {"display_name": "No persistent storage", "kubespawner_override": {}},
                        "shared": {
                            "display_name": "Shared data (data-shared, read-only)",
                            "kubespawner_override": _home("data-shared", "/home/jovyan/data", True),
                        },
                    },
                    "unlisted_choice": {
                        "enabled": True,
                        "display_name": "PersistentVolumeClaim name (alice has claim-alice)",
                        "kubespawner_override": _home("{value}"),
                    },
                },
            },
        },
        {
            "display_name": "Small",
            "slug": "small",
            "description": "1 CPU, 2 GiB, jupyter/minimal-notebook:2024.1.",
            "kubespawner_override": {
                "image": minimal,
                **_merge(_resources("cpu", "1"), _resources("memory", "2Gi")),
            },
        },
        {
            "display_name": "GPU",
            "slug": "gpu",
            "description": "4 CPUs, 16 GiB and one NVIDIA GPU on the GPU node.",
            "kubespawner_override": {
                "image": image(registry_host, "jupyter/scipy-notebook", "latest"),
                # extra_container_config replaces the resources KubeSpawner builds from
                # extra_resource_guarantees/limits, so the GPU goes in here too.
                **_merge(
                    _resources("cpu", "4"), _resources("memory", "16Gi"), _resources("nvidia.com/gpu", "1")
                ),
                "node_selector": {"pool": "gpu"},
                "tolerations": [
                    {"key": "nvidia.com/gpu", "operator": "Equal", "value": "present", "effect": "NoSchedule"}
                ],
            },
        },
    ]


def _merge(*fragments: dict[str, Any]) -> dict[str, Any]:
    """Merge ``extra_container_config`` fragments the way KubeSpawner's recursive_update does."""
    merged: dict[str, Any] = {}
    for fragment in fragments:
        _update(merged, fragment)
    return merged


def _update(target: dict[str, Any], changes: dict[str, Any]) -> None:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _update(target[key], value)
        else:
            target[key] = value


def hub_config(registry_host: str, spawner_class: str = SPAWNER_CLASS) -> str:
    """jupyterhub_config.py lines for the demo hub (appended to ``kubespawner_config``)."""
    return f"""
# --- prevalidate demo ---
c.JupyterHub.spawner_class = {spawner_class!r}
c.JupyterHub.log_level = "INFO"
c.KubeSpawner.profile_list = {profile_list(registry_host)!r}
# No JupyterLab or Notebook frontend here: the server greets its user with the demo's page.
c.KubeSpawner.args = ["--ServerApp.jpserver_extensions=prevalidate.demo.welcome=True"]
c.KubeSpawner.default_url = "/prevalidate-demo"
c.Prevalidator.allowed_registries = [{registry_host!r}]
c.Prevalidator.insecure_registries = [{registry_host!r}]
c.Prevalidator.admin_contact = {ADMIN_CONTACT!r}
# The admin page: log in as "admin" and open /hub/prevalidate (which profiles can start).
import prevalidate as _prevalidate
c.JupyterHub.extra_handlers = _prevalidate.admin_handlers()
c.Authenticator.admin_users = {{{DEMO_ADMIN!r}}}
"""
