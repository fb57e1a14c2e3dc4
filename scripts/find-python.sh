#!/usr/bin/env bash
# Print the best Python interpreter for tasteloop: 3.13 preferred, 3.12 / 3.11 accepted.
set -u
for version in 3.13 3.12 3.11; do
  candidates=("python$version")
  for dir in "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$version"*/bin; do
    [ -x "$dir/python$version" ] && candidates+=("$dir/python$version")
  done
  for candidate in "${candidates[@]}"; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import venv' 2>/dev/null; then
      [ "$version" != "3.13" ] && echo "notice: Python 3.13 not found; using $version" >&2
      command -v "$candidate"
      exit 0
    fi
  done
done
echo "error: tasteloop needs Python 3.11 or newer (3.13 preferred); none was found on PATH or under pyenv" >&2
exit 1
