"""The input-family fuzz (issue 14 item 4): AdmissionReview bodies, registry responses,
apiserver Status bodies, user_options, quantities and image references — each through the
code that reads it in production (``prevalidate.testing.fuzz.families``), driven by hypothesis
with a fixed seed. ``make fuzz`` runs it after the type-mutation fuzz (``type_fuzz``), which
writes both into its RESULTS.md section.

The webhook's family lives here, not in ``prevalidate.testing``: the core may not import the
webhook package (import-linter).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from prevalidate_webhook import review as wire
from prevalidate_webhook.reviewer import Reviewer

from prevalidate.messages.webhook import MAX_MESSAGE as MAX_DENIAL
from prevalidate.model.settings import Settings
from prevalidate.service import FixedView, ValidationService
from prevalidate.testing.fuzz import families as fam
from prevalidate.testing.fuzz import registry_family as reg
from prevalidate.testing.fuzz.families import close_loop
from prevalidate.testing.fuzz.hostile import HUGE, json_values, texts
from prevalidate.testing.fuzz.options_family import OPTIONS, OptionsFuzz

SEED = 14
MAX_WARNING = (
    1024  # characters of one warning kube-apiserver passes to kubectl (it truncates at 120 per line)
)
MAX_LINE = 300  # characters of a 400's one line

# ---- AdmissionReview bodies ----------------------------------------------------------------

_POD = {
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {"name": "jupyter-alice", "namespace": "default", "labels": {"app": "jupyterhub"}},
    "spec": {
        "serviceAccountName": "default",
        "containers": [
            {
                "name": "notebook",
                "image": "quay.io/jupyter/base-notebook:2024-01-01",
                "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}},
            }
        ],
    },
}
_REQUEST_KEYS = st.sampled_from(
    (
        "uid",
        "kind",
        "group",
        "version",
        "operation",
        "object",
        "namespace",
        "subResource",
        "dryRun",
        "metadata",
        "spec",
        "containers",
        "image",
        "resources",
        "requests",
        "name",
    )
)


@st.composite
def pods(draw: st.DrawFn) -> Any:
    import random

    from prevalidate.testing.fuzz.mutate import mutate

    if draw(st.integers(0, 9)) == 0:
        return draw(json_values(_REQUEST_KEYS))
    pod, _ = mutate(_POD, random.Random(draw(st.integers(0, 2**32))))
    return pod


_KIND = st.one_of(
    st.just({"group": "", "version": "v1", "kind": "Pod"}),
    st.fixed_dictionaries(
        {
            "group": st.sampled_from(("", "apps")),
            "version": st.just("v1"),
            "kind": st.sampled_from(("Pod", "Deployment", "Secret", "Binding")),
        }
    ),
)
_FIELDS = {
    "uid": st.one_of(*[st.uuids().map(str)] * 8, st.just("x" * 256), st.just("x" * 257)),
    "kind": _KIND,
    "operation": st.sampled_from(("CREATE", "CREATE", "CREATE", "UPDATE", "DELETE", "CONNECT")),
    "namespace": st.sampled_from(("default", "", "missing")),
    "subResource": st.sampled_from(("", "", "status", "binding")),
    "dryRun": st.booleans(),
}


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    """A request as kube-apiserver sends it, one or two of its fields hostile or missing."""
    request = {name: draw(strategy) for name, strategy in _FIELDS.items()}
    request["object"] = draw(pods())
    for name in draw(st.lists(st.sampled_from(sorted(request)), max_size=2)):
        if draw(st.booleans()):
            request.pop(name, None)
        else:
            request[name] = draw(json_values(_REQUEST_KEYS))
    return request


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    content_type = draw(
        st.sampled_from(("application/json", "application/json; charset=utf-8", "APPLICATION/JSON"))
    )
    if draw(st.integers(0, 9)) == 0:
        content_type = draw(st.one_of(st.just(""), texts()))
    shape = draw(st.integers(0, 19))
    if shape == 0:
        return draw(st.binary(max_size=300)), content_type  # not UTF-8, not JSON
    if shape == 1:
        depth = draw(st.sampled_from((100, 1000, 100_000)))
        return (b'{"request":' * depth) + b"1" + b"}" * depth, content_type
    if shape == 2:
        return draw(json_values()).__repr__().encode("utf-8", "surrogatepass"), content_type
    request = draw(requests()) if draw(st.integers(0, 9)) else draw(json_values(_REQUEST_KEYS))
    document: Any = {"apiVersion": draw(st.sampled_from(wire.API_VERSIONS)), "kind": "AdmissionReview"}
    document["request"] = request
    if draw(st.integers(0, 14)) == 0:
        document["apiVersion"] = draw(json_values())
    if draw(st.integers(0, 14)) == 0:
        document["kind"] = draw(json_values())
    if draw(st.integers(0, 19)) == 0:
        document = draw(json_values(_REQUEST_KEYS))
    try:
        text = json.dumps(document)
    except (ValueError, RecursionError):
        text = "{}"
    return text.encode("utf-8", "surrogatepass"), content_type


BODIES = bodies()


class WebhookFuzz:
    """The webhook's reading of a body and its reviewer over a service with a small cluster."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        settings = Settings(offline=True, admin_contact="Write to hub-admins@example.org.")

        async def make() -> Reviewer:
            service = ValidationService(settings, FixedView(fam.SCALAR_VIEW), cache_ready_timeout=0.0)
            await service.ensure_started()
            return Reviewer(service, budget=fam.HANG_SECONDS)

        self.reviewer = self.loop.run_until_complete(make())

    def close(self) -> None:
        close_loop(self.loop)

    def check(self, value: tuple[bytes, str], tally: fam.Tally) -> None:
        body, content_type = value
        try:
            review = wire.read_review(body, content_type)
        except wire.UnusableReview as exc:
            tally.outcomes[f"http-{exc.status}"] += 1
            line = exc.args[0]
            if exc.status not in (400, 413, 415) or "\n" in line or not line:
                tally.fail("wrong", f"an unusable review answered {exc.status} {line[:80]!r}")
            fam.bounded(line, tally, "400 line", MAX_LINE)
            return
        document = self.loop.run_until_complete(self.reviewer.answer(review))
        self._answer(review, document, tally)

    def _answer(self, review: wire.Review, document: dict[str, Any], tally: fam.Tally) -> None:
        encoded = wire.encode(document)  # what goes on the wire: must encode
        response = document.get("response")
        if (
            document.get("kind") != "AdmissionReview"
            or document.get("apiVersion") not in wire.API_VERSIONS
            or not isinstance(response, dict)
            or response.get("uid") != review.uid
            or not isinstance(response.get("allowed"), bool)
        ):
            tally.fail("wrong", "not an AdmissionReview answer", encoded[:300].decode())
            return
        tally.outcomes["allowed" if response["allowed"] else "denied"] += 1
        if response.get("warnings"):
            tally.outcomes["with-warnings"] += 1
        for warning in response.get("warnings", []):
            fam.bounded(warning, tally, "webhook warning", MAX_WARNING)
        status = response.get("status")
        if not response["allowed"]:
            if not isinstance(status, dict) or status.get("code") not in (400, 403, 422):
                tally.fail("wrong", f"a denial with status {status!r:.80}")
                return
            # The webhook's own bound (one paragraph of every error, 16 kB), not one message's.
            fam.bounded(str(status.get("message")), tally, "webhook denial message", MAX_DENIAL)
        if HUGE[:1000].encode() in encoded:
            tally.fail("unbounded", "a 100 kB value echoed in the answer", encoded[:300].decode())


# ---- all families --------------------------------------------------------------------------


@dataclass(frozen=True)
class Family:
    name: str
    what: str  # the input, for the table
    through: str  # the code it goes through, for the table
    strategy: st.SearchStrategy[Any]
    make: Callable[[], tuple[Callable[[Any, fam.Tally], None], Callable[[], None]]]
    share: int  # cases in `make fuzz`
    slice: int  # cases in `make test`


def _plain(check: Callable[[Any, fam.Tally], None]) -> Callable[[], tuple[Any, Callable[[], None]]]:
    return lambda: (check, lambda: None)


def _webhook() -> tuple[Callable[[Any, fam.Tally], None], Callable[[], None]]:
    hook = WebhookFuzz()
    return hook.check, hook.close


def _options() -> tuple[Callable[[Any, fam.Tally], None], Callable[[], None]]:
    fuzz = OptionsFuzz()
    return fuzz.check, fuzz.close


FAMILIES = (
    Family(
        "webhook",
        "AdmissionReview bodies (any bytes, content type, shape; mutated pods)",
        "`read_review`, `Reviewer.answer` over a ValidationService",
        BODIES,
        _webhook,
        8_000,
        300,
    ),
    Family(
        "registry-parsing",
        "WWW-Authenticate values, content types, manifest/index bodies, digests, token JSON",
        "`parse_challenges`, `pick_challenge`, `manifests.*`, `Reply.error_codes`, token lifetime",
        reg.PARSING,
        _plain(reg.check_parsing),
        10_000,
        300,
    ),
    Family(
        "registry",
        "scripted registry conversations (status, challenges, realms, redirects, bodies)",
        "`RegistryClient.image_facts` (httpx MockTransport), the service, messages",
        reg.CONVERSATIONS,
        _plain(reg.check_conversation),
        3_000,
        60,
    ),
    Family(
        "refusals",
        "apiserver Status bodies (objects, JSON text, non-UTF-8 bytes, refusal sentences)",
        "`parse_status`, `refusal_findings`, messages",
        fam.STATUS_BODIES,
        _plain(fam.check_refusal),
        8_000,
        200,
    ),
    Family(
        "options",
        "user_options as the REST API receives them (any JSON value per key)",
        "KubeSpawner `load_user_options` on a shadow, `build_plan`, the service, messages",
        OPTIONS,
        _options,
        4_000,
        150,
    ),
    Family(
        "scalars",
        "quantities and image references as free text",
        "`parse_quantity`, `parse_image_reference`, `run_all` on a pod holding them, messages",
        fam.SCALARS,
        _plain(fam.check_scalar),
        8_000,
        300,
    ),
)


def run(family: Family, count: int, seed: int = SEED) -> fam.Tally:
    check, close = family.make()
    try:
        return fam.drive(fam.Tally(family.name), family.strategy, check, count, seed)
    finally:
        close()


def run_all_families(
    progress: Callable[[fam.Tally], None] | None = None, scale: float = 1.0
) -> list[fam.Tally]:
    tallies = []
    for family in FAMILIES:
        tally = run(family, max(1, int(family.share * scale)))
        if progress is not None:
            progress(tally)
        tallies.append(tally)
    return tallies


def markdown(tallies: list[fam.Tally]) -> str:
    rows = []
    by_name = {f.name: f for f in FAMILIES}
    for tally in tallies:
        family = by_name[tally.family]
        top = ", ".join(f"{k} {v:,}" for k, v in tally.outcomes.most_common(5))
        rows.append(
            f"| {family.name} | {family.what} | {family.through} | {tally.cases:,} | "
            f"{tally.crashes} | {tally.seconds:.0f} s (slowest {tally.slowest:.2f} s) | {top} |"
        )
    return "\n".join(rows)


def main() -> int:
    def progress(tally: fam.Tally) -> None:
        print(tally.summary(), flush=True)

    tallies = run_all_families(progress)
    return 1 if any(t.crashes for t in tallies) else 0


if __name__ == "__main__":
    import sys

    sys.exit(main())
