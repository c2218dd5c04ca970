#!/usr/bin/env bash
# make bench: the SPEC §9 benchmarks. BENCH_IMAGES (default 118287, COCO train2017's size) sets
# the synthetic export's size, BENCH_OBJECTS (default 100000) the number of S3 objects pinned,
# BENCH_MATERIALIZE (default 10000) the objects materialized, BENCH_ONLY a subset of the row
# groups (commit,zip,pinning,materialize);
# exports are generated once into bench-work/ and reused. A local S3 is started for the pinning
# rows and stopped by its pid at the end.
set -euo pipefail
bin=${1:-.build/release}
top=$(cd "$(dirname "$0")/.." && pwd)
command -v zstd >/dev/null || echo "bench: the zstd command line is missing (make deps installs it)" >&2
s3dir="$top/.s3/bench"
trap '"$top/scripts/s3-server.sh" stop "$s3dir"' EXIT
"$top/scripts/s3-server.sh" start "$s3dir"
. "$s3dir/env"
"$bin/dsv-bench" run --images "${BENCH_IMAGES:-118287}" --objects "${BENCH_OBJECTS:-100000}" \
    --materialize-objects "${BENCH_MATERIALIZE:-10000}" --only "${BENCH_ONLY:-commit,zip,pinning,materialize}" \
    --work bench-work --dsv "$bin/dsv"
