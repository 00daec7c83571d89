.PHONY: demo test bench lint
demo:            ## set up and run the demo hub on http://127.0.0.1:8000
	scripts/bootstrap && .venv/bin/prevalidate demo
test:            ## set up and run the whole test suite (lint, types, layering, tests)
	scripts/test
bench:           ## run the benchmarks and rewrite benchmarks/RESULTS.md
	scripts/bootstrap && .venv/bin/python -m benchmarks
