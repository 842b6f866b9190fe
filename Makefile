# The two commands of the README: `make run` and `make test`. Both build .venv first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench bench-calendars bench-programme lint lock openapi docs system-deps clean

# The exact versions come from the lock file (the Dockerfile uses requirements.lock, the same
# resolution without the test extra); the project itself is installed on top, without
# resolving again. setup.py compiles the catalogues on install: an edited .po is recompiled by
# the next make.
$(STAMP): pyproject.toml setup.py requirements-test.lock $(wildcard shared/locale/*/LC_MESSAGES/*.po)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-test.lock
	$(BIN)/python -m pip install --quiet --no-deps -e '.[test]'
	touch $@

# After changing dependencies in pyproject.toml: resolve them again (uv, from PyPI).
LOCK_OPTIONS := --python-version 3.11 --python-platform x86_64-unknown-linux-gnu --quiet
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet 'uv>=0.5,<1'
	$(BIN)/uv pip compile pyproject.toml $(LOCK_OPTIONS) -o requirements.lock
	$(BIN)/uv pip compile pyproject.toml --extra test $(LOCK_OPTIONS) -o requirements-test.lock

PORT ?= 8000

# `make run PORT=8001` serves on another port; the links it hands out follow (unless
# INTERVISIE_PUBLIC_URL says otherwise).
run: $(STAMP)
	mkdir -p var
	$(BIN)/intervisie serve --host 127.0.0.1 --port $(PORT)

AXE := tests/browser/node_modules/axe-core/axe.min.js

# The unit tests (pure code: no server, port, database or shared file) run on every core with
# pytest-xdist; the rest share this machine's PostgreSQL, Redis, RabbitMQ, worker processes and
# ports, so they run one at a time. Each run ends with its 15 slowest tests (pyproject.toml), and
# make stops at the first that fails: a failing test, or pytest's exit 5 (no test collected).
PARALLEL_TESTS := tests/unit

test: $(STAMP) system-deps $(AXE)
	$(BIN)/python -m pytest -n auto $(PARALLEL_TESTS)
	$(BIN)/python -m pytest $(addprefix --ignore=,$(PARALLEL_TESTS))

# axe-core, injected into pages by the browser tests for the accessibility check (npm registry).
$(AXE): tests/browser/package.json tests/browser/package-lock.json
	cd tests/browser && npm ci --no-audit --no-fund --silent
	touch $@

# The documentation site (mkdocs.yml, docs/) into site/; `make test` builds it the same way
# (tests/unit/test_docs.py), so a broken link fails there too.
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

lint: $(STAMP)
	$(BIN)/ruff check shared services tests bench

openapi: $(STAMP)
	$(BIN)/intervisie openapi

bench: $(STAMP)
	$(BIN)/python -m bench

# 1,000 people's published calendars refreshed by two workers (several minutes: not in `make bench`).
bench-calendars: $(STAMP)
	$(BIN)/python -m bench.calendar_refresh

# A 500-group programme and the hard 200-group one as batches; --api through PostgreSQL and two
# workers (about a minute: not in `make bench`).
bench-programme: $(STAMP)
	$(BIN)/python -m bench.programme --api

# Debian packages that tests use as independent readers and real peers: libical (RFC 5546
# checks), Chromium and tesseract (the subscribe page, read back from a screenshot).
SYSTEM_PACKAGES := gir1.2-ical-3.0 python3-gi chromium tesseract-ocr tesseract-ocr-nld fonts-dejavu-core
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

clean:
	rm -rf $(VENV) var build site *.egg-info
