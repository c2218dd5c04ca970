#!/usr/bin/env python3
"""The content of COCO exports as a reviewer compares them, ids aside (CVAT renumbers them in
every export): images by file_name in order, and each annotation's fields but its id and
image_id, with its category by name. Written independently of dsv, to check dsv against.

usage: coco_content.py merge ZIP...   the job exports merged as CVAT's segments say: a frame that
                                      two jobs share is kept from the first zip that has it
       coco_content.py file JSON      one COCO file (a checkout)
Prints one JSON document.
"""
import json
import sys
import zipfile


def content(documents):
    images, annotations, seen = [], [], set()
    for document in documents:
        categories = {c["id"]: c["name"] for c in document.get("categories", [])}
        names = {}
        for image in document["images"]:
            names[image["id"]] = image["file_name"]
            if image["file_name"] in seen:
                continue
            seen.add(image["file_name"])
            images.append({k: v for k, v in image.items() if k != "id"})
        kept = {i["file_name"] for i in images}
        for annotation in document.get("annotations", []):
            name = names[annotation["image_id"]]
            if name not in kept or (document is not documents[0] and name in claimed_before(documents, document, name)):
                continue
            fields = {k: v for k, v in annotation.items() if k not in ("id", "image_id", "category_id")}
            annotations.append([name, categories.get(annotation.get("category_id")), fields])
    return {"images": images, "annotations": annotations}


def claimed_before(documents, document, name):
    """The file names an earlier document already has: their annotations come from there."""
    earlier = documents[:documents.index(document)]
    return {image["file_name"] for d in earlier for image in d["images"]} & {name}


if __name__ == "__main__":
    mode, paths = sys.argv[1], sys.argv[2:]
    if mode == "merge":
        documents = []
        for path in paths:
            with zipfile.ZipFile(path) as archive:
                documents.append(json.loads(archive.read("annotations/instances_default.json")))
    else:
        documents = [json.load(open(paths[0], encoding="utf-8"))]
    print(json.dumps(content(documents), sort_keys=True))
