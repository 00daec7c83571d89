"""Side-by-side measurements. Each module has ``main()`` and rewrites its own section of
RESULTS.md via :func:`benchmarks._results.write_section`."""
