"""The demo hub's spawner configuration for `prevalidate audit`, plus one misconfigured profile.

The profiles are the demo's (prevalidate/demo/profiles.py: "custom" with image/CPU/memory/storage
choices, "small", "gpu"); "broken" is what an administrator's typo looks like: an image tag that
does not exist (scipy-notebok) and 128 CPUs on a cluster whose largest node has 62.5.

    prevalidate audit --config examples/audit/jupyterhub_config.py \
        --cluster examples/audit/cluster-gpu-full.yaml --offline

The images live in the registry $AUDIT_REGISTRY (the demo's local one; default 127.0.0.1:5000,
never contacted with --offline).
"""

import os

from prevalidate.demo.profiles import profile_list

c = get_config()  # noqa: F821

REGISTRY = os.environ.get("AUDIT_REGISTRY", "127.0.0.1:5000")

c.JupyterHub.spawner_class = "prevalidate.PrevalidatingKubeSpawner"
c.KubeSpawner.namespace = "jhub"
c.KubeSpawner.image = f"{REGISTRY}/jupyter/minimal-notebook:2024.1"
c.KubeSpawner.cpu_guarantee = 0.5
c.KubeSpawner.mem_guarantee = "1G"
c.KubeSpawner.mem_limit = "2G"
c.KubeSpawner.profile_list = [
    *profile_list(REGISTRY),
    {
        "display_name": "Broken (a typo'd image, 128 CPUs)",
        "slug": "broken",
        "kubespawner_override": {
            "image": f"{REGISTRY}/jupyter/scipy-notebok:latest",
            "extra_container_config": {
                "resources": {"requests": {"cpu": "128"}, "limits": {"cpu": "128"}},
            },
        },
    },
]
c.Prevalidator.allowed_registries = [REGISTRY]
c.Prevalidator.insecure_registries = [REGISTRY]
