"""``c.Prevalidator.*``: the hub administrator's settings, as traitlets with their documentation.

The traits are the documentation (``help=``), as in KubeSpawner. ``settings()`` turns them into
the pure core's ``Settings``; everything else here is plumbing JupyterHub's config system needs.
"""

from __future__ import annotations

from typing import Any

from traitlets import Bool, CaselessStrEnum, Dict, Float, Integer, List, Set, TraitError, Unicode, validate
from traitlets.config import LoggingConfigurable

from ..model.admission import PLUGINS, AdmissionConfig
from ..model.findings import Code
from ..model.objects import NodeInfo
from ..model.objshape import object_problems
from ..model.settings import CHECKS, DEFAULT_ADMIN_CONTACT, Settings
from ..registry.policy import entry_problem
from ..validators.backstop.policy import FatalRule, Policy


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
        `node_pools` nor detected (see `autoscaler`). A request no node could ever hold
        (`no-node-fits`) is rejected unless an autoscaler may add a node that holds it.
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

    autoscaler = CaselessStrEnum(
        ["auto", "present", "absent"],
        default_value="auto",
        config=True,
        help="""
        Whether the cluster can add nodes prevalidate cannot see (a node pool scaled to zero):
        "present" and "auto" (the default, when a node carries a managed node group's or
        Karpenter's label) make `no-node-fits` and
        `insufficient-capacity` warnings, and the runtime backstop waits for the autoscaler's
        verdict; "absent" keeps them errors. Ignored when `node_pools` describes the pools.
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

    backstop = CaselessStrEnum(
        ["fail", "explain", "off"],
        default_value="fail",
        config=True,
        help="""
        The runtime backstop, for what goes wrong after the pod is created (a node that cannot
        pull the image, a notebook that crashes or runs out of memory, a cluster with no room,
        an autoscaler that refuses, a volume that cannot be mounted). "fail" (the default) ends
        such a spawn within seconds with a sentence that says what happened and what to do,
        and deletes its pod; "explain" only replaces KubeSpawner's raw event lines on the
        progress page with short human ones and lets `start_timeout` end the spawn as before;
        "off" leaves KubeSpawner's behaviour untouched. Only decisive facts fail a spawn: slow
        pulls, transient registry errors, a cluster adding a node all wait.
        """,
    )

    capacity_wait = Float(
        120.0,
        config=True,
        help="""
        Seconds a pod the scheduler cannot place for lack of room (`Insufficient cpu`...) may wait
        for room to free up before the backstop fails the spawn, naming what is short. Not used
        while the cluster autoscaler is adding a node (`TriggeredScaleUp`, Karpenter's
        `Nominated`): that waits until `start_timeout`. A request no node could ever hold fails
        at once.
        """,
    )

    image_pull_attempts = Integer(
        3,
        config=True,
        help="""
        How many failed pulls of an image with a transient cause (the kubelet's `pull QPS
        exceeded`, a registry's 429 rate limit, 5xx from the registry or its token endpoint,
        timeouts, an unknown error) the backstop tolerates before it fails the spawn. A pull that
        says the image does not exist or access is denied fails at once (after the hub asks the
        registry itself: if the image is there, the user is told the node cannot pull it).
        """,
    )

    fatal_events = List(
        Dict(),
        config=True,
        help="""
        Your own fatal events (kubespawner#795): a list of `{"reason": "Unhealthy", "message":
        "Readiness probe failed: .*statuscode: 5\\d\\d", "say": "The notebook server is broken;
        write to hub-admins@example.org"}`. An event about the spawn's pod whose reason is
        `reason` and whose message matches the regular expression `message` (searched; optional)
        ends the spawn with `say`. `"user_caused": true` keeps it out of JupyterHub 5's
        `consecutive_failure_limit` count.
        """,
    )

    @validate("fatal_events")
    def _fatal_rules(self, proposal: Any) -> list[dict[str, Any]]:
        for index, rule in enumerate(proposal["value"]):
            try:
                FatalRule.parse(rule)
            except ValueError as exc:
                raise TraitError(f"fatal_events[{index}]: {exc}") from None
        return list(proposal["value"])

    def backstop_policy(self) -> Policy:
        return Policy.of(
            capacity_wait=self.capacity_wait,
            image_pull_attempts=self.image_pull_attempts,
            fatal_events=self.fatal_events,
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

    @validate("allowed_registries", "insecure_registries")
    def _ascii_registries(self, proposal: Any) -> list[str]:
        # A Unicode name would match no image (see policy.is_listed): an allow-list that
        # silently lacks the registry the admin meant rejects that registry's images.
        for index, entry in enumerate(proposal["value"]):
            problem = entry_problem(entry)
            if problem is not None:
                raise TraitError(f"{proposal['trait'].name}[{index}]: {problem}")
        return list(proposal["value"])

    @validate("disabled_checks")
    def _known_checks(self, proposal: Any) -> set[str]:
        unknown = set(proposal["value"]) - set(CHECKS)
        if unknown:
            raise TraitError(f"unknown check(s) {sorted(unknown)}; the checks are {', '.join(CHECKS)}")
        return set(proposal["value"])

    @validate("node_pools")
    def _typed_node_pools(self, proposal: Any) -> list[dict[str, Any]]:
        for index, pool in enumerate(proposal["value"]):
            problems = object_problems({**pool, "kind": "Node"})
            if problems:
                where, what = problems[0]
                raise TraitError(f"node_pools[{index}]: {where} {what}")
        return list(proposal["value"])

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
            autoscaler=self.autoscaler.lower(),
            disabled_checks=frozenset(self.disabled_checks),
            offline=not self.registry_checks,
            admission=AdmissionConfig.parse(self.admission_plugins, self.admission_config),
        )
