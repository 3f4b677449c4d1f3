#!/usr/bin/env bash
# Rebuild the CASCADE corpus from the pinned sources in data/sources.json (see data/README.md):
# fetch -> extract -> tokenize -> sample -> pack -> report. Extra arguments go to `python -m cascade.data all`
# (e.g. --retrain-tokenizer). Needs apt-get and npm (the registry clients) and ~2.5 GB of disk in data/build/.
set -eo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
exec python -m cascade.data all "$@"
