#!/usr/bin/env bash
# Regenerate data/ from the shared inputs with the project's own command (the order does not matter:
# tests/test_ingest_csv.py checks that any order gives these bytes):
#     bash tools/ingest-shared.sh
set -euo pipefail
cd "$(dirname "$0")/.."
shared=${MAPPA_KB_SHARED:-../shared}
mappa_kb=${MAPPA_KB:-.venv/bin/mappa-kb}
rm -rf data/sources data/headline
"$mappa_kb" ingest "$shared/seeds/000_fa645a06b25c6f03.txt" --area Durham \
    --source county-durham-and-darlington-2010-11 --no-build >/dev/null
"$mappa_kb" ingest "$shared/data/mappa_stats.csv" --skip-regional-sums --no-build >/dev/null
"$mappa_kb" ingest "$shared/data/mappa_stats_more.csv" --no-build >/dev/null
echo "data/: $(find data/sources -name '*.ttl' | wc -l) published files, $(find data/headline -name '*.ttl' | wc -l) headline files"
