#!/usr/bin/env bash
# The whole test suite: every notebook in nbs/ run by nbdev's test runner, one pytest test per notebook.
# Extra arguments go to pytest; NBDEV_FLAGS="slow gpu" also runs the cells flagged slow/gpu.
set -eo pipefail
cd "$(dirname "$0")"
source scripts/env.sh
exec python -m pytest tests/ "$@"
