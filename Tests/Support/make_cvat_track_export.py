#!/usr/bin/env python3
"""Writes a COCO 1.0 export of a CVAT video task, as CVAT's writer lays it out (compact, written by
Python's json): every frame listed, two players tracked through it, each box with CVAT's
`attributes` (a custom text attribute "id", occluded, rotation, track_id, keyframe), areas as
Python prints a product of floats (24073.198500000002), `segmentation` empty for boxes.

usage: make_cvat_track_export.py OUT.json [FRAMES]

The same arguments always give the same bytes. FRAMES defaults to 541 (1,082 annotations).
"""
import json
import sys


def export(frames):
    images, annotations = [], []
    for frame in range(frames):
        images.append({"id": frame + 1, "width": 1280, "height": 720, "file_name": f"frame_{frame:06d}.png",
                       "license": 0, "flickr_url": "", "coco_url": "", "date_captured": 0})
        # Player 1 runs along the baseline; player 2 stays near the net.
        tracks = [(0, "1", 659.72 + (frame % 97) * 1.37, 389.51, 93.47 + (frame % 5) * 0.11, 257.55),
                  (1, "2", 502.33 - (frame % 53) * 0.91, 340.06, 24.73, 57.95 + (frame % 3) * 0.07)]
        for track, name, x, y, w, h in tracks:
            x, w, h = round(x, 2), round(w, 2), round(h, 2)
            annotations.append({"id": len(annotations) + 1, "image_id": frame + 1, "category_id": 1, "segmentation": [],
                                "area": w * h, "bbox": [x, y, w, h], "iscrowd": 0,
                                "attributes": {"id": name, "occluded": frame % 37 == 3, "rotation": 0.0,
                                               "track_id": track, "keyframe": frame % 10 == 0}})
    return {"licenses": [{"name": "", "id": 0, "url": ""}],
            "info": {"contributor": "", "date_created": "", "description": "", "url": "", "version": "", "year": ""},
            "categories": [{"id": 1, "name": "player", "supercategory": ""}],
            "images": images, "annotations": annotations}


if __name__ == "__main__":
    frames = int(sys.argv[2]) if len(sys.argv) > 2 else 541
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        out.write(json.dumps(export(frames), separators=(",", ":")))
