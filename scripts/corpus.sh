#!/usr/bin/env bash
# Round trip over a folder of someone else's COCO files (`make corpus DIR=…`): every *.json under
# DIR is committed into a fresh repository, checked out and compared with the original — byte for
# byte where it was written compactly, token for token (whitespace between tokens aside) otherwise.
# Then a status of the committed file shows nothing, and one with its last annotation dropped shows
# what the diff shows once that is committed. A file dsv refuses must be refused as bad input:
# exit 65 with one line on stderr. Anything else —
# a crash, another exit code, a checkout that differs — fails the run.
#   usage: scripts/corpus.sh DSV_BINARY DIR
set -uo pipefail
dsv=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
dir=$(cd "$2" 2>/dev/null && pwd) || { echo "corpus: $2 is not a folder" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Tokens as written, whitespace between them dropped (strings untouched): what a checkout of an
# export that was not compact must equal.
minify() {
    python3 - "$1" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
out, in_string, escaped = bytearray(), False, False
for byte in data:
    if in_string:
        out.append(byte)
        if escaped: escaped = False
        elif byte == 0x5C: escaped = True
        elif byte == 0x22: in_string = False
    elif byte in b" \t\r\n":
        continue
    else:
        out.append(byte)
        in_string = byte == 0x22
sys.stdout.buffer.write(bytes(out))
EOF
}

files=0; failed=0
while IFS= read -r -d '' file; do
    files=$((files + 1))
    repo="$work/repo-$files"
    mkdir -p "$repo"
    "$dsv" -C "$repo" init >/dev/null 2>&1
    "$dsv" -C "$repo" commit "$file" -m corpus >"$work/out" 2>"$work/err"
    status=$?
    name=${file#"$dir"/}
    if [ $status -eq 65 ]; then
        if [ "$(wc -l <"$work/err")" -eq 1 ] && grep -q '^dsv: error: ' "$work/err"; then
            printf 'refused    %s: %s\n' "$name" "$(cut -c13- "$work/err")"
        else
            printf 'FAILED     %s: exit 65 without one error line\n' "$name"; failed=$((failed + 1))
        fi
        continue
    elif [ $status -ne 0 ]; then
        printf 'FAILED     %s: commit exit %d: %s\n' "$name" $status "$(head -c 300 "$work/err")"; failed=$((failed + 1))
        continue
    fi
    if ! "$dsv" -C "$repo" checkout HEAD -o "$work/checkout.json" >/dev/null 2>"$work/err"; then
        printf 'FAILED     %s: checkout: %s\n' "$name" "$(head -c 300 "$work/err")"; failed=$((failed + 1))
        continue
    fi
    if cmp -s "$file" "$work/checkout.json"; then
        printf 'identical  %s\n' "$name"
    elif [ "$(minify "$file" | sha256sum)" = "$(minify "$work/checkout.json" | sha256sum)" ]; then
        printf 'tokens     %s (whitespace between tokens differs)\n' "$name"
    else
        printf 'FAILED     %s: the checkout differs from the file\n' "$name"; failed=$((failed + 1))
    fi
    if ! git --git-dir="$repo/.dsv" fsck --strict --no-progress >/dev/null 2>&1; then
        printf 'FAILED     %s: git fsck\n' "$name"; failed=$((failed + 1))
    fi
    # The committed file shows no change; with its last annotation dropped, status shows the
    # change that the diff shows once that is committed.
    if ! "$dsv" -C "$repo" status "$file" --exit-code >/dev/null 2>"$work/err"; then
        printf 'FAILED     %s: status of the committed file: %s\n' "$name" "$(head -c 300 "$work/err")"; failed=$((failed + 1))
        continue
    fi
    python3 - "$file" "$work/next.json" <<'EOF2' || continue
import json, sys
document = json.load(open(sys.argv[1], encoding="utf-8"), object_pairs_hook=dict)
if not isinstance(document, dict) or not document.get("annotations"):
    sys.exit(1)
document["annotations"].pop()
json.dump(document, open(sys.argv[2], "w", encoding="utf-8"), ensure_ascii=False, separators=(",", ":"))
EOF2
    "$dsv" -C "$repo" status "$work/next.json" --json >"$work/status.json" 2>"$work/err"
    "$dsv" -C "$repo" commit "$work/next.json" -m next >/dev/null 2>>"$work/err"
    "$dsv" -C "$repo" diff --json >"$work/diff.json" 2>>"$work/err"
    if ! python3 - "$work/status.json" "$work/diff.json" <<'EOF2'
import json, sys
status, diff = (json.load(open(path))["summary"] for path in sys.argv[1:])
sys.exit(0 if status == diff and sum(status["annotations"][k] for k in ("added", "removed", "modified", "relabeled")) >= 1 else 1)
EOF2
    then
        printf 'FAILED     %s: status and diff of a round without the last annotation: %s\n' "$name" "$(head -c 300 "$work/err")"
        failed=$((failed + 1))
    fi
done < <(find "$dir" -type f -name '*.json' -print0 | sort -z)

echo "corpus: $files files, $failed failed"
[ $files -gt 0 ] && [ $failed -eq 0 ]
