"""Disagreements with the real control plane that are understood: who is right, and why.

Each entry is a predicate over a Comparison and the reason; the differential run counts them
apart instead of failing, and test_regressions.py keeps one case each. None is a false
rejection: in each, Kubernetes leaves the pod Pending and prevalidate allows or warns.
"""

from __future__ import annotations

from collections.abc import Callable

from .judge import Comparison


def _unbound_immediate(c: Comparison) -> bool:
    # VolumeBinding PreFilter (pkg/scheduler/framework/plugins/volumebinding/volume_binding.go):
    # a Pending claim of an Immediate class makes the pod UnschedulableAndUnresolvable until
    # its provisioner binds it; the scheduler then stops before any Filter, so its message
    # names only that. prevalidate warns (pvc-not-bound, warning): the provisioner may bind
    # it in a moment, and a transient state must not refuse a spawn.
    return c.real.families == {"volume"} and "unbound immediate PersistentVolumeClaims" in c.real.detail


def _no_pv_for_delayed_claim(c: Comparison) -> bool:
    # VolumeBinding Filter (binder.go FindPodVolumes): a Pending claim of a
    # WaitForFirstConsumer class whose provisioner is kubernetes.io/no-provisioner can only
    # bind to an existing PersistentVolume; there is none, so "didn't find available
    # persistent volumes to bind". PersistentVolumes are not in the dump prevalidate reads
    # (it cannot know), so it fails open and allows.
    return c.real.families == {"volume"} and "didn't find available persistent volumes" in c.real.detail \
        and not c.false_rejection


KNOWN: list[tuple[str, Callable[[Comparison], bool]]] = [
    ("a Pending Immediate claim: the scheduler waits for its provisioner, we warn", _unbound_immediate),
    ("a delayed claim with no PersistentVolume: PVs are not in the dump, we fail open",
     _no_pv_for_delayed_claim),
]


def explain(c: Comparison) -> str | None:
    for reason, matches in KNOWN:
        if matches(c):
            return reason
    return None
