# dockopt: the two commands a newcomer needs are `make all` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DOCKOPT := $(BIN)/dockopt

.PHONY: all test lint suite setup venv engine registry system bases samples report unit integration notebooks bench \
	clean-reports doctor

all: setup samples report          ## set everything up, build every sample, render the reports
	@echo
	@echo "make all: done. Open reports/index.html in any browser (offline): each report's question, headline"
	@echo "figures and conclusion. Next: \`.venv/bin/jupyter lab notebooks/\` to explore; \`.venv/bin/dockopt doctor\`"
	@echo "checks the setup; \`.venv/bin/dockopt analyze IMAGE\` takes any image apart."

test: lint suite                   ## lint, then set everything up (test extras too) and run the whole suite

lint: venv                         ## ruff (style, imports, bugbear...) and mypy over the package; config in pyproject.toml
	@status=0; \
	$(BIN)/ruff check dockopt tests benchmarks notebooks exercises || status=1; \
	$(BIN)/mypy || status=1; \
	exit $$status

suite: setup                       ## the whole test suite: unit, integration, notebooks (nbval)
	./scripts/system-deps.sh --test
	$(BIN)/python -m pytest -p no:cacheprovider --durations=25 --nbval-lax --nbval-current-env tests notebooks

setup: venv system engine bases    ## venv, system packages, engine, base images

venv: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

system:
	./scripts/system-deps.sh

engine:                            ## make a Docker Engine answer (installs docker.io on Debian as root)
	./scripts/ensure-engine.sh

registry:                          ## make a registry answer at $$DOCKOPT_REGISTRY (default 127.0.0.1:5000; installs docker-registry)
	./scripts/ensure-registry.sh

bases: venv engine                 ## provide every base image: local, pulled, or an offline stand-in
	$(DOCKOPT) bases ensure

samples: venv                      ## build every sample both ways and smoke-test each image (one line per step)
	$(DOCKOPT) samples build --smoke

report: venv registry              ## execute notebooks/*.ipynb into reports/*.html (offline, self-contained)
	$(DOCKOPT) report -o reports

doctor: venv                       ## is this machine ready? engine, BuildKit, bases, registries, tools; what to do
	$(DOCKOPT) doctor

unit: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests/unit

integration: setup
	$(BIN)/python -m pytest -p no:cacheprovider tests/integration

notebooks: setup
	$(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env notebooks

bench: setup                       ## benchmarks: ratios measured in one run
	for b in benchmarks/*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean-reports:
	rm -rf reports
