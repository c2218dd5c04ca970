#!/usr/bin/env python3
"""Reads a training folder the way training code does, with tools that are not dsv's: Datumaro's
COCO importer (the reader CVAT itself uses for COCO uploads) and pycocotools. Prints one JSON
document: per subset, what each saw — items, annotations, and how many images were found and
decoded.

usage: read_training_data.py DIR          a folder (annotations/, images/<subset>/)
       read_training_data.py FILE.zip     a zip of one, extracted first (as CVAT's upload does)
"""
import json
import sys
import tempfile
import zipfile
from pathlib import Path


def read(folder):
    import datumaro as dm
    from pycocotools.coco import COCO

    seen = {}
    dataset = dm.Dataset.import_from(str(folder), "coco_instances")
    for name, subset in dataset.subsets().items():
        items = list(subset)
        decoded = 0
        for item in items:
            media = item.media
            if media is not None and media.has_data:
                data = media.data
                if data is not None and data.ndim >= 2 and data.shape[0] > 0:
                    decoded += 1
        seen[name] = {"items": len(items), "annotations": sum(len(item.annotations) for item in items),
                      "images_decoded": decoded}
    for path in sorted((Path(folder) / "annotations").glob("instances_*.json")):
        coco = COCO(str(path))
        name = path.stem[len("instances_"):]
        seen.setdefault(name, {})["coco_images"] = len(coco.getImgIds())
        seen[name]["coco_annotations"] = len(coco.getAnnIds())
    return seen


if __name__ == "__main__":
    source = Path(sys.argv[1])
    if source.suffix == ".zip":
        with tempfile.TemporaryDirectory() as folder:
            with zipfile.ZipFile(source) as archive:
                archive.extractall(folder)
            result = read(folder)
    else:
        result = read(source)
    print(json.dumps(result, sort_keys=True))
