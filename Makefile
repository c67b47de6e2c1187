# mnist_studies: `make reproduce` runs every study headless, `make test` runs the tests.
# Both create (or reuse) the project virtual environment in .venv first.

PYTHON  ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
KERNEL  := mnist-studies
SENTINEL := $(VENV)/.installed
PROFILE ?= quick
ONLY    ?=
FORCE   ?=
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help venv test test-fast reproduce report bench lab clean distclean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(SENTINEL): requirements.txt setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if v >= (3, 10) else "Python >= 3.10 is needed (3.11 recommended); set PYTHON=python3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "Python (mnist_studies)"
	touch $@

venv: $(SENTINEL) ## create the virtual environment, install requirements and the package, register the kernel

test: $(SENTINEL) ## run all tests, notebooks in the smoke profile included
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test-fast: $(SENTINEL) ## run the tests that take seconds (no notebooks, no slow training)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

reproduce: $(SENTINEL) ## run the studies that changed, then the report: make reproduce [PROFILE=quick|paper|smoke] [ONLY=01] [FORCE=1]
	$(BIN)/python -m mnist_studies.reproduce --profile "$(PROFILE)" $(if $(ONLY),--only "$(ONLY)") $(if $(FORCE),--force)

report: $(SENTINEL) ## rewrite REPORT.md from the run records of PROFILE (the last step of make reproduce)
	$(BIN)/python -m mnist_studies.report --profile "$(PROFILE)"

bench: $(SENTINEL) ## time every builder, plain Keras vs the project's path: benchmarks/results/bench-<device>.json/.png
	$(BIN)/python -m mnist_studies.benchmark --output benchmarks/results

lab: $(SENTINEL) ## open JupyterLab on notebooks/ with the project kernel
	$(BIN)/jupyter lab --notebook-dir=notebooks

clean: ## remove run records, executed notebooks, smoke figures and caches (keeps .venv)
	rm -rf runs outputs figures/smoke .pytest_cache
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean ## clean, and remove the virtual environment too
	rm -rf $(VENV) *.egg-info
