#!/usr/bin/env python3
"""Makes the demo's small, realistic dataset: real PNG images (street scenes of coloured boxes
on a gradient, decodable by any viewer) and two CVAT-style COCO 1.0 exports of their labels —
round 1, and round 2 where annotators moved boxes, relabelled one, flipped `occluded`, added
and removed shapes, and labelled new images. CVAT renumbers ids on every export; so does this.

usage: make-demo-dataset.py OUT_DIR
writes OUT_DIR/images/batch_000N/*.png, OUT_DIR/round1/instances_default.json,
OUT_DIR/round2/instances_default.json
"""
import json, os, random, struct, sys, zlib

out = sys.argv[1]
random.seed(7)
CATEGORIES = ["car", "pedestrian", "bicycle", "traffic light"]
COLORS = {"car": (220, 40, 40), "pedestrian": (40, 160, 60), "bicycle": (40, 90, 220), "traffic light": (240, 200, 0)}
W, H = 320, 240

def png(width, height, boxes):
    """A gradient background with filled boxes; returns PNG bytes."""
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            r, g, b = 90 + y * 80 // height, 110 + x * 60 // width, 140
            for (bx, by, bw, bh, color) in boxes:
                if bx <= x < bx + bw and by <= y < by + bh:
                    r, g, b = color
            row += bytes((r, g, b))
        rows.append(bytes(row))
    def chunk(kind, data):
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"".join(rows), 6)) + chunk(b"IEND", b""))

def shapes_for(index, round2):
    rng = random.Random(index)
    shapes = []
    for s in range(rng.randint(1, 4)):
        category = CATEGORIES[rng.randrange(len(CATEGORIES))]
        x, y = rng.randint(0, W - 80), rng.randint(0, H - 60)
        w, h = rng.randint(20, 80), rng.randint(20, 60)
        shapes.append({"category": category, "box": [float(x), float(y), float(w), float(h)],
                       "occluded": rng.random() < 0.2})
    if round2:
        if index % 5 == 1:   # a box moved and resized
            shapes[0]["box"] = [shapes[0]["box"][0] + 6.5, shapes[0]["box"][1] - 3.0, shapes[0]["box"][2] + 4.0, shapes[0]["box"][3]]
        if index % 7 == 2:   # relabelled
            shapes[0]["category"] = "bicycle" if shapes[0]["category"] != "bicycle" else "pedestrian"
        if index % 6 == 3:   # occluded flipped
            shapes[-1]["occluded"] = not shapes[-1]["occluded"]
        if index % 8 == 4:   # a missed object added
            shapes.append({"category": "pedestrian", "box": [10.0, 20.0, 24.0, 52.0], "occluded": False})
        if index % 9 == 5 and len(shapes) > 1:   # a false positive removed
            shapes.pop()
    return shapes

def export(indices, round2):
    images, annotations = [], []
    for image_id, index in enumerate(indices, 1):
        images.append({"id": image_id, "width": W, "height": H, "file_name": f"batch_{index // 10:04d}/frame_{index:06d}.png",
                       "license": 0, "flickr_url": "", "coco_url": "", "date_captured": 0})
        for shape in shapes_for(index, round2):
            x, y, w, h = shape["box"]
            annotations.append({"id": len(annotations) + 1, "image_id": image_id,
                                "category_id": CATEGORIES.index(shape["category"]) + 1,
                                "segmentation": [], "area": w * h, "bbox": [x, y, w, h], "iscrowd": 0,
                                "attributes": {"occluded": shape["occluded"], "rotation": 0.0}})
    return {"licenses": [{"name": "", "id": 0, "url": ""}],
            "info": {"contributor": "", "date_created": "", "description": "", "url": "", "version": "", "year": ""},
            "categories": [{"id": i + 1, "name": n, "supercategory": ""} for i, n in enumerate(CATEGORIES)],
            "images": images, "annotations": annotations}

round1 = list(range(24))
round2 = list(range(30))  # six new images labelled in round 2
for index in round2:
    path = os.path.join(out, "images", f"batch_{index // 10:04d}", f"frame_{index:06d}.png")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    boxes = [(int(s["box"][0]), int(s["box"][1]), int(s["box"][2]), int(s["box"][3]), COLORS[s["category"]])
             for s in shapes_for(index, True)]
    with open(path, "wb") as f:
        f.write(png(W, H, boxes))
for name, indices, r2 in (("round1", round1, False), ("round2", round2, True)):
    os.makedirs(os.path.join(out, name), exist_ok=True)
    with open(os.path.join(out, name, "instances_default.json"), "w") as f:
        json.dump(export(indices, r2), f, separators=(",", ":"))
