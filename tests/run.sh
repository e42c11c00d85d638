#!/usr/bin/env bash
# Installs everything the test suite needs into .venv and runs it: lint, types, tests.
# Used by the README and by .ci/run. Exits non-zero on any failure (pytest's "no tests
# collected" exit 5 included).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,distributed,bench]'

# A real browser for the dashboard tests (Debian's chromium); skipped tests say why if absent.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium; browser tests will be skipped" >&2
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy blocker rules providers
.venv/bin/pytest -q -p no:cacheprovider "$@"
