"""The atheris run's coverage comparison (``python -m benchmarks.atheris_fuzz --coverage``):
what coverage.py says the hypothesis families and atheris' corpus each reach in the parser
modules. Apart from ``atheris_fuzz`` so that module stays the runner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "tests/fuzz/atheris"
WORK = ROOT / "build/atheris"
SEED = 14

COMPARE = {"image": 8_000, "quantity": 8_000, "www-authenticate": 2_000}  # hypothesis cases


def coverage_comparison(name: str, hypothesis_cases: int) -> list[dict[str, Any]]:
    """Lines and branches of the parser modules reached by the hypothesis family that feeds
    them and by replaying atheris' corpus (seeds and what it kept) through the target, with
    what each reached that the other did not. Both sides run in this process, after every
    module is imported, so only code run by the inputs counts."""
    import json
    import tempfile

    import coverage

    from prevalidate.testing.fuzz import families as fam
    from prevalidate.testing.fuzz import registry_family  # noqa: F401  (same modules loaded for both)
    from prevalidate.testing.fuzz.atheris_targets import TARGETS

    from .input_fuzz import FAMILIES

    family_name, files = {
        "image": ("scalars", ["prevalidate/registry/reference.py", "prevalidate/registry/policy.py"]),
        "quantity": ("scalars", ["prevalidate/model/quantity.py"]),
        "www-authenticate": ("registry-parsing", ["prevalidate/registry/challenge.py"]),
    }[name]
    family = {f.name: f for f in FAMILIES}[family_name]

    def measure(work: Any) -> dict[str, tuple[set[int], set[tuple[int, int]], int, int]]:
        cov = coverage.Coverage(branch=True, include=[str(ROOT / f) for f in files], data_file=None)
        cov.start()
        try:
            work()
        finally:
            cov.stop()
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            cov.json_report(outfile=out.name)
            report = json.loads(Path(out.name).read_text())
        result = {}
        for path, data in report["files"].items():
            summary = data["summary"]
            result[Path(path).name] = (
                set(data["executed_lines"]),
                {tuple(b) for b in data.get("executed_branches", [])},
                summary["num_statements"],
                summary["num_branches"],
            )
        return result

    check, close = family.make()
    try:
        tally = fam.Tally(family_name)
        hyp = measure(lambda: fam.drive(tally, family.strategy, check, hypothesis_cases, SEED))
    finally:
        close()
    run = TARGETS[name].run
    seeds = [p.read_bytes() for p in sorted((SEEDS / name).iterdir())]
    kept = [p.read_bytes() for p in sorted((WORK / name).iterdir())] if (WORK / name).is_dir() else []
    # The targets call more than the families do (the normal form, the canonical string, the
    # policy): replaying the hand-written seeds alone separates that from what mutation found.
    seeded = measure(lambda: [run(data) for data in seeds])
    ath = measure(lambda: [run(data) for data in seeds + kept])
    empty: tuple[set[int], set[tuple[int, int]], int, int] = (set(), set(), 0, 0)
    rows = []
    for module in sorted(set(hyp) | set(ath)):
        h_lines, h_branches, statements, branches = hyp.get(module, empty)
        s_lines, s_branches, _, _ = seeded.get(module, empty)
        a_lines, a_branches, statements2, branches2 = ath.get(module, empty)
        rows.append(
            {
                "target": name,
                "module": module,
                "family": f"{family_name}, {hypothesis_cases:,} cases",
                "inputs": len(seeds) + len(kept),
                "seeds": len(seeds),
                "statements": max(statements, statements2),
                "branches": max(branches, branches2),
                "hypothesis": (len(h_lines), len(h_branches)),
                "seeded": (len(s_lines), len(s_branches)),
                "atheris": (len(a_lines), len(a_branches)),
                "only_atheris": (sorted(a_lines - h_lines), len(a_branches - h_branches)),
                "mutation_only": (
                    sorted(a_lines - h_lines - s_lines),
                    len(a_branches - h_branches - s_branches),
                ),
                "only_hypothesis": (sorted(h_lines - a_lines), len(h_branches - a_branches)),
            }
        )
    return rows


def comparison_markdown(rows: list[dict[str, Any]]) -> str:
    lines = [
        "",
        "What atheris adds, measured with coverage.py (branch mode) over the parser modules: the",
        "hypothesis family that feeds each parser in `make fuzz`; the target on its hand-written seeds",
        "alone; the target on the seeds plus every input atheris kept. *only atheris* = reached by",
        "the atheris corpus and not by hypothesis; *by mutation* = of those, not by the seeds either",
        "(what coverage guidance itself found). Lines / branches.",
        "",
        "| target | module | hypothesis | seeds alone | atheris corpus | only atheris | by mutation "
        "| only hypothesis |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        only_a, by_m, only_h = r["only_atheris"], r["mutation_only"], r["only_hypothesis"]
        lines.append(
            f"| {r['target']} | `{r['module']}` ({r['statements']} / {r['branches']}) "
            f"| {r['hypothesis'][0]} / {r['hypothesis'][1]} ({r['family']}) "
            f"| {r['seeded'][0]} / {r['seeded'][1]} ({r['seeds']}) "
            f"| {r['atheris'][0]} / {r['atheris'][1]} ({r['inputs']:,}) | {len(only_a[0])} / {only_a[1]} "
            f"| {len(by_m[0])} / {by_m[1]} | {len(only_h[0])} / {only_h[1]} |"
        )
    lines += ["", READING]
    return "\n".join(lines)


READING = """\
Reading it (the run of 2026-12-05): most of what only the atheris corpus reaches comes from the
targets calling more than the families do (the normal form and `familiar` of a reference,
`canonical_quantity`, the challenge's `service`/`scope` properties, the policy on the host) and
from the hand-written seeds (localhost, `index.docker.io`, 64-hex names, unusual digests). What
coverage guidance itself added is the *by mutation* column: the error branches of the reference
grammar (uppercase, unsupported and malformed digests), the policy on IP-literal hosts (public
addresses in unusual notations, IPv6 forms embedding IPv4), and quantity's format changes
(binary values under 1, decimal exponents past 10^18). For `challenge.py` it adds
nothing: hypothesis' challenge strategy already reaches every branch of the tokenizer. The
value was in the invariants and the bytes no typed strategy writes: all five product bugs
below were found by atheris or by writing its targets, none by the hypothesis families."""


# What the first runs found (each fixed, its input saved in tests/fuzz/atheris/<target>/
# regression-*, a test beside the fix); the counts above are of the fixed code.
