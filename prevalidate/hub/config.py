"""``c.Prevalidator.*``: the hub administrator's settings, as traitlets with their documentation.

The traits are the documentation (``help=``), as in KubeSpawner. ``settings()`` turns them into
the pure core's ``Settings``; everything else here is plumbing JupyterHub's config system needs.
"""

from __future__ import annotations

from typing import Any

from traitlets import Bool, CaselessStrEnum, Dict, Float, List, Set, TraitError, Unicode, validate
from traitlets.config import LoggingConfigurable

from ..model.admission import PLUGINS, AdmissionConfig
from ..model.findings import Code
from ..model.objects import NodeInfo
from ..model.settings import CHECKS, DEFAULT_ADMIN_CONTACT, Settings


class Prevalidator(LoggingConfigurable):
    """Checks a spawn against the cluster before KubeSpawner creates anything."""

    enabled = Bool(
        True,
        config=True,
        help="""
        Validate spawns at all. False turns prevalidate off without removing it from the
        configuration (the spawner then behaves exactly like KubeSpawner).
        """,
    )

    dry_run = Bool(
        False,
        config=True,
        help="""
        Log what would be rejected (one line per spawn, with the finding codes) but let every
        spawn proceed. Use it for a first week in production: the hub log and the
        `prevalidate_validations_total{outcome="would_reject"}` metric then show what enforcing
        would have stopped.
        """,
    )

    allowed_registries = List(
        Unicode(),
        config=True,
        help="""
        Registries (`host[:port]`) the hub may contact to check that an image exists. When set,
        an image from any other registry is rejected (`image-registry-not-allowed`), so this is
        also an image allow-list. Private, loopback and link-local addresses (an in-cluster
        registry, for instance) are contacted only when listed here: the image string is user
        input, and an unlisted internal address is never contacted (SSRF).
        Example: `["registry-1.docker.io", "quay.io", "registry.example.org:5000"]`.
        """,
    )

    insecure_registries = List(
        Unicode(),
        config=True,
        help="""
        Registries (`host[:port]`) that speak plain HTTP, as in containerd's or Docker's
        insecure-registry setting. Everything else is contacted over HTTPS.
        """,
    )

    admin_contact = Unicode(
        DEFAULT_ADMIN_CONTACT,
        config=True,
        help="""
        The last line of every message a user sees when something is wrong, e.g.
        "Still stuck? Write to hub-admins@example.org". Empty to leave it out.
        """,
    )

    capacity_policy = CaselessStrEnum(
        ["reject", "warn"],
        default_value="reject",
        config=True,
        help="""
        What to do when a node could run the server but none has room right now
        (`insufficient-capacity`): "reject" (the default) shows the error in the form;
        "warn" lets the spawn proceed, for clusters whose autoscaler is not described in
        `node_pools`. A request no node could ever hold (`no-node-fits`) is always rejected.
        """,
    )

    node_pools = List(
        Dict(),
        config=True,
        help="""
        Node templates (v1 Node objects as dicts, with labels, taints and
        `status.allocatable`) that the cluster autoscaler can add. A spawn that does not fit
        on today's nodes but fits a template is allowed with a warning that the server may take
        a few minutes, instead of being rejected.
        """,
    )

    time_budget = Float(
        2.0,
        config=True,
        help="""
        Seconds one validation may spend asking image registries. When the budget runs out the
        image is reported as unverified (a warning) and the spawn proceeds: a slow registry never
        blocks a spawn and never makes the form wait longer than this.
        """,
    )

    registry_checks = Bool(
        True,
        config=True,
        help="""
        Ask image registries whether the image exists (manifest HEAD with the pull secrets the
        kubelet would use). False keeps only the reference syntax and allow-list checks: no
        network request leaves the hub for an image.
        """,
    )

    disabled_checks = Set(
        Unicode(),
        config=True,
        help=f"""
        Checks to turn off, by name: {", ".join(CHECKS)}. A disabled check neither rejects nor
        warns.
        """,
    )

    messages = Dict(
        Unicode(),
        config=True,
        help="""
        Your own wording for a finding code, as a Python format string over the finding's facts,
        e.g. `{"image-not-found": "{image} is not in our registry; see https://wiki.example.org/images"}`.
        A template that names a fact the finding lacks falls back to the built-in message.
        """,
    )

    cache_ready_timeout = Float(
        5.0,
        config=True,
        help="""
        Seconds the first validation after the hub starts may wait for the cluster caches
        (the initial list of nodes, quotas, PVCs...). Checks whose cache is not ready by then
        are skipped with a warning; the spawn proceeds.
        """,
    )

    admission_plugins = Dict(
        Unicode(),
        config=True,
        help=f"""
        Which of the apiserver's admission plugins that change a pod before it is scheduled
        your cluster runs: a plugin name ({", ".join(PLUGINS)}) mapped to "on", "off" or
        "auto". prevalidate checks the pod as these plugins will leave it (the RuntimeClass's
        overhead counts against quotas and node capacity, its node selector and tolerations
        and the namespace's count when choosing nodes). It cannot ask the apiserver which
        plugins run, so an unnamed plugin is "auto": the tolerations it would add are assumed
        (they can only let the pod onto more nodes), its node selectors and its refusals are
        not — an unknown never rejects a spawn. RuntimeClass is "on" unless you say
        otherwise (it is on by default in Kubernetes). GKE and AKS run
        ExtendedResourceToleration; say `{{"ExtendedResourceToleration": "off"}}` when yours
        does not, so that a GPU request without a toleration for the GPU nodes' taint is
        rejected as Kubernetes would leave it Pending. State PodNodeSelector and
        PodTolerationRestriction "on" to have namespace node selectors applied and tolerations
        outside a namespace's whitelist rejected.
        """,
    )

    admission_config = Dict(
        config=True,
        help="""
        The configuration of the PodNodeSelector and PodTolerationRestriction plugins, as the
        `configuration` of each in your apiserver's AdmissionConfiguration file, e.g.
        `{"PodNodeSelector": {"podNodeSelectorPluginConfig": {"clusterDefaultNodeSelector":
        "pool=users", "jhub": "pool=users"}}, "PodTolerationRestriction": {"default":
        [{"key": "dedicated", "operator": "Exists"}], "whitelist": []}}`. Namespace annotations
        (`scheduler.alpha.kubernetes.io/node-selector`, `.../defaultTolerations`,
        `.../tolerationsWhitelist`) are read from the cluster and take precedence, as in
        Kubernetes.
        """,
    )

    @validate("admission_plugins", "admission_config")
    def _admission(self, proposal: Any) -> dict[str, Any]:
        value = dict(proposal["value"])
        try:
            if proposal["trait"].name == "admission_plugins":
                AdmissionConfig.parse(plugins=value)
            else:
                AdmissionConfig.parse(configuration=value)
        except ValueError as exc:
            raise TraitError(str(exc)) from None
        return value

    @validate("disabled_checks")
    def _known_checks(self, proposal: Any) -> set[str]:
        unknown = set(proposal["value"]) - set(CHECKS)
        if unknown:
            raise TraitError(f"unknown check(s) {sorted(unknown)}; the checks are {', '.join(CHECKS)}")
        return set(proposal["value"])

    @validate("messages")
    def _known_codes(self, proposal: Any) -> dict[str, str]:
        codes = {c.value for c in Code}
        unknown = set(proposal["value"]) - codes
        if unknown:
            raise TraitError(f"unknown finding code(s) {sorted(unknown)}; see the README's codes table")
        return dict(proposal["value"])

    def settings(self) -> Settings:
        return Settings(
            allowed_registries=tuple(self.allowed_registries),
            insecure_registries=tuple(self.insecure_registries),
            admin_contact=self.admin_contact,
            capacity_policy=self.capacity_policy.lower(),
            node_pools=tuple(NodeInfo.from_dict(n) for n in self.node_pools),
            disabled_checks=frozenset(self.disabled_checks),
            offline=not self.registry_checks,
            admission=AdmissionConfig.parse(self.admission_plugins, self.admission_config),
        )
