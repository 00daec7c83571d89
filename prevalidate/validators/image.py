"""Images: a valid reference, a registry the hub may contact, and — when the registry was
asked — a manifest that exists, is readable with the pod's credentials and has a platform the
candidate nodes run.

Pure, no I/O here: registry answers arrive as ``ImageFacts`` (from ``prevalidate.registry``),
or not at all when offline. Only what Kubernetes would also fail on is an error; a registry
that could not be asked, or a 401 that may mean "private" as well as "missing", is a warning.
"""

from __future__ import annotations

from ..model.findings import Code, Finding, Severity
from ..model.image_facts import ImageFacts, ImageStatus
from ..registry.policy import DenialKind, registry_denial
from ..registry.reference import parse_image_reference
from .capacity import candidate_nodes
from .context import CheckInput


def _node_platforms(ctx: CheckInput) -> set[tuple[str, str]] | None:
    """(os, arch) of the nodes the pod could land on; None when any is unlabelled."""
    nodes = list(candidate_nodes(ctx.cluster, ctx.demand)) + list(ctx.settings.node_pools)
    platforms = set()
    for node in nodes:
        arch = node.labels.get("kubernetes.io/arch")
        if not arch:
            return None
        platforms.add((node.labels.get("kubernetes.io/os", "linux"), arch))
    return platforms or None


def _from_facts(ctx: CheckInput, image: str, facts: ImageFacts) -> Finding | None:
    base = {"image": image, "detail": facts.detail, "registry": facts.registry_host}
    status = facts.status
    if status is ImageStatus.NOT_FOUND:
        return Finding(
            Code.IMAGE_NOT_FOUND, Severity.ERROR, image, dict(base, suggestions=list(facts.suggestions))
        )
    if status is ImageStatus.ACCESS_DENIED:
        return Finding(Code.IMAGE_ACCESS_DENIED, Severity.ERROR, image, base)
    if status is ImageStatus.NOT_FOUND_OR_DENIED:
        # The kubelet may hold node-level credentials we cannot see: say so, never block.
        return Finding(Code.IMAGE_ACCESS_DENIED, Severity.WARNING, image, dict(base, ambiguous=True))
    if status is ImageStatus.NOT_ALLOWED:
        return Finding(
            Code.IMAGE_REGISTRY_NOT_ALLOWED, Severity.WARNING, image, dict(base, reason=facts.detail)
        )
    if status is ImageStatus.UNVERIFIED:
        return Finding(Code.IMAGE_UNVERIFIED, Severity.WARNING, image, base)
    if facts.platforms:
        wanted = _node_platforms(ctx)
        offered = {(p.os, p.architecture) for p in facts.platforms}
        if wanted and not wanted & offered:
            return Finding(
                Code.IMAGE_PLATFORM_UNSUPPORTED,
                Severity.ERROR,
                image,
                dict(
                    base,
                    image_platforms=sorted(str(p) for p in facts.platforms),
                    node_platforms=sorted(f"{o}/{a}" for o, a in wanted),
                ),
            )
    return None


def check(ctx: CheckInput) -> list[Finding]:
    findings: list[Finding] = []
    allowed = ctx.settings.allowed_registries
    for image in ctx.demand.images:
        try:
            ref = parse_image_reference(image)
        except ValueError as exc:
            findings.append(
                Finding(
                    Code.IMAGE_REFERENCE_INVALID, Severity.ERROR, image, {"image": image, "reason": str(exc)}
                )
            )
            continue
        denial = registry_denial(ref.registry_host, allowed, ctx.settings.insecure_registries)
        if denial is not None:
            # An explicit allow-list is the admin's policy; otherwise we only refuse to
            # contact an internal address, which says nothing about whether the pull works.
            policy = denial.kind is DenialKind.NOT_LISTED
            findings.append(
                Finding(
                    Code.IMAGE_REGISTRY_NOT_ALLOWED,
                    Severity.ERROR if policy else Severity.WARNING,
                    image,
                    {
                        "image": image,
                        "registry": ref.registry_host,
                        "reason": denial.text,
                        "allowed": list(allowed),
                    },
                )
            )
            continue
        facts = ctx.images.get(image)
        if facts is not None:
            finding = _from_facts(ctx, image, facts)
            if finding is not None:
                findings.append(finding)
    return findings
