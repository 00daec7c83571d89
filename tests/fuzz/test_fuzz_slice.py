"""The type-mutation fuzz, a fixed-seed slice of it on every test run (`make fuzz` runs
100,000 cases of the same seed), and the mutator's own guarantees: deterministic, the input
left untouched, every kind of mutation actually made."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from prevalidate.testing.fuzz import Fuzzer, mutate
from prevalidate.testing.fuzz.__main__ import DEFAULT_ADMISSION, DEFAULT_CLUSTERS, DEFAULT_CORPUS

ROOT = Path(__file__).parents[2]
SEED = 9  # the seed `make fuzz` uses: these are its first cases
SLICE = 3000


@pytest.fixture(scope="module")
def fuzzer() -> Fuzzer:
    return Fuzzer(
        [ROOT / p for p in DEFAULT_CORPUS],
        [ROOT / p for p in DEFAULT_CLUSTERS],
        SEED,
        admission_config=ROOT / DEFAULT_ADMISSION,
    )


def test_the_corpus_holds_the_real_manifests(fuzzer: Fuzzer) -> None:
    """The Kubernetes documentation pods, KubeSpawner's pods and the repository's examples."""
    names = {str((p.get("metadata") or {}).get("name")) for p in fuzzer.pods}
    assert {
        "with-pod-affinity",
        "resources-example",
        "jupyter-mock-name---6241db84",
        "jupyter-alice",
    } <= names
    assert len(fuzzer.pods) >= 60


def test_a_fixed_seed_slice_of_the_fuzz_finds_no_crash(fuzzer: Fuzzer) -> None:
    report = fuzzer.run(SLICE)
    assert report.crashes == 0, report.summary()
    assert report.cases == SLICE
    # The slice really reached every path: all three targets, refusals, allowed spawns, the CLI.
    assert set(report.targets) == {"pod", "cluster", "text"}
    for outcome in ("allowed", "input-invalid", "cli-input-error", "cluster-input-error", "cli-exit-2"):
        assert report.outcomes[outcome] > 0, report.summary()


def test_a_case_is_the_same_whatever_ran_before(fuzzer: Fuzzer) -> None:
    pod = fuzzer.pods[0]
    first = mutate(pod, random.Random(f"{SEED}:1234"))
    again = mutate(pod, random.Random(f"{SEED}:1234"))
    other = mutate(pod, random.Random(f"{SEED}:1235"))
    assert repr(first) == repr(again)
    assert repr(first) != repr(other)


def test_mutations_leave_their_input_untouched(fuzzer: Fuzzer) -> None:
    for index, pod in enumerate(fuzzer.pods):
        before = repr(pod)
        for case in range(20):
            mutate(pod, random.Random(f"{index}:{case}"))
        assert repr(pod) == before


def test_every_kind_of_mutation_is_made(fuzzer: Fuzzer) -> None:
    made: Counter[str] = Counter()
    for case in range(2000):
        rng = random.Random(f"kinds:{case}")
        _doc, done = mutate(rng.choice(fuzzer.pods), rng)
        made.update(m.op for m in done)
    expected = {
        "retype",
        "wrap-list",
        "wrap-object",
        "unwrap",
        "flip",
        "restring",
        "empty",
        "null",
        "hostile",
        "drop",
        "rename-key",
        "duplicate",
    }
    assert expected <= set(made), made
