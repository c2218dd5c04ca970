#!/usr/bin/env bash
# make bench: the SPEC §9 benchmarks. BENCH_IMAGES (default 118287, COCO train2017's size) sets
# the synthetic export's size, BENCH_OBJECTS (default 100000) the number of S3 objects pinned,
# BENCH_MATERIALIZE (default 10000) the objects materialized, BENCH_ONLY a subset of the row
# groups (commit,zip,pinning,materialize,cvat,sizes,layouts,crowd,year), BENCH_SIZES the sizes of the
# sizes rows (default 1000,10000,40000; add 1180000 for train2017 ×10, 3.8 GB), BENCH_YEAR_ROUNDS
# the rounds of the year rows (default 365);
# exports are generated once into bench-work/ and reused. The commit and zip rows run first,
# with nothing else running: a local S3 server, idle or not, takes its share of the two cores.
# It is started afterwards for the pinning and materialize rows, and stopped by its pid.
set -euo pipefail
bin=${1:-.build/release}
top=$(cd "$(dirname "$0")/.." && pwd)
command -v zstd >/dev/null || echo "bench: the zstd command line is missing (make deps installs it)" >&2
only=",${BENCH_ONLY:-commit,zip,pinning,materialize,cvat,sizes,layouts,crowd,year},"
local_groups="" s3_groups=""
for group in commit zip cvat sizes layouts crowd year; do case $only in *,$group,*) local_groups="$local_groups,$group" ;; esac; done
for group in pinning materialize; do case $only in *,$group,*) s3_groups="$s3_groups,$group" ;; esac; done
run() {
    "$bin/dsv-bench" run --images "${BENCH_IMAGES:-118287}" --objects "${BENCH_OBJECTS:-100000}" \
        --materialize-objects "${BENCH_MATERIALIZE:-10000}" --only "${1#,}" --work bench-work --dsv "$bin/dsv" \
        --sizes "${BENCH_SIZES:-1000,10000,40000}" --layout-images "${BENCH_IMAGES:-118287}" --year-rounds "${BENCH_YEAR_ROUNDS:-365}"
}
[ -n "$local_groups" ] && run "$local_groups"
if [ -n "$s3_groups" ]; then
    s3dir="$top/.s3/bench"
    trap '"$top/scripts/s3-server.sh" stop "$s3dir"' EXIT
    "$top/scripts/s3-server.sh" start "$s3dir"
    . "$s3dir/env"
    run "$s3_groups"
fi
