"""Type mutations of JSON documents: the slips a hand-written manifest or a broken template makes.

Pure and deterministic: every case is ``mutate(document, random.Random(f"{seed}:{index}"))``,
so a crash found at case 81234 of seed 9 is reproduced by that pair alone, whatever ran before.
Mutations never change the input document: the path to the mutated node is copied and the rest
is shared (the code under test must not mutate its input either; the harness checks that).

A mutation picks a node of the document (any value, at any depth) and replaces it with a value
of another JSON type, wraps it in a list or an object, unwraps it, drops or renames its key,
or puts something hostile in its place: huge strings and numbers, deep nesting, unicode that
prints strangely (bidi controls, NUL, lone surrogates), keys that are not strings (YAML allows
``1: x``). One to three mutations are stacked per case.
"""

from __future__ import annotations

import functools
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Path = tuple[Any, ...]  # keys (any hashable, usually str) and list indexes (int)

HUGE_TEXT = 100_000  # characters: a value that must never be echoed whole
DEEP = 200  # nesting levels of a deep value (our readers must not recurse into it)

_SCALARS: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    1,
    -1,
    7,
    1.5,
    -0.0,
    0.1,
    2**31,
    2**63,
    -(2**63) - 1,
    10**30,
    1e308,
    math.inf,
    -math.inf,
    math.nan,
    "",
    " ",
    "x",
    "0",
    "1",
    "-1",
    "1Gi",
    "100m",
    "1e3",
    "1e3Gi",
    "NaN",
    "true",
    "null",
    "[]",
    "{}",
    "0x10",
    "1_000",
    " 2 ",
    "Always",
    "In",
    "Exists",
    "NoSchedule",
    "default",
    "nvidia.com/gpu",
    "requests.cpu",
    "metadata.name",
)
_UNICODE: tuple[str, ...] = (
    "\u202eevil",
    "a\x00b",
    "🚀",
    "Ωmega",
    "\ud800",
    "e\u0301",
    "１Gi",
    "1\u00a0Gi",
    "٣",
    "ℌ",
    "\ufeffcpu",
    "line\nbreak",
    "tab\there",
    "\u200b",
    "ǅ",
    "İ",
)
_KEYS: tuple[Any, ...] = (
    "",
    " ",
    "x",
    "name",
    "Containers",
    "spec",
    "requests",
    "cpu",
    "nvidia.com/gpu",
    "🚀",
    "a" * 300,
    1,
    0,
    True,
    None,
    1.5,
)


def _huge_text(rng: random.Random) -> str:
    return rng.choice(("A", "é", "名", "🚀", "/", "-", "0")) * HUGE_TEXT


def _deep(rng: random.Random) -> Any:
    value: Any = rng.choice((None, "x", 1, [], {}))
    as_list = rng.random() < 0.5
    for _ in range(DEEP):
        value = [value] if as_list else {"a": value}
    return value


def _other_type(value: Any, rng: random.Random) -> Any:
    """A value whose JSON type differs from ``value``'s (most of the time)."""
    roll = rng.random()
    if roll < 0.55:
        return rng.choice(_SCALARS)
    if roll < 0.65:
        return rng.choice(_UNICODE)
    if roll < 0.8:
        return rng.choice(([], [None], [1], ["x"], [{}], [[]], {}, {"x": 1}, {"": ""}, {"name": 1}))
    if roll < 0.9:
        return [value, value] if rng.random() < 0.5 else {"value": value}
    return str(value)[:200] if not isinstance(value, str) else len(value)


def _unwrap(value: Any, rng: random.Random) -> Any:
    if isinstance(value, list):
        return value[0] if value else None
    if isinstance(value, dict):
        return next(iter(value.values()), None)
    return value


def _flip_container(value: Any, rng: random.Random) -> Any:
    """An object as a list (of its values or of its items) and a list as an object."""
    if isinstance(value, dict):
        return list(value.values()) if rng.random() < 0.5 else [[k, v] for k, v in value.items()]
    if isinstance(value, list):
        return {str(i): item for i, item in enumerate(value)}
    return [value]


def _restring(value: Any, rng: random.Random) -> Any:
    """Numbers as strings and strings as numbers: the YAML quoting slips."""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, str):
        for parse in (int, float):
            try:
                return parse(value)
            except ValueError:
                continue
        return len(value)
    return value


def _hostile(value: Any, rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.35:
        return _huge_text(rng)
    if roll < 0.55:
        return rng.choice(
            (10**400, -(10**400), 2**64, 1e308, 5e-324, 10**4000 if rng.random() < 0.1 else 10**40)
        )
    if roll < 0.75:
        return _deep(rng)
    if roll < 0.9:
        return rng.choice(_UNICODE) + (value if isinstance(value, str) else "")
    return [value] * rng.choice((1000, 20_000))  # a long list of one item


Op = Callable[[Any, random.Random], Any]
_VALUE_OPS: tuple[tuple[str, Op, int], ...] = (  # name, op, weight
    ("retype", _other_type, 40),
    ("wrap-list", lambda v, r: [v], 8),
    ("wrap-object", lambda v, r: {r.choice(("value", "items", "name")): v}, 6),
    ("unwrap", _unwrap, 8),
    ("flip", _flip_container, 8),
    ("restring", _restring, 10),
    ("empty", lambda v, r: r.choice(([], {}, "", None)), 6),
    ("null", lambda v, r: None, 6),
    ("hostile", _hostile, 8),
)
_OPS_TOTAL = sum(weight for _, _, weight in _VALUE_OPS)


@dataclass(frozen=True)
class Mutation:
    """What was done where, for a crash report (``spec.containers[0].env -> retype``)."""

    path: Path
    op: str

    def __str__(self) -> str:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path) or "<root>"
        return f"{where.lstrip('.')} -> {self.op}"


def paths(document: Any, limit: int = 5000) -> list[Path]:
    """Every node's path, breadth first (the root is ``()``); at most ``limit`` of them."""
    found: list[Path] = [()]
    queue: list[tuple[Path, Any]] = [((), document)]
    while queue and len(found) < limit:
        path, value = queue.pop(0)
        children: Iterator[tuple[Any, Any]]
        if isinstance(value, dict):
            children = iter(value.items())
        elif isinstance(value, list):
            children = iter(enumerate(value[:50]))  # a long list is one kind of node many times
        else:
            continue
        for key, child in children:
            found.append((*path, key))
            queue.append(((*path, key), child))
    return found


def _replace(document: Any, path: Path, make: Callable[[Any], Any], drop: bool = False) -> Any:
    """A copy of ``document`` with the node at ``path`` replaced by ``make(node)`` (or removed),
    copying only the containers on the way down."""
    if not path:
        return make(document)
    head, rest = path[0], path[1:]
    if isinstance(document, dict):
        copy = dict(document)
        if drop and not rest:
            copy.pop(head, None)
        else:
            copy[head] = _replace(document[head], rest, make, drop)
        return copy
    copy_list = list(document)
    if drop and not rest:
        del copy_list[head]
    else:
        copy_list[head] = _replace(document[head], rest, make, drop)
    return copy_list


def _rename(document: Any, path: Path, rng: random.Random) -> Any:
    parent_path, key = path[:-1], path[-1]
    new_key = rng.choice(_KEYS) if rng.random() < 0.7 else str(key).upper()

    def rekey(parent: Any) -> Any:
        return {(new_key if k == key else k): v for k, v in parent.items()}

    return _replace(document, parent_path, rekey)


def _apply(op: Op, rng: random.Random, value: Any) -> Any:
    return op(value, rng)


def mutate_once(document: Any, rng: random.Random) -> tuple[Any, Mutation]:
    path = rng.choice(paths(document))
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    roll = rng.random()
    if path and roll < 0.08:
        return _replace(document, path, lambda v: v, drop=True), Mutation(path, "drop")
    if path and isinstance(parent, dict) and roll < 0.14:
        return _rename(document, path, rng), Mutation(path, "rename-key")
    if path and isinstance(parent, list) and roll < 0.18:
        return _replace(document, path[:-1], lambda v: [*v, v[path[-1]]]), Mutation(path, "duplicate")
    pick = rng.random() * _OPS_TOTAL
    for name, op, weight in _VALUE_OPS:
        pick -= weight
        if pick <= 0:
            return _replace(document, path, functools.partial(_apply, op, rng)), Mutation(path, name)
    raise AssertionError("unreachable")  # pragma: no cover


def mutate(document: Any, rng: random.Random, most: int = 3) -> tuple[Any, list[Mutation]]:
    """One to ``most`` stacked mutations of ``document`` (which is left untouched)."""
    done: list[Mutation] = []
    for _ in range(rng.randint(1, most)):
        document, mutation = mutate_once(document, rng)
        done.append(mutation)
    return document, done


# ---- YAML text: what only a file can get wrong --------------------------------------------

TEXTS: tuple[str, ...] = (
    "",
    "# only a comment\n",
    "kind: Pod\nspec: {containers: [{name: a, image: b}]}\n\t- tab\n",
    "kind: Pod\nspec: " + "[" * 5000 + "]" * 5000 + "\n",
    "kind: Pod\nspec: {containers: [{name: a, image: b, args: [1" + "0" * 5000 + "]}]}\n",
    'kind: Pod\nmetadata: {name: "\\ud800"}\nspec: {containers: [{name: a, image: "\\udfff"}]}\n',
    "kind: Pod\nspec: {containers: [{name: a, image: !!binary aGVsbG8=}]}\n",
    "kind: Pod\nspec: {nodeSelector: !!set {a, b}, containers: [{name: a, image: b}]}\n",
    "kind: Pod\nspec: &s {containers: [{name: a, image: b}], x: *s}\n",
    "kind: Pod\nspec: {containers: &c [{name: a, image: b, args: *c}]}\n",
    "kind: Pod\nspec: {containers: [{name: a, image: b}], nodeSelector: {1: 2, true: x, null: y}}\n",
    "kind: Pod\nmetadata: {creationTimestamp: 2024-01-01T00:00:00Z, labels: {d: 2024-01-01}}\n"
    "spec: {containers: [{name: a, image: b, env: [{name: D, value: 2024-01-01}]}]}\n",
    "kind: Pod\nspec: {containers: [{name: a, image: b,\n"
    "  resources: {requests: {cpu: .nan, memory: .inf}}}]}\n",
    "kind: Pod\n---\nkind: Pod\n",
    "---\n- 1\n- 2\n",
    "kind: List\nitems: {kind: Pod}\n",
    "kind: Pod\nspec: {containers: [{name: a, image: b}]}\n...\n%YAML 1.1\n---\nfoo: [\n",
    "kind: Pod\nspec: {containers: [{name: a, image: b}]}\nkind: Pod\n",
    "\ufeffkind: Pod\nspec: {containers: [{name: a, image: b}]}\n",
    "kind: Pod\nspec: {containers: [{name: a, image: b,\n"
    "  env: [{name: X, value: !!python/object:os.system x}]}]}\n",
    "kind: !!int 3\n",
    "kind: Pod\nspec: {containers: [{name: a, image: b}]}\n" + "x: " + "a" * HUGE_TEXT + "\n",
)


def mutate_text(text: str, rng: random.Random) -> str:
    """A YAML file broken the ways an editor breaks one: truncated, a character inserted or
    deleted, a line duplicated or re-indented, bytes that are not UTF-8 (as surrogates)."""
    if not text:
        return rng.choice(TEXTS)
    roll = rng.random()
    at = rng.randrange(len(text))
    if roll < 0.2:
        return text[:at]
    if roll < 0.4:
        return (
            text[:at]
            + rng.choice(("\t", ":", "-", "[", "{", "'", '"', "&a", "*a", "!!", "\x00", "\udcff", "#"))
            + text[at:]
        )
    if roll < 0.55:
        return text[:at] + text[at + 1 :]
    lines = text.splitlines(keepends=True)
    index = rng.randrange(len(lines))
    if roll < 0.7:
        lines.insert(index, lines[index])
    elif roll < 0.85:
        lines[index] = " " * rng.choice((1, 2, 3, 5)) + lines[index]
    else:
        lines[index] = lines[index].replace(": ", ": " + rng.choice(("[", "{", "- ", "|", ">", "? ")), 1)
    return "".join(lines)
