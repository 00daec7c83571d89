"""Scenarios for admission: RuntimeClass and the admission plugins we predict, and the
apiserver's own refusals (a Status body) told to the user."""

from __future__ import annotations

from collections.abc import Callable

from factories import base_objects, namespace_with, only, pod, runtime_class, verdict

from prevalidate.model.admission import AdmissionConfig
from prevalidate.model.findings import Code, Verdict
from prevalidate.model.refusals import parse_status, refusal_findings

from .scenario import Scenario

BASE = base_objects()
LIMITRANGE_403 = 'pods "jupyter-alice" is forbidden: maximum cpu usage per Container is 2, but limit is 4'
WEBHOOK_TIMEOUT_500 = (
    'Internal error occurred: failed calling webhook "policy.example.com": failed to call '
    'webhook: Post "https://p.example.svc:443/v?timeout=3s": context deadline exceeded'
)


def _refused(status: int, message: str) -> Callable[[], Verdict]:
    """The verdict on the apiserver's answer to a create: a Status body with this message."""
    return lambda: Verdict.of(refusal_findings(parse_status(status, {"code": status, "message": message})))


ADMISSION_SCENARIOS: dict[str, Scenario] = {
    "runtimeclass-not-found": Scenario(
        Code.RUNTIMECLASS_NOT_FOUND,
        lambda: verdict(
            pod(runtimeClassName="gvisr"), [*BASE, runtime_class("gvisor")], checks=["admission"]
        ),
        ('"gvisr"', '"gvisor"'),
        "Did you mean",
    ),
    "admission-refused-overhead": Scenario(
        Code.ADMISSION_REFUSED,
        lambda: verdict(
            pod(runtimeClassName="kata", overhead={"cpu": "1"}),
            [*BASE, runtime_class("kata", overhead={"cpu": "250m", "memory": "120Mi"})],
            checks=["admission"],
        ),
        ('"kata"', "0.25 CPU", "120 MiB"),
        "Remove spec.overhead",
    ),
    "admission-refused-runtimeclass-selector": Scenario(
        Code.ADMISSION_REFUSED,
        lambda: verdict(
            pod(runtimeClassName="gvisor", nodeSelector={"sandbox": "no"}),
            [*BASE, runtime_class("gvisor", node_selector={"sandbox": "gvisor"})],
            checks=["admission"],
        ),
        ('"gvisor"', "sandbox=gvisor", "sandbox=no"),
        "Choose options without that node selector",
    ),
    "admission-refused-toleration-whitelist": Scenario(
        Code.ADMISSION_REFUSED,
        lambda: verdict(
            pod(tolerations=[{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}], requests={}),
            [
                namespace_with(
                    {
                        "scheduler.alpha.kubernetes.io/tolerationsWhitelist": '[{"key": "cpu-only", '
                        '"operator": "Exists"}]'
                    }
                ),
                *BASE[1:],
            ],
            checks=["admission"],
            settings=only("admission", admission=AdmissionConfig.parse({"PodTolerationRestriction": "on"})),
        ),
        ("jhub", "gpu (NoSchedule)", "your server asks for"),
        "tolerationsWhitelist",
    ),
    "create-refused-limitrange": Scenario(
        Code.CREATE_REFUSED,
        _refused(403, LIMITRANGE_403),
        ("2 CPUs", "4 CPUs"),
        "Choose at most 2 CPUs",
    ),
    "admission-unavailable": Scenario(
        Code.ADMISSION_UNAVAILABLE,
        _refused(500, WEBHOOK_TIMEOUT_500),
        ('"policy.example.com"',),
        "try again in a few minutes",
    ),
}
