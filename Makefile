.PHONY: run test check test-services lint bench setup lock migrate clean

VENV := .venv
PY := $(VENV)/bin/python

setup:
	@scripts/bootstrap.sh

run: setup
	@$(PY) -m webapp.serve

# Every test: the fast tier, the real processes and the browser (two test processes at once).
test: setup
	@$(PY) -m pytest -n 2 --dist loadgroup

# The fast tier for working: core, store, jobs and web (the quick engine injected, a few real
# offline flows), under about 90 s; no real processes, no browser.
check: setup
	@$(PY) -m pytest -n 2 -m "not process and not browser and not slow"

# The same suite against the machine's PostgreSQL and Redis services (used by CI when present).
test-services: setup
	@TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	 REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/15} \
	 $(PY) -m pytest -m "not browser"  # one process: the databases are shared

lint: setup
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check tasteloop webapp jobs store tests bench

bench: setup
	@$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache data
