#!/usr/bin/env python3
"""The baseline of dsv's diff benchmark: what a team does without dsv. Loads both exports with
json.load, then a naive semantic diff — images by file_name, annotations compared without ids,
category ids mapped to names. Prints two timings: `load SECONDS` and `diff SECONDS`."""
import gc, json, sys, time

gc.disable()
start = time.perf_counter()
old = json.load(open(sys.argv[1]))
new = json.load(open(sys.argv[2]))
loaded = time.perf_counter()

def index(doc):
    names = {c["id"]: c["name"] for c in doc.get("categories", [])}
    by_id = {img["id"]: img["file_name"] for img in doc["images"]}
    per_image = {}
    for ann in doc.get("annotations", []):
        key = {k: v for k, v in ann.items() if k not in ("id", "image_id")}
        key["category_id"] = names.get(ann.get("category_id"))
        per_image.setdefault(by_id[ann["image_id"]], []).append(json.dumps(key, sort_keys=True))
    return per_image

a, b = index(old), index(new)
changed = sum(1 for k in set(a) | set(b) if sorted(a.get(k, [])) != sorted(b.get(k, [])))
done = time.perf_counter()
print(f"load {loaded - start:.3f}")
print(f"diff {done - loaded:.3f}")
print(f"changed {changed}", file=sys.stderr)
