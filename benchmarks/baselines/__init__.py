"""Baselines the benchmarks compare prevalidate against (not part of the library)."""
