"""The demo hub's configuration for `prevalidate audit`, plus one misconfigured profile.

The profiles are the demo's (prevalidate/demo/profiles.py: "custom" with image/CPU/memory/storage
choices, "small", "gpu"); "broken" is what an administrator's typo looks like: an image tag that
does not exist (scipy-notebok) and 128 CPUs on a cluster whose largest node has 62.5.

    prevalidate audit --config examples/audit/jupyterhub_config.py \
        --cluster examples/audit/cluster-gpu-full.yaml --offline

The registry the images live in is $AUDIT_REGISTRY (the demo's local registry; default
127.0.0.1:5000, never contacted with --offline).
"""

import os

from prevalidate.demo.profiles import hub_config
from prevalidate.testing.hubprocess import kubespawner_config

c = get_config()  # noqa: F821

REGISTRY = os.environ.get("AUDIT_REGISTRY", "127.0.0.1:5000")
exec(kubespawner_config("jhub", f"{REGISTRY}/jupyter/minimal-notebook:2024.1", 60))
exec(hub_config(REGISTRY))

c.KubeSpawner.profile_list.append(
    {
        "display_name": "Broken (a typo'd image, 128 CPUs)",
        "slug": "broken",
        "kubespawner_override": {
            "image": f"{REGISTRY}/jupyter/scipy-notebok:latest",
            "extra_container_config": {
                "resources": {"requests": {"cpu": "128"}, "limits": {"cpu": "128"}},
            },
        },
    }
)
