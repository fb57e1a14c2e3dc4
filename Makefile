.PHONY: run test test-services lint bench setup migrate clean

VENV := .venv
PY := $(VENV)/bin/python

setup:
	@scripts/bootstrap.sh

run: setup
	@$(PY) -m webapp.serve

test: setup
	@$(PY) -m pytest

# The same suite against the machine's PostgreSQL and Redis services (used by CI when present).
test-services: setup
	@TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	 REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/15} \
	 $(PY) -m pytest -m "not browser"

lint: setup
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check tasteloop webapp jobs store tests bench

bench: setup
	@$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache data
