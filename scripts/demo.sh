#!/usr/bin/env bash
# The main job end to end on a local S3 with a small realistic dataset: two CVAT labeling
# rounds committed, reviewed and checked out. Each later capability extends this path.
#   usage: scripts/demo.sh DSV_BINARY
set -euo pipefail
dsv_bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
top=$(cd "$(dirname "$0")/.." && pwd)
work="$top/demo-work"
s3dir="$work/s3"
rm -rf "$work" && mkdir -p "$work"
cvat_pid=""
trap '"$top/scripts/s3-server.sh" stop "$s3dir"; [ -n "$cvat_pid" ] && kill -9 "$cvat_pid" 2>/dev/null || true' EXIT

say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }
run() { say "$*"; "$@"; }
dsv() { "$dsv_bin" "$@"; }

echo "== a local S3 (SeaweedFS, SigV4 enforced)"
"$top/scripts/s3-server.sh" start "$s3dir"
. "$s3dir/env"
echo "endpoint $AWS_ENDPOINT_URL_S3"

echo "== a small dataset: 30 real PNG images and two CVAT COCO 1.0 exports"
python3 "$top/scripts/make-demo-dataset.py" "$work/dataset"
bucket=demo-datasets
curl -sf -X PUT --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    "$AWS_ENDPOINT_URL_S3/$bucket" >/dev/null
(cd "$work/dataset/images" && find . -name '*.png' | sort | while read -r f; do
    curl -sf -T "$f" --aws-sigv4 "aws:amz:$AWS_REGION:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
        "$AWS_ENDPOINT_URL_S3/$bucket/ship_detector/${f#./}" >/dev/null
done)
echo "uploaded $(find "$work/dataset/images" -name '*.png' | wc -l) images to s3://$bucket/ship_detector/"

mkdir -p "$work/project" && cd "$work/project"
cp "$work/dataset/round1/instances_default.json" round1.json
cp "$work/dataset/round2/instances_default.json" round2.json

echo
echo "== 1. after each labeling round: commit the export"
run dsv init
run dsv commit round1.json -m "round 1: first 24 frames" --images "s3://$bucket/ship_detector/"
run dsv tag round1
echo
echo "== 2. in review: what the second round changes, before and after committing it"
run dsv status round2.json --stat
run dsv commit round2.json -m "round 2: corrections and 6 new frames"
run dsv tag round2
run dsv commit round2.json -m "same export again"

run dsv diff round1 round2 --path batch_0000/
run dsv diff round1..round2 --name-status

echo
echo "== 3. history"
run dsv log
run dsv log --oneline
run dsv show round2

echo
echo "== 4. for training: the exact labels of a version"
run dsv checkout round1 -o train/annotations.json
say cmp round1.json train/annotations.json
cmp round1.json train/annotations.json && echo "byte-identical to the round 1 export"
echo "and the exact image bytes, verified against the pinned ETags, kept in a content cache:"
run dsv materialize round1 --out train/images --cache "$work/cache"
run dsv materialize round2 --out train/images --cache "$work/cache"
say cmp train/images/batch_0000/frame_000001.png "$work/dataset/images/batch_0000/frame_000001.png"
cmp train/images/batch_0000/frame_000001.png "$work/dataset/images/batch_0000/frame_000001.png" && echo "identical"

echo "one command makes a version ready for training — the layout of CVAT's export with images:"
run dsv checkout round2 -o ready/ --images --cache "$work/cache"
say find ready -maxdepth 3
find ready -maxdepth 3 | sort | head -8
run dsv checkout round2 --zip round2.zip --images --cache "$work/cache"
echo "a training job's nodes each take their part of the images into one folder (here: torchrun's variables):"
say RANK=0 WORLD_SIZE=2 dsv materialize round2 --out shared --shard auto --cache "$work/cache"
RANK=0 WORLD_SIZE=2 dsv materialize round2 --out shared --shard auto --cache "$work/cache"
say RANK=1 WORLD_SIZE=2 dsv materialize round2 --out shared --shard auto --cache "$work/cache"
RANK=1 WORLD_SIZE=2 dsv materialize round2 --out shared --shard auto --cache "$work/cache"

echo
echo "== 5. share: push to the team's git server, clone on the training machine"
git init -q --bare "$work/server.git"
run dsv remote add origin "$work/server.git"
run dsv push --tags
(cd "$work" && run dsv clone "$work/server.git" trainer && cd trainer && run dsv materialize round2 --out images --cache "$work/cache")

echo
echo "== 6. are the pinned image bytes still in S3? (then an annotator overwrites one image)"
run dsv verify round2
curl -sf -T "$work/dataset/images/batch_0000/frame_000001.png" --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$AWS_ENDPOINT_URL_S3/$bucket/ship_detector/batch_0000/frame_000002.png" >/dev/null
say dsv verify round2
dsv verify round2 || echo "(exit $?: the version's pinned bytes are no longer what S3 serves)"
say dsv materialize round2 --out fresh/images --cache "$work/cache2"
dsv materialize round2 --out fresh/images --cache "$work/cache2" || echo "(exit $?: the changed image is reported, not written)"

echo
echo "== 7. the reviewer's page: every changed image with its old (dashed) and new shapes"
run dsv diff round1 round2 --html review.html --images-from train/images
echo "open $work/project/review.html in a browser"

echo
echo "== 8. CVAT's export zip as it is, with the train/validation split as part of the version"
python3 - round2.json <<'PY'
import json, sys, zipfile
doc = json.load(open(sys.argv[1]))
def export(name, validation):
    with zipfile.ZipFile(name, "w", zipfile.ZIP_DEFLATED) as archive:
        for subset in ("Train", "Validation"):
            images = [im for im in doc["images"] if (im["file_name"] in validation) == (subset == "Validation")]
            ids = {im["id"] for im in images}
            part = dict(doc, images=images, annotations=[a for a in doc["annotations"] if a["image_id"] in ids])
            archive.writestr(f"annotations/instances_{subset}.json", json.dumps(part, separators=(",", ":")))
names = sorted(im["file_name"] for im in doc["images"])
export("round3_export.zip", set(names[::5]))           # every fifth frame held out for validation
export("round4_export.zip", set(names[::5][:-2]) | {names[1]})   # two frames back to Train, one out
PY
run dsv commit round3_export.zip -m "round 3: the project's export zip, Train/Validation"
run dsv commit round4_export.zip -m "round 4: the split revised"
run dsv diff HEAD~1 HEAD
run dsv checkout HEAD -o split/
ls split/annotations

say git --git-dir=.dsv fsck --strict
git --git-dir=.dsv fsck --strict && echo "git fsck: clean"

echo
echo "== 9. the way a round ends: its completed jobs straight from CVAT, by the project's URL"
# A CVAT of the test suite's own, beside the S3: a project of three tasks (Train, Validation and
# one without a subset), jobs in every state, task 1's jobs overlapping; tasks 1 and 2 keep their
# frames in an S3 cloud storage — the demo's bucket.
python3 "$top/Tests/Support/cvat_server.py" --version 2.80.0 --port-file "$work/cvat.port" \
    --standard "bucket=$bucket,endpoint=$AWS_ENDPOINT_URL_S3" --queue-delay 0.3 --export-delay 0.3 >/dev/null &
cvat_pid=$!
for _ in $(seq 100); do [ -s "$work/cvat.port" ] && break; sleep 0.1; done
cvat="http://127.0.0.1:$(cat "$work/cvat.port")"
pngs=("$work"/dataset/images/*/*.png)
curl -sf "$cvat/_test/frames" | python3 -c 'import json,sys; print("\n".join(json.load(sys.stdin)))' | {
    n=0; while read -r key; do
        curl -sf -T "${pngs[$((n % ${#pngs[@]}))]}" --aws-sigv4 "aws:amz:$AWS_REGION:s3" \
            --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" "$AWS_ENDPOINT_URL_S3/$bucket/$key" >/dev/null
        n=$((n + 1))
    done; echo "CVAT at $cvat; its cloud storage holds $n frames in s3://$bucket/"; }
export CVAT_ACCESS_TOKEN=pat-alice-0123456789abcdef   # a personal access token, as cvat-cli takes it
mkdir -p "$work/labels" && cd "$work/labels"
run dsv init
run dsv commit "$cvat/projects/3" -m "round 8"
echo "(in CVAT, two jobs are corrected and sent back as completed)"
curl -sf -X POST "$cvat/_test/jobs/41/edit" -d '{"op": "move", "frames": [12]}' >/dev/null
curl -sf -X POST "$cvat/_test/jobs/46/edit" -d '{"op": "add", "frames": [3]}' >/dev/null
run dsv status "$cvat/projects/3" --stat
run dsv commit "$cvat/projects/3" -m "round 9"
run dsv log -n 2
run dsv show HEAD
run dsv diff HEAD~1 HEAD
say git --git-dir=.dsv fsck --strict
git --git-dir=.dsv fsck --strict && echo "git fsck: clean"
echo
echo "demo finished; its files are in $work"
