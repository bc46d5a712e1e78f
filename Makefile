# mujun — the two commands: `make demo` and `make test`. Both create .venv and install the project
# when missing (re-installing only when pyproject.toml changes).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test bench lint format clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/mujun demo

# the suite on SQLite; then, when MUJUN_TEST_DATABASE_URL names a PostgreSQL server, the web and
# browser tests again on PostgreSQL (the browser tests' SQLite half ran in the first pass already).
# On CI (CI=true) the PostgreSQL pass is required.
test: $(STAMP)
	@if [ "$${CI:-}" = true ] && [ -z "$${MUJUN_TEST_DATABASE_URL:-}" ]; then \
	  echo "make test: CI=true but MUJUN_TEST_DATABASE_URL is not set; the PostgreSQL pass needs" \
	    "a server (postgresql://user:password@host:port/name; .ci/run starts one)" >&2; \
	  exit 1; \
	fi
	env -u MUJUN_TEST_DATABASE_URL MUJUN_CI_DATABASE_URL="$${MUJUN_TEST_DATABASE_URL:-}" \
	  $(PY) -m pytest -n 2 -q
	@if [ -n "$${MUJUN_TEST_DATABASE_URL:-}" ]; then \
	  echo "make test: tests/web and tests/browser again on PostgreSQL"; \
	  $(PY) -m pytest -n 2 -q tests/web tests/browser -k "not on_sqlite"; \
	fi

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) mujun-demo .pytest_cache .ruff_cache
