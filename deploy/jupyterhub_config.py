"""A jupyterhub_config.py for a hub that runs KubeSpawner outside Zero to JupyterHub.

Only the prevalidate lines are shown; keep your own KubeSpawner settings. Every trait is
documented by `help=` in prevalidate/hub/config.py and in the README's table.
"""

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

c.JupyterHub.spawner_class = "prevalidate.PrevalidatingKubeSpawner"
c.KubeSpawner.namespace = "jhub"

c.Prevalidator.allowed_registries = ["quay.io", "registry.internal.example.org:5000"]
c.Prevalidator.insecure_registries = []  # plain-HTTP registries, if any
c.Prevalidator.admin_contact = "Still stuck? Write to hub-admins@example.org."
c.Prevalidator.capacity_policy = "reject"  # "warn" if an autoscaler you did not describe may add nodes
c.Prevalidator.time_budget = 2.0  # seconds per validation for registry lookups, then fail open
c.Prevalidator.messages = {
    "image-not-found": "{image} is not in our registries. The images we support: https://wiki.example.org/images",
}

# Or keep the stock KubeSpawner and add the check as a hook (errors then show on the progress
# page and in the REST API, not inline in the form):
# import prevalidate
# c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
# c.Spawner.pre_spawn_hook = prevalidate.pre_spawn_hook
