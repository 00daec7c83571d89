.PHONY: demo test bench lint agree fuzz faults
demo:            ## set up and run a real JupyterHub whose spawn form prevalidate checks (Ctrl-C stops it)
	scripts/demo
test:            ## set up and run the whole test suite (lint, types, layering, tests)
	scripts/test
bench:           ## run the benchmarks and rewrite benchmarks/RESULTS.md
	scripts/bootstrap && .venv/bin/python -m benchmarks
agree:           ## the long differential run: prevalidate check vs a real kube-apiserver + kube-scheduler
	scripts/bootstrap && PREVALIDATE_AGREE_SCENARIOS=$${PREVALIDATE_AGREE_SCENARIOS:-10000} PREVALIDATE_REQUIRE_K8S=1 .venv/bin/pytest -q -p no:randomly tests/agreement
fuzz:            ## the fuzz: 100,000 mutated manifests (seed 9) through run_all and the CLI, then 41,000 hostile AdmissionReviews, registry replies, Status bodies, user_options, quantities and images (hypothesis, seed 14), then 2,700,000 byte inputs coverage-guided into the parsers (atheris, the `fuzz` extra); 0 crashes
	scripts/bootstrap && .venv/bin/python -m benchmarks.type_fuzz
	.venv/bin/python -c 'import atheris, coverage' 2>/dev/null || .venv/bin/pip install -q -e '.[fuzz]'
	.venv/bin/python -m benchmarks.atheris_fuzz
faults:          ## only the tests behind README's "Faults survived" table (pytest -m fault)
	scripts/bootstrap && .venv/bin/pytest -q -p no:randomly -m fault tests
