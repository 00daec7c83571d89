"""The capacity check's per-signature cache is bounded (LRU): free-text node selectors, one new
signature per spawn, cannot grow the hub's memory without limit, and an evicted signature gets
the same answer when it comes back."""

from __future__ import annotations

from factories import cluster, node, only, pairs, pod, verdict

from prevalidate.validators import capacity


def _cache_of(view: object) -> capacity._NodeCache:
    kept = view.derived("capacity")  # type: ignore[attr-defined]
    assert isinstance(kept, capacity._NodeCache)
    return kept


def test_distinct_selectors_do_not_grow_the_cache_past_its_bound() -> None:
    view = cluster(node("small", cpu="4", labels={"zone": "a"}), node("big", cpu="64", labels={"zone": "b"}))
    settings = only("capacity")
    wants_b = pod(requests={"cpu": "8"}, nodeSelector={"zone": "b"})
    first = pairs(verdict(wants_b, view=view, settings=settings))
    assert first == []
    for i in range(capacity.SIGNATURES_KEPT * 3):  # what a free-text field makes of a busy day
        typed = pod(requests={"cpu": "1"}, nodeSelector={"zone": f"typo-{i}"})
        assert pairs(verdict(typed, view=view, settings=settings)) == [("no-node-fits", "error")]
        assert len(_cache_of(view).by_signature) <= capacity.SIGNATURES_KEPT
    assert len(_cache_of(view).by_signature) == capacity.SIGNATURES_KEPT
    # The first signature was evicted long ago; recomputed, it answers as before.
    again = pairs(verdict(wants_b, view=view, settings=settings))
    assert again == first
    wants_a = pod(requests={"cpu": "8"}, nodeSelector={"zone": "a"})
    small_only = pairs(verdict(wants_a, view=view, settings=settings))
    assert small_only == [("no-node-fits", "error")]


def test_a_signature_in_use_stays_cached_while_others_come_and_go() -> None:
    view = cluster(node("n1", cpu="16", labels={"zone": "a"}))
    settings = only("capacity")
    hot = pod(requests={"cpu": "2"}, nodeSelector={"zone": "a"})
    verdict(hot, view=view, settings=settings)
    hot_entry = next(iter(_cache_of(view).by_signature.values()))
    for i in range(capacity.SIGNATURES_KEPT * 2):
        verdict(pod(requests={"cpu": "1"}, nodeSelector={"zone": f"z{i}"}), view=view, settings=settings)
        verdict(hot, view=view, settings=settings)  # used every time: least recently used never
    assert any(entry is hot_entry for entry in _cache_of(view).by_signature.values())
