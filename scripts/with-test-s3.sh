#!/usr/bin/env bash
# Runs a command with a test S3 (SeaweedFS on free loopback ports) and its environment, and stops
# the server by its pid afterwards, whatever the command's outcome. Exits with the command's status.
#   usage: scripts/with-test-s3.sh S3_DIR COMMAND [ARG…]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
dir=$1; shift
"$top/scripts/s3-server.sh" start "$dir" || exit 1
trap '"$top/scripts/s3-server.sh" stop "$dir"' EXIT
. "$dir/env"
"$@"
status=$?
exit $status
