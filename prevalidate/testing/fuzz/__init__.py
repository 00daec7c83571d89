"""A type-mutation fuzzer for prevalidate's inputs: pods, cluster objects, YAML files.

``mutate`` changes JSON documents the ways hand-written manifests go wrong (a list where an
object belongs, a number where a string belongs, null, huge or deeply nested values, odd
unicode); ``harness.Fuzzer`` runs each mutated document through ``run_all``, message rendering
and the CLI, and reports every exception, oversized message or broken exit as a failure.
Deterministic: case ``i`` of seed ``s`` is the same on every machine.

    python -m prevalidate.testing.fuzz --count 100000 --seed 9      # `make fuzz`
"""

from .harness import Failure, Fuzzer, Report
from .mutate import Mutation, mutate, mutate_text

__all__ = ["Failure", "Fuzzer", "Mutation", "Report", "mutate", "mutate_text"]
