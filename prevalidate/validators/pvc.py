"""PersistentVolumeClaims the pod mounts: present, not being deleted, bindable, not held
exclusively by another pod (kube-scheduler's VolumeBinding and VolumeRestrictions plugins).

Pure, no I/O here. Claims the spawner creates itself just before the pod
(KubeSpawner's ``storage_pvc_ensure``) are not required to exist, but their storage class is
read the same way as an existing claim's.

A claim whose storage class has no StorageClass object is not broken: the PV controller binds
it statically to a PersistentVolume of that class name (pkg/controller/volume/persistentvolume
``syncUnboundClaim`` -> ``findBestMatchForClaim`` matches ``storageClassName``, and
``IsDelayBindingMode`` treats a class it cannot find as Immediate binding); only dynamic
provisioning needs the object. PersistentVolumes are not something the hub can list, so this
is a warning, never a refusal.
"""

from __future__ import annotations

from ..model.findings import Code, Finding, Severity
from ..model.objects import PVCInfo
from .context import CheckInput, closest, skipped


def _effective_class(ctx: CheckInput, claim: PVCInfo) -> str:
    """The class after the DefaultStorageClass admission plugin: a claim that names none
    (``storageClassName`` unset, no beta annotation) gets the default class, if there is one;
    ``""`` stays ``""`` (plugin/pkg/admission/storage/storageclass/setdefault)."""
    if claim.storage_class is not None:
        return claim.storage_class
    return ctx.cluster.default_storage_class() or ""


def _class_problem(ctx: CheckInput, claim: PVCInfo, class_name: str, new: bool) -> Finding | None:
    """A claim that can only bind to a volume an administrator created by hand (warning)."""
    if not ctx.cluster.knows("StorageClass"):
        return None  # cannot tell: say nothing
    facts = {
        "claim": claim.name,
        "storage_class": class_name,
        "new": new,
        "explicit_none": claim.storage_class == "",  # storageClassName: "" opts out of defaulting
    }
    if not class_name:
        # No class and no default class: only a PersistentVolume without a class can bind it.
        return Finding(Code.PVC_NOT_BOUND, Severity.WARNING, claim.name, dict(facts, state="no-class"))
    if class_name not in ctx.cluster.storage_classes:
        return Finding(
            Code.PVC_NOT_BOUND,
            Severity.WARNING,
            claim.name,
            dict(facts, state="no-storage-class", storage_classes=sorted(ctx.cluster.storage_classes)),
        )
    return None


def _binding(ctx: CheckInput, claim: PVCInfo) -> Finding | None:
    if claim.phase == "Lost":
        return Finding(Code.PVC_NOT_BOUND, Severity.ERROR, claim.name, {"claim": claim.name, "state": "lost"})
    if claim.phase != "Pending" or claim.volume_name:
        return None
    class_name = _effective_class(ctx, claim)
    problem = _class_problem(ctx, claim, class_name, new=False)
    if problem is not None:
        return problem
    storage_class = ctx.cluster.storage_classes.get(class_name) if class_name else None
    if storage_class is not None and storage_class.binding_mode == "WaitForFirstConsumer":
        return None  # binds when this pod is scheduled: the normal case
    # Immediate binding and still Pending: a provisioner may bind it in a moment, or never.
    return Finding(
        Code.PVC_NOT_BOUND,
        Severity.WARNING,
        claim.name,
        {"claim": claim.name, "state": "pending", "storage_class": class_name},
    )


def _in_use(ctx: CheckInput, claim: PVCInfo) -> Finding | None:
    modes = set(claim.access_modes)
    exclusive = "ReadWriteOncePod" in modes
    if not exclusive and modes != {"ReadWriteOnce"}:
        return None  # shared access modes: other users are fine
    users = ctx.cluster.claim_users(claim.namespace, claim.name)
    others = [pod for pod in users if pod != ctx.demand.pod_name]
    if not others:
        return None
    facts = {"claim": claim.name, "pods": sorted(others)[:10], "access_modes": sorted(modes)}
    if exclusive:
        return Finding(Code.PVC_IN_USE, Severity.ERROR, claim.name, facts)
    # ReadWriteOnce: the pod may still land on the same node; only an attach elsewhere fails.
    nodes = sorted({n for p, n in users.items() if n and p != ctx.demand.pod_name})
    return Finding(Code.PVC_IN_USE, Severity.WARNING, claim.name, dict(facts, nodes=nodes))


def check(ctx: CheckInput) -> list[Finding]:
    if not ctx.demand.claims:
        return []
    if not ctx.cluster.knows("PersistentVolumeClaim", ctx.demand.namespace):
        return [skipped("pvc", "PersistentVolumeClaim")]
    existing = ctx.cluster.pvcs_in(ctx.demand.namespace)
    created = {c.name for c in ctx.new_claims}
    findings: list[Finding] = []
    for new_claim in ctx.new_claims:
        problem = _class_problem(ctx, new_claim, _effective_class(ctx, new_claim), new=True)
        if problem is not None:
            findings.append(problem)
    for name in dict.fromkeys(ref.claim for ref in ctx.demand.claims):
        if name in created:
            continue
        claim = existing.get(name)
        if claim is None:
            if ctx.request.creates("PersistentVolumeClaim", name):
                continue  # the spawner creates it around the pod; the scheduler waits for it
            findings.append(
                Finding(
                    Code.PVC_NOT_FOUND,
                    Severity.ERROR,
                    name,
                    {
                        "claim": name,
                        "namespace": ctx.demand.namespace,
                        "existing": sorted(existing),
                        "closest": closest(name, existing),
                    },
                )
            )
            continue
        if claim.terminating:
            findings.append(Finding(Code.PVC_TERMINATING, Severity.ERROR, name, {"claim": name}))
            continue
        for problem in (_binding(ctx, claim), _in_use(ctx, claim)):
            if problem is not None:
                findings.append(problem)
    return findings
