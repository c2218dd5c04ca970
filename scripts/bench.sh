#!/usr/bin/env bash
# make bench: the SPEC §9 benchmarks. BENCH_IMAGES (default 118287, COCO train2017's size)
# sets the synthetic export's size; exports are generated once into bench-work/ and reused.
set -euo pipefail
bin=${1:-.build/release}
command -v zstd >/dev/null || echo "bench: the zstd command line is missing (make deps installs it)" >&2
exec "$bin/dsv-bench" run --images "${BENCH_IMAGES:-118287}" --work bench-work --dsv "$bin/dsv"
