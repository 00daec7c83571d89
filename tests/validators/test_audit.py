"""The audit's rule (never / not-now / fits) over real verdicts of ``run_all`` on a view and on
``ClusterView.emptied()``, and the choices it tries."""

from __future__ import annotations

from decimal import Decimal

from factories import base_objects, cluster, node, pod, priority_class, pvc, quota

from prevalidate.model.findings import Code, Finding, Severity, Verdict
from prevalidate.model.settings import Settings
from prevalidate.validators import run_all
from prevalidate.validators.audit import Fit, classify, profile_selection

SETTINGS = Settings(offline=True)


def busy_cluster():  # type: ignore[no-untyped-def]
    """One 8-CPU node, 6 CPUs taken by bob; a quota of 10 CPUs, 6 used."""
    return cluster(
        *base_objects(),
        node("node-1", cpu="8", memory="32Gi"),
        pod("jupyter-bob", requests={"cpu": "6", "memory": "1Gi"}, node_name="node-1", phase="Running"),
        quota({"requests.cpu": "10"}, {"requests.cpu": "6"}),
        priority_class("system-node-critical", value=2000001000),
        pvc("claim-alice"),
    )


def outcome(cpu: str, **kwargs):  # type: ignore[no-untyped-def]
    view = busy_cluster()
    the_pod = pod(requests={"cpu": cpu, "memory": "1Gi"}, **kwargs)
    return classify(run_all(the_pod, view, SETTINGS), run_all(the_pod, view.emptied(), SETTINGS))


def test_what_fits_now_fits() -> None:
    assert outcome("1").fit is Fit.FITS
    assert outcome("1").codes == ()


def test_what_needs_others_to_stop_is_not_now() -> None:
    # 3 CPUs: the node has 2 free and the quota 4 left; on the empty cluster 8 and 10
    result = outcome("3")
    assert result.fit is Fit.NOT_NOW
    assert result.codes == ("insufficient-capacity",)
    # 5 CPUs: over the quota's 4 left as well, both clear when bob stops
    result = outcome("5")
    assert result.fit is Fit.NOT_NOW
    assert set(result.codes) == {"quota-exceeded", "insufficient-capacity"}


def test_what_no_empty_cluster_could_run_is_never() -> None:
    result = outcome("9")  # above the node's 8: no-node-fits whatever runs; the quota's 10 allows it
    assert result.fit is Fit.NEVER
    assert "no-node-fits" in result.persistent
    result = outcome("1", claims=["claim-nobody"])  # a claim that does not exist
    assert result.fit is Fit.NEVER and result.codes == ("pvc-not-found",)


def test_a_quota_below_the_request_is_never_even_with_nothing_used() -> None:
    view = cluster(
        *base_objects(), node("node-1", cpu="64"), quota({"requests.cpu": "4"}, {"requests.cpu": "0"})
    )
    the_pod = pod(requests={"cpu": "5"})
    result = classify(run_all(the_pod, view, SETTINGS), run_all(the_pod, view.emptied(), SETTINGS))
    assert result.fit is Fit.NEVER and result.codes == ("quota-exceeded",)


def test_warnings_never_decide() -> None:
    warning = Verdict.of([Finding(Code.IMAGE_UNVERIFIED, Severity.WARNING, "x")])
    result = classify(warning, warning)
    assert result.fit is Fit.FITS and result.codes == () and result.warnings == ("image-unverified",)


def test_emptied_view_has_no_pods_and_no_quota_usage_and_leaves_the_view_alone() -> None:
    view = busy_cluster()
    empty = view.emptied()
    assert empty.pod_count() == 0 and empty.bound_pods == 0
    assert all(u.pods == 0 for u in empty.usage.values())
    assert empty.quotas_in("jhub")[0].used == {"requests.cpu": Decimal(0)}
    assert empty.quotas_in("jhub")[0].hard == view.quotas_in("jhub")[0].hard
    assert set(empty.nodes) == set(view.nodes) and empty.pvcs_in("jhub").keys() == view.pvcs_in("jhub").keys()
    assert empty.known == view.known
    # the original is untouched, and later events on it do not reach the copy
    assert view.pod_count() == 1 and view.quotas_in("jhub")[0].used == {"requests.cpu": Decimal(6)}
    view.apply(node("node-2"))
    assert "node-2" not in empty.nodes


def test_every_combination_of_listed_choices() -> None:
    profile = {
        "slug": "p",
        "profile_options": {
            "cpu": {"choices": {"1": {}, "2": {"default": True}}},
            "image": {"choices": {"a": {}, "b": {}, "c": {}}, "unlisted_choice": {"enabled": True}},
        },
    }
    selection = profile_selection(profile)
    assert len(selection.choices) == 6 and not selection.note
    assert selection.choices[0] == {"cpu": "1", "image": "a"}
    assert profile_selection({"slug": "plain"}).choices == ({},)


def test_a_profile_that_needs_typed_text_is_not_audited_and_says_so() -> None:
    # KubeSpawner refuses such a profile without a typed value: no choice would be a false "never"
    profile = {
        "slug": "p",
        "profile_options": {"free": {"choices": {}, "unlisted_choice": {"enabled": True}}},
    }
    selection = profile_selection(profile)
    assert selection.choices == ()
    assert selection.note == "profile p: option free takes free text only; the profile is not audited"


def test_over_the_cap_each_choice_once_from_the_defaults() -> None:
    profile = {
        "slug": "p",
        "profile_options": {
            "a": {"choices": {"x": {}, "y": {"default": True}, "z": {}}},
            "b": {"choices": {"u": {}, "v": {}}},
        },
    }
    selection = profile_selection(profile, cap=5)
    assert selection.choices == (
        {"a": "y", "b": "u"},
        {"a": "x", "b": "u"},
        {"a": "z", "b": "u"},
        {"a": "y", "b": "v"},
    )
    assert "6 combinations of 2 options (more than 5)" in selection.note


def test_a_missing_object_named_after_a_made_up_user_does_not_decide() -> None:
    missing = Verdict.of([Finding(Code.PVC_NOT_FOUND, Severity.ERROR, "claim-prevalidate-audit")])
    result = classify(missing, missing, stand_in="prevalidate-audit")
    assert result.fit is Fit.FITS and result.warnings == ("pvc-not-found",)
    assert classify(missing, missing).fit is Fit.NEVER  # a real user's claim does
    other = Verdict.of([Finding(Code.PVC_NOT_FOUND, Severity.ERROR, "data-shared-typo")])
    assert classify(other, other, stand_in="prevalidate-audit").fit is Fit.NEVER
