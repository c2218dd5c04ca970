#!/usr/bin/env bash
# Starts or stops a SeaweedFS S3 server for tests and the demo, on free loopback ports, with
# SigV4 identities enforced.
#
#   scripts/s3-server.sh start DIR   start a server whose data, pid and env file live in DIR;
#                                    prints nothing on success, writes DIR/env (sourceable)
#   scripts/s3-server.sh stop DIR    kill the server by its pid (SIGKILL) and remove DIR
set -euo pipefail

command=${1:?usage: s3-server.sh start|stop DIR}
dir=${2:?usage: s3-server.sh start|stop DIR}

case "$command" in
start)
    command -v weed >/dev/null || { echo "s3-server: 'weed' not found; run 'make deps'" >&2; exit 1; }
    rm -rf "$dir" && mkdir -p "$dir/data"
    # Six free ports whose +10000 twins are free too (each SeaweedFS service opens both).
    read -r master volume filer admin s3 debug < <(python3 - <<'PY'
import random, socket
def free(p):
    for port in (p, p + 10000):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        finally:
            s.close()
    return True
ports = []
while len(ports) < 6:
    p = random.randint(20000, 29999)
    if p not in ports and free(p):
        ports.append(p)
print(*ports)
PY
)
    access="dsvtest$(od -An -N4 -tx4 /dev/urandom | tr -d ' ')"
    secret="$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
    cat > "$dir/identities.json" <<JSON
{"identities": [{"name": "dsv-test", "credentials": [{"accessKey": "$access", "secretKey": "$secret"}],
  "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}
JSON
    # Every bucket is a SeaweedFS collection with volumes of its own; the automatic volume limit
    # (free disk / volume size) runs out after a few dozen buckets, so it is raised. Volume
    # files grow as written, so the limit costs no disk.
    weed mini -dir="$dir/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -volume.max=2000 \
        -master.port="$master" -volume.port="$volume" -filer.port="$filer" -admin.port="$admin" \
        -s3.port="$s3" -s3.config="$dir/identities.json" -debug.port="$debug" \
        -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 \
        > "$dir/weed.log" 2>&1 &
    echo $! > "$dir/pid"
    endpoint="http://127.0.0.1:$s3"
    for _ in $(seq 1 300); do
        code=$(curl -s -o /dev/null -w '%{http_code}' "$endpoint/" || true)
        [ "$code" = 403 ] && break
        if ! kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
            echo "s3-server: weed exited; see $dir/weed.log" >&2; tail -5 "$dir/weed.log" >&2; exit 1
        fi
        sleep 0.1
    done
    [ "$code" = 403 ] || { echo "s3-server: no answer from $endpoint; see $dir/weed.log" >&2; exit 1; }
    cat > "$dir/env" <<ENV
export DSV_TEST_S3_ENDPOINT=$endpoint
export AWS_ENDPOINT_URL_S3=$endpoint
export AWS_ACCESS_KEY_ID=$access
export AWS_SECRET_ACCESS_KEY=$secret
export AWS_REGION=us-east-1
ENV
    ;;
stop)
    if [ -f "$dir/pid" ]; then kill -9 "$(cat "$dir/pid")" 2>/dev/null || true; fi
    rm -rf "$dir"
    ;;
*)
    echo "usage: s3-server.sh start|stop DIR" >&2; exit 2 ;;
esac
