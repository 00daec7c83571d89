.PHONY: demo test bench lint
demo:            ## set up and run a real JupyterHub whose spawn form prevalidate checks (Ctrl-C stops it)
	scripts/demo
test:            ## set up and run the whole test suite (lint, types, layering, tests)
	scripts/test
bench:           ## run the benchmarks and rewrite benchmarks/RESULTS.md
	scripts/bootstrap && .venv/bin/python -m benchmarks
