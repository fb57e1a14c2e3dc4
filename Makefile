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
	 $(PY) -m pytest -m "not browser and not slow"  # one process: the databases are shared
# (the slow tests are core computations on real images, the critic's checks on every shared set
# and the generic style derived afresh: no service touches them)

lint: setup
	@$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check tasteloop webapp jobs store tests bench
	@$(PY) -c "import bench.run_all"  # every benchmark still imports

bench: setup
	@$(PY) -m bench.run_all

# Lock the dependencies anew (exact versions with hashes, every platform, Python 3.11+) after a
# change to pyproject.toml's ranges or to take newer releases; `make run` and `make test` install
# exactly what the lock files say.
UV_VERSION := 0.13.9
lock: setup
	@$(PY) -m pip install --quiet --disable-pip-version-check 'uv==$(UV_VERSION)'
	@$(VENV)/bin/uv pip compile pyproject.toml --extra test --extra embedded-redis \
	  --generate-hashes --universal --python-version 3.11 -o requirements.lock -q
	@$(VENV)/bin/uv pip compile requirements-build.in \
	  --generate-hashes --universal --python-version 3.11 -o requirements-build.lock -q
	@echo "requirements.lock and requirements-build.lock written"

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache data
