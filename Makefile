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
WORKERS ?= auto
PORT    ?=

.DEFAULT_GOAL := help
.PHONY: help venv lint test test-fast reproduce status report bench bench-pages reader-model lab clean distclean

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

lint: $(SENTINEL) ## check the package and tests with ruff (settings in pyproject.toml); make test runs it first
	$(BIN)/ruff check mnist_studies tests

test: $(SENTINEL) lint ## run the linter, then all tests, notebooks in the smoke profile included: make test [WORKERS=auto|0|N]
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

test-fast: $(SENTINEL) ## run the tests that take seconds (no notebooks, no slow training)
	$(BIN)/python -m pytest -m "not slow" -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

reproduce: $(SENTINEL) ## run the studies that changed, then the report: make reproduce [PROFILE=quick|paper|smoke] [ONLY="01 04"] [FORCE=1]
	@$(BIN)/python -m mnist_studies.reproduce --profile "$(PROFILE)" $(foreach o,$(ONLY),--only "$(o)") $(if $(FORCE),--force)

status: $(SENTINEL) ## what is up to date, without running anything: make status [PROFILE=quick] [ONLY=05]
	@$(BIN)/python -m mnist_studies.status --profile "$(PROFILE)" $(foreach o,$(ONLY),--only "$(o)")

report: $(SENTINEL) ## rewrite REPORT.md from the run records of PROFILE (the last step of make reproduce)
	$(BIN)/python -m mnist_studies.report --profile "$(PROFILE)"

bench: $(SENTINEL) ## time every builder, plain Keras vs the project's path: benchmarks/results/bench-<device>.json/.png
	$(BIN)/python -m mnist_studies.benchmark --output benchmarks/results

bench-pages: $(SENTINEL) ## the page reader on 19 page families (20 with handwriting fonts), then one photo per call by size, beside Tesseract (if installed): make bench-pages [MODEL=x.onnx]
	$(BIN)/python -m mnist_studies.segmentation.benchmark.evaluate --output benchmarks/results $(if $(MODEL),--model "$(MODEL)")

reader-model: $(SENTINEL) ## retrain the page reader's shipped models and export them to ONNX: the digit model, the mean of two (55 + 73 min on a 2-core AMD EPYC, the second beside another training), then the row reader, the mean of two (89 min and about 110, the second resumed beside other work); resumes if killed
	$(BIN)/python -m mnist_studies.segmentation.train.ensemble
	$(BIN)/python -m mnist_studies.segmentation.train.ensemble --rows

# As root (many containers), JupyterLab refuses to start without --allow-root; without a browser it prints the URL.
lab: $(SENTINEL) ## open JupyterLab on notebooks/ with the project kernel (prints the URL to open): make lab [PORT=8888]
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(PORT),--port=$(PORT)) $(if $(filter 0,$(shell id -u)),--allow-root)

clean: ## remove runs' working files, executed notebooks, smoke records and figures, caches (keeps .venv and results/)
	rm -rf runs outputs results/smoke figures/smoke .pytest_cache
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +

distclean: clean ## clean, and remove the virtual environment too
	rm -rf $(VENV) *.egg-info
