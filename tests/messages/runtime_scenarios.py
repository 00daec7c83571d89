"""Scenarios for what goes wrong after the pod is created: the backstop's judge reads a recorded
spawn (tests/backstop/replays) and makes the finding the user is told."""

from __future__ import annotations

from collections.abc import Callable

from prevalidate.model.findings import Code, Finding, Severity, Verdict

from .scenario import Scenario


def _runtime(replay: str) -> Callable[[], Verdict]:
    """The finding the backstop's judge makes of a recorded spawn (tests/backstop/replays)."""

    def make() -> Verdict:
        from prevalidate.testing.replays import load, run

        outcome = run(load(replay))
        assert outcome.code is not None
        return Verdict.of([Finding(Code(outcome.code), Severity.ERROR, facts=outcome.facts)])

    return make


RUNTIME_SCENARIOS: dict[str, Scenario] = {
    "image-pull-failed": Scenario(
        Code.IMAGE_PULL_FAILED,
        _runtime("01-tag-not-found"),
        ("nb:1", "not found"),
        "Choose another image",
    ),
    "node-cannot-pull": Scenario(
        Code.NODE_CANNOT_PULL,
        _runtime("08-registry-down-after-attempts"),
        ("3 attempts", "502"),
        "Please try again",
    ),
    "scheduling-impossible": Scenario(
        Code.SCHEDULING_IMPOSSIBLE,
        _runtime("11-no-node-fits"),
        ("Insufficient cpu",),
        "Choose fewer resources",
    ),
    "capacity-wait-exceeded": Scenario(
        Code.CAPACITY_WAIT_EXCEEDED,
        _runtime("12-capacity-wait-exceeded"),
        ("30 seconds",),
        "Please try again later",
    ),
    "autoscaler-refused": Scenario(
        Code.AUTOSCALER_REFUSED,
        _runtime("09-autoscaler-refused"),
        ("didn't trigger scale-up",),
        "Choose fewer resources",
    ),
    "volume-zone-conflict": Scenario(
        Code.VOLUME_ZONE_CONFLICT,
        _runtime("13-volume-zone-conflict"),
        ("volume node affinity conflict",),
        None,
    ),
    "claim-unbound": Scenario(Code.CLAIM_UNBOUND, _runtime("14-claim-unbound"), ("unbound immediate",), None),
    "mount-failed": Scenario(Code.MOUNT_FAILED, _runtime("15-mount-failed"), ("nfs: mount failed",), None),
    "container-config-error": Scenario(
        Code.CONTAINER_CONFIG_ERROR,
        _runtime("17-config-error"),
        ("lab-token",),
        "Ask your administrator",
    ),
    "container-crashed": Scenario(
        Code.CONTAINER_CRASHED, _runtime("18-crashloop"), ("exit code 1",), "choose another image"
    ),
    "oom-killed": Scenario(Code.OOM_KILLED, _runtime("20-oom"), ("1 GiB",), "Choose more memory"),
    "evicted": Scenario(
        Code.EVICTED, _runtime("21-evicted"), ("low on resource: memory",), "Please try again"
    ),
    "pod-failed": Scenario(
        Code.POD_FAILED, _runtime("22-kubelet-rejected"), ("OutOfcpu",), "Please try again"
    ),
    "admin-fatal-event": Scenario(
        Code.ADMIN_FATAL_EVENT, _runtime("23-admin-rule"), ("notebook server is broken",), None
    ),
}
