"""Pod-level resources (``spec.resources``, KEP-2837) against the containers' own.

Pure, no I/O here. The apiserver validates the pod after its mutating admission, so after
LimitRanger has given the containers the namespace's default requests and limits
(plugin/pkg/admission/limitranger ``defaultContainerResourceRequirements``), and refuses with a
422 (pkg/apis/core/validation/validation.go ``validatePodResourceConsistency``) when:

- a pod-level request is below the containers' aggregate request of that resource
  (``resourcehelper.AggregateContainerRequests``: app containers and sidecars summed, against
  the peak of the init sequence), "must be greater than or equal to aggregate container
  requests of …";
- a pod-level hugepages limit is below the containers' aggregate hugepages limit;
- an app container's limit is above the pod-level limit of that resource, "must be less than
  or equal to pod limits of …".

Only resources the pod names at pod level are compared (absent means no pod-level bound), so
a pod without ``spec.resources`` never meets this check. Found by the documentation pods on
the real plane (tests/agreement/test_corpus.py): kubernetes/website's
pods/resource/pod-level-resources.yaml leaves one container without resources; in a namespace
with the documentation's default LimitRange that container gets 256Mi, the aggregate becomes
306Mi against the pod's 100Mi, and kube-apiserver v1.37 answers 422.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from .findings import Finding
from .names import field_invalid
from .quantity import QuantityFormat, canonical_quantity
from .resources import is_hugepages

RULE = "pod-level-resources"


def _shown(resource: str, value: Decimal) -> str:
    """As the apiserver prints a quantity: memory and hugepages in binary units (306Mi)."""
    binary = resource == "memory" or is_hugepages(resource)
    return canonical_quantity(value, QuantityFormat.BINARY_SI if binary else QuantityFormat.DECIMAL_SI)


def pod_level_problems(
    pod_requests: Mapping[str, Decimal],
    pod_limits: Mapping[str, Decimal],
    aggregate_requests: Mapping[str, Decimal],
    aggregate_limits: Mapping[str, Decimal],
    app_limits: Sequence[tuple[str, Mapping[str, Decimal]]],
    defaulted: Sequence[str] = (),
) -> list[Finding]:
    """The 422s of validatePodResourceConsistency. ``app_limits``: (name, limits) of each app
    container (``spec.containers``) after defaulting; ``defaulted``: the containers whose
    requests or limits LimitRanger filled in (for the message)."""
    problems: list[Finding] = []
    facts = {"defaulted": list(defaulted)}

    def add(side: str, resource: str, shown: Decimal, reason: str, pod: Decimal, containers: Decimal,
            **extra: str) -> None:
        problems.append(field_invalid(RULE, f"spec.resources.{'requests' if side == 'requests' else 'limits'}"
                                      f".{resource}", _shown(resource, shown), reason, resource=resource,
                                      side=side, pod=pod, containers=containers, **facts, **extra))

    for resource, aggregate in sorted(aggregate_requests.items()):
        own = pod_requests.get(resource)
        if own is not None and aggregate > own:
            add("requests", resource, own, "must be greater than or equal to aggregate container requests of "
                f"{_shown(resource, aggregate)}", own, aggregate)
    for resource, aggregate in sorted(aggregate_limits.items()):
        own = pod_limits.get(resource)
        if is_hugepages(resource) and own is not None and aggregate > own:
            add("limits", resource, own, "must be greater than or equal to aggregate container limits of "
                f"{_shown(resource, aggregate)}", own, aggregate)
    for name, limits in app_limits:
        for resource, limit in sorted(limits.items()):
            own = pod_limits.get(resource)
            if own is not None and limit > own:
                add("container-limit", resource, limit, f"container {name}'s limit must be less than or "
                    f"equal to pod limits of {_shown(resource, own)}", own, limit, container=name)
    return problems
