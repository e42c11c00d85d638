#!/usr/bin/env bash
# Installs everything the test suite needs into .venv and runs it: lint, types, tests.
# Used by the README and by .ci/run. Exits non-zero on any failure (pytest's "no tests
# collected" exit 5 included).
#
# The suite runs twice, each time with the test clock pinned (tests/support/clock.py):
#   1. BLOCKER_TEST_TODAY unset: Thursday 2026-12-03 15:00 New York, inside the example's week;
#   2. BLOCKER_TEST_TODAY=$LATER: a Monday morning years later.
# A test that passes only on the day it was written fails one of them. Set
# BLOCKER_TEST_ONE_RUN=1 to run only the first (a quicker local loop).
# Hypothesis uses its deterministic `ci` profile here (HYPOTHESIS_PROFILE=dev explores).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,distributed,bench]'

# A real browser for the dashboard tests (Debian's chromium). In CI (CI=true) its absence
# fails the run; elsewhere the browser tests are skipped and say why.
if ! command -v chromium >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "warning: could not install chromium" >&2
fi
if ! [ -x /usr/bin/chromium ]; then
  case "${CI:-}" in
    1|true|TRUE|yes)
      echo "error: CI=true and /usr/bin/chromium is missing: the browser tests cannot run." >&2
      echo "       Install Debian's chromium (apt-get install chromium) or run as root so this script can." >&2
      exit 1 ;;
    *) echo "warning: /usr/bin/chromium is missing: the browser tests will be skipped" >&2 ;;
  esac
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy blocker rules providers
.venv/bin/lint-imports --no-cache  # one-way layers: the contracts in pyproject.toml

export HYPOTHESIS_PROFILE=${HYPOTHESIS_PROFILE:-ci}
LATER=${BLOCKER_TEST_LATER:-2031-06-16T06:45:00-04:00}

echo "== tests, clock pinned at the default (${BLOCKER_TEST_TODAY:-2026-12-03T15:00:00-05:00})"
.venv/bin/pytest -q -p no:cacheprovider "$@"
if [ -z "${BLOCKER_TEST_ONE_RUN:-}" ]; then
  echo "== tests again, clock pinned at $LATER"
  BLOCKER_TEST_TODAY=$LATER .venv/bin/pytest -q -p no:cacheprovider "$@"
fi
