"""The type-mutation fuzz (issue 9, "never a traceback"): 100,000 mutated manifests through
``run_all``, the messages and ``prevalidate check``, then the input families of issue 14
(``input_fuzz``: AdmissionReview bodies, registry responses, Status bodies, user_options,
quantities and image references); writes the ``fuzz`` section of RESULTS.md.

``make fuzz`` runs this module; it exits 1 when any case failed. To look at one case:
``python -m prevalidate.testing.fuzz --seed 9 --start N --count 1``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from prevalidate.testing.fuzz import Fuzzer, Report
from prevalidate.testing.fuzz.families import HANG_SECONDS, Tally

from ._results import write_section
from .input_fuzz import FAMILIES
from .input_fuzz import SEED as FAMILY_SEED
from .input_fuzz import markdown as family_rows
from .input_fuzz import run as run_family

ROOT = Path(__file__).resolve().parents[1]
CORPUS = (ROOT / "tests/fuzz/corpus", ROOT / "examples")
CLUSTERS = (ROOT / "examples/cluster.yaml", ROOT / "tests/fuzz/corpus/cluster-rich.yaml")
ADMISSION = ROOT / "tests/fuzz/corpus/admission-config.yaml"
COUNT, SEED = 100_000, 9

# What the same mutations did to the code before this fuzz existed (main at 9e0b9f4): each class
# is fixed at its root and has a test in tests/fuzz/.
FOUND_BEFORE = """\
Found on the code before the fuzz (9e0b9f4), 20,000 pod and 5,000 cluster-object cases of
this seed, now 0:

- 6 classes of AttributeError/TypeError in `build_demand`, `object_refs` and the affinity
  readers (a list for `requiredDuringSchedulingIgnoredDuringExecution` — the Kubernetes
  documentation's own `pod-with-node-affinity.yaml` — a string for `matchExpressions`, an
  object for `podAffinity` terms or `projected.sources` ...), all before `run_all`'s guard;
- checks that raised and were skipped by the guard (`capacity` on a null or string node
  selector term), so a valid spawn lost its checks;
- messages that echoed a 100 kB value whole (`input-invalid`, `image-reference-invalid`,
  `namespace-not-found`, `pvc-not-found`, `secret-not-found`, `configmap-not-found`), and
  exit-2 lines that a newline in a value split in two;
- 26 classes of exceptions from cluster-file objects (a node's `allocatable` as a list, a
  LimitRange item as a list, a Namespace `status` string, a pull secret that is not base64 ...);
- `prevalidate check` tracebacks on YAML: nesting deeper than ~1,000 levels (RecursionError),
  an integer of more than 4,300 digits (ValueError).
"""


def markdown(report: Report, tallies: list[Tally] | None = None) -> str:
    exits = [report.outcomes[f"cli-exit-{code}"] for code in (0, 1, 2)]
    rows = [
        (
            "mutations",
            f"{report.cases:,} (pods {report.targets['pod']:,}, cluster objects "
            f"{report.targets['cluster']:,}, YAML texts {report.targets['text']:,})",
        ),
        ("seed", f"{report.seed} (cases {report.start}..{report.start + report.cases - 1})"),
        ("runtime", f"{report.seconds:.0f} s ({report.cases / max(report.seconds, 1e-9):,.0f} cases/s)"),
        ("crashes", f"**{report.crashes}** ({len(report.failures)} classes)"),
        (
            "verdicts",
            f"{report.outcomes['allowed']:,} allowed, {report.outcomes['rejected']:,} rejected "
            f"({report.outcomes['input-invalid']:,} with `input-invalid`)",
        ),
        (
            "CLI",
            f"{sum(exits):,} runs of `prevalidate check`: exit 0 {exits[0]:,}, 1 {exits[1]:,}, "
            f"2 {exits[2]:,} (one line each)",
        ),
        (
            "cluster files",
            f"{report.outcomes['cluster-input-error']:,} unusable (one line), "
            f"{report.outcomes['cluster-object-skipped']:,} with an object skipped",
        ),
    ]
    table = "\n".join(f"| {k} | {v} |" for k, v in rows)
    return f"""## Type-mutation fuzz (issue 9, family 6)

`make fuzz` (`python -m benchmarks.type_fuzz`) — the Kubernetes documentation's example pods
(kubernetes/website `content/en/examples/pods`), the pods KubeSpawner 7.1 builds for
z2jh's settings and this repository's examples and cluster files, mutated by type (another
JSON type, wrapped in a list or an object, unwrapped, dropped, renamed, 100 kB strings,
10^400, 200-deep nesting, control and bidi characters), through `run_all` against two
cluster views, every message (text and JSON), the CLI's reading of a pod file in-process (bare
or `--from-kubespawner`, the PVC next to a KubeSpawner pod mutated too) and, for one
pod case in 25 and every YAML text case (pod, cluster and `--admission-config` files),
`prevalidate check` itself. A crash is an exception,
a check skipped by `run_all`'s guard, a message over 4,096 characters, an exit other than
0/1/2 or an exit 2 without exactly one line. The first 3,000 cases run in `make test`.

| measurement | result |
|---|---|
{table}

{FOUND_BEFORE}
{families_section(report, tallies or [])}"""


def families_section(report: Report, tallies: list[Tally]) -> str:
    total = report.cases + sum(t.cases for t in tallies)
    crashes = report.crashes + sum(t.crashes for t in tallies)
    hangs = sum(1 for t in tallies for key in t.hits if key.startswith("[hang]"))
    type_row = (
        f"| type mutation | pods, cluster objects, YAML texts (above) | `run_all`, messages, "
        f"`prevalidate check` | {report.cases:,} | {report.crashes} | {report.seconds:.0f} s | see above |"
    )
    return f"""### Input families (issue 14, item 4)

The same `make fuzz` run then drives hypothesis (seed {FAMILY_SEED}, generate phase only, every
failure tallied instead of shrunk; `benchmarks/input_fuzz.py`, `prevalidate/testing/fuzz/families.py`,
`registry_family.py`, `options_family.py`) through the other inputs a user, a registry or
the apiserver controls. A failure: an exception escaping, a traceback prevalidate logged while
it carried on (a guard caught a bug), a message over its bound or holding more than 200
characters of a 100 kB value, an answer of the wrong kind (a garbage registry reply read as
"not found", a denial that is not 400/403/422, a 400 that is not one line), a case over
{HANG_SECONDS:.0f} s. A slice of each family runs in `make test` (`tests/fuzz/test_input_families.py`).

| family | input | through | cases | failures | time | outcomes (top 5) |
|---|---|---|---|---|---|---|
{type_row}
{family_rows(tallies)}

**Total: {total:,} inputs, {crashes} failures, {hangs} hangs.**

Found by these families and fixed (each with a regression test in `tests/fuzz/test_input_families.py`):

- a hang: `parse_status` on a 100 kB Status message took a minute of the event loop (the
  LimitRange ratio pattern's `\\S+` was tried from every position of a long token, O(n²));
- `load_user_options`' 400 sentence quoted a 100 kB option value whole (KubeSpawner's
  `No such profile: <value>`): now 200 characters, control characters escaped;
- a refusal's names (resource, name, webhook, policy) were kept whole (100 kB): now ≤ 253
  characters, one line;
- a token server's `expires_in` of 10^400 or NaN: an `OverflowError` past the registry client's
  handlers (caught only by its last guard: the image unverified, a traceback logged) or a NaN
  lifetime; now the default lifetime;
- a `TypeError` from `parse_status` on a Status whose `details.causes` is a number (found by
  this run, 2 of 8,000 refusal cases of seed 14): a `causes` that is not a list is no causes.
"""


def main() -> int:
    fuzzer = Fuzzer(CORPUS, CLUSTERS, SEED, admission_config=ADMISSION)

    def progress(report: Report) -> None:
        print(f"  {report.cases:,} cases, {report.crashes:,} failures, {report.seconds:.0f} s", flush=True)

    report = fuzzer.run(COUNT, progress=progress)
    print(report.summary(), flush=True)
    tallies = []
    for family in FAMILIES:
        tally = run_family(family, family.share)
        print(tally.summary(), flush=True)
        tallies.append(tally)
    write_section("fuzz", markdown(report, tallies))
    return 1 if report.crashes or any(t.crashes for t in tallies) else 0


if __name__ == "__main__":
    sys.exit(main())
