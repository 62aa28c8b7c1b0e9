# dockopt: the two commands a newcomer needs are `make all` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DOCKOPT := $(BIN)/dockopt
# The Alpine stand-in base is built from the official minirootfs, kept outside the repository
# (docs/install.md). A folder ../shared/offline-bases beside the checkout is used unless
# DOCKOPT_OFFLINE_BASES says otherwise; dockopt's own default is ~/.local/share/dockopt/offline-bases.
export DOCKOPT_OFFLINE_BASES ?= $(abspath $(wildcard ../shared/offline-bases))

.PHONY: all test lint suite setup venv engine registry system bases samples report unit integration notebooks bench \
	clean-reports doctor docs fast engine-tests browser content speed

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

suite: setup                       ## every tier in one session: fast, engine, browser, content (docs/testing.md)
	./scripts/system-deps.sh --test
	$(BIN)/python -m pytest -p no:cacheprovider --durations=25 --nbval-lax --nbval-current-env tests notebooks

# The tiers, each runnable alone (markers from tests/tiers.py; docs/testing.md says what each needs).
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider
NBVAL := --nbval-lax --nbval-current-env

# Lint (one core: mypy) runs beside the unit tests (the other core); its output is printed when both are done.
fast: venv                         ## the edit loop: ruff, mypy, unit tests; no engine, no browser (goal <= 3 min)
	@log=$$(mktemp); status=0; \
	( s=0; $(BIN)/ruff check dockopt tests benchmarks notebooks exercises || s=1; $(BIN)/mypy || s=1; exit $$s ) \
		> $$log 2>&1 & lint_pid=$$!; \
	$(PYTEST) -q -m "not engine and not browser and not content" tests/unit || status=1; \
	wait $$lint_pid || status=1; \
	echo "== lint (ruff, mypy)"; cat $$log; rm -f $$log; \
	exit $$status

engine-tests: setup                ## the engine tier: real builds, containers and registry (tests/integration)
	./scripts/system-deps.sh --test
	$(PYTEST) --durations=15 -m "engine and not browser and not content" tests

browser: setup                     ## the browser tier: JupyterLab and reports in Debian's chromium
	./scripts/system-deps.sh --test
	$(PYTEST) --durations=15 -m browser tests

content: setup                     ## the course: every notebook through nbval, every sample and exercise
	$(PYTEST) --durations=15 $(NBVAL) -m content tests notebooks

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
	$(BIN)/python benchmarks/record.py --reports reports   # reports/index.json: what the docs site shows

doctor: venv                       ## is this machine ready? engine, BuildKit, bases, registries, tools; what to do
	$(DOCKOPT) doctor

unit: venv
	$(BIN)/python -m pytest -p no:cacheprovider tests/unit

integration: setup
	$(BIN)/python -m pytest -p no:cacheprovider tests/integration

notebooks: setup
	$(BIN)/python -m pytest -p no:cacheprovider --nbval-lax --nbval-current-env notebooks

bench: setup                       ## benchmarks: ratios measured in one run
	for b in benchmarks/*.py; do [ "$$b" = benchmarks/record.py ] && continue; \
		echo "== $$b"; $(BIN)/python $$b || exit 1; done   # each writes benchmarks/results/NAME.json

docs: venv                         ## the documentation site into site/ (strict: a broken link or reference fails)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -d site

speed: setup                       ## the command line's speed only: lint vs hadolint, analyze vs dive, explorer
	$(BIN)/python benchmarks/lint_speed.py
	$(BIN)/python benchmarks/analysis_vs_dive.py
	$(BIN)/python benchmarks/explorer_speed.py

clean-reports:
	rm -rf reports
