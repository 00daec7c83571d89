"""Run mutated manifests through everything a user's input reaches, and record what breaks.

Three kinds of case, chosen per case by its own seeded generator:

- a mutated **pod** (or a mutated object next to it in its file, such as the PVC KubeSpawner
  creates) goes through the CLI's reading of a pod file in-process (``request_from_documents``,
  as a bare pod or ``--from-kubespawner``) and ``run_all`` against each cluster view, and every
  finding is rendered (text and JSON); one pod case in 25 is also written to a file and checked
  by ``prevalidate check`` itself (``cli.main``);
- a mutated **cluster object** goes through the cluster file's path (``cluster_from_objects``)
  and, when the file is still usable, ``run_all`` with corpus pods;
- a mutated **YAML text** (a pod, a cluster file or an ``--admission-config`` file) goes
  through ``cli.main``; an admission configuration is also mutated by type.

A failure is: an exception escaping (``exception``), a check that raised and was skipped by
``run_all``'s guard (``guarded``: an odd type got past the shape check), a rendered message
longer than ``MAX_MESSAGE`` (``unbounded``: a long value echoed whole), a CLI exit other than
0/1/2 or an exit 2 whose stderr is not one line (``cli``), or the input changed by the code
that read it (``mutated-input``), or a validation the service allowed unchecked because it
raised (``guarded``, from the ``prevalidate`` log). Failures are grouped by signature: the exception type and
the innermost frame in prevalidate, so 10,000 hits of one bug are one line in the report.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import random
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ...cli import main as cli_main
from ...kube.dump import (
    InputFileError,
    cluster_from_objects,
    iter_objects,
    read_documents,
    request_from_documents,
)
from ...messages import finding_json, headline, render, render_verdict
from ...model.cluster import ClusterView
from ...model.findings import Code, Verdict
from ...model.objects import NodeInfo
from ...model.settings import Settings
from ...validators import run_all
from .mutate import TEXTS, mutate, mutate_text
from .report import Failed, Failure, Report, signature_of

MAX_MESSAGE = 4096  # characters in one rendered finding
MAX_ERROR_LINE = 600  # characters in the CLI's one-line error
CLI_EVERY = 25  # one pod case in this many also runs through `prevalidate check`
MAX_CLI_TEXT = 300_000  # characters: larger mutated pods skip the file round trip
SNAPSHOT_EVERY = 20  # one case in this many checks that the input was left untouched


def _load_corpus(dirs: Sequence[Path]) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]], list[str]]:
    """The pods of every YAML file, each with the other objects of its file, and the texts."""
    pods: list[dict[str, Any]] = []
    alongside: list[list[dict[str, Any]]] = []
    texts: list[str] = []
    for directory in dirs:
        for path in sorted(directory.rglob("*.yaml")):
            texts.append(path.read_text(encoding="utf-8"))
            try:
                documents = read_documents(path)
            except InputFileError:
                continue  # a broken example (a tab in YAML) is still a text case
            objects = [dict(o) for o in iter_objects(documents)]
            found = [o for o in objects if o.get("kind") == "Pod"]
            if len(found) == 1 and len(objects) <= 5:  # a pod file, not a cluster dump
                pods += found
                alongside.append([o for o in objects if o.get("kind") != "Pod"])
            else:
                pods += found
                alongside += [[] for _ in found]
    return pods, alongside, texts


class Fuzzer:
    def __init__(
        self,
        corpus: Sequence[Path],
        clusters: Sequence[Path],
        seed: int,
        settings: Settings | None = None,
        admission_config: Path | None = None,
    ) -> None:
        self.seed = seed
        self.admission_text = admission_config.read_text(encoding="utf-8") if admission_config else ""
        self.admission_doc = read_documents(admission_config)[0] if admission_config else None
        self.pods, self.alongside, self.texts = _load_corpus(corpus)
        if not self.pods:
            raise ValueError(f"no Pod in {', '.join(map(str, corpus))}")
        self.cluster_paths = list(clusters)
        self.cluster_objects = [list(iter_objects(read_documents(p))) for p in clusters]
        self.cluster_texts = [p.read_text(encoding="utf-8") for p in clusters]
        self.views = self._views()
        pool = NodeInfo.from_dict(
            {
                "kind": "Node",
                "metadata": {"name": "pool", "labels": {"kubernetes.io/arch": "amd64"}},
                "status": {"allocatable": {"cpu": "64", "memory": "256Gi", "pods": "110"}},
            }
        )
        self.settings = settings or Settings(offline=True, node_pools=(pool,))
        self.failed = Failed()
        logging.getLogger("prevalidate").addHandler(self.failed)
        weakref.finalize(self, logging.getLogger("prevalidate").removeHandler, self.failed)
        self.tmp = Path(tempfile.mkdtemp(prefix="prevalidate-fuzz-"))
        weakref.finalize(self, shutil.rmtree, self.tmp, True)  # the files the CLI cases write

    def _views(self) -> list[ClusterView]:
        pairs = zip(self.cluster_objects, self.cluster_paths, strict=True)
        return [cluster_from_objects(objects, str(path)) for objects, path in pairs]

    # ---- one case ------------------------------------------------------------------------

    def case(self, index: int, report: Report) -> None:
        rng = random.Random(f"{self.seed}:{index}")
        roll = rng.random()
        if roll < 0.80:
            target, run = "pod", self._pod_case
        elif roll < 0.95:
            target, run = "cluster", self._cluster_case
        else:
            target, run = "text", self._text_case
        report.targets[target] += 1
        failures: list[Failure] = []
        run(index, rng, failures, report)
        for failure in failures:
            failure.case, failure.target = index, target
            report.add(failure)

    def _verdict(
        self, pod: Any, view: ClusterView, failures: list[Failure], mutations: list[str], report: Report
    ) -> None:
        try:
            verdict = run_all(pod, view, self.settings)  # a pod or a PodRequest
        except Exception as exc:
            failures.append(Failure("exception", signature_of(exc), 0, "", repr(exc)[:500], mutations))
            return
        report.outcomes["allowed" if verdict.allowed else "rejected"] += 1
        if any(f.code is Code.INPUT_INVALID for f in verdict.findings):
            report.outcomes["input-invalid"] += 1
        for finding in verdict.findings:
            if finding.code is Code.CHECK_SKIPPED and finding.facts.get("failed"):
                failures.append(
                    Failure(
                        "guarded", f"check {finding.subject} raised (run_all's guard)", 0, "", "", mutations
                    )
                )
        self._render(verdict, failures, mutations)

    def _render(self, verdict: Verdict, failures: list[Failure], mutations: list[str]) -> None:
        try:
            for finding in verdict.findings:
                message = render(finding)
                if len(message) > MAX_MESSAGE:
                    failures.append(
                        Failure(
                            "unbounded",
                            f"{finding.code.value} message of {len(message):,} characters",
                            0,
                            "",
                            message[:300],
                            mutations,
                        )
                    )
                json.dumps(finding_json(finding))
            render_verdict(verdict)
            headline(verdict)
        except Exception as exc:
            failures.append(Failure("exception", signature_of(exc), 0, "", repr(exc)[:500], mutations))

    def _pod_case(self, index: int, rng: random.Random, failures: list[Failure], report: Report) -> None:
        which = rng.randrange(len(self.pods))
        pod, others = self.pods[which], list(self.alongside[which])
        if others and rng.random() < 0.25:  # the PVC next to a KubeSpawner pod, say
            at = rng.randrange(len(others))
            others[at], done = mutate(others[at], rng, most=2)
            mutations = [f"{self.alongside[which][at].get('kind')} next to the pod: {m}" for m in done]
        else:
            pod, done = mutate(pod, rng)
            mutations = [str(m) for m in done]
        from_kubespawner = bool(others) and rng.random() < 0.5
        snapshot = repr((pod, others)) if index % SNAPSHOT_EVERY == 0 else None
        subject: Any = pod  # what the Python API gets: run_all(pod) refuses a mistyped one itself
        try:  # the CLI's own reading of a pod file, in-process
            subject = request_from_documents([pod, *others], "pod.yaml", from_kubespawner=from_kubespawner)
        except InputFileError as exc:
            report.outcomes["cli-input-error"] += 1
            self._one_line(str(exc), failures, mutations)
        except Exception as exc:
            failures.append(Failure("exception", signature_of(exc), 0, "", repr(exc)[:500], mutations))
        for view in self.views:
            self._verdict(subject, view, failures, mutations, report)
        if snapshot is not None and repr((pod, others)) != snapshot:
            failures.append(
                Failure("mutated-input", "the pod changed while it was checked", 0, "", "", mutations)
            )
        if index % CLI_EVERY == 0:
            try:  # JSON is YAML (NaN and Infinity become YAML strings); documents split by ---
                text = "\n---\n".join(json.dumps(doc) for doc in [pod, *others])
            except (ValueError, RecursionError):
                return
            if len(text) > MAX_CLI_TEXT:  # libyaml takes seconds on these; in-process covered them
                return
            self._cli(text, None, rng, failures, mutations, report, from_kubespawner=from_kubespawner)

    def _cluster_case(self, index: int, rng: random.Random, failures: list[Failure], report: Report) -> None:
        which = rng.randrange(len(self.cluster_objects))
        objects = list(self.cluster_objects[which])
        at = rng.randrange(len(objects))
        mutated, done = mutate(objects[at], rng, most=2)
        mutations = [f"object {at} ({objects[at].get('kind')}): {m}" for m in done]
        if isinstance(mutated, Mapping):
            objects[at] = mutated
        else:
            del objects[at]  # a list item that is not an object is skipped by iter_objects
        warnings: list[str] = []
        try:
            view = cluster_from_objects(iter_objects(objects), "cluster.yaml", warnings.append)
        except InputFileError as exc:
            report.outcomes["cluster-input-error"] += 1
            self._one_line(str(exc), failures, mutations)
            return
        except Exception as exc:
            failures.append(Failure("exception", signature_of(exc), 0, "", repr(exc)[:500], mutations))
            return
        if warnings:
            report.outcomes["cluster-object-skipped"] += 1
        for line in warnings:
            self._one_line(line, failures, mutations)
        for pod in rng.sample(self.pods, 2):
            self._verdict(pod, view, failures, mutations, report)

    def _text_case(self, index: int, rng: random.Random, failures: list[Failure], report: Report) -> None:
        if self.admission_doc is not None and rng.random() < 0.2:
            self._admission_case(rng, failures, report)
            return
        cluster_side = rng.random() < 0.3
        pool = self.cluster_texts if cluster_side else self.texts
        text = rng.choice(TEXTS) if rng.random() < 0.3 else mutate_text(rng.choice(pool), rng)
        mutations = [f"{'cluster' if cluster_side else 'pod'} text of {len(text):,} characters"]
        if cluster_side:
            self._cli(None, text, rng, failures, mutations, report)
        else:
            self._cli(text, None, rng, failures, mutations, report)

    def _admission_case(self, rng: random.Random, failures: list[Failure], report: Report) -> None:
        if rng.random() < 0.6:
            doc, done = mutate(self.admission_doc, rng)
            mutations = [f"admission config: {m}" for m in done]
            try:
                text = json.dumps(doc)
            except (ValueError, RecursionError):
                return
        else:
            text = mutate_text(self.admission_text, rng)
            mutations = [f"admission config text of {len(text):,} characters"]
        self._cli(None, None, rng, failures, mutations, report, admission_text=text)

    # ---- the real CLI --------------------------------------------------------------------

    def _cli(
        self,
        pod_text: str | None,
        cluster_text: str | None,
        rng: random.Random,
        failures: list[Failure],
        mutations: list[str],
        report: Report,
        admission_text: str | None = None,
        from_kubespawner: bool = False,
    ) -> None:
        pod_path, cluster_path = self.tmp / "pod.yaml", self.tmp / "cluster.yaml"
        if pod_text is None:
            which = rng.randrange(len(self.pods))
            documents = [self.pods[which], *self.alongside[which]]
            pod_path.write_text("\n---\n".join(json.dumps(d) for d in documents), encoding="utf-8")
            from_kubespawner = bool(self.alongside[which]) and rng.random() < 0.5
        else:
            pod_path.write_text(pod_text, encoding="utf-8", errors="surrogateescape")
        cluster = rng.choice(self.cluster_paths)
        if cluster_text is not None:
            cluster_path.write_text(cluster_text, encoding="utf-8", errors="surrogateescape")
            cluster = cluster_path
        args = ["check", "--cluster", str(cluster), "--pod", str(pod_path), "--offline"]
        if rng.random() < 0.5:
            args.append("--json")
        if from_kubespawner:
            args.append("--from-kubespawner")
        if admission_text is not None:
            admission_path = self.tmp / "admission.yaml"
            admission_path.write_text(admission_text, encoding="utf-8", errors="surrogateescape")
            args += ["--admission-config", str(admission_path)]
        if rng.random() < 0.2:
            plugin = rng.choice(("ExtendedResourceToleration", "RuntimeClass", "PodNodeSelector"))
            args += ["--admission-plugin", f"{plugin}={rng.choice(('on', 'off', 'auto'))}"]
        out, err = io.StringIO(), io.StringIO()
        self.failed.seen.clear()
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = cli_main(args)
        except BaseException as exc:  # SystemExit included: `check` returns its status
            failures.append(Failure("exception", signature_of(exc), 0, "", repr(exc)[:500], mutations))
            return
        report.outcomes[f"cli-exit-{code}"] += 1
        for message in self.failed.seen:  # the service allowed it unchecked, or a check was skipped
            failures.append(Failure("guarded", message.split(":", 1)[0][:120], 0, "", message, mutations))
        if code not in (0, 1, 2):
            failures.append(
                Failure("cli", f"prevalidate check exited {code}", 0, "", err.getvalue()[:300], mutations)
            )
        errors = [
            line for line in err.getvalue().splitlines() if not line.startswith("prevalidate: warning:")
        ]
        if code == 2 and len(errors) != 1:
            failures.append(
                Failure("cli", "exit 2 without exactly one line", 0, "", err.getvalue()[:300], mutations)
            )
        for line in err.getvalue().splitlines():
            self._one_line(line, failures, mutations)
        try:
            out.getvalue().encode("utf-8")
        except UnicodeEncodeError as exc:
            failures.append(
                Failure("cli", "output a terminal cannot print", 0, "", repr(exc)[:200], mutations)
            )

    def _one_line(self, text: str, failures: list[Failure], mutations: list[str]) -> None:
        if "\n" in text or len(text) > MAX_ERROR_LINE:
            failures.append(
                Failure(
                    "cli",
                    f"an input error of {len(text):,} characters / {text.count(chr(10)) + 1} lines",
                    0,
                    "",
                    text[:300],
                    mutations,
                )
            )

    # ---- many cases ----------------------------------------------------------------------

    def run(self, count: int, start: int = 0, progress: Callable[[Report], None] | None = None) -> Report:
        report = Report(self.seed, start)
        began = time.perf_counter()
        for index in range(start, start + count):
            self.case(index, report)
            report.cases += 1
            if index % 1000 == 999:
                # Fresh views: their capacity cache keeps one entry per pod scheduling signature.
                self.views = self._views()
                report.seconds = time.perf_counter() - began
                if progress is not None and index % 10_000 == 9_999:
                    progress(report)
        report.seconds = time.perf_counter() - began
        return report
